"""Two-factor authentication: required of admins for member management and the Django admin, and
of every member of a trust that asks for it."""

import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.urls import reverse

from accounts.mfa import SESSION_MFA_NEXT_KEY
from accounts.models import Membership, Organisation
from accounts.permissions import Role
from tests.factories import PASSWORD, InvitationFactory, MembershipFactory, UserFactory, enrol_mfa

pytestmark = pytest.mark.django_db

ENROL = reverse("mfa_activate_totp")


def enrol_by_hand(client):
    """Do what a person does on allauth's pages: confirm the password (allauth asks again before
    any MFA change), then type the code the authenticator app shows."""
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert client.get(ENROL).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD  # the app's current code
    return client.post(ENROL, {"code": format_hotp_value(hotp_value(secret, counter))}, follow=True)


def member_pages(trust, member, invitation):
    """Every page of member and security management: (method, url)."""
    ods = trust.ods_code
    return [
        ("get", reverse("accounts:member_list", args=[ods])),
        ("get", reverse("accounts:invitation_create", args=[ods])),
        ("get", reverse("accounts:member_role", args=[ods, member.pk])),
        ("get", reverse("accounts:member_suspend", args=[ods, member.pk])),
        ("post", reverse("accounts:member_suspend", args=[ods, member.pk])),
        ("get", reverse("accounts:member_reinstate", args=[ods, member.pk])),
        ("get", reverse("accounts:member_remove", args=[ods, member.pk])),
        ("post", reverse("accounts:member_remove", args=[ods, member.pk])),
        ("get", reverse("accounts:audit_list", args=[ods])),
        ("get", reverse("accounts:organisation_security", args=[ods])),
        ("post", reverse("accounts:organisation_security", args=[ods])),
        ("post", reverse("accounts:invitation_revoke", args=[ods, invitation.pk])),
    ]


# --- Organisation admins ---------------------------------------------------------------------


def test_an_admin_without_mfa_is_sent_to_set_it_up_from_every_member_page(
    client_for, unenrolled_admin, trust
):
    member = MembershipFactory(organisation=trust, role=Role.VIEWER)
    invitation = InvitationFactory(organisation=trust)
    client = client_for(unenrolled_admin.user)
    for method, url in member_pages(trust, member, invitation):
        response = getattr(client, method)(url, {"require_mfa": "on"})
        assert response.status_code == 302, url
        assert response["Location"] == ENROL, url
    # Nothing was done on the way.
    assert Membership.objects.filter(pk=member.pk, suspended_at__isnull=True).exists()
    assert not Organisation.objects.get(pk=trust.pk).require_mfa
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_the_enrolment_page_says_why(client_for, unenrolled_admin, trust):
    client = client_for(unenrolled_admin.user)
    response = client.get(reverse("accounts:member_list", args=[trust.ods_code]), follow=True)
    page = response.content.decode()
    assert "You need to set up two-factor authentication before you can manage members" in page
    assert client.session[SESSION_MFA_NEXT_KEY] == reverse(
        "accounts:member_list", args=[trust.ods_code]
    )


def test_an_admin_with_mfa_manages_members(client_for, unenrolled_admin, trust):
    enrol_mfa(unenrolled_admin.user)
    member = MembershipFactory(organisation=trust, role=Role.VIEWER)
    invitation = InvitationFactory(organisation=trust)
    client = client_for(unenrolled_admin.user)
    for method, url in member_pages(trust, member, invitation):
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_an_admin_without_mfa_still_uses_the_rest_of_the_trust(client_for, unenrolled_admin, trust):
    client = client_for(unenrolled_admin.user)
    assert client.get(reverse("accounts:trust_home", args=[trust.ods_code])).status_code == 200


def test_members_without_the_capability_still_get_403_not_an_mfa_prompt(viewer_client, trust):
    response = viewer_client.get(reverse("accounts:member_list", args=[trust.ods_code]))
    assert response.status_code == 403


def test_the_admin_requirement_can_be_switched_off_for_a_demo(
    settings, client_for, unenrolled_admin, trust
):
    settings.ADMIN_MFA_REQUIRED = False
    client = client_for(unenrolled_admin.user)
    assert client.get(reverse("accounts:member_list", args=[trust.ods_code])).status_code == 200


@pytest.mark.django_db(transaction=True)  # allauth adds its messages on commit
def test_setting_up_mfa_leads_back_to_the_page_wanted(client, unenrolled_admin, trust):
    """The real journey: sign in, be sent to set up an authenticator app, enter its code, go back."""
    user = unenrolled_admin.user
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    members = reverse("accounts:member_list", args=[trust.ods_code])
    assert client.get(members)["Location"] == ENROL
    page = enrol_by_hand(client).content.decode()
    assert "Two-factor authentication is set up" in page
    assert f'<a href="{members}">go back to the page you wanted</a>' in page
    assert SESSION_MFA_NEXT_KEY not in client.session
    assert client.get(members).status_code == 200


@pytest.mark.django_db(transaction=True)  # allauth adds its messages on commit
def test_only_a_path_on_this_site_is_offered_as_the_way_back(client_for, unenrolled_admin):
    client = client_for(unenrolled_admin.user)
    session = client.session
    session[SESSION_MFA_NEXT_KEY] = "//evil.example/"
    session.save()
    page = enrol_by_hand(client).content.decode()
    assert "Authenticator app activated" in page
    assert "evil.example" not in page


# --- A trust that requires MFA of everyone ------------------------------------------------------


def test_an_admin_switches_on_mfa_for_everyone(org_admin_client, org_admin, trust):
    url = reverse("accounts:organisation_security", args=[trust.ods_code])
    page = org_admin_client.get(url).content.decode()
    assert "Ask every member to set up two-factor authentication" in page
    response = org_admin_client.post(url, {"require_mfa": "on"})
    assert response.status_code == 302
    trust.refresh_from_db()
    assert trust.require_mfa
    org_admin_client.post(url, {})
    trust.refresh_from_db()
    assert not trust.require_mfa


def test_a_viewer_of_a_trust_requiring_mfa_is_sent_to_set_it_up(viewer_client, trust):
    Organisation.objects.filter(pk=trust.pk).update(require_mfa=True)
    response = viewer_client.get(reverse("accounts:trust_home", args=[trust.ods_code]), follow=True)
    assert response.redirect_chain[0][0] == ENROL
    assert f"{trust.name} asks everyone to set up two-factor authentication" in (
        response.content.decode()
    )


def test_a_member_with_mfa_uses_a_trust_requiring_it(viewer_client, viewer, trust):
    Organisation.objects.filter(pk=trust.pk).update(require_mfa=True)
    enrol_mfa(viewer.user)
    assert (
        viewer_client.get(reverse("accounts:trust_home", args=[trust.ods_code])).status_code == 200
    )


def test_another_trust_is_unaffected(two_trust_client, trust, other_trust):
    Organisation.objects.filter(pk=trust.pk).update(require_mfa=True)
    other_home = reverse("accounts:trust_home", args=[other_trust.ods_code])
    assert two_trust_client.get(other_home).status_code == 200
    home = reverse("accounts:trust_home", args=[trust.ods_code])
    assert two_trust_client.get(home)["Location"] == ENROL


def test_signing_in_to_a_trust_requiring_mfa_leads_to_enrolment(client, viewer, trust):
    Organisation.objects.filter(pk=trust.pk).update(require_mfa=True)
    response = client.post(
        reverse("account_login"), {"login": viewer.user.email, "password": PASSWORD}, follow=True
    )
    assert ENROL in [url for url, _ in response.redirect_chain]
    assert f"{trust.name} asks everyone to set up" in response.content.decode()


# --- The Django admin -------------------------------------------------------------------------


def test_a_superuser_without_mfa_is_sent_to_set_it_up_before_the_admin(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == ENROL
    page = client.get(ENROL, follow=True).content.decode()
    assert "before you can use the admin site" in page


def test_a_superuser_with_mfa_uses_the_admin(client):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    enrol_mfa(superuser)
    client.force_login(superuser)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/auditentry/").status_code == 200


def test_a_superuser_without_mfa_still_uses_the_rest_of_the_service(client, trust):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    MembershipFactory(user=superuser, organisation=trust, role=Role.VIEWER)
    client.force_login(superuser)
    assert client.get(reverse("accounts:trust_home", args=[trust.ods_code])).status_code == 200
