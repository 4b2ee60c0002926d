"""The apps below insights announce changes by signal; insights answers with a summary refresh."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.scoping import scope, scopes_disabled
from feedback.signals import feedback_changed
from insights.models import ProductMonthSummary
from insights.summaries import summaries_recompute
from insights.tasks import summaries_recompute_task
from portfolio.signals import portfolio_changed
from roadmaps.services import roadmap_item_create
from roadmaps.signals import roadmap_changed
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_every_domain_signal_schedules_a_refresh_of_its_months_after_the_commit(
    trust, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(
        summaries_recompute_task, "apply_async", lambda args, kwargs, retry: sent.append(args)
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        portfolio_changed.send(sender=None, organisation_id=trust.pk, months=None)
        feedback_changed.send(
            sender=None, organisation_id=trust.pk, months=[date(2026, 3, 2), date(2026, 1, 15)]
        )
        roadmap_changed.send(sender=None, organisation_id=trust.pk, months=[date(2026, 3, 9)])
        assert sent == []  # nothing goes to the broker before the commit
    assert len(callbacks) == 3
    assert sent == [
        (trust.pk, None),
        (trust.pk, ["2026-01-01", "2026-03-01"]),
        (trust.pk, ["2026-03-01"]),
    ]


def test_a_new_roadmap_item_in_flight_shows_in_this_months_summary(
    trust, pm, django_capture_on_commit_callbacks
):
    product = ProductFactory(organisation=trust)
    with scope(organisation=trust):
        summaries_recompute(trust)
    this_month = timezone.localdate().replace(day=1)
    data = {
        "product": product,
        "title": "Faster letters",
        "status": "in_progress",
        "horizon": "now",
        "reach": 10,
        "impact": Decimal("1"),
        "confidence": 50,
        "effort": Decimal("1"),
    }
    with django_capture_on_commit_callbacks(execute=True), scope(organisation=trust):
        roadmap_item_create(organisation=trust, data=data, user=pm.user)
    with scopes_disabled():
        summary = ProductMonthSummary.objects.get(product=product, month=this_month)
    assert summary.roadmap_in_flight == 1
