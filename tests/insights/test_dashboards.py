"""Dashboards read only summaries: hand-checked totals, ICS isolation, constant query counts."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation
from accounts.permissions import Role
from accounts.scoping import scope
from core.dates import month_start
from insights.models import ProductMonthSummary, TrustMonthSummary
from insights.selectors import ics_dashboard, time_suggestion
from insights.summaries import summaries_recompute
from portfolio.models import Contract, UsageRecord
from tests.factories import (
    ContractFactory,
    IcsFactory,
    IcsMembershipFactory,
    MembershipFactory,
    OrganisationFactory,
    ProductFactory,
    SupplierFactory,
)

pytestmark = pytest.mark.django_db


def trust_with_product(ics, name, cost, users, supplier):
    trust = OrganisationFactory(ics=ics, name=name)
    product = ProductFactory(
        organisation=trust, name="Meridian EPR", supplier=supplier, licensed_seats=1000
    )
    today = timezone.localdate()
    ContractFactory(
        product=product,
        supplier=supplier,
        start_date=date(2020, 1, 1),
        end_date=date(2035, 1, 1),
        annual_cost=Decimal(cost),
    )
    UsageRecord.unscoped.create(organisation=trust, product=product, date=today, active_users=users)
    recompute(trust, [today])
    return trust


def recompute(trust, months):
    with scope(organisation=trust):
        summaries_recompute(trust, months)


@pytest.fixture
def icss():
    supplier = SupplierFactory(name="Meridian Health Systems")
    ours, theirs = IcsFactory(name="Ours"), IcsFactory(name="Theirs")
    trust_with_product(ours, "Alpha Trust", "120000", 500, supplier)
    trust_with_product(ours, "Beta Trust", "240000", 400, supplier)
    trust_with_product(theirs, "Gamma Trust", "999999", 100, supplier)
    return ours, theirs


def test_ics_totals_are_the_sum_of_its_trusts_and_exclude_other_icss(client, icss):
    ours, _ = icss
    lead = IcsMembershipFactory(ics=ours)
    client.force_login(lead.user)
    response = client.get(reverse("insights:ics_dashboard", args=[ours.ods_code]))
    totals = _ics_context(ours)["totals"]
    assert totals["annual_spend"] == Decimal("360000.00")  # 120,000 + 240,000, not Gamma's
    assert totals["mean_daily_active_users"] == Decimal("900.00")
    page = response.content.decode()
    assert 'ICS total</th><td class="nhsuk-table__cell nhsuk-table__cell--numeric">£360,000' in page
    assert "Alpha Trust" in page and "Beta Trust" in page
    assert "Gamma Trust" not in page


def test_duplication_finder_and_cost_benchmark(client, icss):
    ours, _ = icss
    context = _ics_context(ours)
    [group] = context["duplicates"]
    assert group["trusts"] == 2
    assert group["combined_spend"] == Decimal("360000.00")
    [benchmark] = context["benchmarks"]
    # Monthly spend / daily users: Alpha 10,000 / 500 = 20.00; Beta 20,000 / 400 = 50.00
    assert sorted(r.cost_per_active_user for r in benchmark["rows"]) == [
        Decimal("20.00"),
        Decimal("50.00"),
    ]
    assert benchmark["median"] == Decimal("35.00")


def _ics_context(ics):
    with scope(organisations=list(ics.organisations.all())):
        return ics_dashboard(timezone.localdate())


def test_trust_dashboard_shows_kpis_from_the_summary(client):
    trust = trust_with_product(IcsFactory(), "Solo Trust", "120000", 200, SupplierFactory())
    client.force_login(MembershipFactory(organisation=trust, role=Role.VIEWER).user)
    response = client.get(reverse("insights:trust_dashboard", args=[trust.ods_code]))
    page = response.content.decode()
    assert "£120,000" in page
    assert "£50.00 a month" in page  # 10,000 / 200
    assert "20%" in page  # 200 of 1,000 seats
    # 20 % utilisation is low: listed as a candidate to cut licences
    assert "20% of licensed seats in use" in page


def _bulk_summaries(trust, count):
    month = month_start(timezone.localdate())
    products = ProductFactory.create_batch(count, organisation=trust)
    now = timezone.now()
    ProductMonthSummary.unscoped.bulk_create(
        [
            ProductMonthSummary(
                organisation=trust,
                product=p,
                month=month,
                capability=p.capability,
                supplier=p.supplier,
                lifecycle_stage=p.lifecycle_stage,
                computed_at=now,
                mean_daily_active_users=Decimal("10"),
                utilisation=Decimal("0.1"),
                annual_spend=Decimal("1200"),
                monthly_spend=Decimal("100"),
                cost_per_active_user=Decimal("10"),
                next_notice_deadline=timezone.localdate(),
            )
            for p in products
        ]
    )
    TrustMonthSummary.unscoped.update_or_create(
        organisation=trust, month=month, defaults={"computed_at": now}
    )


@pytest.mark.parametrize("view", ["insights:trust_dashboard", "insights:ics_dashboard"])
def test_dashboard_query_count_is_the_same_for_10_and_1000_products(
    client, view, django_assert_num_queries
):
    ics = IcsFactory()
    small, large = OrganisationFactory(ics=ics), OrganisationFactory(ics=IcsFactory())
    _bulk_summaries(small, 10)
    _bulk_summaries(large, 1000)
    counts = []
    for trust in (small, large):
        if view == "insights:trust_dashboard":
            client.force_login(MembershipFactory(organisation=trust, role=Role.VIEWER).user)
            url = reverse(view, args=[trust.ods_code])
        else:
            client.force_login(IcsMembershipFactory(ics=trust.ics).user)
            url = reverse(view, args=[trust.ics.ods_code])
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts


def test_product_dashboard_draws_spc_charts_with_data_tables(client):
    trust = OrganisationFactory()
    product = ProductFactory(organisation=trust)
    now = timezone.now()
    month = month_start(timezone.localdate())
    rows = []
    for back in range(12):
        m = month
        for _ in range(back):
            m = (m.replace(day=1) - __import__("datetime").timedelta(days=1)).replace(day=1)
        rows.append(
            ProductMonthSummary(
                organisation=trust,
                product=product,
                month=m,
                capability="epr",
                lifecycle_stage="live",
                computed_at=now,
                mean_daily_active_users=Decimal(100 + back % 3),
                cost_per_active_user=Decimal(5),
                mean_rating=Decimal("3.5"),
            )
        )
    ProductMonthSummary.unscoped.bulk_create(rows)
    client.force_login(MembershipFactory(organisation=trust, role=Role.PRODUCT_MANAGER).user)
    page = client.get(
        reverse("insights:product_dashboard", args=[trust.ods_code, product.pk])
    ).content.decode()
    assert page.count('<svg class="app-spc"') == 3
    assert "Common cause variation" in page
    assert "Data for mean daily active users" in page


def test_a_cached_dashboard_shows_new_numbers_after_a_recompute(client):
    trust = trust_with_product(IcsFactory(), "Solo Trust", "120000", 200, SupplierFactory())
    client.force_login(MembershipFactory(organisation=trust, role=Role.VIEWER).user)
    url = reverse("insights:trust_dashboard", args=[trust.ods_code])
    assert "£120,000" in client.get(url).content.decode()
    Contract.unscoped.filter(organisation=trust).update(annual_cost=Decimal("240000"))
    assert "£120,000" in client.get(url).content.decode()  # served from the cache until recompute
    recompute(trust, [timezone.localdate()])
    page = client.get(url).content.decode()
    assert "£240,000" in page and "£120,000" not in page


def test_a_trust_that_moves_ics_leaves_its_former_icss_cached_dashboard(client, icss):
    ours, theirs = icss
    client.force_login(IcsMembershipFactory(ics=ours).user)
    url = reverse("insights:ics_dashboard", args=[ours.ods_code])
    assert "Beta Trust" in client.get(url).content.decode()  # cached now
    Organisation.objects.filter(name="Beta Trust").update(ics=theirs)
    page = client.get(url).content.decode()
    assert "Beta Trust" not in page and "Alpha Trust" in page


@pytest.mark.parametrize(
    ("utilisation", "rating", "cost", "expected", "reason"),
    [
        (None, None, None, "", "Not enough data"),
        ("0.20", "2.0", "10", "eliminate", "Little used and poorly rated"),
        (
            "0.31",
            None,
            "10",
            "eliminate",
            "Only 31% of licensed seats in use, and no feedback to weigh",
        ),
        ("0.70", "2.5", "10", "migrate", "Used, but staff rate it poorly"),
        ("0.70", "4.0", "10", "invest", "Well used and well rated"),
        (
            "0.70",
            "4.0",
            "50",
            "tolerate",
            "Costs more than twice the trust's median per active user",
        ),
        ("0.50", "3.2", "10", "tolerate", "Adequate use and satisfaction"),
        (
            "0.90",
            None,
            "10",
            "tolerate",
            "Well used, but no one has rated it yet: ask staff for feedback before investing",
        ),
        ("0.50", None, "10", "tolerate", "Adequate use; no feedback to weigh"),
        (
            None,
            "4.5",
            None,
            "tolerate",
            "Well rated, but no usage figures to weigh: import usage before investing",
        ),
        (None, "3.2", None, "tolerate", "Adequate ratings; no usage figures to weigh"),
        (None, "2.0", None, "migrate", "Staff rate it poorly; no usage figures to weigh"),
    ],
)
def test_time_suggestion(utilisation, rating, cost, expected, reason):
    row = ProductMonthSummary(
        utilisation=Decimal(utilisation) if utilisation else None,
        mean_rating=Decimal(rating) if rating else None,
        cost_per_active_user=Decimal(cost) if cost else None,
    )
    assert time_suggestion(row, Decimal("20")) == (expected, reason)


@pytest.mark.parametrize("utilisation", [None, "0.10", "0.34", "0.35", "0.59", "0.60", "0.95"])
@pytest.mark.parametrize("rating", [None, "1.0", "2.99", "3.0", "3.49", "3.5", "5.0"])
@pytest.mark.parametrize("cost", [None, "10", "41"])
def test_time_reasons_claim_only_what_the_figures_show(utilisation, rating, cost):
    """Every combination: no claim about ratings without ratings, none about use without usage,
    and Invest only with both (issue 15: "well rated" was said of products nobody rated)."""
    row = ProductMonthSummary(
        utilisation=Decimal(utilisation) if utilisation else None,
        mean_rating=Decimal(rating) if rating else None,
        cost_per_active_user=Decimal(cost) if cost else None,
    )
    decision, reason = time_suggestion(row, Decimal("20"))
    said = reason.lower()
    if rating is None:
        assert not any(w in said for w in ("well rated", "satisfaction", "rate it poorly")), reason
    if utilisation is None:
        assert not any(w in said for w in ("well used", "used,", "little used", "in use")), reason
        assert "adequate use" not in said, reason
    if decision == "invest":
        assert utilisation is not None and rating is not None
    assert reason
