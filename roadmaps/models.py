import re
import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from accounts.scoping import TenantModel


class ItemStatus(models.TextChoices):
    IDEA = "idea", "Idea"
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    RELEASED = "released", "Released"
    DROPPED = "dropped", "Dropped"


class Horizon(models.TextChoices):
    NOW = "now", "Now"
    NEXT = "next", "Next"
    LATER = "later", "Later"


class Visibility(models.TextChoices):
    INTERNAL = "internal", "Internal to this trust"
    ICS = "ics", "Shared with the ICS"
    PUBLIC = "public", "Public link"


QUARTER_RE = re.compile(r"^(20\d\d)-Q([1-4])$")
quarter_validator = RegexValidator(QUARTER_RE, "Enter a quarter like 2026-Q3")


def _new_token():
    return secrets.token_urlsafe(16)


class RoadmapItem(TenantModel):
    product = models.ForeignKey(
        "portfolio.Product", on_delete=models.CASCADE, related_name="roadmap_items"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=ItemStatus.choices, default=ItemStatus.IDEA)
    horizon = models.CharField(max_length=8, choices=Horizon.choices, default=Horizon.LATER)
    target_quarter = models.CharField(max_length=7, blank=True, validators=[quarter_validator])
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expected_outcome = models.TextField("expected outcome or benefit measure", blank=True)
    reach = models.PositiveIntegerField(default=0)
    impact = models.DecimalField(max_digits=4, decimal_places=2, default=1)
    confidence = models.PositiveSmallIntegerField(
        default=50, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    effort = models.DecimalField(
        "effort (person-months)", max_digits=6, decimal_places=2, default=1
    )
    rice_score = models.DecimalField(max_digits=14, decimal_places=2, default=0, editable=False)
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    public_token = models.CharField(max_length=32, unique=True, default=_new_token, editable=False)
    evidence = models.ManyToManyField(
        "feedback.Feedback", through="RoadmapEvidence", related_name="roadmap_items"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-rice_score", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(effort__gt=0), name="roadmap_effort_positive"),
            models.CheckConstraint(
                condition=Q(confidence__lte=100), name="roadmap_confidence_percent"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ItemStatus.values), name="roadmap_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(horizon__in=Horizon.values), name="roadmap_horizon_valid"
            ),
            models.CheckConstraint(
                condition=Q(visibility__in=Visibility.values), name="roadmap_visibility_valid"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "horizon", "rice_score"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("roadmaps:item_detail", args=[self.organisation.ods_code, self.pk])


class RoadmapEvidence(TenantModel):
    """Feedback cited as the reason for a roadmap item."""

    item = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="evidence_links")
    feedback = models.ForeignKey(
        "feedback.Feedback", on_delete=models.CASCADE, related_name="evidence_links"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["item", "feedback"], name="feedback_cited_once_per_item"
            )
        ]
