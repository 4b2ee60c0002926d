"""The summary and reminder jobs, run through Celery (in-process here; tests/integration runs a
real worker)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.scoping import scopes_disabled
from insights import tasks
from insights.models import TrustMonthSummary
from insights.summaries import SummaryBusy
from tests.factories import ContractFactory, MembershipFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_the_nightly_run_recomputes_every_trust(trust, other_trust):
    ProductFactory(organisation=trust), ProductFactory(organisation=other_trust)
    assert tasks.summaries_recompute_all_task.delay().get()["done"] >= 2
    this_month = timezone.localdate().replace(day=1)
    with scopes_disabled():
        summarised = set(
            TrustMonthSummary.objects.filter(month=this_month).values_list(
                "organisation", flat=True
            )
        )
    assert {trust.pk, other_trust.pk} <= summarised


def test_a_busy_trust_is_retried_not_dropped(trust, monkeypatch):
    ProductFactory(organisation=trust)
    real = tasks.summaries_recompute
    calls = []

    def busy_once(organisation, months):
        calls.append(organisation.pk)
        if len(calls) == 1:
            raise SummaryBusy(f"org:{organisation.pk}")
        return real(organisation, months)

    monkeypatch.setattr(tasks, "summaries_recompute", busy_once)
    result = tasks.summaries_recompute_task.apply(args=[trust.pk, None], throw=False)
    assert result.get() > 0
    assert calls == [trust.pk, trust.pk]


def test_the_daily_reminder_run_sends_what_is_due(trust):
    owner = MembershipFactory(organisation=trust).user
    today = timezone.localdate()
    ContractFactory(
        product=ProductFactory(organisation=trust, owner=owner),
        start_date=today - timedelta(days=400),
        end_date=today + timedelta(days=100),
        notice_period_days=90,
    )  # notice deadline in 10 days
    assert tasks.renewal_reminders_send_task.delay().get()["done"] == 1
    assert mail.outbox[0].to == [owner.email]
