"""Single sign-on without a browser: the configuration from the environment, what the claims are
taken to mean, the app's signing key, and the trust policies (SSO only, domains that join, MFA).
The sign-in itself, against a real provider, is in tests/browser/test_sso.py."""

import jwt
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import reverse
from jwt.algorithms import RSAAlgorithm

from accounts import services
from accounts.forms import SecurityForm
from accounts.mfa import request_has_mfa
from accounts.models import AuditAction, AuditEntry, Membership, Organisation
from accounts.permissions import Role
from accounts.scoping import scopes_disabled
from accounts.sso import config as sso
from accounts.sso.assurance import acr_matches, multi_factor, verified_email
from accounts.sso.keys import client_assertion, public_jwks
from accounts.sso.session import SESSION_SSO_KEY
from tests.factories import (
    PASSWORD,
    InvitationFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.sso_provider import private_key_pem

# --- configuration from the environment ----------------------------------------------------


def test_no_variables_no_providers():
    assert sso.providers({}) == []


def test_nhsmail_is_pinned_to_one_tenant():
    env = {"SSO_NHSMAIL_CLIENT_ID": "abc", "SSO_NHSMAIL_CLIENT_SECRET": "s"}
    with pytest.raises(ImproperlyConfigured, match="TENANT_ID"):
        sso.providers(env)
    with pytest.raises(ImproperlyConfigured, match="multi-tenant"):
        sso.providers({**env, "SSO_NHSMAIL_TENANT_ID": "common"})
    (app,) = sso.providers({**env, "SSO_NHSMAIL_TENANT_ID": "37c354b2-85b0-47f5-b222-07b48d774ee3"})
    assert app["provider_id"] == "nhsmail"
    assert app["settings"]["server_url"] == (
        "https://login.microsoftonline.com/37c354b2-85b0-47f5-b222-07b48d774ee3/v2.0"
    )
    assert app["settings"]["email_verified_claim"] == "xms_edov"
    assert sso.origins([app]) == ["https://login.microsoftonline.com"]


def test_cis2_needs_a_key_or_a_secret_and_prefers_the_key(tmp_path):
    env = {"SSO_CIS2_CLIENT_ID": "cid", "SSO_CIS2_SERVER_URL": "https://cis2.example/realms/x"}
    with pytest.raises(ImproperlyConfigured, match="PRIVATE_KEY_FILE"):
        sso.providers(env)
    (app,) = sso.providers({**env, "SSO_CIS2_CLIENT_SECRET": "s"})
    assert app["settings"]["token_auth_method"] == "client_secret_post"
    key_file = tmp_path / "cis2.pem"
    key_file.write_text(private_key_pem())
    (app,) = sso.providers(
        {**env, "SSO_CIS2_CLIENT_SECRET": "s", "SSO_CIS2_PRIVATE_KEY_FILE": str(key_file)}
    )
    assert app["settings"]["token_auth_method"] == "private_key_jwt"
    assert app["settings"]["acr_values"] == "AAL2_OR_AAL3_ANY"
    with pytest.raises(ImproperlyConfigured, match="PRIVATE_KEY_FILE"):
        sso.providers({**env, "SSO_CIS2_PRIVATE_KEY_FILE": str(tmp_path / "missing.pem")})
    with pytest.raises(ImproperlyConfigured, match="SERVER_URL"):
        sso.providers({"SSO_CIS2_CLIENT_ID": "cid", "SSO_CIS2_CLIENT_SECRET": "s"})


# --- what the claims mean ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claim", "claims", "expected"),
    [
        ("email_verified", {"email": "A@nhs.net", "email_verified": True}, "a@nhs.net"),
        ("email_verified", {"email": "a@nhs.net", "email_verified": "true"}, "a@nhs.net"),
        ("email_verified", {"email": "a@nhs.net", "email_verified": False}, None),
        ("email_verified", {"email": "a@nhs.net"}, None),
        ("xms_edov", {"email": "a@nhs.net", "email_verified": True}, None),  # the wrong claim
        ("xms_edov", {"email": "a@nhs.net", "xms_edov": True}, "a@nhs.net"),
        ("", {"email": "a@nhs.net"}, "a@nhs.net"),  # CIS2: the directory's address
        ("", {}, None),
        ("", {"email": "not-an-address"}, None),
    ],
)
def test_an_address_counts_only_when_the_provider_vouches_for_it(claim, claims, expected):
    assert verified_email({"email_verified_claim": claim}, claims) == expected


def test_multi_factor_from_acr_amr_or_the_tenants_policy():
    cis2 = {"mfa_acr_values": ["AAL2_*", "AAL3_*"]}
    assert multi_factor(cis2, {"acr": "AAL3_ANY", "amr": ["N3_SMARTCARD"]})
    assert multi_factor(cis2, {"acr": "AAL2_ANY"})
    assert not multi_factor(cis2, {"acr": "AAL1_USERPASS"})
    assert not multi_factor(cis2, {})
    entra = {"mfa_amr_values": ["mfa"]}
    assert multi_factor(entra, {"amr": ["pwd", "mfa"]})
    assert multi_factor(entra, {"amr": "mfa"})
    assert not multi_factor(entra, {"amr": ["pwd"]})
    assert multi_factor({"mfa_assured": True}, {})
    assert acr_matches("AAL3_ANY", ["AAL3_ANY"]) and not acr_matches("AAL3_ANYX", ["AAL3_ANY"])
    assert not acr_matches(None, ["AAL3_*"])


def test_the_client_assertion_is_signed_with_the_published_key():
    settings = {
        "token_auth_method": "private_key_jwt",
        "private_key": private_key_pem(),
        "key_id": "k1",
        "signing_algorithm": "RS512",
    }
    token_endpoint = "https://am.nhsint.auth-ptl.cis2.spineservices.nhs.uk:443/openam/oauth2/token"
    assertion = client_assertion(settings, "client-1", token_endpoint)
    (jwk,) = public_jwks([settings, {"token_auth_method": "client_secret_post"}])["keys"]
    assert jwt.get_unverified_header(assertion)["kid"] == jwk["kid"] == "k1"
    key = RSAAlgorithm.from_jwk(jwk)
    claims = jwt.decode(assertion, key, algorithms=["RS512"], audience=token_endpoint)
    assert claims["iss"] == claims["sub"] == "client-1"
    assert claims["exp"] - claims["iat"] == 300
    assert "d" not in jwk  # only the public half is published


@pytest.mark.django_db
def test_the_jwks_endpoint_publishes_the_public_key_without_sign_in(client, settings):
    app = sso.providers(
        {
            "SSO_CIS2_CLIENT_ID": "cid",
            "SSO_CIS2_SERVER_URL": "https://cis2.example",
            "SSO_CIS2_PRIVATE_KEY": private_key_pem(),
            "SSO_CIS2_KEY_ID": "published",
        }
    )
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": app}}
    response = client.get(reverse("accounts:sso_jwks"))
    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert key["kid"] == "published" and key["kty"] == "RSA" and "d" not in key


# --- trust policies ------------------------------------------------------------------------------

NHSMAIL = {"provider_id": "nhsmail", "name": "NHSmail", "client_id": "x", "secret": "y"}


@pytest.fixture
def with_sso(settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            **settings.SOCIALACCOUNT_PROVIDERS["openid_connect"],
            "APPS": [{**NHSMAIL, "settings": {"server_url": "https://idp.example"}}],
        }
    }


def sso_signed_in(client, user, *, mfa=False):
    client.force_login(user)
    session = client.session
    session[SESSION_SSO_KEY] = {"user": user.pk, "provider": "nhsmail", "mfa": mfa}
    session.save()


def security_form(data, organisation=None, **kwargs):
    organisation = organisation or Organisation(require_mfa=False)
    initial = {"sso_only": organisation.sso_only, "sso_join_domains": ""}
    return SecurityForm(data, initial=initial, **kwargs)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nhs.net", "nhs.net is shared by people outside your organisation"),
        ("example.nhs.uk gmail.com", "gmail.com is shared"),
        ("not a domain!", "is not a domain"),
        ("-bad.nhs.uk", "is not a domain"),
        ("x" * 501, "500 characters or fewer"),
    ],
)
def test_join_domains_refuses_shared_and_malformed_domains(value, message):
    form = security_form({"sso_join_domains": value}, sso_providers=["NHSmail"])
    assert not form.is_valid()
    assert message in " ".join(form.errors["sso_join_domains"])


def test_join_domains_are_normalised():
    form = security_form(
        {"sso_join_domains": " @NLFT.nhs.uk, nlft.nhs.uk;whittington.nhs.uk "},
        sso_providers=["NHSmail"],
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["sso_join_domains"] == "nlft.nhs.uk whittington.nhs.uk"


def test_sso_policies_need_a_provider_and_sso_only_needs_the_admin_to_have_used_it():
    form = security_form({"sso_only": "on", "sso_join_domains": "a.nhs.uk"})
    assert not form.is_valid()
    assert "not set up" in form.errors["sso_only"][0]
    assert "not set up" in form.errors["sso_join_domains"][0]
    form = security_form({"sso_only": "on"}, sso_providers=["NHSmail"], sso_signed_in=False)
    assert "Sign in through single sign-on yourself" in form.errors["sso_only"][0]
    form = security_form({"sso_only": "on"}, sso_providers=["NHSmail"], sso_signed_in=True)
    assert form.is_valid(), form.errors


@pytest.mark.django_db
def test_an_admin_sets_the_sso_policy_and_each_change_is_audited(client, with_sso, settings):
    settings.ADMIN_MFA_REQUIRED = False
    admin = MembershipFactory(role=Role.ORG_ADMIN)
    trust = admin.organisation
    sso_signed_in(client, admin.user)
    url = reverse("accounts:organisation_security", args=[trust.ods_code])
    assert b"Members can sign in with NHSmail" in client.get(url).content
    response = client.post(url, {"sso_only": "on", "sso_join_domains": "nlft.nhs.uk"})
    assert response.status_code == 302
    trust.refresh_from_db()
    assert (trust.sso_only, trust.sso_join_domains) == (True, "nlft.nhs.uk")
    with scopes_disabled():
        details = sorted(
            AuditEntry.unscoped.filter(action=AuditAction.SECURITY_CHANGE).values_list(
                "detail", flat=True
            )
        )
    assert details == [
        "Members sign in through single sign-on only",
        "Single sign-on joins as viewer: nlft.nhs.uk",
    ]
    response = client.post(url, {"sso_join_domains": "nhs.net"})
    assert response.status_code == 200
    assert b"nhs.net is shared" in response.content
    trust.refresh_from_db()
    assert trust.sso_only and trust.sso_join_domains == "nlft.nhs.uk"  # nothing saved half-way


@pytest.mark.django_db
def test_password_sign_in_is_refused_only_for_members_of_an_sso_only_trust(client, with_sso):
    sso_member = MembershipFactory(organisation__sso_only=True, organisation__name="SSO Trust")
    other = MembershipFactory()
    response = client.post(
        reverse("account_login"), {"login": sso_member.user.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert b"SSO Trust asks its members to sign in with NHSmail" in response.content
    assert "_auth_user_id" not in client.session
    response = client.post(
        reverse("account_login"), {"login": other.user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(other.user.pk)


@pytest.mark.django_db
def test_a_password_session_cannot_open_an_sso_only_trust(client, with_sso):
    membership = MembershipFactory(organisation__sso_only=True)
    client.force_login(membership.user)  # e.g. signed in before the policy was switched on
    response = client.get(membership.organisation.get_absolute_url())
    assert response.status_code == 403
    assert b"Sign in with NHSmail" in response.content
    assert membership.organisation.name.encode() in response.content
    sso_signed_in(client, membership.user)
    assert client.get(membership.organisation.get_absolute_url()).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(("mfa", "status"), [(True, 200), (False, 302)])
def test_a_multi_factor_sign_on_meets_the_trusts_mfa_requirement(client, with_sso, mfa, status):
    membership = MembershipFactory(organisation__require_mfa=True)
    sso_signed_in(client, membership.user, mfa=mfa)
    response = client.get(membership.organisation.get_absolute_url())
    assert response.status_code == status
    if status == 302:
        assert response["Location"] == reverse("mfa_activate_totp")


@pytest.mark.django_db
def test_the_sso_record_of_another_user_counts_for_nothing(with_sso):
    user, other = UserFactory(), UserFactory()
    request = RequestFactory().get("/")
    request.user = user
    request.session = {SESSION_SSO_KEY: {"user": other.pk, "provider": "nhsmail", "mfa": True}}
    assert not request_has_mfa(request)


@pytest.mark.django_db
def test_sign_on_accepts_invitations_and_joins_domains_but_not_closed_or_suspended(with_sso):
    invited = OrganisationFactory()
    joinable = OrganisationFactory(sso_join_domains="other.nhs.uk nlft.nhs.uk")
    OrganisationFactory(sso_join_domains="nlft.nhs.uk.evil.example")  # a substring, not a match
    closed = OrganisationFactory(sso_join_domains="nlft.nhs.uk", closed_on="2026-03-31")
    suspended_in = OrganisationFactory(sso_join_domains="nlft.nhs.uk")
    user = UserFactory(email="pat@nlft.nhs.uk")
    with scopes_disabled():
        InvitationFactory(organisation=invited, email="PAT@nlft.nhs.uk", role=Role.PRODUCT_MANAGER)
    MembershipFactory(user=user, organisation=suspended_in, suspended_at="2026-01-01T00:00Z")

    gained = services.sso_sign_in(user=user, email="pat@nlft.nhs.uk")

    assert {(m.organisation, m.role) for m in gained} == {
        (invited, Role.PRODUCT_MANAGER),
        (joinable, Role.VIEWER),
    }
    assert not Membership.objects.filter(user=user, organisation=closed).exists()
    assert Membership.objects.get(user=user, organisation=suspended_in).is_suspended
    with scopes_disabled():
        assert AuditEntry.unscoped.filter(action=AuditAction.SSO_JOIN).count() == 1
    assert services.sso_sign_in(user=user, email="pat@nlft.nhs.uk") == []  # idempotent
