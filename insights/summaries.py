"""Monthly adoption, spend and satisfaction summaries: the only thing dashboards read.

``summaries_recompute`` rebuilds one trust's product and trust summaries for a set of months (all
of them for a full recompute). It upserts (INSERT … ON CONFLICT DO UPDATE), so running it twice, or
again after it was killed half-way, converges on the same numbers. Heavy SQL carries a
``statement_timeout``.
"""

from __future__ import annotations

import bisect
import contextlib
import logging
import secrets
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.scoping import ensure_in_scope
from core.dates import EARLIEST_DATE, month_end, month_start, months_between
from core.pg import copy_upsert
from feedback.models import Feedback
from portfolio.models import Contract, LifecycleStage, Product, UsageRecord
from portfolio.selectors import contract_position
from roadmaps.models import ItemStatus, RoadmapItem

from .models import ProductMonthSummary, TrustMonthSummary
from .webhooks import summaries_updated_emit

logger = logging.getLogger(__name__)

STATEMENT_TIMEOUT = "300s"
LOCK_TTL_SECONDS = 15 * 60
TWO_DP = Decimal("0.01")


class SummaryBusy(Exception):
    """Another run holds the lock for this scope; try again later."""


ADVISORY_LOCK_NAMESPACE = 7301  # arbitrary, fixed: "portfolio summaries"


def _advisory_lock(organisation_id: int) -> None:
    """PostgreSQL: a transaction-level advisory lock, freed at commit, rollback or a dead connection,
    so a worker killed mid-way never leaves the trust locked."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(%s, %s)", [ADVISORY_LOCK_NAMESPACE, organisation_id]
        )
        if not cursor.fetchone()[0]:
            raise SummaryBusy(f"org:{organisation_id}")


@contextlib.contextmanager
def summary_lock(key: str):
    """Elsewhere (SQLite demo): a cache lock whose TTL frees it if a worker is killed mid-way."""
    token = secrets.token_hex(8)
    cache_key = f"summary-lock:{key}"
    if not cache.add(cache_key, token, timeout=LOCK_TTL_SECONDS):
        raise SummaryBusy(key)
    try:
        yield
    finally:
        if cache.get(cache_key) == token:
            cache.delete(cache_key)


# Users per licensed seat, capped: a site licence entered as one seat gives thousands of users
# per seat, which is a data problem to show, not a reason for the recompute to fail.
MAX_UTILISATION = Decimal("1000000")


def _utilisation(users, seats) -> Decimal:
    return min(_q(Decimal(users) / Decimal(seats), Decimal("0.0001")), MAX_UTILISATION)


def _q(value, places=TWO_DP):
    return None if value is None else Decimal(value).quantize(places, rounding=ROUND_HALF_UP)


# --- Usage: the heavy part -----------------------------------------------------------------


USAGE_SQL = """
    SELECT product_id, month, COUNT(*) AS days, AVG(users) AS mean_users, MAX(users) AS peak_users
    FROM (
        SELECT product_id, date_trunc('month', date)::date AS month, date, SUM(active_users) AS users
        FROM portfolio_usagerecord
        WHERE organisation_id = %s AND date >= %s AND date <= %s
        GROUP BY product_id, date
    ) AS daily
    GROUP BY product_id, month
"""


def usage_by_product_month(organisation_id: int, first: date, last: date) -> dict:
    """{(product_id, month): (days, mean daily users, peak daily users)}; sites summed per day first."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = %s", [STATEMENT_TIMEOUT])
            cursor.execute(USAGE_SQL, [organisation_id, first, last])
            return {
                (pid, month): (days, mean, peak)
                for pid, month, days, mean, peak in cursor.fetchall()
            }
    daily = (
        UsageRecord.objects.filter(organisation_id=organisation_id, date__gte=first, date__lte=last)
        .values_list("product_id", "date")
        .annotate(users=Sum("active_users"))
        .order_by()
    )
    grouped: dict[tuple, list[int]] = defaultdict(list)
    for product_id, day, users in daily:
        grouped[(product_id, month_start(day))].append(users)
    return {key: (len(v), Decimal(sum(v)) / len(v), max(v)) for key, v in grouped.items()}


# --- Everything else is small --------------------------------------------------------------


def _feedback_by_product_month(organisation_id, first, last):
    rows = (
        Feedback.objects.filter(
            organisation_id=organisation_id, created_at__date__gte=first, created_at__date__lte=last
        )
        .annotate(month=TruncMonth("created_at", tzinfo=timezone.get_current_timezone()))
        .values_list("product_id", "month", "category")
        .annotate(n=Count("pk"), ratings=Sum("rating"))
        .order_by()
    )
    result: dict[tuple, dict] = defaultdict(
        lambda: {"count": 0, "ratings": 0, "categories": Counter()}
    )
    for product_id, month, category, n, ratings in rows:
        month = month.date() if hasattr(month, "date") else month
        entry = result[(product_id, month_start(month))]
        entry["count"] += n
        entry["ratings"] += ratings or 0
        entry["categories"][category] += n
    return result


def _safety_events(organisation_id) -> dict[int, tuple[list, list]]:
    """{product_id: (sorted created times, sorted closed times)} of every safety concern."""
    events: dict[int, tuple[list, list]] = defaultdict(lambda: ([], []))
    for product_id, created, closed in Feedback.objects.filter(
        organisation_id=organisation_id, patient_safety=True
    ).values_list("product_id", "created_at", "safety_closed_at"):
        events[product_id][0].append(created)
        if closed is not None:
            events[product_id][1].append(closed)
    for created, closed in events.values():
        created.sort()
        closed.sort()
    return events


def _open_safety_at(events: tuple[list, list], moment) -> int:
    """Concerns raised by ``moment`` and not closed by then (a concern closes after it opens)."""
    created, closed = events
    return bisect.bisect_right(created, moment) - bisect.bisect_right(closed, moment)


def summaries_recompute(
    organisation, months: list[date] | None = None, today: date | None = None
) -> int:
    """Rebuild one trust's summaries for ``months`` (None: every month with data). Returns rows written.

    Runs inside the trust's tenant scope (the task base enters it); outside it, ScopeError.
    """
    ensure_in_scope(organisation)
    organisation_id = organisation.pk
    today = today or timezone.localdate()
    current_month = month_start(today)
    lock = (
        contextlib.nullcontext()
        if connection.vendor == "postgresql"
        else summary_lock(f"org:{organisation_id}")
    )
    with lock, transaction.atomic():
        if connection.vendor == "postgresql":
            _advisory_lock(organisation_id)
        products = list(Product.objects.filter(organisation_id=organisation_id))
        if not products:
            return 0
        if months is None:
            first_usage = (
                UsageRecord.objects.filter(organisation_id=organisation_id)
                .order_by("date")
                .values_list("date", flat=True)
                .first()
            )
            first_feedback = (
                Feedback.objects.filter(organisation_id=organisation_id)
                .order_by("created_at")
                .values_list("created_at", flat=True)
                .first()
            )
            starts = [
                d for d in (first_usage, first_feedback and timezone.localdate(first_feedback)) if d
            ]
            # Rows dated before EARLIEST_DATE cannot be entered today; older ones are ignored
            # rather than making every recompute walk the centuries in between.
            months = months_between(max(min(starts, default=today), EARLIEST_DATE), today)
        months = sorted(
            {month_start(m) for m in months if EARLIEST_DATE <= month_start(m) <= current_month}
        )
        if not months:
            return 0
        first, last = months[0], min(month_end(months[-1]), today)
        usage = usage_by_product_month(organisation_id, first, last)
        feedback = _feedback_by_product_month(organisation_id, first, last)
        safety = _safety_events(organisation_id)
        contracts = defaultdict(list)
        for contract in Contract.objects.filter(organisation_id=organisation_id):
            contracts[contract.product_id].append(contract)
        in_flight = Counter(
            RoadmapItem.objects.filter(
                organisation_id=organisation_id,
                status__in=[ItemStatus.PLANNED, ItemStatus.IN_PROGRESS],
            ).values_list("product_id", flat=True)
        )
        now = timezone.now()
        # Per month, once: the day the figures are "as of", and the moment just after it.
        as_of = {m: min(month_end(m), today) for m in months}
        moment = {
            m: timezone.make_aware(
                timezone.datetime.combine(
                    as_of[m] + timedelta(days=1), timezone.datetime.min.time()
                )
            )
            for m in months
        }
        # Plain records on PostgreSQL (COPY reads attributes); model instances for bulk_create elsewhere.
        make = SimpleNamespace if connection.vendor == "postgresql" else ProductMonthSummary
        empty_feedback = {"count": 0, "ratings": 0, "categories": Counter()}
        rows = []
        for product in products:
            product_contracts = contracts[product.pk]
            product_safety = safety.get(product.pk, ())
            for month in months:
                days, mean_users, peak = usage.get((product.pk, month), (0, None, None))
                fb = feedback.get((product.pk, month), empty_feedback)
                position = contract_position(
                    product_contracts, product.licensed_seats, as_of[month]
                )
                annual, seats = position.current_annual_spend, position.current_seats
                notice, end = position.next_notice_deadline, position.current_contract_end
                monthly = (annual / 12) if annual else Decimal("0")
                mean_users = _q(mean_users)
                rows.append(
                    make(
                        organisation_id=organisation_id,
                        product_id=product.pk,
                        month=month,
                        capability=product.capability,
                        supplier_id=product.supplier_id,
                        lifecycle_stage=product.lifecycle_stage,
                        days_with_data=days,
                        mean_daily_active_users=mean_users,
                        peak_active_users=peak,
                        licensed_seats=seats,
                        utilisation=_utilisation(mean_users, seats)
                        if mean_users is not None and seats
                        else None,
                        annual_spend=_q(annual),
                        monthly_spend=_q(monthly),
                        cost_per_active_user=_q(monthly / mean_users) if mean_users else None,
                        feedback_count=fb["count"],
                        rating_sum=fb["ratings"],
                        mean_rating=_q(Decimal(fb["ratings"]) / fb["count"])
                        if fb["count"]
                        else None,
                        feedback_by_category=dict(fb["categories"]),
                        open_safety_concerns=_open_safety_at(product_safety, moment[month])
                        if product_safety
                        else 0,
                        roadmap_in_flight=in_flight[product.pk] if month == current_month else 0,
                        contract_end_date=end,
                        next_notice_deadline=notice,
                        computed_at=now,
                    )
                )
        _upsert(ProductMonthSummary, rows, ["product", "month"])
        by_month = defaultdict(list)
        for row in rows:
            by_month[row.month].append(row)
        trust_rows = [_trust_row(organisation_id, month, by_month[month], now) for month in months]
        _upsert(TrustMonthSummary, trust_rows, ["organisation", "month"])
        summaries_updated_emit(organisation, months, len(rows) + len(trust_rows))
        return len(rows) + len(trust_rows)


def _upsert(model, rows, unique_fields) -> None:
    if connection.vendor == "postgresql":
        copy_upsert(model, rows, unique_fields)
        return
    model.objects.bulk_create(
        rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=unique_fields,
        update_fields=[
            f.name
            for f in model._meta.concrete_fields
            if f.name not in {"id", "organisation", *unique_fields}
        ],
    )


def _trust_row(organisation_id, month, rows, now) -> TrustMonthSummary:
    live = [r for r in rows if r.lifecycle_stage == LifecycleStage.LIVE]
    annual = sum((r.annual_spend for r in rows), Decimal("0"))
    monthly = sum((r.monthly_spend for r in rows), Decimal("0"))
    users = sum((r.mean_daily_active_users or 0 for r in rows), Decimal("0"))
    seats = sum(r.licensed_seats or 0 for r in rows)
    seated_users = sum(
        (r.mean_daily_active_users or 0 for r in rows if r.licensed_seats), Decimal("0")
    )
    feedback_count = sum(r.feedback_count for r in rows)
    ratings = sum(r.rating_sum for r in rows)
    return TrustMonthSummary(
        organisation_id=organisation_id,
        month=month,
        live_products=len(live),
        annual_spend=_q(annual),
        monthly_spend=_q(monthly),
        mean_daily_active_users=_q(users),
        licensed_seats=seats,
        utilisation=_utilisation(seated_users, seats) if seats else None,
        cost_per_active_user=_q(monthly / users) if users else None,
        feedback_count=feedback_count,
        mean_rating=_q(Decimal(ratings) / feedback_count) if feedback_count else None,
        open_safety_concerns=sum(r.open_safety_concerns for r in rows),
        roadmap_in_flight=sum(r.roadmap_in_flight for r in rows),
        computed_at=now,
    )
