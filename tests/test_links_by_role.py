"""A role never sees a link it cannot open (issue 15).

Each person of the two-trust ``world`` starts at their landing pages and follows, breadth-first,
every link and every GET form the app's own pages show them, as themselves. Every one must answer:
a 403, 404 or 5xx (or a trip back to the sign-in page) means a page offered this person something
their role cannot open.
"""

from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse

from accounts.models import IcsMembership, Membership
from accounts.permissions import Role
from accounts.scoping import scopes_disabled

from .formwalk import page_forms

MAX_PAGES = 300  # requests per person; the world has a few objects per trust, so far fewer are made
ORIGIN = "http://testserver"
REDIRECTS = {301, 302, 303, 307, 308}


def is_broken(status: int) -> bool:
    """What a person must never be linked to: a refusal, a missing page or a server error."""
    return status in {400, 403, 404, 405, 410} or status >= 500


class _LinkParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href is not None:
            self.hrefs.append(href)


def _skipped_paths() -> tuple[str, ...]:
    # Signing out ends the walk; static files are not pages; the API (its docs and schema) is
    # reached with a token, and tests/test_api*.py walk it.
    return (reverse("account_logout"), settings.STATIC_URL, settings.MEDIA_URL, "/api/")


def same_origin_target(page: str, href: str) -> str | None:
    """The path and query ``href`` on ``page`` leads to, or None when it leaves the app's pages."""
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    parts = urlsplit(urljoin(ORIGIN + page, href))
    if parts.scheme not in {"http", "https"} or f"{parts.scheme}://{parts.netloc}" != ORIGIN:
        return None
    if parts.path.startswith(_skipped_paths()):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def get_form_targets(html: str, page: str) -> list[str]:
    """What a browser requests when each GET form on the page is submitted as it stands."""
    targets = []
    for form in page_forms(html, page):
        if form.method != "get":
            continue
        data = []
        for f in form.fields.values():
            if f.kind in {"radio", "checkbox", "file"}:
                if f.value:
                    data.append((f.name, f.value))
            elif f.kind == "select":
                data.append((f.name, f.value or next(iter(f.options), "")))
            else:
                data.append((f.name, f.value))
        action = same_origin_target(page, form.action)
        if action is not None:  # a GET form replaces the action's query with its fields
            targets.append(action.split("?")[0] + (f"?{urlencode(data)}" if data else ""))
    return targets


@dataclass
class Crawl:
    requested: dict[str, int] = field(default_factory=dict)  # url -> status
    found_on: dict[str, list[str]] = field(default_factory=dict)  # url -> pages linking to it
    bound_reached: bool = False

    def failures(self, label: str) -> list[tuple[str, str, str, object]]:
        rows = []
        for url, status in self.requested.items():
            if status == "sign-in" or is_broken(status):
                for page in self.found_on[url]:
                    rows.append((label, page, url, status))
        return rows


def crawl(user, seeds: list[str], max_pages: int = MAX_PAGES) -> Crawl:
    """Breadth-first from ``seeds`` as ``user``: request every same-origin link and GET form once."""
    client = Client(raise_request_exception=False)  # a 500 is a finding, not a crash
    client.force_login(user)
    sign_in = resolve_url(settings.LOGIN_URL)
    result = Crawl()
    queue = deque()

    def found(url, on_page):
        result.found_on.setdefault(url, [])
        if on_page not in result.found_on[url]:
            result.found_on[url].append(on_page)
        if url not in result.requested and url not in queue:
            queue.append(url)

    for seed in seeds:
        found(seed, "(landing page)")
    while queue:
        if len(result.requested) >= max_pages:
            result.bound_reached = True
            break
        url = queue.popleft()
        response = client.get(url)
        status = response.status_code
        if status in REDIRECTS:
            target = same_origin_target(url, response["Location"])
            if target is not None and urlsplit(target).path == sign_in:
                status = "sign-in"
            elif target is not None:
                found(target, f"{url} (redirect)")
        result.requested[url] = status
        if status != 200 or response.streaming:
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        parser = _LinkParser()
        parser.feed(html)
        for href in parser.hrefs:
            target = same_origin_target(url, href)
            if target is not None:
                found(target, url)
        for target in get_form_targets(html, url):
            found(target, f"{url} (GET form)")
    return result


def landing_pages(user) -> list[str]:
    """Where the person arrives after signing in, and the home page of every place they work."""
    with scopes_disabled():
        trusts = [m.organisation for m in Membership.objects.filter(user=user)]
    icss = [m.ics for m in IcsMembership.objects.filter(user=user).select_related("ics")]
    return [reverse("accounts:home"), *(place.get_absolute_url() for place in [*trusts, *icss])]


def people(world) -> dict:
    """Trust A's members by role, the lead of A's ICS, and the two people in two trusts."""
    return {
        **{role: world.members[role] for role in Role.values},
        "ics_lead": world.ics_lead_a,
        "viewer_in_a_safety_officer_in_b": world.viewer_here_officer_there,
        "manager_in_a_viewer_in_b": world.manager_here_viewer_there,
    }


PEOPLE = [
    *Role.values,
    "ics_lead",
    "viewer_in_a_safety_officer_in_b",
    "manager_in_a_viewer_in_b",
]


@pytest.mark.parametrize("label", PEOPLE)
def test_every_link_a_person_is_shown_opens_for_them(world, label):
    user = people(world)[label]
    result = crawl(user, landing_pages(user))
    failures = result.failures(label)
    assert failures == [], (
        "links this person cannot open (role, page, link, status):\n"
        + "\n".join(map(str, failures))
    )
    # The walk went somewhere: past the landing pages, into the trust's or ICS's own pages.
    assert len(result.requested) > len(landing_pages(user)) + 2
    assert not result.bound_reached, f"more than {MAX_PAGES} pages: raise the bound or dedupe"


# --- The walk can fail -------------------------------------------------------------------------


@pytest.fixture
def trust_home_with_a_safety_queue_link(settings):
    """The trust home page, for this test only, linking everyone to the safety queue."""
    page = (
        '{% extends "base.html" %}{% block content %}'
        "<a href=\"{% url 'feedback:safety_concern_list' current_organisation.ods_code %}\">"
        "Safety queue</a>{% endblock %}"
    )
    engine = {**settings.TEMPLATES[0], "APP_DIRS": False}
    engine["OPTIONS"] = {
        **engine["OPTIONS"],
        "loaders": [
            ("django.template.loaders.locmem.Loader", {"accounts/trust_home.html": page}),
            "django.template.loaders.filesystem.Loader",
            "django.template.loaders.app_directories.Loader",
        ],
    }
    settings.TEMPLATES = [engine]


def test_the_walk_reports_a_link_to_a_page_the_role_cannot_open(
    world, trust_home_with_a_safety_queue_link
):
    viewer = world.members[Role.VIEWER]
    failures = crawl(viewer, landing_pages(viewer)).failures("viewer")
    home = world.trust_a.get_absolute_url()
    queue = reverse("feedback:safety_concern_list", args=[world.trust_a.ods_code])
    assert ("viewer", home, queue, 403) in failures


def test_the_walk_reports_a_page_that_sends_the_person_to_sign_in(world):
    viewer = world.members[Role.VIEWER]
    viewer.is_active = False  # signed in, then switched off: every page asks to sign in again
    viewer.save()
    failures = crawl(viewer, [reverse("accounts:home")]).failures("viewer")
    assert failures == [("viewer", "(landing page)", reverse("accounts:home"), "sign-in")]


# --- The header and the refusal page -----------------------------------------------------------


def _shows_switch_link(client, url) -> bool:
    html = client.get(url).content.decode()
    return f'href="{reverse("accounts:organisation_switch")}"' in html


def test_switch_organisation_is_offered_only_to_people_with_somewhere_else_to_go(world, client_for):
    one_trust = client_for(world.members[Role.VIEWER])
    assert not _shows_switch_link(one_trust, world.trust_a.get_absolute_url())
    two_trusts = client_for(world.viewer_here_officer_there)
    assert _shows_switch_link(two_trusts, world.trust_a.get_absolute_url())
    ics_lead = client_for(world.ics_lead_a)
    assert not _shows_switch_link(ics_lead, world.ics_a.get_absolute_url())


def test_the_refusal_page_keeps_the_trusts_header_and_menu(world, client_for):
    manager = client_for(world.members[Role.PRODUCT_MANAGER])
    code = world.trust_a.ods_code
    response = manager.get(reverse("feedback:safety_concern_list", args=[code]))
    assert response.status_code == 403
    html = response.content.decode()
    assert world.trust_a.name in html
    assert 'aria-label="Menu"' in html
    assert f'href="{reverse("portfolio:product_list", args=[code])}"' in html
    # The menu is still the role's: no way back to the page just refused.
    assert f'href="{reverse("feedback:safety_concern_list", args=[code])}"' not in html
