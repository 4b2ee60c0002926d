"""Batch jobs isolate failures: one poisoned row is logged and reported, the others are done."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.scoping import scope, scopes_disabled
from core.batch import run_isolated
from insights import reminders, tasks
from insights.models import TrustMonthSummary
from insights.summaries import summaries_recompute
from portfolio.models import Product, UsageRecord
from tests.factories import ContractFactory, MembershipFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _due_contract(organisation, name="Meridian EPR"):
    owner = MembershipFactory(organisation=organisation).user
    today = timezone.localdate()
    return ContractFactory(
        product=ProductFactory(organisation=organisation, owner=owner, name=name),
        start_date=today - timedelta(days=400),
        end_date=today + timedelta(days=100),
        notice_period_days=90,
    )


def test_run_isolated_reports_each_failure_and_finishes_the_rest(caplog):
    def handle(n):
        if n == 2:
            raise ValueError("poisoned")
        return n != 3  # 3: nothing to do

    report = run_isolated("test job", [1, 2, 3, 4], handle, key=str)
    assert (report.done, report.failed) == (2, ["2"])
    assert "test job: item 2 failed" in caplog.text


def test_a_line_break_in_a_product_name_does_not_stop_any_reminder(trust, other_trust):
    poisoned = _due_contract(trust, name="Bad\r\nBcc: victim@example.org")
    Product.unscoped.filter(pk=poisoned.product_id).update(name="Bad\r\nBcc: victim@example.org")
    _due_contract(other_trust)
    report = reminders.renewal_reminders_send()
    assert (report.done, report.failed) == (2, [])
    subjects = sorted(message.subject for message in mail.outbox)
    assert all("\n" not in s and "\r" not in s for s in subjects)
    assert any("Bad Bcc: victim@example.org" in s for s in subjects)
    assert all(message.recipients() != ["victim@example.org"] for message in mail.outbox)


def test_a_reminder_that_fails_is_reported_and_the_others_go_out(trust, other_trust, monkeypatch):
    broken = _due_contract(trust)
    _due_contract(other_trust)
    real = reminders.mail_send

    def fail_for_broken(*, subject, body, to):
        if to == [broken.product.owner.email]:
            raise ConnectionError("SMTP refused")
        real(subject=subject, body=body, to=to)

    monkeypatch.setattr(reminders, "mail_send", fail_for_broken)
    report = reminders.renewal_reminders_send()
    assert report.done == 1
    assert report.failed == [f"contract {broken.pk}"]
    assert len(mail.outbox) == 1
    # The failed reminder was not recorded as sent, so tomorrow's run tries it again.
    monkeypatch.setattr(reminders, "mail_send", real)
    assert reminders.renewal_reminders_send().done == 1


def test_one_trust_failing_does_not_stop_the_nightly_recompute(trust, other_trust, monkeypatch):
    ProductFactory(organisation=trust), ProductFactory(organisation=other_trust)
    real = tasks.summaries_recompute

    def fail_for_trust(organisation, months):
        if organisation.pk == trust.pk:
            raise RuntimeError("poisoned trust")
        return real(organisation, months)

    monkeypatch.setattr(tasks, "summaries_recompute", fail_for_trust)
    result = tasks.summaries_recompute_all_task.delay().get()
    assert f"organisation {trust.pk}" in result["failed"]
    this_month = timezone.localdate().replace(day=1)
    with scopes_disabled():
        assert TrustMonthSummary.objects.filter(organisation=other_trust, month=this_month).exists()


def test_a_usage_row_dated_year_one_does_not_stretch_the_recompute(trust):

    product = ProductFactory(organisation=trust)
    with scope(organisation=trust):
        UsageRecord.objects.create(
            organisation=trust, product=product, date=date(1, 1, 1), active_users=5
        )
        rows = summaries_recompute(trust, None, today=date(2026, 6, 15))
    # Months from 1990 at most, not from the year 1: 1990-01 .. 2026-06 is 438 months.
    assert rows <= 438 * 2
