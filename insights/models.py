"""Monthly summaries: the only tables the dashboards read. Written only by the summary jobs."""

from django.db import models

from accounts.scoping import TenantModel
from portfolio.models import Capability, Contract, LifecycleStage, Product, Supplier


class ProductMonthSummary(TenantModel):
    """Adoption, spend and satisfaction of one product in one month."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="month_summaries")
    month = models.DateField(help_text="First day of the month.")
    capability = models.CharField(max_length=32, choices=Capability.choices)
    supplier = models.ForeignKey(Supplier, on_delete=models.SET_NULL, null=True, related_name="+")
    lifecycle_stage = models.CharField(max_length=16, choices=LifecycleStage.choices)
    days_with_data = models.PositiveSmallIntegerField(default=0)
    mean_daily_active_users = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    peak_active_users = models.PositiveIntegerField(null=True)
    licensed_seats = models.PositiveIntegerField(null=True)
    # Room for a site licence entered as one seat: users / seats is capped at MAX_UTILISATION.
    utilisation = models.DecimalField(max_digits=12, decimal_places=4, null=True)
    annual_spend = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    monthly_spend = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    cost_per_active_user = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    feedback_count = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    mean_rating = models.DecimalField(max_digits=4, decimal_places=2, null=True)
    feedback_by_category = models.JSONField(default=dict)
    open_safety_concerns = models.PositiveIntegerField(default=0)
    roadmap_in_flight = models.PositiveIntegerField(default=0)
    contract_end_date = models.DateField(null=True)
    next_notice_deadline = models.DateField(null=True)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["product", "month"], name="one_summary_per_product_month"
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "month"], name="insights_pms_org_month_idx"),
            models.Index(fields=["month", "capability"], name="insights_pms_month_cap_idx"),
        ]


class TrustMonthSummary(TenantModel):
    """The trust roll-up of its product summaries for one month."""

    month = models.DateField()
    live_products = models.PositiveIntegerField(default=0)
    annual_spend = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    monthly_spend = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    mean_daily_active_users = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    licensed_seats = models.PositiveIntegerField(default=0)
    # Room for a site licence entered as one seat: users / seats is capped at MAX_UTILISATION.
    utilisation = models.DecimalField(max_digits=12, decimal_places=4, null=True)
    cost_per_active_user = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    feedback_count = models.PositiveIntegerField(default=0)
    mean_rating = models.DecimalField(max_digits=4, decimal_places=2, null=True)
    open_safety_concerns = models.PositiveIntegerField(default=0)
    roadmap_in_flight = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "month"], name="one_summary_per_trust_month"
            )
        ]


class RenewalReminder(TenantModel):
    """A renewal reminder sent for one contract at one threshold: sent once, never twice."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="reminders")
    threshold_days = models.PositiveSmallIntegerField()
    notice_deadline = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "threshold_days", "notice_deadline"],
                name="one_reminder_per_threshold",
            )
        ]


class SummaryRefresh(TenantModel):
    """A trust's summaries waiting to be recomputed: at most one row per trust.

    Every change asks for a refresh by merging its months into this row (in the change's own
    transaction), so a burst of feedback costs one recompute, not one per post, and a request
    survives a broker outage: the sweep re-sends rows that have waited too long. A failed
    recompute puts its months back and records why; the trust's dashboard says so until the next
    success.
    """

    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="summary_refresh"
    )
    # ISO month starts to recompute; null means every month with data.
    months = models.JSONField(null=True, blank=True)
    requested_at = models.DateTimeField()
    failures = models.PositiveIntegerField(default=0)
    last_failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    def __str__(self):
        return f"Summary refresh for organisation {self.organisation_id}"
