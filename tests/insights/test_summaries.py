"""Summary numbers against hand-computed values; idempotent, lock-guarded, convergent after a crash."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from accounts.scoping import scope, scopes_disabled
from core.dates import months_between
from feedback.services import feedback_submit
from insights import summaries
from insights.models import ProductMonthSummary, RenewalReminder, TrustMonthSummary
from insights.reminders import renewal_reminders_send
from insights.summaries import SummaryBusy, summaries_recompute, summary_lock
from portfolio.models import UsageRecord
from portfolio.services import contract_create, usage_import_start
from tests.factories import (
    ContractFactory,
    FeedbackFactory,
    MembershipFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db
TODAY = date(2026, 2, 20)
JAN = date(2026, 1, 1)
LONDON = ZoneInfo("Europe/London")


def usage(product, day, users, site=""):
    UsageRecord.unscoped.create(
        organisation=product.organisation, product=product, date=day, active_users=users, site=site
    )


def feedback(product, when, rating, **extra):
    item = FeedbackFactory(product=product, rating=rating, **extra)
    type(item).unscoped.filter(pk=item.pk).update(created_at=when)
    return item


@pytest.fixture
def epr(trust):
    product = ProductFactory(organisation=trust, name="EPR", licensed_seats=100)
    usage(product, date(2026, 1, 5), 30, site="A")
    usage(product, date(2026, 1, 5), 20, site="B")  # same day, other site: 50 that day
    usage(product, date(2026, 1, 6), 40)
    ContractFactory(
        product=product,
        start_date=date(2025, 4, 1),
        end_date=date(2027, 3, 31),
        annual_cost=Decimal("12000.00"),
        seats=100,
        notice_period_days=90,
    )
    feedback(product, datetime(2026, 1, 10, 9, tzinfo=LONDON), 4, category="praise")
    feedback(
        product, datetime(2026, 1, 11, 9, tzinfo=LONDON), 2, category="fault", patient_safety=True
    )
    return product


def recompute(trust, months, today=None) -> int:
    """As the task does it: inside the trust's scope."""
    with scope(organisation=trust):
        return summaries_recompute(trust, months, today=today)


def summary(product, month):
    with scopes_disabled():
        return ProductMonthSummary.objects.get(product=product, month=month)


def test_product_month_matches_hand_computed_values(trust, epr):
    recompute(trust, [JAN], today=TODAY)
    row = summary(epr, JAN)
    assert row.days_with_data == 2
    assert row.mean_daily_active_users == Decimal("45.00")  # (50 + 40) / 2
    assert row.peak_active_users == 50
    assert row.licensed_seats == 100
    assert row.utilisation == Decimal("0.4500")
    assert row.annual_spend == Decimal("12000.00")
    assert row.monthly_spend == Decimal("1000.00")
    assert row.cost_per_active_user == Decimal("22.22")  # 1000 / 45
    assert row.feedback_count == 2
    assert row.mean_rating == Decimal("3.00")
    assert row.feedback_by_category == {"praise": 1, "fault": 1}
    assert row.open_safety_concerns == 1
    assert row.next_notice_deadline == date(2026, 12, 31)  # 31 March 2027 less 90 days


def test_trust_roll_up_is_the_sum_of_its_products(trust, epr):
    portal = ProductFactory(organisation=trust, name="Portal", licensed_seats=None)
    usage(portal, date(2026, 1, 5), 10)
    ContractFactory(
        product=portal,
        annual_cost=Decimal("6000.00"),
        seats=None,
        start_date=date(2025, 1, 1),
        end_date=date(2028, 1, 1),
    )
    recompute(trust, [JAN], today=TODAY)
    with scopes_disabled():
        row = TrustMonthSummary.objects.get(organisation=trust, month=JAN)
    assert row.annual_spend == Decimal("18000.00")
    assert row.monthly_spend == Decimal("1500.00")
    assert row.mean_daily_active_users == Decimal("55.00")  # 45 + 10
    assert row.cost_per_active_user == Decimal("27.27")  # 1500 / 55
    assert row.utilisation == Decimal("0.4500")  # only seated products: 45 / 100
    assert row.feedback_count == 2
    assert row.open_safety_concerns == 1
    assert row.live_products == 2


def test_a_closed_safety_concern_counts_only_while_it_was_open(trust, epr):
    with scopes_disabled():
        concern = epr.feedback.get(patient_safety=True)
    type(concern).unscoped.filter(pk=concern.pk).update(
        safety_closed_at=datetime(2026, 2, 3, tzinfo=LONDON),
        safety_outcome="new_hazard",
        safety_reference="H1",
    )
    recompute(trust, [JAN, date(2026, 2, 1)], today=TODAY)
    assert summary(epr, JAN).open_safety_concerns == 1
    assert summary(epr, date(2026, 2, 1)).open_safety_concerns == 0


def test_full_recompute_covers_every_month_from_the_first_data(trust, epr):
    recompute(trust, None, today=TODAY)
    with scopes_disabled():
        months = sorted(
            ProductMonthSummary.objects.filter(product=epr).values_list("month", flat=True)
        )
    assert months == [JAN, date(2026, 2, 1)]


def test_running_twice_gives_the_same_rows(trust, epr):
    recompute(trust, None, today=TODAY)
    first = list(
        ProductMonthSummary.unscoped.order_by("pk").values_list(
            "pk", "month", "mean_daily_active_users"
        )
    )
    recompute(trust, None, today=TODAY)
    assert (
        list(
            ProductMonthSummary.unscoped.order_by("pk").values_list(
                "pk", "month", "mean_daily_active_users"
            )
        )
        == first
    )


def test_a_run_killed_mid_way_leaves_the_old_numbers_and_the_next_run_converges(
    trust, epr, monkeypatch
):
    recompute(trust, [JAN], today=TODAY)
    usage(epr, date(2026, 1, 7), 90)  # new data: mean becomes (50 + 40 + 90) / 3 = 60

    def killed(*args, **kwargs):
        raise SystemExit("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(summaries, "_trust_row", killed)
        with pytest.raises(SystemExit):
            recompute(trust, [JAN], today=TODAY)
    assert summary(epr, JAN).mean_daily_active_users == Decimal("45.00")  # rolled back whole
    recompute(trust, [JAN], today=TODAY)
    assert summary(epr, JAN).mean_daily_active_users == Decimal("60.00")


def test_two_runs_for_the_same_trust_do_not_overlap(trust, epr):
    if connection.vendor == "postgresql":
        # Another session holds the trust's advisory lock, as a concurrent run would.
        settings = connection.settings_dict
        other = psycopg.connect(
            host=settings["HOST"] or "127.0.0.1",
            port=settings["PORT"] or 5432,
            user=settings["USER"],
            dbname=settings["NAME"],
            autocommit=False,
        )
        try:
            other.execute("SELECT pg_advisory_xact_lock(7301, %s)", [trust.pk])
            with pytest.raises(SummaryBusy):
                recompute(trust, [JAN], today=TODAY)
        finally:
            other.rollback()
            other.close()
    else:
        with summary_lock(f"org:{trust.pk}"), pytest.raises(SummaryBusy):
            recompute(trust, [JAN], today=TODAY)
    recompute(trust, [JAN], today=TODAY)  # lock released


def test_months_between():
    assert months_between(date(2025, 11, 15), date(2026, 2, 1)) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]


def test_a_usage_import_refreshes_the_affected_months(
    trust, epr, django_capture_on_commit_callbacks
):
    content = b"date,product,active_users\n2026-01-20,EPR,100\n"
    with django_capture_on_commit_callbacks(execute=True), scope(organisation=trust):
        usage_import_start(
            organisation=trust, uploaded_file=SimpleUploadedFile("u.csv", content), user=None
        )
    assert summary(epr, JAN).days_with_data == 3


# --- Renewal reminders -----------------------------------------------------------------------


def test_reminders_go_once_per_threshold(trust):
    owner = MembershipFactory(organisation=trust).user
    product = ProductFactory(organisation=trust, owner=owner)
    contract = ContractFactory(
        product=product,
        start_date=date(2024, 1, 1),
        end_date=date(2026, 12, 31),
        notice_period_days=90,
    )  # notice deadline 2 October 2026
    deadline = contract.notice_deadline
    assert renewal_reminders_send(today=deadline - timedelta(days=200)).done == 0
    assert renewal_reminders_send(today=deadline - timedelta(days=180)).done == 1
    assert renewal_reminders_send(today=deadline - timedelta(days=179)).done == 0  # not again
    assert renewal_reminders_send(today=deadline - timedelta(days=90)).done == 1
    assert renewal_reminders_send(today=deadline - timedelta(days=30)).done == 1
    assert renewal_reminders_send(today=deadline - timedelta(days=29)).done == 0
    assert len(mail.outbox) == 3
    assert mail.outbox[0].to == [owner.email]
    assert "Notice deadline in 180 days" in mail.outbox[0].subject
    assert set(RenewalReminder.unscoped.values_list("threshold_days", flat=True)) == {180, 90, 30}


def test_a_late_first_run_sends_only_the_tightest_threshold(trust):
    owner = MembershipFactory(organisation=trust).user
    contract = ContractFactory(
        product=ProductFactory(organisation=trust, owner=owner),
        start_date=date(2024, 1, 1),
        end_date=date(2026, 12, 31),
        notice_period_days=90,
    )
    assert renewal_reminders_send(today=contract.notice_deadline - timedelta(days=20)).done == 1
    assert list(RenewalReminder.unscoped.values_list("threshold_days", flat=True)) == [30]


def test_adding_a_contract_refreshes_the_trusts_summaries(
    trust, epr, django_capture_on_commit_callbacks
):
    recompute(trust, None)
    this_month = timezone_today().replace(day=1)
    before = summary(epr, this_month).annual_spend
    with django_capture_on_commit_callbacks(execute=True), scope(organisation=trust):
        contract_create(
            product=epr,
            user=None,
            data={
                "supplier": epr.supplier,
                "start_date": date(2020, 1, 1),
                "end_date": date(2040, 1, 1),
                "annual_cost": Decimal("5000.00"),
                "licence_model": "enterprise",
                "seats": None,
                "notice_period_days": 90,
                "renewal_status": "not_started",
                "reference": "",
            },
        )
    assert summary(epr, this_month).annual_spend == before + Decimal("5000.00")


def test_feedback_refreshes_the_summary_of_its_month(
    trust, epr, django_capture_on_commit_callbacks
):
    recompute(trust, None)
    this_month = timezone_today().replace(day=1)
    before = summary(epr, this_month).feedback_count
    with django_capture_on_commit_callbacks(execute=True), scope(organisation=trust):
        feedback_submit(
            organisation=trust,
            data={
                "product": epr,
                "staff_group": "doctor",
                "rating": 5,
                "category": "praise",
                "text": "Great",
                "patient_safety": False,
                "site": "",
                "contact_email": "",
                "contact_consent": False,
            },
        )
    assert summary(epr, this_month).feedback_count == before + 1


def timezone_today():
    return timezone.localdate()


def test_a_site_licence_entered_as_one_seat_does_not_break_the_recompute(trust):
    """50,000 users on 1 licensed seat: utilisation is capped, the recompute succeeds."""
    product = ProductFactory(organisation=trust, licensed_seats=1)
    day = timezone.localdate()
    UsageRecord.unscoped.create(organisation=trust, product=product, date=day, active_users=50_000)
    with scope(organisation=trust):
        assert summaries_recompute(trust, [day]) > 0
        summary = ProductMonthSummary.objects.get(product=product, month=day.replace(day=1))
    assert summary.utilisation == Decimal("50000.0000")
