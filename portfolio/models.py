from django.conf import settings
from django.db import models

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
    vision = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="product_name_unique_per_trust"
            ),
            models.CheckConstraint(
                condition=models.Q(capability__in=Capability.values),
                name="product_capability_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(lifecycle_stage__in=LifecycleStage.values),
                name="product_lifecycle_valid",
            ),
        ]

    def __str__(self):
        return self.name
