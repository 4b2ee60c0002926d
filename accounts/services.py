"""Writes and business rules for accounts, memberships and invitations."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.queue import enqueue_on_commit

from .models import Invitation, Membership, Organisation
from .permissions import Role
from .scoping import scope
from .tasks import invitation_send_task


@transaction.atomic
def invitation_create(
    *, organisation: Organisation, email: str, role: str, invited_by, base_url: str
) -> Invitation:
    """Invite someone to the trust in scope; the email goes out after the commit."""
    email = email.strip().lower()
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
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
    if invitation.email.lower() != user.email.lower():
        raise ValidationError("This invitation was sent to a different email address.")
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=invitation.organisation, defaults={"role": invitation.role}
    )
    if not created and invitation.role == Role.ORG_ADMIN:
        membership.role = Role.ORG_ADMIN
        membership.save(update_fields=["role"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == Role.ORG_ADMIN and role != Role.ORG_ADMIN:
        other_admins = Membership.objects.filter(
            organisation_id=membership.organisation_id, role=Role.ORG_ADMIN
        ).exclude(pk=membership.pk)
        if not other_admins.exists():
            raise ValidationError(
                {"role": "An organisation must keep at least one organisation admin."}
            )
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


def invitation_revoke(*, invitation: Invitation) -> None:
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
