"""The API for the trust's organisation, products and contracts (``/api/v1/``).

Input is checked by the same forms as the pages (ProductForm, ContractForm) and written by the
same services, so the rules, the messages and the change history are the pages' own.
"""

import json
import re

import django_filters
from django.core.files.base import ContentFile
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from accounts.api import TrustAPIView
from accounts.permissions import Capability as Can
from core.api import (
    MAX_INT,
    FastRepresentation,
    Filters,
    PayloadTooLarge,
    Unavailable,
    detail_url,
    form_data,
    valid,
)

from . import selectors, services, usage_import
from .forms import ContractForm, ProductForm
from .models import (
    Capability,
    Contract,
    ImportSource,
    LifecycleStage,
    Product,
    Supplier,
    UsageImport,
)

# --- representations ------------------------------------------------------------------------------


class PersonSerializer(FastRepresentation, serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="get_full_name")
    email = serializers.EmailField()


class SupplierSerializer(FastRepresentation, serializers.ModelSerializer):
    class Meta:
        model = Supplier
        fields = ["id", "name"]


class ProductSerializer(FastRepresentation, serializers.ModelSerializer):
    supplier = SupplierSerializer(allow_null=True)
    owner = PersonSerializer(allow_null=True)
    clinical_safety_officer = PersonSerializer(allow_null=True)
    archived = serializers.BooleanField(source="is_archived")
    url = serializers.SerializerMethodField()
    licensed_seats = serializers.IntegerField(min_value=0, max_value=MAX_INT, allow_null=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "url",
            "name",
            "capability",
            "supplier",
            "lifecycle_stage",
            "owner",
            "clinical_safety_officer",
            "vision",
            "go_live_date",
            "licensed_seats",
            "time_decision",
            "time_rationale",
            "archived",
            "created_at",
            "updated_at",
        ]

    def get_url(self, product) -> str:
        return detail_url("api:product_detail", product.pk)


class ProductInputSerializer(serializers.Serializer):
    """What a create or update may send (documentation; ProductForm checks it)."""

    name = serializers.CharField(max_length=200)
    capability = serializers.ChoiceField(Capability.choices)
    lifecycle_stage = serializers.ChoiceField(LifecycleStage.choices)
    supplier = serializers.IntegerField(required=False, allow_null=True)
    owner = serializers.IntegerField(required=False, allow_null=True, help_text="a member's id")
    clinical_safety_officer = serializers.IntegerField(required=False, allow_null=True)
    vision = serializers.CharField(required=False, allow_blank=True)
    go_live_date = serializers.DateField(required=False, allow_null=True)
    licensed_seats = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    time_decision = serializers.CharField(required=False, allow_blank=True)
    time_rationale = serializers.CharField(required=False, allow_blank=True)


class ContractSerializer(FastRepresentation, serializers.ModelSerializer):
    supplier = SupplierSerializer()
    product = serializers.IntegerField(source="product_id")
    # Declared, so the schema's ranges do not depend on the database the schema was made on.
    seats = serializers.IntegerField(min_value=0, max_value=MAX_INT, allow_null=True)
    notice_period_days = serializers.IntegerField(min_value=0, max_value=MAX_INT)

    class Meta:
        model = Contract
        fields = [
            "id",
            "product",
            "supplier",
            "reference",
            "start_date",
            "end_date",
            "annual_cost",
            "licence_model",
            "seats",
            "notice_period_days",
            "renewal_status",
            "created_at",
        ]


class ContractInputSerializer(serializers.Serializer):
    supplier = serializers.IntegerField()
    reference = serializers.CharField(required=False, allow_blank=True)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    annual_cost = serializers.DecimalField(max_digits=12, decimal_places=2)
    licence_model = serializers.CharField()
    seats = serializers.IntegerField(required=False, allow_null=True)
    notice_period_days = serializers.IntegerField(required=False)
    renewal_status = serializers.CharField(required=False)


class ProductFilter(django_filters.FilterSet):
    """Query parameters of the product list; a value that is not one of the choices is a 400."""

    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=200)
    capability = django_filters.ChoiceFilter(choices=Capability.choices)
    lifecycle_stage = django_filters.ChoiceFilter(choices=LifecycleStage.choices)
    supplier = django_filters.NumberFilter(field_name="supplier_id")
    archived = django_filters.BooleanFilter(
        method="filter_archived", help_text="true: include archived products"
    )

    class Meta:
        model = Product
        fields = ["q", "capability", "lifecycle_stage", "supplier", "archived"]

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("archived"):
            queryset = self.unfiltered(queryset)
        return queryset

    @staticmethod
    def unfiltered(queryset):
        """Without ``archived=true``, archived products are left out."""
        return queryset.filter(archived_at__isnull=True)

    def filter_archived(self, queryset, name, value):
        return queryset  # applied in filter_queryset, so that leaving it out means "not archived"


# --- views ----------------------------------------------------------------------------------------


class OrganisationView(TrustAPIView):
    """The token's trust: its ICS, the capabilities its products cover, and their suppliers."""

    capabilities = {"GET": Can.VIEW_PRODUCTS}

    @extend_schema(
        operation_id="organisation_read",
        responses=inline_serializer(
            "Organisation",
            {
                "ods_code": serializers.CharField(),
                "name": serializers.CharField(),
                "ics": inline_serializer(
                    "OrganisationIcs",
                    {"ods_code": serializers.CharField(), "name": serializers.CharField()},
                ),
                "capabilities": serializers.ListField(child=serializers.CharField()),
                "suppliers": SupplierSerializer(many=True),
            },
        ),
    )
    def get(self, request):
        organisation = request.organisation
        products = selectors.product_list_active()
        suppliers = Supplier.objects.filter(products__in=products).distinct().order_by("name")
        return Response(
            {
                "ods_code": organisation.ods_code,
                "name": organisation.name,
                "ics": {"ods_code": organisation.ics.ods_code, "name": organisation.ics.name},
                "capabilities": sorted(set(products.values_list("capability", flat=True))),
                "suppliers": SupplierSerializer(suppliers, many=True).data,
            }
        )


class ProductListView(TrustAPIView):
    """The trust's products (not archived unless asked), newest first; add one."""

    capabilities = {"GET": Can.VIEW_PRODUCTS, "POST": Can.MANAGE_PRODUCTS}

    filter_backends = [Filters]
    filterset_class = ProductFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no trust, no rows
            return Product.objects.none()
        return selectors.product_list_with_people()

    @extend_schema(operation_id="products_list", responses=ProductSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()).order_by("-pk"))
        return self.get_paginated_response(ProductSerializer(page, many=True).data)

    @extend_schema(
        operation_id="products_create",
        request=ProductInputSerializer,
        responses={201: ProductSerializer},
    )
    def post(self, request):
        form = ProductForm(form_data(request), organisation=request.organisation)
        product = services.product_create(
            organisation=request.organisation, data=valid(form), user=request.user
        )
        return Response(ProductSerializer(product).data, status=status.HTTP_201_CREATED)


class ProductDetailView(TrustAPIView):
    """One product; change it (send only the fields to change). Changes join its history."""

    capabilities = {"GET": Can.VIEW_PRODUCTS, "PATCH": Can.MANAGE_PRODUCTS}

    @extend_schema(operation_id="products_read", responses=ProductSerializer)
    def get(self, request, product_id):
        return Response(ProductSerializer(selectors.product_get(product_id)).data)

    @extend_schema(
        operation_id="products_update",
        request=ProductInputSerializer(partial=True),
        responses=ProductSerializer,
    )
    def patch(self, request, product_id):
        product = selectors.product_get(product_id)
        data = form_data(request, product, ProductForm.Meta.fields)
        form = ProductForm(data, instance=product, organisation=request.organisation)
        product = services.product_update(product=product, data=valid(form), user=request.user)
        return Response(ProductSerializer(selectors.product_get(product.pk)).data)


class ProductArchiveView(TrustAPIView):
    """Archive a product, or restore it: archived products keep their history."""

    capabilities = {"POST": Can.MANAGE_PRODUCTS}

    @extend_schema(
        operation_id="products_archive",
        request=inline_serializer("Archive", {"archived": serializers.BooleanField()}),
        responses=ProductSerializer,
    )
    def post(self, request, product_id):
        archived = request.data.get("archived", True) if isinstance(request.data, dict) else True
        if not isinstance(archived, bool):
            raise serializers.ValidationError({"archived": ["Send true or false."]})
        product = services.product_set_archived(
            product=selectors.product_get(product_id), archived=archived, user=request.user
        )
        return Response(ProductSerializer(selectors.product_get(product.pk)).data)


class ContractListView(TrustAPIView):
    """A product's contracts; add one."""

    capabilities = {"GET": Can.VIEW_PRODUCTS, "POST": Can.MANAGE_CONTRACTS}

    @extend_schema(operation_id="contracts_list", responses=ContractSerializer(many=True))
    def get(self, request, product_id):
        product = selectors.product_get(product_id)
        queryset = Contract.objects.filter(product=product).select_related("supplier")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(ContractSerializer(page, many=True).data)

    @extend_schema(
        operation_id="contracts_create",
        request=ContractInputSerializer,
        responses={201: ContractSerializer},
    )
    def post(self, request, product_id):
        product = selectors.product_get(product_id)
        form = ContractForm(form_data(request))
        contract = services.contract_create(product=product, data=valid(form), user=request.user)
        return Response(ContractSerializer(contract).data, status=status.HTTP_201_CREATED)


class ContractDetailView(TrustAPIView):
    """One contract; change it (send only the fields to change)."""

    capabilities = {"GET": Can.VIEW_PRODUCTS, "PATCH": Can.MANAGE_CONTRACTS}

    @extend_schema(operation_id="contracts_read", responses=ContractSerializer)
    def get(self, request, product_id, contract_id):
        product = selectors.product_get(product_id)
        return Response(ContractSerializer(selectors.contract_get(product, contract_id)).data)

    @extend_schema(
        operation_id="contracts_update",
        request=ContractInputSerializer(partial=True),
        responses=ContractSerializer,
    )
    def patch(self, request, product_id, contract_id):
        contract = selectors.contract_get(selectors.product_get(product_id), contract_id)
        data = form_data(request, contract, ContractForm.Meta.fields)
        form = ContractForm(data, instance=contract)
        contract = services.contract_update(contract=contract, data=valid(form), user=request.user)
        return Response(ContractSerializer(contract).data)


# --- usage ingestion ------------------------------------------------------------------------------


class UsageRowSerializer(serializers.Serializer):
    """One day's figure for one product (the CSV import's columns)."""

    date = serializers.DateField(help_text="YYYY-MM-DD (or DD/MM/YYYY), not in the future")
    product = serializers.CharField(help_text="the product's name in this trust's catalogue")
    active_users = serializers.IntegerField(min_value=0, max_value=usage_import.MAX_ACTIVE_USERS)
    site = serializers.CharField(required=False, allow_blank=True, max_length=100)
    department = serializers.CharField(required=False, allow_blank=True, max_length=100)


class ImportProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(
        allow_null=True, help_text="JSON: the row's position in the array, from 1"
    )
    line = serializers.IntegerField(allow_null=True, help_text="CSV: the line of the body")
    message = serializers.CharField()


class UsageImportSerializer(FastRepresentation, serializers.ModelSerializer):
    """An ingestion job: where it has got to, and its problems by row or line."""

    url = serializers.SerializerMethodField()
    format = serializers.SerializerMethodField()
    errors = serializers.SerializerMethodField()
    rows_total = serializers.IntegerField(min_value=0, max_value=MAX_INT)
    rows_processed = serializers.IntegerField(min_value=0, max_value=MAX_INT)
    rows_imported = serializers.IntegerField(min_value=0, max_value=MAX_INT)
    error_count = serializers.IntegerField(min_value=0, max_value=MAX_INT)

    class Meta:
        model = UsageImport
        fields = [
            "id",
            "url",
            "format",
            "status",
            "rows_total",
            "rows_processed",
            "rows_imported",
            "error_count",
            "errors",
            "failure_reason",
            "created_at",
            "finished_at",
        ]

    def get_url(self, record) -> str:
        return detail_url("api:usage_import_detail", record.pk)

    def get_format(self, record) -> str:
        return "json" if record.source == ImportSource.API_JSON else "csv"

    @extend_schema_field(ImportProblemSerializer(many=True))
    def get_errors(self, record) -> list[dict]:
        if record.source != ImportSource.API_JSON:
            return [{"row": None, **problem} for problem in record.errors]
        # Stored as CSV: row n of the array is line n + 1 (the header is line 1).
        return [
            {
                "row": problem["line"] - 1 if problem.get("line") else None,
                "line": None,
                "message": _REPEATS.sub(
                    lambda m: f"Repeats row {int(m.group(1)) - 1}", problem["message"]
                ),
            }
            for problem in record.errors
        ]


_REPEATS = re.compile(r"^Repeats line (\d+)")


def _read_body(request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it passes ``limit`` bytes."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(_too_large())
    stream = request.stream
    if stream is None:
        return b""
    chunks, size = [], 0
    while chunk := stream.read(1024 * 1024):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(_too_large())
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> str:
    return (
        f"Send at most {usage_import.MAX_API_ROWS:,} rows "
        f"({usage_import.MAX_API_BYTES // (1024 * 1024)} MB) in one request."
    )


def _shape_problems(error: usage_import.ImportRejected) -> serializers.ValidationError:
    return serializers.ValidationError(
        [f"Row {p['row']}: {p['message']}" if p.get("row") else p["message"] for p in error.errors]
    )


class UsageImportListView(TrustAPIView):
    """Send daily usage as JSON or CSV (202: a job to follow); list the trust's imports."""

    capabilities = {"GET": Can.IMPORT_USAGE, "POST": Can.IMPORT_USAGE}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return UsageImport.objects.none()
        return selectors.usage_import_list(limit=None)

    @extend_schema(operation_id="usage_imports_list", responses=UsageImportSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(UsageImportSerializer(page, many=True).data)

    @extend_schema(
        operation_id="usage_imports_create",
        description=(
            "Rows as a JSON array (the CSV import's columns as keys) or as a CSV body "
            "(`Content-Type: text/csv`, header row first). Up to 1,000,000 rows. Rows are checked "
            "like an uploaded file: all are written or none. Sending the same rows again updates "
            "them in place (one row per product, date, site and department). Answers 202 with "
            "the job: poll its url until status is succeeded or failed."
        ),
        request={
            "application/json": UsageRowSerializer(many=True),
            "text/csv": OpenApiTypes.STR,
        },
        responses={202: UsageImportSerializer},
    )
    def post(self, request):
        raw = _read_body(request, usage_import.MAX_API_BYTES)
        if not raw.strip():
            raise serializers.ValidationError(["The request body is empty."])
        media = (request.content_type or "").split(";")[0].strip().lower()
        if media not in ("application/json", "text/csv"):
            raise exceptions.UnsupportedMediaType(media or "none")
        if media == "text/csv":
            if raw.count(b"\n") - raw.endswith(b"\n") > usage_import.MAX_API_ROWS:
                raise PayloadTooLarge(_too_large())
            source, name = ImportSource.API_CSV, "api.csv"
        else:
            try:
                rows = json.loads(raw)
            except (ValueError, RecursionError):
                raise serializers.ValidationError(["The body is not valid JSON."]) from None
            del raw
            if isinstance(rows, list) and len(rows) > usage_import.MAX_API_ROWS:
                raise PayloadTooLarge(_too_large())
            try:
                raw = usage_import.rows_to_csv(rows)
            except usage_import.ImportRejected as error:
                raise _shape_problems(error) from None
            del rows
            source, name = ImportSource.API_JSON, "api.json"
        try:
            record = services.usage_import_start(
                organisation=request.organisation,
                uploaded_file=ContentFile(raw, name=name),
                user=request.user,
                source=source,
            )
        except services.UsageUploadNotSaved:
            raise Unavailable(
                "The rows could not be stored because of a problem on our side. Nothing was "
                "imported. Try again later."
            ) from None
        record = selectors.usage_import_get(record.pk)
        return Response(
            UsageImportSerializer(record).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": detail_url("api:usage_import_detail", record.pk)},
        )


class UsageImportDetailView(TrustAPIView):
    """One ingestion job: status, progress, problems by row (JSON) or line (CSV), counts."""

    capabilities = {"GET": Can.IMPORT_USAGE}

    @extend_schema(operation_id="usage_imports_read", responses=UsageImportSerializer)
    def get(self, request, import_id):
        return Response(UsageImportSerializer(selectors.usage_import_get(import_id)).data)
