"""Single sign-on end to end: Chromium clicks the provider's button, signs in at a real OpenID
Connect provider (tests/sso_provider.py, panva/oidc-provider), comes back and lands in the right
trust, or is refused with a page that says why. No HTTP is mocked.

The provider plays NHSmail (a client secret, the verified address in ``xms_edov``) and CIS2
(private_key_jwt with the app's own key, ``acr``/``amr`` assurance).
"""

import time
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from accounts.models import Membership, Organisation, User
from accounts.permissions import Role
from accounts.scoping import scopes_disabled
from tests import sso_provider
from tests.browser.harness import AXE_JS, AXE_ROUTE, format_violations, run_axe
from tests.factories import (
    PASSWORD,
    InvitationFactory,
    MembershipFactory,
    OrganisationFactory,
    enrol_mfa,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def provider(live_server):
    running = sso_provider.start(live_server.url)
    yield running
    running.stop()


@pytest.fixture
def sso(settings, provider, transactional_db):
    """The app configured with the test provider, as accounts.sso.config would from the environment."""
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            **settings.SOCIALACCOUNT_PROVIDERS["openid_connect"],
            "APPS": provider.apps,
        }
    }
    settings.SECURE_CSP = {
        **settings.SECURE_CSP,
        "form-action": [*settings.SECURE_CSP["form-action"], provider.issuer],
    }
    settings.ADMIN_MFA_REQUIRED = False
    return provider


@pytest.fixture
def page(browser, live_server, sso):
    """A browser that can reach the app and the provider, nothing else."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)

    def guard(route):
        url = route.request.url
        if url == live_server.url + AXE_ROUTE:
            route.fulfill(path=AXE_JS, content_type="text/javascript")
        elif url.startswith((live_server.url, sso.issuer, "data:", "about:")):
            route.continue_()
        else:
            route.abort("blockedbyclient")

    context.route("**/*", guard)
    yield context.new_page()
    context.close()


def start_sign_in(page, provider_name: str):
    page.goto("/accounts/login/")
    page.get_by_role("button", name=f"Sign in with {provider_name}").click()
    page.wait_for_url("**/interaction/**")


def sign_in_at_provider(page, email, *, verified=True, acr="", amr="pwd"):
    page.fill("#email", email)
    page.fill("#name", "Sam Example")
    if not verified:
        page.uncheck("input[name=verified]")
    page.fill("#acr", acr)
    page.fill("#amr", amr)
    page.click("#sign-in")


def is_callback(url: str) -> bool:
    return "/login/callback/?" in url


def lands_on(page, path: str) -> None:
    """Wait to arrive at ``path``; if the page stops elsewhere, say where and what it says."""
    try:
        page.wait_for_url(f"**{path}", timeout=10_000)
    except PlaywrightTimeoutError:
        text = page.locator("main").inner_text() if page.locator("main").count() else page.content()
        raise AssertionError(f"expected {path}, stopped at {page.url}:\n{text[:1500]}") from None


def heading(page) -> str:
    """The page's heading, once the page has no accessibility violations (axe-core, WCAG 2.2 AA)."""
    violations = run_axe(page)
    assert not violations, format_violations(page.url, violations)
    return page.locator("h1").first.inner_text()


def test_an_invited_person_signs_in_with_cis2_and_lands_in_their_trust(page, live_server):
    trust = OrganisationFactory(name="North London NHS Foundation Trust", require_mfa=True)
    with scopes_disabled():
        InvitationFactory(organisation=trust, email="sam.example@nhs.net", role=Role.VIEWER)

    start_sign_in(page, "NHS Care Identity")
    sign_in_at_provider(page, "Sam.Example@nhs.net", acr="AAL3_ANY", amr="N3_SMARTCARD")
    lands_on(page, f"/o/{trust.ods_code}/")

    # The trust asks for two factors; the smartcard sign-in gave them, so no authenticator app.
    assert heading(page) != "Set up two-factor authentication", page.url
    user = User.objects.get(email="sam.example@nhs.net")
    assert user.full_name == "Sam Example"
    assert not user.has_usable_password()
    assert Membership.objects.get(user=user).organisation == trust
    account = SocialAccount.objects.get(user=user)
    assert account.extra_data["id_token"]["acr"] == "AAL3_ANY"


def test_an_nhsmail_sign_in_links_to_the_existing_account_by_its_verified_address(
    page, live_server
):
    membership = MembershipFactory(user__email="jo.bloggs@nhs.net")
    start_sign_in(page, "NHSmail")
    sign_in_at_provider(page, "jo.bloggs@nhs.net")
    lands_on(page, f"/o/{membership.organisation.ods_code}/")
    assert SocialAccount.objects.get(provider="nhsmail").user == membership.user
    assert User.objects.filter(email__iexact="jo.bloggs@nhs.net").count() == 1


def test_a_sign_in_without_multi_factor_is_asked_for_the_authenticator_code(page, live_server):
    membership = MembershipFactory(user__email="totp.user@nhs.net")
    enrol_mfa(membership.user)
    start_sign_in(page, "NHSmail")
    sign_in_at_provider(page, "totp.user@nhs.net", amr="pwd")
    lands_on(page, "/accounts/2fa/authenticate/")


def test_an_nhsmail_sign_in_with_mfa_in_amr_is_not_asked_again(page, live_server):
    membership = MembershipFactory(user__email="mfa.user@nhs.net")
    enrol_mfa(membership.user)
    start_sign_in(page, "NHSmail")
    sign_in_at_provider(page, "mfa.user@nhs.net", amr="pwd,mfa")
    lands_on(page, f"/o/{membership.organisation.ods_code}/")


def test_someone_with_no_invitation_is_told_who_to_ask(page, live_server):
    start_sign_in(page, "NHSmail")
    sign_in_at_provider(page, "stranger@nhs.net")
    page.wait_for_load_state()
    assert heading(page) == "You do not have access yet"
    assert "stranger@nhs.net" in page.content()
    assert not User.objects.filter(email="stranger@nhs.net").exists()


def test_a_trust_that_lets_its_domain_join_takes_them_as_a_viewer(page, live_server):
    trust = OrganisationFactory(sso_join_domains="nlft.nhs.uk")
    start_sign_in(page, "NHSmail")
    sign_in_at_provider(page, "new.starter@nlft.nhs.uk")
    lands_on(page, f"/o/{trust.ods_code}/")
    membership = Membership.objects.get(user__email="new.starter@nlft.nhs.uk")
    assert (membership.organisation, membership.role) == (trust, Role.VIEWER)


def test_an_unverified_address_is_refused(page, live_server):
    MembershipFactory(user__email="victim@nhs.net")
    start_sign_in(page, "NHSmail")
    sign_in_at_provider(page, "victim@nhs.net", verified=False)
    page.wait_for_load_state()
    assert heading(page) == "Sign-in did not work"
    assert "did not confirm that victim@nhs.net is your email address" in page.content()
    assert not SocialAccount.objects.exists()


def with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def rewrite_return(page, app_url: str, issuer: str, rewrite):
    """Playwright cannot intercept redirects, so the provider's redirect chain after its sign-in
    form (interaction POST -> /auth/<uid> -> our callback) is followed here, and the browser is
    sent to ``rewrite(callback_url)`` instead: what an attacker (or a slow person) would do."""

    def handler(route):
        if route.request.method != "POST":
            return route.continue_()
        response = route.fetch(max_redirects=0)
        location = response.headers["location"]
        while not location.startswith(app_url):
            location = page.context.request.get(urljoin(issuer, location), max_redirects=0).headers[
                "location"
            ]
        return route.fulfill(
            response=response, headers={**response.headers, "location": rewrite(location)}
        )

    page.route(lambda url: url.startswith(f"{issuer}/interaction/"), handler)


def test_a_tampered_state_is_refused(page, live_server, sso):
    MembershipFactory(user__email="state.user@nhs.net")
    rewrite_return(
        page,
        live_server.url,
        sso.issuer,
        lambda url: with_query(
            url, state="forged-" + dict(parse_qsl(urlsplit(url).query))["state"]
        ),
    )
    start_sign_in(page, "NHSmail")
    sign_in_at_provider(page, "state.user@nhs.net")
    page.wait_for_url(is_callback)
    assert heading(page) == "Sign-in did not work"
    assert "not started from this browser" in page.content()
    assert not SocialAccount.objects.exists()


def test_an_id_token_with_another_nonce_is_refused(page, live_server, sso):
    MembershipFactory(user__email="nonce.user@nhs.net")
    sent = []

    def other_nonce(route):
        if route.request.method != "POST":
            return route.continue_()
        response = route.fetch(max_redirects=0)
        location = response.headers["location"]
        sent.append(dict(parse_qsl(urlsplit(location).query)))
        location = with_query(location, nonce="a-nonce-this-browser-never-saw")
        return route.fulfill(response=response, headers={**response.headers, "location": location})

    page.route(
        lambda url: "/accounts/oidc/nhsmail/login/" in url and "callback" not in url, other_nonce
    )
    start_sign_in(page, "NHSmail")
    assert sent and sent[0]["nonce"], "the app must send a nonce"
    assert sent[0]["code_challenge_method"] == "S256"
    sign_in_at_provider(page, "nonce.user@nhs.net")
    page.wait_for_url(is_callback)
    assert heading(page) == "Sign-in did not work"
    assert "could not check" in page.content()
    assert not SocialAccount.objects.exists()


def test_an_expired_code_is_refused(page, live_server, sso):
    MembershipFactory(user__email="slow.user@nhs.net")
    held = []

    def hold(url):
        held.append(url)
        return "/accounts/login/"

    rewrite_return(page, live_server.url, sso.issuer, hold)
    start_sign_in(page, "NHSmail")
    sign_in_at_provider(page, "slow.user@nhs.net")
    page.wait_for_url("**/accounts/login/")
    time.sleep(sso_provider.CODE_TTL + 1)
    page.goto(held[0])
    assert heading(page) == "Sign-in did not work"
    assert "took too long" in page.content()
    assert not SocialAccount.objects.exists()


def test_password_sign_in_is_refused_for_a_member_of_an_sso_only_trust(page, live_server):
    trust = OrganisationFactory(sso_only=True, name="Single Sign-on Trust")
    membership = MembershipFactory(organisation=trust, user__email="sso.only@nhs.net")
    page.goto("/accounts/login/")
    page.fill("#id_login", membership.user.email)
    page.fill("#id_password", PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_load_state()
    assert "Single Sign-on Trust asks its members to sign in with NHSmail" in page.content()
    # ...and single sign-on takes them in.
    start_sign_in(page, "NHS Care Identity")
    sign_in_at_provider(page, "sso.only@nhs.net", acr="AAL2_ANY", amr="FIDO2")
    lands_on(page, f"/o/{trust.ods_code}/")


def test_a_password_session_is_sent_to_sign_in_again_when_its_trust_turns_sso_only(
    page, live_server
):
    membership = MembershipFactory(user__email="before.policy@nhs.net")
    trust = membership.organisation
    page.goto("/accounts/login/")
    page.fill("#id_login", membership.user.email)
    page.fill("#id_password", PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    lands_on(page, f"/o/{trust.ods_code}/")
    Organisation.objects.filter(pk=trust.pk).update(sso_only=True)
    response = page.goto(f"/o/{trust.ods_code}/")
    assert response.status == 403
    assert heading(page) == "Sign in with single sign-on"
    page.get_by_role("button", name="Sign in with NHS Care Identity").click()
    page.wait_for_url("**/interaction/**")
    sign_in_at_provider(page, "before.policy@nhs.net", acr="AAL3_ANY")
    lands_on(page, f"/o/{trust.ods_code}/")
