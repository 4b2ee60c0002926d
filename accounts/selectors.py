from django.db.models import QuerySet

from .models import IcsMembership, Invitation, Membership, Organisation


def memberships_for_user(user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organisation", "organisation__ics")


def ics_memberships_for_user(user) -> QuerySet[IcsMembership]:
    return IcsMembership.objects.filter(user=user).select_related("ics")


def members_of(organisation: Organisation) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )


def member_of(organisation: Organisation, membership_id: int) -> Membership:
    return members_of(organisation).get(pk=membership_id)


def open_invitations() -> QuerySet[Invitation]:
    """Open invitations of the organisation in scope."""
    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("invited_by")


def invitation_by_token(token: str) -> Invitation | None:
    return (
        Invitation.unscoped.select_related("organisation")
        .filter(token=token, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
