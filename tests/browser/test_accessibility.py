"""Every page, as every role, in real headless Chromium: axe-core (WCAG 2.2 AA) and a screenshot.

The URL list is not written by hand: ``tests.urlwalk.walk()`` finds every pattern, and an unknown
URL kwarg fails the test until it has a provider in ``UrlValues``.
"""

import pytest
from django.conf import settings

from accounts.models import Invitation, Membership, Organisation
from accounts.permissions import Role
from accounts.scoping import scopes_disabled
from portfolio.models import Product
from roadmaps.models import RoadmapEvidence, Visibility
from tests.factories import (
    ApiTokenFactory,
    ContractFactory,
    FeedbackFactory,
    FeedbackLinkFactory,
    IcsApiTokenFactory,
    RoadmapItemFactory,
    UsageImportFactory,
    WebhookDeliveryFactory,
    WebhookEndpointFactory,
)
from tests.urlwalk import walk

from .conftest import REPORT
from .harness import (
    PHONE,
    PageWatcher,
    check_current_page,
    format_violations,
    reauthenticate,
    run_axe,
    visit,
)

pytestmark = pytest.mark.browser

TRUST = "RZ1"
ICS = "QZ1"
ROLES = {
    "org-admin": "admin@rz1.example.org",
    "product-manager": "pm@rz1.example.org",
    "clinical-safety-officer": "cso@rz1.example.org",
    "clinician": "clinician@rz1.example.org",
    "viewer": "viewer@rz1.example.org",
    "ics-lead": "ics-lead@qz1.example.org",
    "multi-trust": "multi-trust@example.org",
    "anonymous": None,
}
# Reviewed reasons for not opening a pattern at all. Anything else is opened.
NEEDS_EMAILED_KEY = {"account_confirm_email", "account_reset_password_from_key"}


def not_visited_reason(pattern) -> str | None:
    if pattern.route.startswith("admin/"):
        return "Django admin: superuser back office, not the service's own pages"
    if pattern.route.startswith("api/"):
        return "the API: JSON for other systems (its docs page is the Swagger UI package's own)"
    if pattern.name in NEEDS_EMAILED_KEY:
        return "needs a one-time key from an email"
    return None


class UrlValues:
    """One object in trust RZ1 for each URL kwarg, made (and cached) only when the walk meets it.

    A kwarg with no provider here fails the test: a new URL must be given an object to show.
    """

    def __init__(self):
        self._cache: dict[str, object] = {}

    def _get(self, name, make):
        if name not in self._cache:
            with scopes_disabled():
                self._cache[name] = make()
        return self._cache[name]

    def trust(self):
        return self._get("trust", lambda: Organisation.objects.get(ods_code=TRUST))

    def product(self):
        return self._get(
            "product",
            lambda: Product.objects.filter(organisation=self.trust()).order_by("pk").first(),
        )

    def invitation(self):
        return self._get(
            "invitation",
            lambda: Invitation.unscoped.create(
                organisation=self.trust(),
                email="invited-by-browser-test@example.org",
                role=Role.CONTRIBUTOR,
                invited_by=self.membership().user,
            ),
        )

    def membership(self):
        return self._get(
            "membership",
            lambda: Membership.objects.get(organisation=self.trust(), user__email=ROLES["viewer"]),
        )

    def contract(self):
        return self._get("contract", lambda: ContractFactory(product=self.product()))

    def usage_import(self):
        return self._get("usage_import", lambda: UsageImportFactory(organisation=self.trust()))

    def feedback(self):
        # A patient-safety item, so the safety-queue pages have something to show too.
        return self._get(
            "feedback", lambda: FeedbackFactory(product=self.product(), patient_safety=True)
        )

    def feedback_link(self):
        return self._get(
            "feedback_link",
            lambda: FeedbackLinkFactory(organisation=self.trust(), product=self.product()),
        )

    def roadmap_item(self):
        def make():
            # Public, so every role that may see roadmaps sees it, and the public page works.
            item = RoadmapItemFactory(product=self.product(), visibility=Visibility.PUBLIC)
            RoadmapEvidence.unscoped.create(
                organisation=self.trust(), item=item, feedback=self.feedback()
            )
            return item

        return self._get("roadmap_item", make)

    def api_token(self):
        return self._get("api_token", lambda: ApiTokenFactory(organisation=self.trust()))

    def ics_api_token(self):
        return self._get("ics_api_token", lambda: IcsApiTokenFactory(ics=self.trust().ics))

    def webhook_endpoint(self):
        def make():
            # With a log of each kind of delivery, so the status tags are checked too.
            endpoint = WebhookEndpointFactory(organisation=self.trust())
            for status, error in (
                ("succeeded", ""),
                ("pending", "Answered HTTP 500: Internal Server Error"),
                ("failed", "Could not connect to the server"),
            ):
                WebhookDeliveryFactory(
                    endpoint=endpoint, organisation=self.trust(), status=status, last_error=error
                )
            return endpoint

        return self._get("webhook_endpoint", make)

    def token(self, pattern):
        """``token`` means different secrets on different routes."""
        if pattern.route.startswith("invitations/"):
            return self.invitation().token
        if pattern.route.startswith("f/"):
            return self.feedback_link().token
        if pattern.route.startswith("r/"):
            return self.roadmap_item().public_token
        pytest.fail(f"URL /{pattern.route}: no provider for its 'token' in UrlValues.token()")

    PROVIDERS = {
        "product_id": lambda self, pattern: self.product().pk,
        "membership_id": lambda self, pattern: self.membership().pk,
        "invitation_id": lambda self, pattern: self.invitation().pk,
        "token": lambda self, pattern: self.token(pattern),
        "contract_id": lambda self, pattern: self.contract().pk,
        "import_id": lambda self, pattern: self.usage_import().pk,
        "feedback_id": lambda self, pattern: self.feedback().pk,
        "link_id": lambda self, pattern: self.feedback_link().pk,
        "item_id": lambda self, pattern: self.roadmap_item().pk,
        # Single sign-on is not configured in the walk: its routes answer 404 for any provider.
        "provider_id": lambda self, pattern: "nhsmail",
        "token_id": lambda self, pattern: self.api_token().pk,
        "endpoint_id": lambda self, pattern: self.webhook_endpoint().pk,
        "ics_token_id": lambda self, pattern: self.ics_api_token().pk,
    }

    def for_pattern(self, pattern) -> dict[str, str]:
        values = {"ods_code": ICS if pattern.route.startswith("ics/") else TRUST}
        unknown = sorted(set(pattern.kwargs) - set(values) - set(self.PROVIDERS))
        if unknown:
            pytest.fail(
                f"URL /{pattern.route} has kwargs {unknown} the browser walk cannot fill: "
                "add a provider to UrlValues in tests/browser/test_accessibility.py"
            )
        for name in set(pattern.kwargs) - {"ods_code"}:
            values[name] = str(self.PROVIDERS[name](self, pattern))
        return values


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_is_accessible(role, demo_world, new_context, live_server, login):
    email = ROLES[role]
    assert email is None or email in {address for address, _ in demo_world}
    values = UrlValues()
    context = new_context()
    page = context.new_page()
    watcher = PageWatcher(page, live_server.url)
    if email:
        login(page, email)
        # Without a fresh password confirmation allauth sends the MFA set-up pages to
        # /accounts/reauthenticate/; confirming once lets the walk reach and check them too.
        reauthenticate(page)
    watcher.take()

    visits, skipped, checked = [], [], set()
    for pattern in walk():
        reason = not_visited_reason(pattern)
        if reason:
            skipped.append((pattern.route, reason))
            continue
        result = visit(page, watcher, role, pattern.build(values.for_pattern(pattern)), checked)
        if (
            role == "anonymous"
            and result.outcome == "checked"
            and pattern.name not in settings.ANONYMOUS_ALLOWED_URL_NAMES
            and result.url == result.final_url
        ):
            result.problems.append(
                f"{result.url} is open to anonymous users but is not on ANONYMOUS_ALLOWED_URL_NAMES"
            )
        visits.append(result)
    print("\n".join(REPORT.add(role, visits, skipped)))

    n_checked = sum(item.outcome == "checked" for item in visits)
    problems = [problem for item in visits for problem in item.problems]
    assert not problems, "\n\n".join(problems)
    assert n_checked >= 3, f"{role} reached only {n_checked} pages: the walk or sign-in is broken"


def _submit_empty_form(page):
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "There is a problem" in page.inner_text(".nhsuk-error-summary")


@pytest.mark.parametrize(
    ("role", "url_name"),
    [
        ("org-admin", "accounts:invitation_create"),
        ("anonymous", "account_login"),
        ("anonymous", "feedback:public_form"),
    ],
)
def test_form_errors_are_accessible(role, url_name, demo_world, new_context, live_server, login):
    """An empty submit shows the NHS error summary; that page must pass axe as well."""
    patterns = [pattern for pattern in walk() if pattern.name == url_name]
    assert patterns, f"no URL named {url_name}"
    page = new_context().new_page()
    watcher = PageWatcher(page, live_server.url)
    if ROLES[role]:
        login(page, ROLES[role])
    page.goto(patterns[0].build(UrlValues().for_pattern(patterns[0])))
    _submit_empty_form(page)
    problems = check_current_page(page, f"{role}-errors", watcher)
    if not page.title().startswith("Error:"):
        problems.append(
            f"{page.url}: title {page.title()!r} does not start with 'Error:' "
            "(NHS service manual: error pages say so in the title)"
        )
    assert not problems, "\n\n".join(problems)


def test_an_admin_without_mfa_is_walked_through_enrolment(
    demo_world, new_context, live_server, login, settings
):
    """With MFA enforced (the production default), an org admin opening the members page is sent
    to set up an authenticator app, and every page of that path passes axe."""
    settings.ADMIN_MFA_REQUIRED = True
    with scopes_disabled():
        membership = (
            Membership.objects.select_related("user", "organisation")
            .filter(role=Role.ORG_ADMIN, user__email__in=[email for email, _ in demo_world])
            .first()
        )
    page = new_context().new_page()
    watcher = PageWatcher(page, live_server.url)
    login(page, membership.user.email)
    reauthenticate(page)
    watcher.take()
    members = next(p for p in walk() if p.name == "accounts:member_list")
    page.goto(members.build({"ods_code": membership.organisation.ods_code}))
    assert "/accounts/2fa/" in page.url, page.url
    assert (
        "two-factor" in page.inner_text("main").lower()
        or "authenticator" in page.inner_text("main").lower()
    )
    assert run_axe(page) == []
    assert watcher.take() == []


def test_error_status_pages_are_accessible(demo_world, new_context, live_server, login):
    """The 403 and 404 pages the walk counts but does not check."""
    page = new_context().new_page()
    watcher = PageWatcher(page, live_server.url)
    login(page, ROLES["viewer"])
    problems = []
    for url, status in ((f"/o/{TRUST}/members/", 403), ("/no-such-page/", 404)):
        response = page.goto(url)
        assert response.status == status, url
        watcher.take()  # the document's own 403/404 is expected here
        problems += check_current_page(page, f"viewer-{status}", watcher)
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize(
    ("role", "url_name"),
    [
        ("anonymous", "account_login"),
        ("anonymous", "feedback:public_form"),  # the QR-code form, opened on ward staff's phones
        # The public-service pages, linked from every page's footer.
        ("anonymous", "core:accessibility"),
        ("anonymous", "core:privacy"),
        ("anonymous", "core:cookies"),
        ("anonymous", "core:contact"),
        ("anonymous", "core:status"),
        ("product-manager", "portfolio:product_list"),
        ("org-admin", "accounts:member_list"),
    ],
)
def test_phone_sized_pages(role, url_name, demo_world, new_context, live_server, login):
    patterns = [pattern for pattern in walk() if pattern.name == url_name]
    assert patterns, f"no URL named {url_name}"
    url = patterns[0].build(UrlValues().for_pattern(patterns[0]))
    context = new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    watcher = PageWatcher(page, live_server.url)
    if ROLES[role]:
        login(page, ROLES[role])
    response = page.goto(url)
    assert response.status == 200
    problems = check_current_page(page, f"phone-{role}", watcher)
    # WCAG 1.4.10 reflow: no sideways scrolling at 390 CSS pixels.
    width = page.evaluate("() => document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        problems.append(f"{url}: page is {width}px wide on a {PHONE['width']}px phone")
    assert not problems, "\n\n".join(problems)


@pytest.mark.urls("tests.browser.broken_urls")
def test_harness_finds_violations_on_a_broken_page(
    transactional_db, settings, new_context, live_server
):
    """Proof the harness can fail: a served page with an unlabelled input and an image sans alt."""
    settings.ANONYMOUS_ALLOWED_URL_NAMES = settings.ANONYMOUS_ALLOWED_URL_NAMES | {"broken_page"}
    page = new_context().new_page()
    watcher = PageWatcher(page, live_server.url)
    result = visit(page, watcher, "self-test", "/broken/", set())
    assert result.outcome == "checked" and result.status == 200
    rule_ids = {violation["id"] for violation in run_axe(page)}
    assert {"image-alt", "label"} <= rule_ids
    report = "\n".join(result.problems)
    assert "image-alt" in report and "label" in report and 'name="unlabelled"' in report
    assert "NHS.UK stylesheet not applied" in report


def test_harness_finds_violations_in_set_content(browser):
    page = browser.new_page()
    try:
        page.set_content(
            '<html lang="en"><title>x</title><main><img src="x.png">'
            '<input type="text"></main></html>'
        )
        violations = run_axe(page)
    finally:
        page.close()
    assert {"image-alt", "label"} <= {violation["id"] for violation in violations}
    assert "image-alt" in format_violations("about:blank", violations)
