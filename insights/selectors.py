"""Dashboard selectors (insights reads, never writes, here). They read only the summary tables, with a fixed number of queries."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Max

from core.dates import month_start, months_ago, months_between
from feedback.models import Category
from portfolio.models import TimeDecision

from .models import ProductMonthSummary, SummaryRefresh, TrustMonthSummary
from .spc import as_float, svg, xmr

LOW_UTILISATION = Decimal("0.40")
FALLING_USE = Decimal("0.80")  # this month below 80 % of three months ago
NOTICE_WINDOW_DAYS = 180


def time_suggestion(row: ProductMonthSummary, median_cost: Decimal | None) -> tuple[str, str]:
    """A TIME suggestion from utilisation, satisfaction and cost, with the reason in words."""
    use = row.utilisation
    rating = row.mean_rating
    dear = (
        median_cost is not None
        and row.cost_per_active_user is not None
        and row.cost_per_active_user > 2 * median_cost
    )
    if use is None and rating is None:
        return "", "Not enough data"
    # Each reason names only what the figures show: no "well rated" without ratings, no "used"
    # without usage figures (issue 15).
    if use is not None and use < LOW_UTILISATION and rating is not None and rating < 3:
        return TimeDecision.ELIMINATE, "Little used and poorly rated"
    if use is not None and use < LOW_UTILISATION and rating is None:
        return (
            TimeDecision.ELIMINATE,
            f"Only {use:.0%} of licensed seats in use, and no feedback to weigh",
        )
    if rating is not None and rating < 3:
        if use is None:
            return TimeDecision.MIGRATE, "Staff rate it poorly; no usage figures to weigh"
        return TimeDecision.MIGRATE, "Used, but staff rate it poorly"
    if dear:
        return TimeDecision.TOLERATE, "Costs more than twice the trust's median per active user"
    well_used = use is not None and use >= Decimal("0.6")
    well_rated = rating is not None and rating >= Decimal("3.5")
    if well_used and well_rated:
        return TimeDecision.INVEST, "Well used and well rated"
    if well_used:
        return (
            TimeDecision.TOLERATE,
            "Well used, but no one has rated it yet: ask staff for feedback before investing",
        )
    if rating is None:
        return TimeDecision.TOLERATE, "Adequate use; no feedback to weigh"
    if use is None:
        if well_rated:
            return (
                TimeDecision.TOLERATE,
                "Well rated, but no usage figures to weigh: import usage before investing",
            )
        return TimeDecision.TOLERATE, "Adequate ratings; no usage figures to weigh"
    return TimeDecision.TOLERATE, "Adequate use and satisfaction"


def summaries_refresh_problem() -> SummaryRefresh | None:
    """The trust's waiting refresh if its last attempt failed (shown on the dashboard)."""
    return SummaryRefresh.objects.filter(failures__gt=0).first()


def summaries_version(today: date):
    """When the summaries in scope last changed (the dashboards' cache version)."""
    return TrustMonthSummary.objects.filter(month=month_start(today)).aggregate(
        v=Max("computed_at")
    )["v"]


def trust_dashboard(today: date) -> dict:
    """For the trust in scope."""
    current = month_start(today)
    earlier = months_ago(current, 3)
    trust_row = TrustMonthSummary.objects.filter(month=current).first()
    rows = list(
        ProductMonthSummary.objects.filter(
            month__gte=earlier, month__lte=current, product__archived_at__isnull=True
        )
        .select_related("product")
        .order_by("product__name", "month")
    )
    now_rows = [r for r in rows if r.month == current]
    before = {r.product_id: r for r in rows if r.month == earlier}
    costs = [r.cost_per_active_user for r in now_rows if r.cost_per_active_user is not None]
    median_cost = statistics.median(costs) if costs else None
    candidates = []
    for r in now_rows:
        reasons = []
        if r.utilisation is not None and r.utilisation < LOW_UTILISATION:
            reasons.append(f"{r.utilisation:.0%} of licensed seats in use")
        old = before.get(r.product_id)
        if (
            old
            and old.mean_daily_active_users
            and r.mean_daily_active_users is not None
            and (r.mean_daily_active_users < old.mean_daily_active_users * FALLING_USE)
        ):
            drop = 1 - r.mean_daily_active_users / old.mean_daily_active_users
            reasons.append(f"use down {drop:.0%} in three months")
        if reasons:
            candidates.append((r, reasons))
    deadlines = sorted(
        (
            r
            for r in now_rows
            if r.next_notice_deadline
            and r.next_notice_deadline <= today + timedelta(days=NOTICE_WINDOW_DAYS)
        ),
        key=lambda r: r.next_notice_deadline,
    )
    themes = Counter()
    for r in rows:
        themes.update(r.feedback_by_category)
    labels = dict(Category.choices)
    time_rows = [(r, *time_suggestion(r, median_cost)) for r in now_rows]
    return {
        "month": current,
        "trust": trust_row,
        "candidates": candidates,
        "deadlines": deadlines,
        "themes": [(labels.get(k, k), n) for k, n in themes.most_common(5)],
        "time_rows": time_rows,
        "computed_at": trust_row.computed_at if trust_row else None,
    }


def product_dashboard(product, today: date, months: int = 24) -> dict:
    current = month_start(today)
    first = months_ago(current, months - 1)
    rows = {
        r.month: r
        for r in ProductMonthSummary.objects.filter(
            product=product, month__gte=first, month__lte=current
        )
    }
    month_list = [m for m in months_between(first, current) if m in rows]
    labels = [m.strftime("%b %Y") for m in month_list]
    series = [
        (
            "adoption",
            "Mean daily active users",
            [as_float(rows[m].mean_daily_active_users) for m in month_list],
            True,
            "",
        ),
        (
            "cost",
            "Spend per active user (£ a month)",
            [as_float(rows[m].cost_per_active_user) for m in month_list],
            False,
            "",
        ),
        (
            "satisfaction",
            "Mean ease-of-use rating (1 to 5)",
            [as_float(rows[m].mean_rating) for m in month_list],
            True,
            "",
        ),
    ]
    charts = []
    for key, title, values, higher_is_better, unit in series:
        result = xmr(labels, values, higher_is_better)
        charts.append(
            {
                "id": key,
                "title": title,
                "result": result,
                "svg": svg(result, f"{title}, {product.name}", f"chart-{key}", unit),
                "table": [(label, value) for label, value in zip(labels, values, strict=True)],
            }
        )
    return {"charts": charts, "latest": rows.get(current)}


def ics_dashboard(today: date) -> dict:
    """For the ICS trusts in scope: per-trust comparison, duplication finder, cost benchmark."""
    current = month_start(today)
    trusts = list(
        TrustMonthSummary.objects.filter(month=current)
        .select_related("organisation")
        .order_by("organisation__name")
    )
    rows = list(
        ProductMonthSummary.objects.filter(month=current, product__archived_at__isnull=True)
        .select_related("product", "organisation", "supplier")
        .order_by("capability", "organisation__name")
    )
    totals = {
        "annual_spend": sum((t.annual_spend for t in trusts), Decimal("0")),
        "mean_daily_active_users": sum((t.mean_daily_active_users for t in trusts), Decimal("0")),
        "feedback_count": sum(t.feedback_count for t in trusts),
        "open_safety_concerns": sum(t.open_safety_concerns for t in trusts),
    }
    by_capability = defaultdict(list)
    by_supplier_product = defaultdict(list)
    for r in rows:
        by_capability[r.get_capability_display()].append(r)
        if r.supplier_id:
            by_supplier_product[(r.supplier.name, r.product.name)].append(r)
    duplicates = [
        {
            "label": label,
            "rows": items,
            "trusts": len({r.organisation_id for r in items}),
            "combined_spend": sum((r.annual_spend for r in items), Decimal("0")),
        }
        for label, items in sorted(by_capability.items())
        if len({r.organisation_id for r in items}) > 1
    ]
    benchmarks = []
    for (supplier, name), items in sorted(by_supplier_product.items()):
        costs = [r.cost_per_active_user for r in items if r.cost_per_active_user is not None]
        if len({r.organisation_id for r in items}) > 1:
            benchmarks.append(
                {
                    "supplier": supplier,
                    "product": name,
                    "rows": items,
                    "median": statistics.median(costs) if costs else None,
                    "combined_spend": sum((r.annual_spend for r in items), Decimal("0")),
                }
            )
    return {
        "month": current,
        "trusts": trusts,
        "totals": totals,
        "duplicates": duplicates,
        "benchmarks": benchmarks,
    }
