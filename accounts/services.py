"""Writes and business rules for accounts, memberships and invitations.

Every change to who may see a trust's data writes an :class:`AuditEntry`. Every service that can
leave a trust with fewer organisation admins locks the trust's row first, so two admins demoting
or removing each other at the same moment cannot leave it with none (write skew): the second
waits for the first, then counts again.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.queue import enqueue_on_commit

from .models import (
    ApiToken,
    AuditAction,
    AuditEntry,
    IcsApiToken,
    Invitation,
    Membership,
    Organisation,
    User,
)
from .permissions import Role
from .scoping import scope
from .selectors import invitation_list_open_for_email, organisation_list_joinable
from .tasks import invitation_send_task

logger = logging.getLogger(__name__)

INVITATION_WRONG_USER_MESSAGE = (
    "This invitation was sent to a different email address. Sign out, then open the link in "
    "the invitation email again."
)
LAST_ADMIN_MESSAGES = {
    "role": "An organisation must keep at least one organisation admin. Make someone else an "
    "organisation admin first.",
    "suspend": "You cannot suspend the last organisation admin. Make someone else an "
    "organisation admin first.",
    "remove": "You cannot remove the last organisation admin. Make someone else an "
    "organisation admin first.",
}


def audit_entry_create(
    *,
    organisation: Organisation,
    actor,
    action: str,
    target_user=None,
    target_email: str = "",
    detail: str = "",
) -> AuditEntry:
    """Record a change to the trust in scope. ``actor`` None means the system did it."""
    return AuditEntry.objects.create(
        organisation=organisation,
        actor=actor,
        actor_email=actor.email if actor else "",
        action=action,
        target_user=target_user,
        target_email=target_email or (target_user.email if target_user else ""),
        detail=detail[:255],
    )


def user_sessions_end(*, user: User) -> None:
    """End every session of ``user``, on every device and with any session backend: each session
    carries the generation it was signed in under, and the middleware ends older ones."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)


@transaction.atomic
def invitation_create(
    *, organisation: Organisation, email: str, role: str, invited_by, base_url: str
) -> Invitation:
    """Invite someone to the trust in scope; the email goes out after the commit."""
    email = email.strip().lower()
    existing = Membership.objects.filter(organisation=organisation, user__email__iexact=email)
    if existing.filter(suspended_at__isnull=False).exists():
        message = "This person's access to this organisation is suspended. Reinstate it instead."
        raise ValidationError({"email": message})
    if existing.exists():
        raise ValidationError({"email": "This person is already a member of this organisation."})
    if Invitation.objects.filter(
        organisation=organisation,
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).exists():
        raise ValidationError({"email": "This person already has an open invitation."})
    # An expired invitation still holds the unique slot: retire it so a fresh one can be sent.
    Invitation.objects.filter(
        organisation=organisation,
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).update(revoked_at=timezone.now())
    invitation = Invitation.objects.create(
        organisation=organisation, email=email, role=role, invited_by=invited_by
    )
    audit_entry_create(
        organisation=organisation,
        actor=invited_by,
        action=AuditAction.INVITATION_CREATE,
        target_email=email,
        detail=f"As {invitation.get_role_display()}",
    )
    enqueue_on_commit(invitation_send_task, organisation.pk, invitation.pk, base_url)
    return invitation


def invitation_accept(*, invitation: Invitation, user) -> Membership:
    """Give ``user`` the invited role; an existing membership keeps the higher of the two.

    The invitation was found by its secret token, so its own trust is the scope.
    """
    with scope(organisation=invitation.organisation), transaction.atomic():
        return _accept(invitation, user)


def _accept(invitation: Invitation, user) -> Membership:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise ValidationError("This invitation has expired or has already been used.")
    if not invitation.is_for(user):
        raise ValidationError(INVITATION_WRONG_USER_MESSAGE)
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=invitation.organisation, defaults={"role": invitation.role}
    )
    if not created and invitation.role == Role.ORG_ADMIN:
        membership.role = Role.ORG_ADMIN
        membership.save(update_fields=["role"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit_entry_create(
        organisation=invitation.organisation,
        actor=user,
        action=AuditAction.INVITATION_ACCEPT,
        target_user=user,
        detail=f"As {membership.get_role_display()}",
    )
    return membership


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor=None) -> None:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_entry_create(
            organisation=invitation.organisation,
            actor=actor,
            action=AuditAction.INVITATION_REVOKE,
            target_email=invitation.email,
        )


# --- Members: role, suspension, removal -----------------------------------------------------


def _lock(membership: Membership) -> Membership:
    """Lock the member's trust, then re-read the member: the caller's copy may be stale."""
    Organisation.objects.select_for_update().get(pk=membership.organisation_id)
    return (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "organisation")
        .get(pk=membership.pk, organisation_id=membership.organisation_id)
    )


def _is_active_admin(membership: Membership) -> bool:
    return membership.role == Role.ORG_ADMIN and membership.suspended_at is None


def _ensure_another_active_admin(membership: Membership, message: str, field=None) -> None:
    """Refuse a change that would leave the trust without an active organisation admin.
    Called with the trust's row locked, so the count cannot change until the commit."""
    others = Membership.objects.filter(
        organisation_id=membership.organisation_id,
        role=Role.ORG_ADMIN,
        suspended_at__isnull=True,
    ).exclude(pk=membership.pk)
    if not others.exists():
        raise ValidationError({field: message} if field else message)


def _ensure_not_self(membership: Membership, actor, message: str) -> None:
    if actor is not None and membership.user_id == actor.pk:
        raise ValidationError(message)


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str, actor=None) -> Membership:
    membership = _lock(membership)
    if membership.role == role:
        return membership
    if _is_active_admin(membership) and role != Role.ORG_ADMIN:
        _ensure_another_active_admin(membership, LAST_ADMIN_MESSAGES["role"], field="role")
    previous = membership.get_role_display()
    membership.role = role
    membership.save(update_fields=["role"])
    audit_entry_create(
        organisation=membership.organisation,
        actor=actor,
        action=AuditAction.ROLE_CHANGE,
        target_user=membership.user,
        detail=f"From {previous} to {membership.get_role_display()}",
    )
    return membership


@transaction.atomic
def membership_suspend(*, membership: Membership, actor) -> Membership:
    """Keep the member (and their role) but take away their access; their sessions end."""
    membership = _lock(membership)
    _ensure_not_self(
        membership, actor, "You cannot suspend yourself. Ask another organisation admin."
    )
    if membership.suspended_at is not None:
        raise ValidationError("This person's access is already suspended.")
    if _is_active_admin(membership):
        _ensure_another_active_admin(membership, LAST_ADMIN_MESSAGES["suspend"])
    membership.suspended_at = timezone.now()
    membership.save(update_fields=["suspended_at"])
    user_sessions_end(user=membership.user)
    audit_entry_create(
        organisation=membership.organisation,
        actor=actor,
        action=AuditAction.MEMBER_SUSPEND,
        target_user=membership.user,
        detail=membership.get_role_display(),
    )
    return membership


@transaction.atomic
def membership_reinstate(*, membership: Membership, actor) -> Membership:
    membership = _lock(membership)
    if membership.suspended_at is None:
        raise ValidationError("This person's access is not suspended.")
    membership.suspended_at = None
    membership.save(update_fields=["suspended_at"])
    audit_entry_create(
        organisation=membership.organisation,
        actor=actor,
        action=AuditAction.MEMBER_REINSTATE,
        target_user=membership.user,
        detail=membership.get_role_display(),
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor) -> None:
    """Delete the membership and end the person's sessions. Their account stays (they may belong
    to other trusts), so those sessions end too: they sign in again to carry on there."""
    membership = _lock(membership)
    _ensure_not_self(
        membership, actor, "You cannot remove yourself. Ask another organisation admin."
    )
    if _is_active_admin(membership):
        _ensure_another_active_admin(membership, LAST_ADMIN_MESSAGES["remove"])
    user, role = membership.user, membership.get_role_display()
    membership.delete()
    user_sessions_end(user=user)
    audit_entry_create(
        organisation=membership.organisation,
        actor=actor,
        action=AuditAction.MEMBER_REMOVE,
        target_user=user,
        detail=f"Was {role}",
    )


# --- Trust security settings ----------------------------------------------------------------


@transaction.atomic
def organisation_security_update(
    *,
    organisation: Organisation,
    actor,
    require_mfa: bool | None = None,
    sso_only: bool | None = None,
    sso_join_domains: str | None = None,
) -> Organisation:
    """Change the trust's sign-in policy; each setting that changes gets its own audit entry.
    ``None`` leaves a setting as it is."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    changes = {
        "require_mfa": (
            require_mfa,
            "Two-factor authentication required for every member",
            "Two-factor authentication required only for organisation admins",
        ),
        "sso_only": (
            sso_only,
            "Members sign in through single sign-on only",
            "Members may sign in with a password or through single sign-on",
        ),
        "sso_join_domains": (sso_join_domains, "Single sign-on joins as viewer: {}", ""),
    }
    changed = []
    for field, (value, on, off) in changes.items():
        if value is None or getattr(organisation, field) == value:
            continue
        setattr(organisation, field, value)
        changed.append(field)
        if field == "sso_join_domains":
            detail = on.format(value) if value else "Nobody joins through single sign-on"
        else:
            detail = on if value else off
        audit_entry_create(
            organisation=organisation,
            actor=actor,
            action=AuditAction.SECURITY_CHANGE,
            detail=detail,
        )
    if changed:
        organisation.save(update_fields=changed)
    return organisation


def sso_sign_in(*, user: User, email: str) -> list[Membership]:
    """After a single sign-on that proved ``email``: accept the open invitations sent to it, and
    join as a viewer every trust that lets its domain join (Organisation.sso_join_domains).
    Returns the memberships gained. A suspended member stays suspended."""
    gained = []
    for invitation in invitation_list_open_for_email(email):
        try:
            gained.append(invitation_accept(invitation=invitation, user=user))
        except ValidationError:  # withdrawn or taken since it was read
            continue
    for organisation in organisation_list_joinable(email):
        with scope(organisation=organisation), transaction.atomic():
            membership, created = Membership.objects.get_or_create(
                user=user, organisation=organisation, defaults={"role": Role.VIEWER}
            )
            if created:
                audit_entry_create(
                    organisation=organisation,
                    actor=user,
                    action=AuditAction.SSO_JOIN,
                    target_user=user,
                    detail=f"As Viewer, with a verified address at {email.rpartition('@')[2]}",
                )
                gained.append(membership)
    return gained


API_TOKEN_PREFIX = "npp_"


def api_token_hash(secret: str) -> str:
    """Tokens are 32 random bytes: a fast hash is enough (nothing to guess), and lets the API find
    a token by its hash with one index lookup."""
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, organisation: Organisation, name: str, role: str, read_only: bool, expires_at, actor
) -> tuple[ApiToken, str]:
    """Make a token for the trust in scope; returns it and its secret, which is never kept."""
    secret = f"{API_TOKEN_PREFIX}{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        organisation=organisation,
        name=name,
        role=role,
        read_only=read_only,
        prefix=secret[: len(API_TOKEN_PREFIX) + 8],
        key_hash=api_token_hash(secret),
        created_by=actor,
        expires_at=expires_at,
    )
    audit_entry_create(
        organisation=organisation,
        actor=actor,
        action=AuditAction.API_TOKEN_CREATE,
        detail=(
            f"{name} ({token.prefix}…), {token.get_role_display()}"
            f"{', read-only' if read_only else ''}, until {expires_at:%d %b %Y}"
        ),
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor) -> None:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_entry_create(
        organisation=token.organisation,
        actor=actor,
        action=AuditAction.API_TOKEN_REVOKE,
        detail=f"{token.name} ({token.prefix}…)",
    )


def api_token_touch(token: ApiToken | IcsApiToken) -> None:
    """Record that the token was used, at most once a minute (no write per request)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        if isinstance(token, IcsApiToken):
            IcsApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        else:
            with scope(organisation=token.organisation):
                ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


ICS_TOKEN_PREFIX = "npi_"


def ics_api_token_create(*, ics, name: str, expires_at, actor) -> tuple[IcsApiToken, str]:
    """Make a read-only token for an ICS's roll-ups; returns it and its secret, never kept."""
    secret = f"{ICS_TOKEN_PREFIX}{secrets.token_urlsafe(32)}"
    token = IcsApiToken.objects.create(
        ics=ics,
        name=name,
        prefix=secret[: len(ICS_TOKEN_PREFIX) + 8],
        key_hash=api_token_hash(secret),
        created_by=actor,
        expires_at=expires_at,
    )
    logger.info("ICS API token %s made for %s by %s", token.prefix, ics.ods_code, actor.pk)
    return token, secret


@transaction.atomic
def ics_api_token_revoke(*, token: IcsApiToken, actor) -> None:
    updated = IcsApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if updated:
        logger.info("ICS API token %s revoked by %s", token.prefix, getattr(actor, "pk", None))
