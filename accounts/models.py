import secrets
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from .permissions import IcsRole, Role
from .scoping import TenantManager, TenantModel

# ODS codes are 3 to 5 capital letters or numbers: the older structured codes (trust RJ1, ICB QWE)
# and the ANANA codes ODS has issued for new organisations since 2020 (trust G6V2S, ICB D7T5G).
ODS_CODE_PATTERN = r"^[A-Z0-9]{3,5}$"
ics_ods_code_validator = RegexValidator(
    ODS_CODE_PATTERN,
    "Enter an ICB ODS code: 3 to 5 capital letters or numbers, like QWE or D7T5G.",
)
trust_ods_code_validator = RegexValidator(
    ODS_CODE_PATTERN,
    "Enter a trust ODS code: 3 to 5 capital letters or numbers, like RJ1 or G6V2S.",
)


def open_on(day: date | None = None, prefix: str = "") -> models.Q:
    """Open on ``day`` (today, Europe/London, by default): no close date, or one still to come.
    ODS publishes a close date ahead of a planned merger; until it passes the trust is open."""
    day = day or timezone.localdate()
    return models.Q(**{f"{prefix}closed_on__isnull": True}) | models.Q(
        **{f"{prefix}closed_on__gt": day}
    )


class OdsLifecycle(models.Model):
    """Open and close dates from ODS: a closed ICB or trust is kept for history, not offered."""

    opened_on = models.DateField("opened on", null=True, blank=True)
    closed_on = models.DateField("closed on", null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_closed(self) -> bool:
        return self.closed_on is not None and self.closed_on <= timezone.localdate()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A person, identified by email. What they may see comes from their memberships."""

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Every session records the number it was signed in under; raising it (services.user_sessions_end)
    # ends them all, whatever the session backend (accounts.middleware.SessionTimeoutMiddleware).
    session_generation = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class IntegratedCareSystem(OdsLifecycle):
    ods_code = models.CharField(
        "ODS code", max_length=5, unique=True, validators=[ics_ods_code_validator]
    )
    name = models.CharField(max_length=200)
    region = models.CharField("NHS England region", max_length=100)
    region_code = models.CharField(
        "NHS England region code", max_length=5, blank=True, default="", db_default=""
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "integrated care system"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("accounts:ics_home", args=[self.ods_code])


class Organisation(OdsLifecycle):
    """An NHS trust: the tenant."""

    ods_code = models.CharField(
        "ODS code", max_length=5, unique=True, validators=[trust_ods_code_validator]
    )
    name = models.CharField(max_length=200)
    ics = models.ForeignKey(
        IntegratedCareSystem,
        on_delete=models.PROTECT,
        related_name="organisations",
        verbose_name="ICS",
    )
    # ODS links every trust to the ICB whose area holds its head office; an ambulance trust serves
    # several. An ICS set by hand in the admin is kept: the ODS import does not move the trust.
    ics_overridden = models.BooleanField(
        "ICS set by hand (kept across ODS imports)", default=False, db_default=False
    )
    successor = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="predecessors",
        help_text="The trust that took over this one's services when it closed (ODS succession).",
    )
    require_mfa = models.BooleanField(
        "require two-factor authentication for every member", default=False, db_default=False
    )
    # Single sign-on policy (accounts.sso): members sign in only through NHSmail or CIS2, and
    # people with a verified address at these domains may join as viewers on their first sign-in.
    sso_only = models.BooleanField(
        "members sign in through single sign-on only", default=False, db_default=False
    )
    sso_join_domains = models.CharField(
        "e-mail domains that may join as viewers through single sign-on",
        max_length=500,
        blank=True,
        default="",
        db_default="",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("accounts:trust_home", args=[self.ods_code])

    @property
    def sso_join_domain_list(self) -> list[str]:
        return self.sso_join_domains.split()


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    # A suspended member keeps the row (and their role) but has no access to the trust.
    suspended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="one_membership_per_trust"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} at {self.organisation}"

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None


class IcsMembership(models.Model):
    """An ICS-level membership: sees aggregates of the trusts in the ICS."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="ics_memberships")
    ics = models.ForeignKey(
        IntegratedCareSystem, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=32, choices=IcsRole.choices, default=IcsRole.ICS_LEAD)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ics__name"]
        verbose_name = "ICS membership"
        constraints = [
            models.UniqueConstraint(fields=["user", "ics"], name="one_membership_per_ics"),
            models.CheckConstraint(
                condition=models.Q(role__in=IcsRole.values), name="ics_membership_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} at {self.ics}"


def _new_token():
    return secrets.token_urlsafe(32)


def _default_expiry():
    return timezone.now() + timedelta(hours=settings.INVITATION_VALIDITY_HOURS)


class Invitation(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=32, choices=Role.choices)
    token = models.CharField(max_length=64, unique=True, default=_new_token, editable=False)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_default_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager()
    # The accept link looks an invitation up by its secret token, before any tenant is known.
    unscoped = models.Manager()  # noqa: DJ012 - a manager, not a field

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "organisation",
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_open_invitation_per_email_per_trust",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="invitation_role_valid"
            ),
        ]

    def __str__(self):
        return f"Invitation for {self.email} to {self.organisation}"

    def is_for(self, user) -> bool:
        return self.email.lower() == user.email.lower()

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class AuditAction(models.TextChoices):
    INVITATION_CREATE = "invitation_create", "Invited"
    INVITATION_REVOKE = "invitation_revoke", "Withdrew invitation"
    INVITATION_ACCEPT = "invitation_accept", "Accepted invitation"
    ROLE_CHANGE = "role_change", "Changed role"
    MEMBER_SUSPEND = "member_suspend", "Suspended access"
    MEMBER_REINSTATE = "member_reinstate", "Reinstated access"
    MEMBER_REMOVE = "member_remove", "Removed from organisation"
    SECURITY_CHANGE = "security_change", "Changed security settings"
    SSO_JOIN = "sso_join", "Joined through single sign-on"
    API_TOKEN_CREATE = "api_token_create", "Created an API token"
    API_TOKEN_REVOKE = "api_token_revoke", "Revoked an API token"
    WEBHOOK_CREATE = "webhook_create", "Added a webhook endpoint"
    WEBHOOK_DELETE = "webhook_delete", "Deleted a webhook endpoint"
    WEBHOOK_DISABLE = "webhook_disable", "Turned off a webhook endpoint"
    WEBHOOK_ENABLE = "webhook_enable", "Turned on a webhook endpoint"
    WEBHOOK_ROTATE = "webhook_rotate", "Replaced a webhook signing secret"


class AuditEntry(TenantModel):
    """Who changed who may see a trust's data, and when. Written by the services, never edited.

    Names are copied as email addresses too, so an entry still reads right after the person's
    account is gone.
    """

    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_email = models.EmailField(blank=True)
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    target_user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target_email = models.EmailField(blank=True)
    detail = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["organisation", "-created_at"], name="audit_org_recent")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=AuditAction.values), name="audit_action_valid"
            ),
        ]

    def __str__(self):
        return f"{self.actor_email or 'System'}: {self.get_action_display()} {self.target_email}"


class ApiToken(TenantModel):
    """A secret that lets another system use the API as one trust, with one role (accounts.api).

    Only a SHA-256 hash of the secret is kept: the secret is shown once, when it is made. The
    prefix (the secret's first characters) is kept in the clear so people can tell tokens apart.
    A token stops working when it expires, is revoked, or the person who made it is deactivated.
    """

    name = models.CharField(max_length=100)
    role = models.CharField(max_length=32, choices=Role.choices)
    read_only = models.BooleanField(default=False)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="api_tokens"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "API token"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="api_token_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class IcsApiToken(models.Model):
    """A read-only secret that lets another system read one ICS's roll-ups through the API
    (``/api/v1/ics/``): the summaries of every trust in the ICS, as its ICS leads see them.

    Kept like :class:`ApiToken`: only a SHA-256 hash, a visible prefix (``npi_``), an expiry. It
    stops working when it expires, is revoked, or the lead who made it no longer leads that ICS.
    """

    ics = models.ForeignKey(
        IntegratedCareSystem, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="ics_api_tokens"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    read_only = True  # an ICS token only ever reads
    role = IcsRole.ICS_LEAD

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "ICS API token"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class WebhookEvent(models.TextChoices):
    """What a trust's systems can be told about (accounts.webhooks). The apps above emit them."""

    FEEDBACK_RECEIVED = "feedback.received", "Feedback received"
    SAFETY_CONCERN_RAISED = "safety_concern.raised", "Patient safety concern raised"
    FEEDBACK_STATUS_CHANGED = "feedback.status_changed", "Feedback status changed"
    ROADMAP_ITEM_RELEASED = "roadmap_item.released", "Roadmap item released"
    CONTRACT_NOTICE_DUE = "contract.notice_due", "Contract notice deadline coming up"
    SUMMARIES_UPDATED = "summaries.updated", "Monthly summaries updated"


# Sent only by the "Send test event" button, to one endpoint, whatever it subscribes to.
WEBHOOK_TEST_EVENT = "webhook.test"


class WebhookEndpoint(TenantModel):
    """An address of the trust's own systems that is sent the events it subscribes to, signed per
    the Standard Webhooks scheme with its own secret (accounts.webhooks).

    The secret is an HMAC key, so it must be kept as it is (a hash could not sign); it is shown
    once, when it is made, and can be replaced. The one it replaced keeps signing alongside for
    ``settings.WEBHOOK_SECRET_OVERLAP_HOURS`` so the receiving system can switch without losing
    messages. An endpoint that keeps failing is turned off by the service (``disabled_at``).
    """

    url = models.URLField("URL", max_length=500)
    description = models.CharField(max_length=100, blank=True)
    event_types = models.JSONField(default=list)
    include_free_text = models.BooleanField(default=False)
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=255, blank=True)
    disabled_notice_sent_at = models.DateTimeField(null=True, blank=True)
    # Failed attempts since the last success, and when the first of them was made.
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="webhook_endpoints"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "webhook endpoint"

    def __str__(self):
        return self.description or self.url

    def get_absolute_url(self):
        return reverse("accounts:webhook_detail", args=[self.organisation.ods_code, self.pk])

    @property
    def is_enabled(self) -> bool:
        return self.disabled_at is None

    def subscribes_to(self, event_type: str) -> bool:
        return event_type in self.event_types

    def get_event_type_labels(self) -> list[str]:
        labels = dict(WebhookEvent.choices)
        return [labels.get(event, event) for event in self.event_types]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(TenantModel):
    """One event for one endpoint: written in the transaction of the change it reports (the
    outbox), then sent and retried by Celery until it succeeds or the retries run out."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    message_id = models.CharField(max_length=40, editable=False)
    event_type = models.CharField(max_length=64)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # When it is next due (a claimed attempt pushes this ahead, so no one else sends it meanwhile);
    # None once it has succeeded or failed for good.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "message_id"], name="webhook_message_once_per_endpoint"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values),
                name="webhook_delivery_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self):
        return f"{self.event_type} {self.message_id} ({self.status})"
