from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import Invitation, Membership, User
from accounts.permissions import Role
from accounts.tasks import invitation_send_task
from tests.factories import (
    PASSWORD,
    IcsMembershipFactory,
    InvitationFactory,
    MembershipFactory,
    OrganisationFactory,
    ProductFactory,
    UserFactory,
    enrol_mfa,
)

pytestmark = pytest.mark.django_db


def invite_url(membership):
    return reverse("accounts:invitation_create", args=[membership.organisation.ods_code])


# --- Tenancy -------------------------------------------------------------------------------


def test_non_member_gets_404_for_a_trust_that_exists(client):
    client.force_login(UserFactory())
    organisation = OrganisationFactory()
    assert (
        client.get(reverse("accounts:trust_home", args=[organisation.ods_code])).status_code == 404
    )


def test_member_without_the_capability_gets_403(viewer_client, trust):
    response = viewer_client.get(reverse("accounts:member_list", args=[trust.ods_code]))
    assert response.status_code == 403


def test_ics_lead_sees_only_their_ics(ics_lead_client, ics_lead):
    other = IcsMembershipFactory()
    url = reverse("accounts:ics_home", args=[ics_lead.ics.ods_code])
    assert ics_lead_client.get(url).status_code == 200
    url = reverse("accounts:ics_home", args=[other.ics.ods_code])
    assert ics_lead_client.get(url).status_code == 404


def test_ics_home_lists_only_trusts_in_that_ics(client):
    lead = IcsMembershipFactory()
    inside = OrganisationFactory(ics=lead.ics, name="Inside Trust")
    OrganisationFactory(name="Outside Trust")
    client.force_login(lead.user)
    page = client.get(reverse("accounts:ics_home", args=[lead.ics.ods_code])).content.decode()
    assert inside.name in page
    assert "Outside Trust" not in page


# --- Home and organisation switcher -----------------------------------------------------


def test_home_sends_a_single_trust_member_to_their_trust(viewer_client, trust):
    response = viewer_client.get(reverse("accounts:home"))
    assert response["Location"] == reverse("accounts:trust_home", args=[trust.ods_code])


def test_home_sends_a_multi_trust_member_to_the_switcher(two_trust_client):
    assert two_trust_client.get(reverse("accounts:home"))["Location"] == reverse(
        "accounts:organisation_switch"
    )


def test_home_remembers_the_last_trust_visited(two_trust_client, other_trust):
    two_trust_client.get(reverse("accounts:trust_home", args=[other_trust.ods_code]))
    assert two_trust_client.get(reverse("accounts:home"))["Location"] == reverse(
        "accounts:trust_home", args=[other_trust.ods_code]
    )


def test_switching_organisation_goes_to_the_chosen_trust(two_trust_client, other_trust):
    response = two_trust_client.post(
        reverse("accounts:organisation_switch"), {"organisation": f"o:{other_trust.ods_code}"}
    )
    assert response["Location"] == reverse("accounts:trust_home", args=[other_trust.ods_code])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Select an organisation"),
        ({"organisation": "o:RXXXX"}, "Select one of your organisations"),
        ({"organisation": "nonsense"}, "Select one of your organisations"),
    ],
)
def test_switching_to_a_trust_you_do_not_belong_to_shows_an_error(client, data, message):
    membership = MembershipFactory()
    other = OrganisationFactory()
    client.force_login(membership.user)
    data = {k: v.replace("RXXXX", other.ods_code) for k, v in data.items()}
    response = client.post(reverse("accounts:organisation_switch"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert message in page
    assert 'href="#id_organisation"' in page


# --- Invitations ------------------------------------------------------------------------


def test_invite_sends_an_email_with_an_accept_link(
    org_admin_client, org_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = org_admin_client.post(
            invite_url(org_admin),
            {"email": "New.Person@Example.org", "role": Role.CONTRIBUTOR},
        )
    assert response.status_code == 302
    invitation = Invitation.unscoped.get()
    assert invitation.email == "new.person@example.org"
    assert invitation.organisation == org_admin.organisation
    assert len(mail.outbox) == 1
    assert reverse("accounts:invitation_accept", args=[invitation.token]) in mail.outbox[0].body


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Enter the email address of the person you want to invite"),
        (
            {"email": "not-an-email", "role": Role.VIEWER},
            "Enter an email address in the correct format",
        ),
        ({"email": "a@example.org"}, "Select a role"),
        ({"email": "a@example.org", "role": "superuser"}, "Select a role from the list"),
        (
            {"email": "x" * 300 + "@example.org", "role": Role.VIEWER},
            "Email address must be 254 characters or fewer",
        ),
    ],
)
def test_invite_with_bad_input_shows_an_error_and_saves_nothing(
    org_admin_client, org_admin, data, message
):
    response = org_admin_client.post(invite_url(org_admin), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert message in page
    assert "nhsuk-error-message" in page
    assert Invitation.unscoped.count() == 0
    assert mail.outbox == []


def test_inviting_an_existing_member_is_refused(org_admin_client, org_admin):
    member = MembershipFactory(organisation=org_admin.organisation)
    response = org_admin_client.post(
        invite_url(org_admin), {"email": member.user.email.upper(), "role": Role.VIEWER}
    )
    assert response.status_code == 400
    assert "already a member" in response.content.decode()
    assert Invitation.unscoped.count() == 0


def test_inviting_twice_is_refused_while_the_first_is_open(org_admin_client, org_admin):
    InvitationFactory(organisation=org_admin.organisation, email="twice@example.org")
    response = org_admin_client.post(
        invite_url(org_admin), {"email": "twice@example.org", "role": Role.VIEWER}
    )
    assert "already has an open invitation" in response.content.decode()
    assert Invitation.unscoped.count() == 1


def test_an_expired_invitation_can_be_replaced(org_admin_client, org_admin):
    old = InvitationFactory(
        organisation=org_admin.organisation,
        email="late@example.org",
        expires_at=timezone.now() - timedelta(days=1),
    )
    response = org_admin_client.post(
        invite_url(org_admin), {"email": "late@example.org", "role": Role.VIEWER}
    )
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.revoked_at is not None
    assert Invitation.unscoped.filter(revoked_at__isnull=True).count() == 1


def test_new_user_accepts_an_invitation_by_signing_up(client):
    invitation = InvitationFactory(role=Role.PRODUCT_MANAGER)
    response = client.get(reverse("accounts:invitation_accept", args=[invitation.token]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_signup"))
    response = client.post(
        reverse("account_signup"),
        {
            "email": invitation.email,
            "password1": "a-long-new-password-1",
            "password2": "a-long-new-password-1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email=invitation.email)
    membership = Membership.objects.get(user=user)
    assert membership.organisation == invitation.organisation
    assert membership.role == Role.PRODUCT_MANAGER
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None


def test_sign_up_is_closed_without_an_invitation(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "stranger@example.org",
            "password1": "a-long-new-password-1",
            "password2": "a-long-new-password-1",
        },
    )
    assert not User.objects.filter(email="stranger@example.org").exists()
    assert response.status_code == 200
    assert "closed" in response.content.decode().lower()


def test_existing_user_accepts_an_invitation_by_signing_in(client):
    user = UserFactory()
    invitation = InvitationFactory(email=user.email, role=Role.VIEWER)
    response = client.get(reverse("accounts:invitation_accept", args=[invitation.token]))
    assert response["Location"] == reverse("account_login")
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert Membership.objects.filter(user=user, organisation=invitation.organisation).exists()


def test_signed_in_user_accepts_with_one_click(client):
    user = UserFactory()
    invitation = InvitationFactory(email=user.email)
    client.force_login(user)
    response = client.post(reverse("accounts:invitation_accept", args=[invitation.token]))
    assert response["Location"] == reverse(
        "accounts:trust_home", args=[invitation.organisation.ods_code]
    )
    assert Membership.objects.filter(user=user, organisation=invitation.organisation).exists()


def test_an_invitation_for_someone_else_cannot_be_taken(client):
    invitation = InvitationFactory(email="intended@example.org")
    client.force_login(UserFactory(email="other@example.org"))
    url = reverse("accounts:invitation_accept", args=[invitation.token])
    page = client.get(url)
    assert page.status_code == 403
    assert "different email address" in page.content.decode()
    assert "Accept invitation</button>" not in page.content.decode()
    response = client.post(url)
    assert response.status_code == 403
    assert "different email address" in response.content.decode()
    assert not Membership.objects.filter(organisation=invitation.organisation).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


@pytest.mark.parametrize("state", ["unknown", "expired", "revoked", "accepted"])
def test_unusable_invitation_links_show_a_clear_page(client, state):
    invitation = InvitationFactory()
    token = invitation.token
    if state == "unknown":
        token = "no-such-token"
    elif state == "expired":
        Invitation.unscoped.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(hours=1)
        )
    else:
        Invitation.unscoped.filter(pk=invitation.pk).update(**{f"{state}_at": timezone.now()})
    response = client.get(reverse("accounts:invitation_accept", args=[token]))
    assert response.status_code == 404
    assert "This invitation link does not work" in response.content.decode()


def test_admin_withdraws_an_invitation(org_admin_client, org_admin):
    invitation = InvitationFactory(organisation=org_admin.organisation)
    url = reverse(
        "accounts:invitation_revoke", args=[org_admin.organisation.ods_code, invitation.pk]
    )
    assert org_admin_client.get(url).status_code == 405
    assert org_admin_client.post(url).status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


# --- Roles -------------------------------------------------------------------------------


def test_admin_changes_a_members_role(org_admin_client, org_admin):
    member = MembershipFactory(organisation=org_admin.organisation, role=Role.VIEWER)
    url = reverse("accounts:member_role", args=[org_admin.organisation.ods_code, member.pk])
    assert org_admin_client.post(url, {"role": Role.PRODUCT_MANAGER}).status_code == 302
    member.refresh_from_db()
    assert member.role == Role.PRODUCT_MANAGER


def test_the_last_admin_cannot_be_demoted(org_admin_client, org_admin):
    url = reverse("accounts:member_role", args=[org_admin.organisation.ods_code, org_admin.pk])
    response = org_admin_client.post(url, {"role": Role.VIEWER})
    assert response.status_code == 400
    assert "at least one organisation admin" in response.content.decode()
    org_admin.refresh_from_db()
    assert org_admin.role == Role.ORG_ADMIN


def test_a_forged_role_is_refused(org_admin_client, org_admin):
    member = MembershipFactory(organisation=org_admin.organisation, role=Role.VIEWER)
    url = reverse("accounts:member_role", args=[org_admin.organisation.ods_code, member.pk])
    response = org_admin_client.post(url, {"role": "ics_lead"})
    assert response.status_code == 400
    assert "Select a role from the list" in response.content.decode()
    member.refresh_from_db()
    assert member.role == Role.VIEWER


def test_member_list_query_count_is_constant(
    org_admin_client, org_admin, django_assert_max_num_queries
):
    url = reverse("accounts:member_list", args=[org_admin.organisation.ods_code])
    for _ in range(3):
        MembershipFactory(organisation=org_admin.organisation)
        InvitationFactory(organisation=org_admin.organisation)
    with django_assert_max_num_queries(10) as small:
        org_admin_client.get(url)
    for _ in range(30):
        MembershipFactory(organisation=org_admin.organisation)
        InvitationFactory(organisation=org_admin.organisation)
    with django_assert_max_num_queries(len(small.captured_queries)):
        org_admin_client.get(url)


# --- Sign in ----------------------------------------------------------------------------


def test_sign_in_with_empty_form_shows_an_error_summary(client):
    response = client.post(reverse("account_login"), {})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert 'href="#id_login"' in page


def test_sign_in_with_a_wrong_password_says_so(client):
    user = UserFactory()
    response = client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    page = response.content.decode()
    assert "There is a problem" in page
    assert "not correct" in page


def test_sign_in_works_with_the_right_password(client):
    user = UserFactory()
    MembershipFactory(user=user)
    response = client.post(
        reverse("account_login"), {"login": user.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 302


# --- Django admin --------------------------------------------------------------------------


def test_admin_is_for_superusers_only(client):
    client.force_login(UserFactory(is_staff=True))
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403


def test_admin_sign_in_goes_through_allauth(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))


def test_superuser_admin_lists_every_trusts_products(client):
    ProductFactory(name="Alpha"), ProductFactory(name="Beta")
    superuser = UserFactory(is_staff=True, is_superuser=True)
    enrol_mfa(superuser)
    client.force_login(superuser)
    page = client.get("/admin/portfolio/product/").content.decode()
    assert "Alpha" in page and "Beta" in page


def test_invitation_is_saved_when_the_broker_is_down(
    org_admin_client, org_admin, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis. Connection refused.")

    monkeypatch.setattr(invitation_send_task, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = org_admin_client.post(
            invite_url(org_admin), {"email": "offline@example.org", "role": Role.VIEWER}
        )
    assert response.status_code == 302
    assert Invitation.unscoped.filter(email="offline@example.org").exists()
    assert "Could not enqueue" in caplog.text


def test_password_reset_sends_a_link_to_a_known_address(client):
    user = UserFactory()
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_password_reset_with_a_bad_address_shows_an_error(client):
    response = client.post(reverse("account_reset_password"), {"email": "not-an-email"})
    page = response.content.decode()
    assert "There is a problem" in page
    assert mail.outbox == []


def test_two_factor_set_up_is_offered_to_signed_in_users(client):
    user = UserFactory()
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    page = client.get(reverse("mfa_index")).content.decode()
    assert "Authenticator App" in page or "authenticator app" in page.lower()
    response = client.get(reverse("mfa_activate_totp"), follow=True)
    if response.redirect_chain:  # allauth asks for the password again before changing security
        assert reverse("account_reauthenticate") in response.redirect_chain[-1][0]
        response = client.post(response.redirect_chain[-1][0], {"password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert "<svg" in response.content.decode()  # the QR code to scan


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (
            Role.VIEWER,
            ["Dashboard", "Products"],
            ["Feedback", "Roadmap", "Safety queue", "Members"],
        ),
        (Role.CONTRIBUTOR, ["Feedback", "Roadmap"], ["Dashboard", "Safety queue", "Members"]),
        (Role.CLINICAL_SAFETY_OFFICER, ["Dashboard", "Safety queue"], ["Members"]),
        (Role.ORG_ADMIN, ["Dashboard", "Feedback", "Roadmap", "Safety queue", "Members"], []),
    ],
)
def test_the_menu_offers_only_what_the_role_may_open(client, role, shown, hidden):
    membership = MembershipFactory(role=role)
    client.force_login(membership.user)
    page = client.get(
        reverse("accounts:trust_home", args=[membership.organisation.ods_code])
    ).content.decode()
    menu = page.split('aria-label="Menu"', 1)[1].split("</nav>", 1)[0]
    for label in shown:
        assert f">{label}</a>" in menu
    for label in hidden:
        assert f">{label}</a>" not in menu
