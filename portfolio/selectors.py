"""Read queries for the portfolio; every one runs inside the caller's tenant scope."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Contract, Product, ProductChange, UsageImport, UsageRecord


def _current_spend_subquery(today: date):
    current = (
        Contract.objects.filter(product=OuterRef("pk"), start_date__lte=today, end_date__gte=today)
        .order_by()
        .values("product")
        .annotate(total=Sum("annual_cost"))
        .values("total")
    )
    return Coalesce(
        Subquery(current, output_field=DecimalField(max_digits=14, decimal_places=2)),
        Value(Decimal("0.00")),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def product_list_active() -> QuerySet[Product]:
    """The trust's products that are not archived: what people can give feedback on or plan for."""
    return Product.objects.filter(archived_at__isnull=True).order_by("name")


def product_list(filters: dict | None = None) -> QuerySet[Product]:
    """Products of the organisation in scope, with current annual spend, filtered."""
    filters = filters or {}
    queryset = Product.objects.select_related("supplier", "owner").annotate(
        current_annual_spend=_current_spend_subquery(timezone.localdate())
    )
    if not filters.get("archived"):
        queryset = queryset.filter(archived_at__isnull=True)
    if filters.get("q"):
        queryset = queryset.filter(name__icontains=filters["q"])
    for name in ("capability", "lifecycle_stage", "supplier"):
        if filters.get(name):
            queryset = queryset.filter(**{name: filters[name]})
    return queryset.order_by("name")


def product_list_with_people() -> QuerySet[Product]:
    """Every product of the trust in scope, archived too, with its supplier and people: what
    the API lists (and filters itself), without the spend the pages show."""
    return Product.objects.select_related("supplier", "owner", "clinical_safety_officer")


def product_get(product_id: int) -> Product:
    return Product.objects.select_related(
        "organisation", "supplier", "owner", "clinical_safety_officer"
    ).get(pk=product_id)


def contract_get(product: Product, contract_id: int) -> Contract:
    return Contract.objects.select_related("supplier").get(product=product, pk=contract_id)


@dataclass(frozen=True)
class ContractPosition:
    current_annual_spend: Decimal
    current_seats: int | None
    next_notice_deadline: date | None
    next_notice_contract: Contract | None
    current_contract_end: date | None


def contract_position(
    contracts: list[Contract], licensed_seats: int | None, as_of: date
) -> ContractPosition:
    """Spend and seats of the contracts running on ``as_of``, and the next notice deadline.

    The one rule for this: the product page calls it for today, the summary jobs for each month end.
    """
    current = [c for c in contracts if c.start_date <= as_of <= c.end_date]
    spend = sum((c.annual_cost for c in current), Decimal("0.00"))
    seats = licensed_seats
    if seats is None and any(c.seats is not None for c in current):
        seats = sum(c.seats or 0 for c in current)
    first = min(
        (c for c in contracts if c.notice_deadline >= as_of),
        key=lambda c: c.notice_deadline,
        default=None,
    )
    return ContractPosition(
        spend,
        seats,
        first.notice_deadline if first else None,
        first,
        max((c.end_date for c in current), default=None),
    )


def contract_list(product: Product) -> list[Contract]:
    return list(Contract.objects.filter(product=product).select_related("supplier"))


def product_change_list(product: Product, limit: int = 50) -> QuerySet[ProductChange]:
    return ProductChange.objects.filter(product=product).select_related("changed_by")[:limit]


def usage_latest(product: Product) -> dict | None:
    """The most recent day's total active users (all sites), for the product page."""
    latest = UsageRecord.objects.filter(product=product).order_by("-date").values("date").first()
    if latest is None:
        return None
    total = UsageRecord.objects.filter(product=product, date=latest["date"]).aggregate(
        users=Sum("active_users")
    )["users"]
    return {"date": latest["date"], "active_users": total}


def usage_import_list(limit: int | None = 10) -> QuerySet[UsageImport]:
    queryset = UsageImport.objects.select_related("uploaded_by")
    return queryset if limit is None else queryset[:limit]


def usage_import_get(import_id: int) -> UsageImport:
    return UsageImport.objects.select_related("organisation", "uploaded_by").get(pk=import_id)
