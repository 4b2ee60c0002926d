"""Org admins suspend, reinstate and remove members; the last admin stays; sessions end."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from accounts import selectors, services
from accounts.models import AuditAction, AuditEntry, Membership, User
from accounts.permissions import Role
from accounts.scoping import scope
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(name, membership):
    return reverse(f"accounts:{name}", args=[membership.organisation.ods_code, membership.pk])


def trust_home(organisation):
    return reverse("accounts:trust_home", args=[organisation.ods_code])


def audit(organisation):
    with scope(organisation=organisation):
        return list(AuditEntry.objects.values_list("action", "actor_email", "target_email"))


def is_signed_in(client) -> bool:
    return SESSION_KEY in client.session


# --- Confirmation pages ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "heading", "button"),
    [
        ("member_suspend", "Suspend Ann Smith&#x27;s access?", "Suspend access"),
        ("member_remove", "Remove Ann Smith from", "Remove from organisation"),
    ],
)
def test_each_action_asks_are_you_sure_first(org_admin_client, trust, action, heading, button):
    member = MembershipFactory(organisation=trust, role=Role.VIEWER, user__full_name="Ann Smith")
    response = org_admin_client.get(url(action, member))
    page = response.content.decode()
    assert response.status_code == 200
    assert heading in page
    assert f"{button}</button>" in page
    assert Membership.objects.get(pk=member.pk).suspended_at is None  # a GET changes nothing


def test_reinstating_asks_first_too(org_admin_client, trust):
    member = MembershipFactory(organisation=trust, role=Role.VIEWER)
    Membership.objects.filter(pk=member.pk).update(suspended_at="2026-01-01T00:00Z")
    response = org_admin_client.get(url("member_reinstate", member))
    assert "Reinstate access</button>" in response.content.decode()
    assert Membership.objects.get(pk=member.pk).suspended_at is not None


# --- Suspend and reinstate ------------------------------------------------------------------


def test_a_suspended_member_keeps_the_row_but_loses_the_trust(
    org_admin_client, org_admin, trust, client_for
):
    member = MembershipFactory(organisation=trust, role=Role.PRODUCT_MANAGER)
    other = OrganisationFactory()
    MembershipFactory(user=member.user, organisation=other, role=Role.VIEWER)
    member_client = client_for(member.user)
    assert member_client.get(trust_home(trust)).status_code == 200

    response = org_admin_client.post(url("member_suspend", member))

    assert response["Location"] == reverse("accounts:member_list", args=[trust.ods_code])
    member.refresh_from_db()
    assert member.suspended_at is not None and member.role == Role.PRODUCT_MANAGER
    # Their sessions ended: the next request, even for their other trust, asks them to sign in.
    response = member_client.get(trust_home(other))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    # Signed in again: their other trust works, the suspended one is a 404 like any non-member's.
    member_client = client_for(member.user)
    assert member_client.get(trust_home(other)).status_code == 200
    assert member_client.get(trust_home(trust)).status_code == 404
    assert audit(trust)[0] == (AuditAction.MEMBER_SUSPEND, org_admin.user.email, member.user.email)


def test_the_switcher_and_home_leave_out_a_suspended_trust(client_for, two_trust_user, trust):
    Membership.objects.filter(user=two_trust_user, organisation=trust).update(
        suspended_at="2026-01-01T00:00Z"
    )
    client = client_for(two_trust_user)
    page = client.get(reverse("accounts:organisation_switch")).content.decode()
    assert trust.name not in page
    response = client.post(
        reverse("accounts:organisation_switch"), {"organisation": f"o:{trust.ods_code}"}
    )
    assert response.status_code == 400
    assert "Select one of your organisations" in response.content.decode()
    # One trust left, so home goes straight there.
    assert client.get(reverse("accounts:home"))["Location"] != trust_home(trust)


def test_suspended_members_are_not_offered_in_pick_a_person_fields(trust):
    active = MembershipFactory(organisation=trust)
    suspended = MembershipFactory(organisation=trust, suspended_at="2026-01-01T00:00Z")
    people = list(selectors.member_user_list(trust))
    assert active.user in people
    assert suspended.user not in people


def test_reinstating_gives_access_back(org_admin_client, org_admin, trust, client_for):
    member = MembershipFactory(organisation=trust, role=Role.VIEWER)
    org_admin_client.post(url("member_suspend", member))
    response = org_admin_client.post(url("member_reinstate", member))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.suspended_at is None
    assert client_for(member.user).get(trust_home(trust)).status_code == 200
    assert [action for action, *_ in audit(trust)] == [
        AuditAction.MEMBER_REINSTATE,
        AuditAction.MEMBER_SUSPEND,
    ]


def test_the_member_list_shows_suspension_and_the_right_action(org_admin_client, trust):
    member = MembershipFactory(organisation=trust, role=Role.VIEWER)
    list_url = reverse("accounts:member_list", args=[trust.ods_code])
    page = org_admin_client.get(list_url).content.decode()
    assert url("member_suspend", member) in page and url("member_remove", member) in page
    org_admin_client.post(url("member_suspend", member))
    page = org_admin_client.get(list_url).content.decode()
    assert "Suspended" in page
    assert url("member_reinstate", member) in page
    assert url("member_suspend", member) not in page


def test_suspending_twice_or_reinstating_an_active_member_says_so(org_admin_client, trust):
    member = MembershipFactory(organisation=trust, role=Role.VIEWER)
    response = org_admin_client.post(url("member_reinstate", member))
    assert response.status_code == 400
    assert "This person&#x27;s access is not suspended." in response.content.decode()
    org_admin_client.post(url("member_suspend", member))
    response = org_admin_client.post(url("member_suspend", member))
    assert response.status_code == 400
    assert "already suspended" in response.content.decode()


def test_inviting_a_suspended_member_points_to_reinstating(org_admin_client, trust):
    member = MembershipFactory(organisation=trust, suspended_at="2026-01-01T00:00Z")
    response = org_admin_client.post(
        reverse("accounts:invitation_create", args=[trust.ods_code]),
        {"email": member.user.email, "role": Role.VIEWER},
    )
    assert response.status_code == 400
    assert "Reinstate it instead" in response.content.decode()


# --- Remove ---------------------------------------------------------------------------------


def test_removing_a_member_ends_their_sessions_but_keeps_their_account(
    org_admin_client, org_admin, trust, client_for
):
    member = MembershipFactory(organisation=trust, role=Role.CONTRIBUTOR)
    other = OrganisationFactory()
    MembershipFactory(user=member.user, organisation=other)
    member_client = client_for(member.user)
    assert member_client.get(trust_home(trust)).status_code == 200

    response = org_admin_client.post(url("member_remove", member))

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=member.pk).exists()
    assert User.objects.filter(pk=member.user.pk).exists()
    assert member_client.get(trust_home(other))["Location"].startswith(reverse("account_login"))
    assert not is_signed_in(member_client)
    member_client = client_for(member.user)
    assert member_client.get(trust_home(other)).status_code == 200
    assert member_client.get(trust_home(trust)).status_code == 404
    assert audit(trust)[0] == (AuditAction.MEMBER_REMOVE, org_admin.user.email, member.user.email)


def test_sessions_of_other_people_carry_on(org_admin_client, trust, viewer_client):
    member = MembershipFactory(organisation=trust, role=Role.CONTRIBUTOR)
    org_admin_client.post(url("member_remove", member))
    assert viewer_client.get(trust_home(trust)).status_code == 200
    assert org_admin_client.get(trust_home(trust)).status_code == 200


@pytest.mark.parametrize(
    "engine",
    [
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
        "django.contrib.sessions.backends.cache",
        "django.contrib.sessions.backends.signed_cookies",
    ],
)
def test_ending_sessions_works_with_every_session_backend(settings, trust, client_for, engine):
    settings.SESSION_ENGINE = engine
    member = MembershipFactory(organisation=trust, role=Role.VIEWER)
    first, second = client_for(member.user), client_for(member.user)  # two devices
    assert first.get(trust_home(trust)).status_code == 200
    with scope(organisation=trust):
        services.membership_remove(membership=member, actor=None)
    for device in (first, second):
        assert device.get(trust_home(trust))["Location"].startswith(reverse("account_login"))


def test_a_member_cannot_be_removed_from_another_trust(org_admin_client, trust, other_trust):
    stranger = MembershipFactory(organisation=other_trust)
    foreign = reverse("accounts:member_remove", args=[trust.ods_code, stranger.pk])
    assert org_admin_client.post(foreign).status_code == 404
    assert Membership.objects.filter(pk=stranger.pk).exists()


def test_only_org_admins_can_suspend_or_remove(pm_client, trust):
    member = MembershipFactory(organisation=trust, role=Role.VIEWER)
    for action in ("member_suspend", "member_reinstate", "member_remove"):
        assert pm_client.post(url(action, member)).status_code == 403
    assert Membership.objects.filter(pk=member.pk, suspended_at__isnull=True).exists()


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("member_suspend", "You cannot suspend yourself."),
        ("member_remove", "You cannot remove yourself."),
    ],
)
def test_an_admin_cannot_suspend_or_remove_themselves(
    org_admin_client, org_admin, trust, action, message
):
    MembershipFactory(organisation=trust, role=Role.ORG_ADMIN)  # not the last admin
    response = org_admin_client.post(url(action, org_admin))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Membership.objects.filter(pk=org_admin.pk, suspended_at__isnull=True).exists()


# --- The last active admin --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "kwargs", "message"),
    [
        (services.membership_suspend, {}, "You cannot suspend the last organisation admin"),
        (services.membership_remove, {}, "You cannot remove the last organisation admin"),
        (
            services.membership_set_role,
            {"role": Role.VIEWER},
            "An organisation must keep at least one organisation admin",
        ),
    ],
)
def test_the_last_active_admin_cannot_be_suspended_removed_or_demoted(
    trust, org_admin, service, kwargs, message
):
    # The other admin is suspended, so org_admin is the last active one.
    MembershipFactory(organisation=trust, role=Role.ORG_ADMIN, suspended_at="2026-01-01T00:00Z")
    actor = UserFactory()
    with scope(organisation=trust), pytest.raises(Exception) as caught:
        service(membership=org_admin, actor=actor, **kwargs)
    assert message in " ".join(caught.value.messages)
    org_admin.refresh_from_db()
    assert org_admin.role == Role.ORG_ADMIN and org_admin.suspended_at is None


def test_a_suspended_admin_can_be_removed(org_admin_client, org_admin, trust):
    # Removing a suspended admin leaves the active ones as they were.
    suspended = MembershipFactory(
        organisation=trust, role=Role.ORG_ADMIN, suspended_at="2026-01-01T00:00Z"
    )
    assert org_admin_client.post(url("member_remove", suspended)).status_code == 302
    assert not Membership.objects.filter(pk=suspended.pk).exists()


def test_an_admin_with_another_active_admin_can_be_suspended(org_admin_client, trust):
    second = MembershipFactory(organisation=trust, role=Role.ORG_ADMIN)
    assert org_admin_client.post(url("member_suspend", second)).status_code == 302
    second.refresh_from_db()
    assert second.suspended_at is not None


def test_demoting_a_suspended_admin_is_allowed(trust, org_admin):
    suspended = MembershipFactory(
        organisation=trust, role=Role.ORG_ADMIN, suspended_at="2026-01-01T00:00Z"
    )
    with scope(organisation=trust):
        services.membership_set_role(membership=suspended, role=Role.VIEWER, actor=org_admin.user)
    suspended.refresh_from_db()
    assert suspended.role == Role.VIEWER
