from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from accounts.scoping import TenantModel


class Capability(models.TextChoices):
    EPR = "epr", "Electronic patient record (EPR)"
    EPMA = "epma", "Electronic prescribing and medicines administration (EPMA)"
    PAS = "pas", "Patient administration system (PAS)"
    INTEGRATION_ENGINE = "integration_engine", "Integration engine"
    REPORTING = "reporting", "Reporting and business intelligence"
    PATIENT_PORTAL = "patient_portal", "Patient portal"
    REMOTE_MONITORING = "remote_monitoring", "Remote monitoring"
    DECISION_SUPPORT = "decision_support", "Clinical decision support"
    ORDER_COMMS = "order_comms", "Order communications"
    IMAGING = "imaging", "Imaging"
    OTHER = "other", "Other"


class LifecycleStage(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    PROCURING = "procuring", "Procuring"
    IMPLEMENTING = "implementing", "Implementing"
    LIVE = "live", "Live"
    SUNSETTING = "sunsetting", "Sunsetting"
    RETIRED = "retired", "Retired"


class TimeDecision(models.TextChoices):
    """Gartner TIME: what to do with an application in the portfolio."""

    TOLERATE = "tolerate", "Tolerate"
    INVEST = "invest", "Invest"
    MIGRATE = "migrate", "Migrate"
    ELIMINATE = "eliminate", "Eliminate"


class LicenceModel(models.TextChoices):
    PER_USER = "per_user", "Per user"
    PER_SITE = "per_site", "Per site"
    ENTERPRISE = "enterprise", "Enterprise"
    USAGE_BASED = "usage_based", "Usage-based"


class RenewalStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_REVIEW = "in_review", "In review"
    RENEWING = "renewing", "Renewing"
    RENEWED = "renewed", "Renewed"
    ENDING = "ending", "Ending (notice given)"


class Supplier(models.Model):
    """Shared reference data: the same supplier serves many trusts."""

    name = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Product(TenantModel):
    name = models.CharField(max_length=200)
    capability = models.CharField(max_length=32, choices=Capability.choices)
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, null=True, blank=True, related_name="products"
    )
    lifecycle_stage = models.CharField(
        max_length=16, choices=LifecycleStage.choices, default=LifecycleStage.LIVE
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_products",
        verbose_name="product owner",
    )
    clinical_safety_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="safety_products",
    )
    vision = models.TextField(blank=True)
    go_live_date = models.DateField(null=True, blank=True)
    licensed_seats = models.PositiveIntegerField(null=True, blank=True)
    time_decision = models.CharField(
        "TIME decision", max_length=16, choices=TimeDecision.choices, blank=True
    )
    time_rationale = models.TextField("TIME rationale", blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="product_name_unique_per_trust"
            ),
            models.CheckConstraint(
                condition=Q(capability__in=Capability.values), name="product_capability_valid"
            ),
            models.CheckConstraint(
                condition=Q(lifecycle_stage__in=LifecycleStage.values),
                name="product_lifecycle_valid",
            ),
            models.CheckConstraint(
                condition=Q(time_decision__in=[*TimeDecision.values, ""]),
                name="product_time_decision_valid",
            ),
            # What usage rows refer to: a product together with its own trust (see UsageRecord).
            models.UniqueConstraint(fields=["id", "organisation"], name="product_in_its_trust"),
        ]
        indexes = [models.Index(fields=["organisation", "archived_at", "name"])]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("portfolio:product_detail", args=[self.organisation.ods_code, self.pk])

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class ProductChange(TenantModel):
    """History: who changed what on a product, and when."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    summary = models.CharField(max_length=200)
    # {"field label": ["old", "new"]}, values already rendered for people to read.
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["-changed_at", "-pk"]


class Contract(TenantModel):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="contracts")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="contracts")
    reference = models.CharField(max_length=100, blank=True)
    start_date = models.DateField()
    end_date = models.DateField()
    annual_cost = models.DecimalField(
        "annual cost (£)",
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    licence_model = models.CharField(max_length=16, choices=LicenceModel.choices)
    seats = models.PositiveIntegerField(null=True, blank=True)
    notice_period_days = models.PositiveIntegerField(default=90)
    renewal_status = models.CharField(
        max_length=16, choices=RenewalStatus.choices, default=RenewalStatus.NOT_STARTED
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-end_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="contract_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(annual_cost__gte=0), name="contract_cost_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(licence_model__in=LicenceModel.values),
                name="contract_licence_model_valid",
            ),
            models.CheckConstraint(
                condition=Q(renewal_status__in=RenewalStatus.values),
                name="contract_renewal_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "end_date"])]

    def __str__(self):
        return (
            f"{self.supplier} contract for {self.product} ({self.start_date:%Y}–{self.end_date:%Y})"
        )

    @property
    def notice_deadline(self):
        try:
            return self.end_date - timedelta(days=self.notice_period_days)
        except OverflowError:  # a row from before dates were bounded (core.dates.EARLIEST_DATE)
            return date.min


class UsageRecord(TenantModel):
    """Active users of a product on a day, optionally per site or department.

    The table takes a million rows in one import, so each row costs one foreign-key check, not
    two: on PostgreSQL, (product, organisation) refers to the product together with its own
    trust (``usage_product_in_its_trust``, migration 0008), which also proves the row belongs to
    the product's trust. The single-column keys and their indexes (the unique key and the
    (organisation, date) index lead with those columns) are left out.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,
        db_constraint=False,
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.CASCADE,
        related_name="usage_records",
        db_index=False,
        db_constraint=False,
    )
    date = models.DateField()
    active_users = models.PositiveIntegerField()
    site = models.CharField(max_length=100, blank=True, default="")
    department = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["product", "date", "site", "department"], name="one_usage_row_per_day"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "date"])]


class ImportStatus(models.TextChoices):
    PENDING = "pending", "Waiting to start"
    PROCESSING = "processing", "Processing"
    SUCCEEDED = "succeeded", "Imported"
    FAILED = "failed", "Rejected"


class ImportSource(models.TextChoices):
    UPLOAD = "upload", "CSV file uploaded in the app"
    API_CSV = "api_csv", "CSV sent to the API"
    API_JSON = "api_json", "JSON sent to the API"


class UsageImport(TenantModel):
    """One uploaded CSV of usage data: its progress and, if it failed, why.

    ``pending`` → ``processing`` → ``succeeded`` or ``failed``. A file the rows of which have
    problems fails with ``errors`` (by line); anything else that stops it (a missing file, the
    database, a bug) fails with a plain-English ``failure_reason`` and may be tried again while
    the file is kept. ``progress_at`` is the last sign of life: the sweep requeues an import whose
    progress has stopped (its worker died), and ``attempts`` counts the runs that started.
    """

    file = models.FileField(upload_to="usage-imports/%Y/%m/", blank=True)  # "" once deleted
    original_name = models.CharField(max_length=255)
    # A JSON body is stored as the CSV it converts to: its row n is the stored file's line n + 1.
    source = models.CharField(
        max_length=16, choices=ImportSource.choices, default=ImportSource.UPLOAD
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_processed = models.PositiveIntegerField(default=0)
    rows_imported = models.PositiveIntegerField(default=0)
    # [{"line": 12, "message": "..."}], capped so a bad 1 M-row file cannot bloat the table.
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    failure_reason = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    progress_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def status_label(self) -> str:
        if self.status == ImportStatus.FAILED and self.failure_reason:
            return "Could not finish"
        return self.get_status_display()

    @property
    def can_retry(self) -> bool:
        """Failed for a reason other than the file's rows, and the file is still stored."""
        return (
            self.status == ImportStatus.FAILED
            and bool(self.failure_reason)
            and bool(self.file.name)
            and self.file.storage.exists(self.file.name)
        )

    def get_absolute_url(self):
        return reverse("portfolio:usage_import_detail", args=[self.organisation.ods_code, self.pk])
