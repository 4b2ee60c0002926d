import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from accounts.scoping import TenantModel


class StaffGroup(models.TextChoices):
    DOCTOR = "doctor", "Doctor"
    NURSE_MIDWIFE = "nurse_midwife", "Nurse or midwife"
    PHARMACIST = "pharmacist", "Pharmacist"
    AHP = "ahp", "Allied health professional"
    HEALTHCARE_SCIENTIST = "healthcare_scientist", "Healthcare scientist"
    ADMIN_CLERICAL = "admin_clerical", "Admin or clerical"
    OTHER = "other", "Other"


class Category(models.TextChoices):
    USABILITY = "usability", "Usability"
    FAULT = "fault", "Fault"
    MISSING_FEATURE = "missing_feature", "Missing feature"
    TRAINING = "training", "Training"
    PERFORMANCE = "performance", "Performance"
    INTEGRATION = "integration", "Integration"
    PRAISE = "praise", "Praise"
    PATIENT_SAFETY = "patient_safety", "Patient safety"


class Status(models.TextChoices):
    NEW = "new", "New"
    UNDER_REVIEW = "under_review", "Under review"
    PLANNED = "planned", "Planned"
    DONE = "done", "Done"
    DECLINED = "declined", "Declined"
    DUPLICATE = "duplicate", "Duplicate"


# A change to one of these tells consenting submitters what happened ("you said, we did").
CLOSING_THE_LOOP_STATUSES = {Status.PLANNED, Status.DONE, Status.DECLINED}


class SafetyOutcome(models.TextChoices):
    NEW_HAZARD = "new_hazard", "New hazard logged"
    EXISTING_HAZARD = "existing_hazard", "Existing hazard"
    NOT_SAFETY_RELATED = "not_safety_related", "Not safety-related"
    REFERRED = "referred_incident", "Referred to incident reporting"


def _new_token():
    return secrets.token_urlsafe(16)


class FeedbackLink(TenantModel):
    """A QR-code link for a trust, optionally naming a product and a ward or site."""

    token = models.CharField(max_length=32, unique=True, default=_new_token, editable=False)
    name = models.CharField(max_length=120)
    product = models.ForeignKey(
        "portfolio.Product",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="feedback_links",
    )
    site = models.CharField("ward or site", max_length=100, blank=True)
    is_enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("feedback:link_detail", args=[self.organisation.ods_code, self.pk])


class Feedback(TenantModel):
    product = models.ForeignKey(
        "portfolio.Product", on_delete=models.CASCADE, related_name="feedback"
    )
    link = models.ForeignKey(
        FeedbackLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="feedback"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    staff_group = models.CharField(max_length=32, choices=StaffGroup.choices)
    rating = models.PositiveSmallIntegerField(
        "ease of use", validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    category = models.CharField(max_length=32, choices=Category.choices)
    text = models.TextField(max_length=2000)
    patient_safety = models.BooleanField("could affect patient safety", default=False)
    site = models.CharField("ward or site", max_length=100, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_consent = models.BooleanField(default=False)
    # An address typed on the form is only written to once its owner opens the signed link in the
    # one confirmation email (or it is the signed-in person's own address).
    contact_confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    contact_confirmed_at = models.DateTimeField(null=True, blank=True)
    # Saved although its browser or address was over the public form's rate limit (only a safety
    # concern is): triage should check it is genuine.
    rate_limited = models.BooleanField("sent during a flood", default=False, db_default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    response = models.TextField("response to submitters", blank=True)
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates"
    )
    # Safety concerns: routed to the product's clinical safety officer, closed with an outcome.
    safety_notified_at = models.DateTimeField(null=True, blank=True)
    # Failures other than network faults; the sweep gives up at notifications.MAX_FAILURES.
    safety_notify_failures = models.PositiveSmallIntegerField(default=0, db_default=0)
    safety_acknowledged_at = models.DateTimeField(null=True, blank=True)
    safety_outcome = models.CharField(max_length=32, choices=SafetyOutcome.choices, blank=True)
    safety_reference = models.CharField(max_length=100, blank=True)
    safety_closed_at = models.DateTimeField(null=True, blank=True)
    safety_closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "feedback"
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="feedback_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(category__in=Category.values), name="feedback_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(staff_group__in=StaffGroup.values), name="feedback_staff_group_valid"
            ),
            # A closed safety concern always carries the officer's outcome and a reference.
            models.CheckConstraint(
                condition=Q(safety_closed_at__isnull=True)
                | (~Q(safety_outcome="") & ~Q(safety_reference="")),
                name="feedback_safety_closure_complete",
            ),
            models.CheckConstraint(
                condition=Q(contact_email="") | Q(contact_consent=True),
                name="feedback_contact_needs_consent",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status", "created_at"]),
            models.Index(fields=["organisation", "product", "created_at"]),
            models.Index(
                fields=["organisation", "created_at"],
                condition=Q(patient_safety=True, safety_closed_at__isnull=True),
                name="feedback_open_safety_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_category_display()} feedback on {self.product}"

    def get_absolute_url(self):
        return reverse("feedback:feedback_detail", args=[self.organisation.ods_code, self.pk])

    @property
    def contact_confirmed(self) -> bool:
        return bool(self.contact_email and self.contact_confirmed_at)

    @property
    def is_open_safety_concern(self) -> bool:
        return self.patient_safety and self.safety_closed_at is None


class FeedbackVote(TenantModel):
    """'Me too' from a signed-in colleague."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["feedback", "user"], name="one_vote_per_person")
        ]


class StatusChange(TenantModel):
    """Every triage decision; also the unit of 'you said, we did' notification (sent once)."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=16, choices=Status.choices)
    to_status = models.CharField(max_length=16, choices=Status.choices)
    response = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    notify_failures = models.PositiveSmallIntegerField(default=0, db_default=0)

    class Meta:
        ordering = ["-changed_at", "-pk"]
