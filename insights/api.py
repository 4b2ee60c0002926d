"""The summaries API: the monthly product and trust summaries the dashboards read.

Every response carries ``ETag`` and ``Last-Modified`` (when the summaries it lists were last
computed), and answers ``304 Not Modified`` to ``If-None-Match`` or ``If-Modified-Since``, so a
BI tool polling every hour moves data only when the nightly or on-demand refresh changed it.
"""

import hashlib
from decimal import Decimal

import django_filters
from django import forms
from django.db.models import Count, F, Max, Sum
from django.utils.http import http_date, parse_http_date_safe, quote_etag
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.api import IcsAPIView, TrustAPIView
from accounts.permissions import Capability as Can
from core.api import MAX_INT, Cursor, FastRepresentation, Filters

from .models import ProductMonthSummary, TrustMonthSummary

MONTH_HELP = "a month as YYYY-MM"
CENTS = Decimal("0.01")


class MonthField(forms.DateField):
    input_formats = ["%Y-%m"]
    default_error_messages = {"invalid": "Enter a month like 2026-03."}


class MonthFilter(django_filters.Filter):
    field_class = MonthField


class SummaryFilter(django_filters.FilterSet):
    month_from = MonthFilter(field_name="month", lookup_expr="gte", help_text=MONTH_HELP)
    month_to = MonthFilter(field_name="month", lookup_expr="lte", help_text=MONTH_HELP)


class ProductSummaryFilter(SummaryFilter):
    product = django_filters.NumberFilter(field_name="product_id")

    class Meta:
        model = ProductMonthSummary
        fields = ["month_from", "month_to", "product"]


class TrustSummaryFilter(SummaryFilter):
    class Meta:
        model = TrustMonthSummary
        fields = ["month_from", "month_to"]


class ByMonth(Cursor):
    ordering = ("-month", "-pk")


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-03"})
class YearMonthField(serializers.DateField):
    """A summary's month, as YYYY-MM."""

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m", **kwargs)


class ProductMonthSummarySerializer(FastRepresentation, serializers.ModelSerializer):
    product = serializers.IntegerField(source="product_id")
    product_name = serializers.CharField()  # annotated by the view: no product row per summary
    supplier = serializers.CharField(source="supplier_name", allow_null=True, default=None)
    month = YearMonthField()
    days_with_data = serializers.IntegerField(min_value=0, max_value=31)
    peak_active_users = serializers.IntegerField(min_value=0, max_value=MAX_INT, allow_null=True)
    licensed_seats = serializers.IntegerField(min_value=0, max_value=MAX_INT, allow_null=True)
    feedback_count = serializers.IntegerField(min_value=0, max_value=MAX_INT)
    open_safety_concerns = serializers.IntegerField(min_value=0, max_value=MAX_INT)
    roadmap_in_flight = serializers.IntegerField(min_value=0, max_value=MAX_INT)

    class Meta:
        model = ProductMonthSummary
        fields = [
            "product",
            "product_name",
            "month",
            "capability",
            "supplier",
            "lifecycle_stage",
            "days_with_data",
            "mean_daily_active_users",
            "peak_active_users",
            "licensed_seats",
            "utilisation",
            "annual_spend",
            "monthly_spend",
            "cost_per_active_user",
            "feedback_count",
            "mean_rating",
            "feedback_by_category",
            "open_safety_concerns",
            "roadmap_in_flight",
            "contract_end_date",
            "next_notice_deadline",
            "computed_at",
        ]


class TrustMonthSummarySerializer(FastRepresentation, serializers.ModelSerializer):
    month = YearMonthField()
    live_products = serializers.IntegerField(min_value=0, max_value=MAX_INT)
    licensed_seats = serializers.IntegerField(min_value=0, max_value=MAX_INT)
    feedback_count = serializers.IntegerField(min_value=0, max_value=MAX_INT)
    open_safety_concerns = serializers.IntegerField(min_value=0, max_value=MAX_INT)
    roadmap_in_flight = serializers.IntegerField(min_value=0, max_value=MAX_INT)

    class Meta:
        model = TrustMonthSummary
        fields = [
            "month",
            "live_products",
            "annual_spend",
            "monthly_spend",
            "mean_daily_active_users",
            "licensed_seats",
            "utilisation",
            "cost_per_active_user",
            "feedback_count",
            "mean_rating",
            "open_safety_concerns",
            "roadmap_in_flight",
            "computed_at",
        ]


CONDITIONAL_PARAMETERS = [
    OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, description="an ETag"),
    OpenApiParameter("If-Modified-Since", str, OpenApiParameter.HEADER, description="HTTP date"),
]


class _SummaryListView(TrustAPIView):
    """Base: a filtered, paged list of summaries with its validators (ETag, Last-Modified)."""

    capabilities = {"GET": Can.VIEW_DASHBOARDS}
    filter_backends = [Filters]
    pagination_class = ByMonth
    serializer_class: type[serializers.Serializer]
    related: tuple[str, ...] = ()
    annotations: dict = {}  # noqa: RUF012 - read only

    def get_queryset(self):
        model = self.serializer_class.Meta.model
        if getattr(self, "swagger_fake_view", False):
            return model.objects.none()
        return model.objects.all()

    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        state = queryset.aggregate(changed=Max("computed_at"), rows=Count("pk"))
        changed = state["changed"]
        etag, headers = _validators(request, changed, state["rows"])
        if _not_modified(request, etag, changed):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        if self.related:
            queryset = queryset.select_related(*self.related)
        if self.annotations:
            queryset = queryset.annotate(**self.annotations)
        page = self.paginate_queryset(queryset)
        response = self.get_paginated_response(self.serializer_class(page, many=True).data)
        for name, value in headers.items():
            response[name] = value
        return response


def _validators(request, changed, rows: int) -> tuple[str, dict]:
    """The answer's ETag (when its summaries were computed, how many, which page and filters)
    and its caching headers."""
    digest = hashlib.sha256(
        f"{changed and changed.isoformat()}|{rows}|{request.get_full_path()}".encode()
    ).hexdigest()[:32]
    etag = quote_etag(digest)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if changed is not None:
        headers["Last-Modified"] = http_date(changed.timestamp())
    return etag, headers


def _not_modified(request, etag: str, changed) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:  # takes precedence over If-Modified-Since (RFC 9110 13.2.2)
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return etag in tags or "*" in tags
    since = parse_http_date_safe(request.headers.get("If-Modified-Since") or "")
    return changed is not None and since is not None and int(changed.timestamp()) <= since


class ProductSummaryListView(_SummaryListView):
    """Monthly adoption, spend and satisfaction per product, newest month first."""

    serializer_class = ProductMonthSummarySerializer
    filterset_class = ProductSummaryFilter
    related = ()
    annotations = {"product_name": F("product__name"), "supplier_name": F("supplier__name")}

    @extend_schema(
        operation_id="summaries_products_list",
        parameters=CONDITIONAL_PARAMETERS,
        responses={200: ProductMonthSummarySerializer(many=True), 304: None},
    )
    def get(self, request):
        return self.list(request)


class TrustSummaryListView(_SummaryListView):
    """The trust's monthly roll-up, newest month first."""

    serializer_class = TrustMonthSummarySerializer
    filterset_class = TrustSummaryFilter
    related = ()

    @extend_schema(
        operation_id="summaries_trust_list",
        parameters=CONDITIONAL_PARAMETERS,
        responses={200: TrustMonthSummarySerializer(many=True), 304: None},
    )
    def get(self, request):
        return self.list(request)


# --- the ICS's roll-ups (ICS tokens) --------------------------------------------------------------


class IcsView(IcsAPIView):
    """The token's ICS and its trusts (closed ones with the date they closed)."""

    @extend_schema(
        operation_id="ics_read",
        responses=inline_serializer(
            "Ics",
            {
                "ods_code": serializers.CharField(),
                "name": serializers.CharField(),
                "region": serializers.CharField(),
                "trusts": inline_serializer(
                    "IcsTrust",
                    {
                        "ods_code": serializers.CharField(),
                        "name": serializers.CharField(),
                        "closed_on": serializers.DateField(allow_null=True),
                    },
                    many=True,
                ),
            },
        ),
    )
    def get(self, request):
        ics = request.ics
        trusts = ics.organisations.order_by("name")
        return Response(
            {
                "ods_code": ics.ods_code,
                "name": ics.name,
                "region": ics.region,
                "trusts": [
                    {"ods_code": t.ods_code, "name": t.name, "closed_on": t.closed_on}
                    for t in trusts
                ],
            }
        )


class IcsTrustSummaryFilter(SummaryFilter):
    trust = django_filters.CharFilter(
        field_name="organisation__ods_code", max_length=5, help_text="a trust's ODS code"
    )

    class Meta:
        model = TrustMonthSummary
        fields = ["month_from", "month_to", "trust"]


class IcsTrustMonthSummarySerializer(TrustMonthSummarySerializer):
    trust = serializers.CharField(source="organisation.ods_code")
    trust_name = serializers.CharField(source="organisation.name")

    class Meta(TrustMonthSummarySerializer.Meta):
        fields = ["trust", "trust_name", *TrustMonthSummarySerializer.Meta.fields]


class IcsTrustSummaryListView(_SummaryListView, IcsAPIView):
    """Each trust's monthly roll-up, for every trust in the ICS, newest month first."""

    capabilities = {"GET": Can.VIEW_ICS_DASHBOARDS}
    serializer_class = IcsTrustMonthSummarySerializer
    filterset_class = IcsTrustSummaryFilter
    related = ("organisation",)

    @extend_schema(
        operation_id="ics_summaries_trusts_list",
        parameters=CONDITIONAL_PARAMETERS,
        responses={200: IcsTrustMonthSummarySerializer(many=True), 304: None},
    )
    def get(self, request):
        return self.list(request)


class CapabilityMonthSerializer(FastRepresentation, serializers.Serializer):
    month = YearMonthField()
    capability = serializers.CharField()
    trusts = serializers.IntegerField(min_value=0)
    products = serializers.IntegerField(min_value=0)
    annual_spend = serializers.DecimalField(max_digits=16, decimal_places=2)
    mean_daily_active_users = serializers.DecimalField(max_digits=16, decimal_places=2)
    cost_per_active_user = serializers.DecimalField(
        max_digits=16, decimal_places=2, allow_null=True
    )
    feedback_count = serializers.IntegerField(min_value=0)
    mean_rating = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)


class IcsCapabilitySummaryListView(IcsAPIView):
    """Per month and capability, across the ICS's trusts: how many trusts and products, what
    they cost, how many use them, what it costs per active user and how they are rated.
    Added up from the product summaries (never from raw rows); live products only."""

    capabilities = {"GET": Can.VIEW_ICS_DASHBOARDS}
    filter_backends = [Filters]
    filterset_class = ProductSummaryFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ProductMonthSummary.objects.none()
        return ProductMonthSummary.objects.filter(product__archived_at__isnull=True)

    @extend_schema(
        operation_id="ics_summaries_capabilities_list",
        parameters=CONDITIONAL_PARAMETERS,
        responses={
            200: inline_serializer(
                "CapabilityMonths", {"results": CapabilityMonthSerializer(many=True)}
            ),
            304: None,
        },
    )
    def get(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        changed = queryset.aggregate(changed=Max("computed_at"))["changed"]
        etag, headers = _validators(request, changed, queryset.count())
        if _not_modified(request, etag, changed):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        rows = (
            queryset.values("month", "capability")
            .annotate(
                trusts=Count("organisation", distinct=True),
                products=Count("product", distinct=True),
                annual_spend=Sum("annual_spend"),
                monthly_spend=Sum("monthly_spend"),
                mean_daily_active_users=Sum(F("mean_daily_active_users")),
                feedback_count=Sum("feedback_count"),
                rating_sum=Sum("rating_sum"),
            )
            .order_by("-month", "capability")
        )
        results = []
        for row in rows:
            users = row["mean_daily_active_users"] or Decimal("0")
            feedback = row["feedback_count"] or 0
            results.append(
                {
                    **row,
                    "mean_daily_active_users": users,
                    "cost_per_active_user": (row["monthly_spend"] / users).quantize(CENTS)
                    if users
                    else None,
                    "mean_rating": (Decimal(row["rating_sum"]) / feedback).quantize(CENTS)
                    if feedback
                    else None,
                }
            )
        data = CapabilityMonthSerializer(results, many=True).data
        return Response({"results": data}, headers=headers)
