"""The apps below insights announce changes by signal; insights answers with a summary refresh."""

import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.scoping import scope, scopes_disabled
from feedback.signals import feedback_changed
from insights import refresh, tasks
from insights.models import ProductMonthSummary, SummaryRefresh
from insights.refresh import summaries_refresh_run
from insights.summaries import summaries_recompute
from insights.tasks import summaries_refresh_task
from portfolio.signals import portfolio_changed
from roadmaps.services import roadmap_item_create
from roadmaps.signals import roadmap_changed
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_every_domain_signal_asks_for_a_refresh_and_a_burst_sends_one_task(
    trust, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(
        summaries_refresh_task,
        "apply_async",
        lambda args, kwargs, **options: sent.append(tuple(args)),
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        feedback_changed.send(
            sender=None, organisation_id=trust.pk, months=[date(2026, 3, 2), date(2026, 1, 15)]
        )
        roadmap_changed.send(sender=None, organisation_id=trust.pk, months=[date(2026, 3, 9)])
        for _ in range(50):  # a burst of feedback
            feedback_changed.send(sender=None, organisation_id=trust.pk, months=[date(2026, 2, 1)])
        assert sent == []  # nothing goes to the broker before the commit
    assert len(callbacks) == 1
    assert sent == [(trust.pk,)]
    with scopes_disabled():
        request = SummaryRefresh.objects.get(organisation=trust)
    assert request.months == ["2026-01-01", "2026-02-01", "2026-03-01"]
    portfolio_changed.send(sender=None, organisation_id=trust.pk, months=None)
    with scopes_disabled():
        assert SummaryRefresh.objects.get(organisation=trust).months is None  # all months


def test_a_change_while_the_refresh_runs_gets_its_own_refresh(
    trust, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(
        summaries_refresh_task,
        "apply_async",
        lambda args, kwargs, **options: sent.append(tuple(args)),
    )
    ProductFactory(organisation=trust)
    with django_capture_on_commit_callbacks(execute=True):
        feedback_changed.send(sender=None, organisation_id=trust.pk, months=[date(2026, 3, 2)])
    with scope(organisation=trust):
        assert summaries_refresh_run(trust) > 0  # takes the request
        assert summaries_refresh_run(trust) == 0  # nothing waiting now
    with django_capture_on_commit_callbacks(execute=True):
        feedback_changed.send(sender=None, organisation_id=trust.pk, months=[date(2026, 3, 3)])
    assert len(sent) == 2


def test_a_failed_refresh_puts_its_months_back_and_the_dashboard_says_so(
    trust, viewer_client, monkeypatch
):
    ProductFactory(organisation=trust)
    with transaction.atomic():
        feedback_changed.send(sender=None, organisation_id=trust.pk, months=[date(2026, 3, 2)])

    def broken(organisation, months):
        raise ValueError("numeric field overflow")

    monkeypatch.setattr(refresh, "summaries_recompute", broken)
    with scope(organisation=trust), pytest.raises(ValueError):
        summaries_refresh_run(trust)
    with scopes_disabled():
        request = SummaryRefresh.objects.get(organisation=trust)
    assert request.months == ["2026-03-01"] and request.failures == 1
    page = viewer_client.get(f"/o/{trust.ods_code}/dashboard/").content.decode()
    assert "Figures may be out of date" in page and "numeric field overflow" in page
    monkeypatch.undo()
    with scope(organisation=trust):
        summaries_refresh_run(trust)
    page = viewer_client.get(f"/o/{trust.ods_code}/dashboard/").content.decode()
    assert "Figures may be out of date" not in page


def test_the_sweep_resends_requests_whose_task_was_lost(trust, other_trust, monkeypatch):
    sent = []
    monkeypatch.setattr(
        summaries_refresh_task,
        "apply_async",
        lambda args, kwargs, **options: sent.append(tuple(args)),
    )
    for organisation in (trust, other_trust):
        with transaction.atomic():
            feedback_changed.send(
                sender=None, organisation_id=organisation.pk, months=[date(2026, 3, 2)]
            )
    sent.clear()  # as if Redis had lost both messages
    monkeypatch.setattr(summaries_refresh_task, "delay", lambda pk: sent.append((pk,)))
    assert tasks.summaries_refresh_sweep_task(older_than_seconds=0)["done"] == 2
    assert sorted(sent) == sorted([(trust.pk,), (other_trust.pk,)])


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


@pytest.mark.django_db(transaction=True)
def test_changes_committing_at_once_share_one_refresh_request(trust, monkeypatch):
    """Two posts of the same trust at the same moment: on PostgreSQL both insert, one meets the
    unique index and merges into the other's request; neither post fails."""
    monkeypatch.setattr(summaries_refresh_task, "apply_async", lambda *a, **k: None)
    threads_n = 2 if connection.vendor == "postgresql" else 1
    barrier = threading.Barrier(threads_n)
    errors = []

    def post(month):
        try:
            with transaction.atomic():
                barrier.wait(timeout=5)
                feedback_changed.send(sender=None, organisation_id=trust.pk, months=[month])
                time.sleep(0.2)  # both inside their transaction before either commits
        except Exception as error:  # noqa: BLE001 - any failure of a post is the finding
            errors.append(error)
        finally:
            connection.close()

    months = [date(2026, 1, 5), date(2026, 2, 5)][:threads_n]
    threads = [threading.Thread(target=post, args=(m,)) for m in months]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if threads_n == 1:  # SQLite runs one writer at a time: the second post merges in sequence
        post(date(2026, 2, 5))
    assert errors == []
    with scopes_disabled():
        request = SummaryRefresh.objects.get(organisation=trust)
    assert request.months == ["2026-01-01", "2026-02-01"]


@pytest.mark.django_db(transaction=True)
def test_a_refresh_waits_for_a_change_merging_into_its_request(trust, monkeypatch):
    """Under load some post always holds the request's row lock while merging; the task must
    wait for it, not skip the row (which would leave the request without a task)."""
    monkeypatch.setattr(summaries_refresh_task, "apply_async", lambda *a, **k: None)
    ProductFactory(organisation=trust)
    feedback_changed.send(sender=None, organisation_id=trust.pk, months=[date(2026, 1, 5)])
    holding = threading.Event()

    def merging_post():
        try:
            with transaction.atomic():
                feedback_changed.send(
                    sender=None, organisation_id=trust.pk, months=[date(2026, 2, 5)]
                )
                holding.set()
                time.sleep(0.5)
        finally:
            connection.close()

    if connection.vendor == "postgresql":
        thread = threading.Thread(target=merging_post)
        thread.start()
        assert holding.wait(timeout=5)
    else:  # SQLite: one writer at a time, so the merge simply comes first
        merging_post()
    with scope(organisation=trust):
        written = summaries_refresh_run(trust)
    if connection.vendor == "postgresql":
        thread.join()
    assert written > 0  # took the request (both months), did not skip it
    with scopes_disabled():
        assert not SummaryRefresh.objects.filter(organisation=trust).exists()
