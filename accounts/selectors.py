"""Read queries for people, trusts and memberships."""

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from .models import (
    ApiToken,
    AuditEntry,
    IcsApiToken,
    IcsMembership,
    Invitation,
    Membership,
    Organisation,
    User,
    open_on,
)
from .permissions import IcsRole
from .scoping import scopes_disabled


def _own_memberships(user):
    return Membership.objects.filter(user=user, suspended_at__isnull=True).select_related(
        "organisation", "organisation__ics"
    )


def membership_list(user) -> list[Membership]:
    """The trusts the user may work in: their memberships, less any suspended and any whose
    trust has closed. The person's own rows across trusts, read before any trust is chosen
    (accounts.rls: the database too)."""
    with scopes_disabled():
        return list(_own_memberships(user).filter(open_on(prefix="organisation__")))


def works_in_several_places(user) -> bool:
    """Whether the user has more than one open trust or ICS to choose between: the header offers
    "Switch organisation" only then. One query for a trust member (who also leads an ICS, or not)."""
    icss = ics_membership_list(user).select_related(None).order_by()
    with scopes_disabled():
        leads_an_ics = list(
            _own_memberships(user)
            .filter(open_on(prefix="organisation__"))
            .select_related(None)
            .order_by()
            .annotate(leads=Exists(icss))
            .values_list("leads", flat=True)[:2]
        )
    if leads_an_ics:
        return len(leads_an_ics) > 1 or leads_an_ics[0]
    return icss.count() > 1


def works_elsewhere_annotations(user) -> dict:
    """For a query of one of the user's memberships: whether they may also work in another open
    trust, or lead an ICS (``annotate(**...)``, so a trust page asks in the query that finds the
    membership). To be built with scopes disabled, like the memberships it reads."""
    return {
        "works_in_another_trust": Exists(
            _own_memberships(user)
            .filter(open_on(prefix="organisation__"))
            .exclude(organisation_id=OuterRef("organisation_id"))
            .select_related(None)
            .order_by()
        ),
        "leads_an_ics": Exists(ics_membership_list(user).select_related(None).order_by()),
    }


def membership_list_closed(user) -> list[Membership]:
    """The user's memberships of trusts that have closed (kept for history), with successors."""
    with scopes_disabled():
        return list(
            _own_memberships(user)
            .exclude(open_on(prefix="organisation__"))
            .select_related("organisation__successor")
        )


def ics_membership_list(user) -> QuerySet[IcsMembership]:
    """The ICSs the user leads, less any whose ICB has closed."""
    return (
        IcsMembership.objects.filter(user=user)
        .filter(open_on(prefix="ics__"))
        .select_related("ics")
    )


def member_list(organisation: Organisation) -> QuerySet[Membership]:
    """The trust's memberships, with their people (suspended ones too)."""
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )


def member_get(organisation: Organisation, membership_id: int) -> Membership:
    return member_list(organisation).get(pk=membership_id)


def member_user_list(organisation: Organisation, roles=None) -> QuerySet[User]:
    """People who are members of the trust (with one of ``roles``, if given): the choices of every
    "pick a person" field. Suspended members are left out."""
    memberships = Membership.objects.filter(organisation=organisation, suspended_at__isnull=True)
    if roles:
        memberships = memberships.filter(role__in=roles)
    return User.objects.filter(memberships__in=memberships).order_by("full_name", "email")


def invitation_list_open() -> QuerySet[Invitation]:
    """Open invitations of the organisation in scope."""
    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("invited_by")


def invitation_get_by_token(token: str) -> Invitation | None:
    """The accept link looks an invitation up by its secret token, before any tenant is known."""
    with scopes_disabled():  # one row, named by its secret token (accounts.rls: the database too)
        return (
            Invitation.unscoped.select_related("organisation")
            .filter(token=token, accepted_at__isnull=True, revoked_at__isnull=True)
            .first()
        )


def invitation_list_open_for_email(email: str) -> list[Invitation]:
    """Open invitations to ``email`` in any open trust. A single sign-on has proved the address
    (accounts.sso), so these are the person's own rows, read before any trust is chosen."""
    with scopes_disabled():  # one proven address's invitations (accounts.rls: the database too)
        return list(
            Invitation.unscoped.select_related("organisation")
            .filter(
                email__iexact=email,
                accepted_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .filter(open_on(prefix="organisation__"))
        )


def organisation_list_sso_only(user) -> list[Organisation]:
    """Open trusts where ``user`` is an active member and which allow single sign-on only."""
    return [m.organisation for m in membership_list(user) if m.organisation.sso_only]


def organisation_list_joinable(email: str) -> list[Organisation]:
    """Open trusts that let anyone with a verified address at ``email``'s domain join as a viewer
    through single sign-on (Organisation.sso_join_domains)."""
    domain = email.rpartition("@")[2].lower()
    candidates = Organisation.objects.filter(open_on(), sso_join_domains__icontains=domain)
    return [o for o in candidates if domain in o.sso_join_domain_list]


def api_token_list() -> QuerySet[ApiToken]:
    """The tokens of the trust in scope, newest first, with who made them."""
    return ApiToken.objects.select_related("created_by")


def api_token_get(token_id: int) -> ApiToken:
    return ApiToken.objects.get(pk=token_id)


def api_token_get_by_hash(key_hash: str) -> ApiToken | None:
    """The token whose secret hashes to ``key_hash``: the API's sign-in, before any trust is known."""
    with scopes_disabled():  # one row, named by its secret's hash (accounts.rls: the database too)
        found = ApiToken.unscoped.select_related("organisation", "created_by").filter(
            key_hash=key_hash
        )[:1]  # unique: no ORDER BY needed, as .first() would add
        return next(iter(found), None)


def ics_api_token_list(ics) -> QuerySet[IcsApiToken]:
    return IcsApiToken.objects.filter(ics=ics).select_related("created_by")


def ics_api_token_get(ics, token_id: int) -> IcsApiToken:
    return IcsApiToken.objects.get(ics=ics, pk=token_id)


def ics_api_token_get_by_hash(key_hash: str) -> IcsApiToken | None:
    """The ICS token whose secret hashes to ``key_hash`` (not tenant data: no scope needed)."""
    found = IcsApiToken.objects.select_related("ics", "created_by").filter(key_hash=key_hash)[:1]
    return next(iter(found), None)


def ics_lead_holds(user, ics) -> bool:
    """``user`` is (still) an ICS lead of ``ics``."""
    return IcsMembership.objects.filter(user=user, ics=ics, role=IcsRole.ICS_LEAD).exists()


def audit_entry_list_recent(limit: int = 100) -> QuerySet[AuditEntry]:
    """The latest changes to who may see the trust in scope, newest first."""
    return AuditEntry.objects.order_by("-created_at", "-pk")[:limit]
