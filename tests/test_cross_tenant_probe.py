"""Cross-tenant probe: every tenant URL x method x role x another trust's ids -> 404, no writes.

The walk finds URLs by itself; an unknown URL kwarg fails the test until it has a factory below.
"""

import hashlib

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client

from accounts.models import Organisation
from accounts.permissions import Role
from accounts.scoping import scope
from insights.summaries import summaries_recompute

from .formwalk import collect_forms
from .invariants import check_invariants
from .urlwalk import walk

METHODS = ("get", "post", "put", "patch", "delete")
TENANT_PREFIXES = ("o/", "ics/")
# Reviewed: URLs outside a tenant prefix. Adding one here means it shows no tenant data.
NON_TENANT_URL_NAMES = {
    "accounts:home",
    "accounts:health",
    "accounts:organisation_switch",
    "accounts:invitation_accept",  # looks up by a secret token; shows only the invitation's own trust name
    "feedback:public_form",  # the QR-code form: the secret token names the trust (tested in test_feedback)
    "feedback:public_thanks",
    "feedback:contact_confirm",  # signed token; confirms one address, shows no tenant data
    "roadmaps:item_public",  # secret token, and only items their trust made public (test_roadmaps)
    "accounts:sso_jwks",  # the app's public signing keys for single sign-on; no tenant data
    # The service's public pages and its status in words: the same for everyone, no tenant data.
    "core:accessibility",
    "core:privacy",
    "core:cookies",
    "core:contact",
    "core:status",
}
# Superuser admin; allauth's own pages; the API, whose token fixes the trust: probed route by route
# in tests/test_api_cross_tenant.py.
NON_TENANT_PREFIXES = ("admin/", "accounts/", "api/")
# A payload that would write, if a leaking view accepted it.
POST_DATA = {
    "name": "Injected by probe",
    "email": "probe@example.org",
    "role": Role.ORG_ADMIN,
    "capability": "epr",
    "lifecycle_stage": "live",
    "organisation": "o:R0000",
}


def tenant_patterns():
    return [p for p in walk() if p.route.startswith(TENANT_PREFIXES)]


def database_fingerprint() -> str:
    digest = hashlib.sha256()
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
        if model._meta.label in {"sessions.Session"}:
            continue
        rows = model._base_manager.order_by("pk").values_list()
        digest.update(model._meta.label.encode())
        digest.update(repr(list(rows)).encode())
    return digest.hexdigest()


def _request(client, method, url):
    if method in {"post", "put", "patch"}:
        if method == "post":
            return client.post(url, POST_DATA)
        return getattr(client, method)(url, POST_DATA, content_type="application/json")
    return getattr(client, method)(url)


def _leaked_markers(response, markers) -> list[str]:
    if response.status_code in (301, 302) or not markers:
        return []
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode(errors="replace")
    return [marker for marker in markers if marker in text]


def probe_users(world) -> dict:
    """Trust A's members by role, the two-trust people with different roles there and in B, and
    the lead of A's ICS: everyone who must never see or change trust B's data."""
    users = dict(world.members.items())
    users["viewer_in_a_safety_officer_in_b"] = world.viewer_here_officer_there
    users["manager_in_a_viewer_in_b"] = world.manager_here_viewer_there
    users["ics_lead_of_other_ics"] = world.ics_lead_a
    return users


class ProbeCounts:
    def __init__(self):
        self.probes = 0
        self.marker_checks = 0


def run_probe(world, patterns, counts: ProbeCounts | None = None):
    """Return (patterns, probes, leaks) where leaks lists each non-404 answer about B's data and
    each response that shows one of B's marker strings."""
    counts = counts or ProbeCounts()
    leaks = []
    users = probe_users(world)
    foreign_markers = world.markers_of(world.trust_b)

    def check_body(label, method, url, response):
        counts.marker_checks += len(foreign_markers)
        if found := _leaked_markers(response, foreign_markers):
            leaks.append((label, method.upper(), url, f"shows {found}"))

    for pattern in patterns:
        is_ics = pattern.route.startswith("ics/")
        foreign_code = world.ics_b.ods_code if is_ics else world.trust_b.ods_code
        own_code = world.ics_a.ods_code if is_ics else world.trust_a.ods_code
        foreign_ids = world.ids(world.trust_b)
        own_ids = world.ids(world.trust_a)
        for label, user in users.items():
            client = Client(raise_request_exception=False)  # a 500 is reported as a leak
            client.force_login(user)
            for method in METHODS:
                before = database_fingerprint()
                # 1. Another tenant's URL: never answered except with 404. (A two-trust user is
                #    a member of B, so for them B's URL is their own: only their A-side is probed.)
                url = pattern.build({**foreign_ids, "ods_code": foreign_code})
                is_member_of_b = label in {
                    "viewer_in_a_safety_officer_in_b",
                    "manager_in_a_viewer_in_b",
                }
                if not is_member_of_b:
                    response = _request(client, method, url)
                    counts.probes += 1
                    if response.status_code != 404:
                        leaks.append((label, method.upper(), url, response.status_code))
                    check_body(label, method, url, response)
                # 2. Own tenant with another tenant's ids: all of them, then one at a time
                #    (own product, foreign contract...), so nested lookups are covered too.
                object_kwargs = [k for k in pattern.kwargs if k != "ods_code"]
                variants = [foreign_ids] if object_kwargs else []
                if len(object_kwargs) > 1:
                    variants += [{**own_ids, key: foreign_ids[key]} for key in object_kwargs]
                for ids in variants:
                    url = pattern.build({**ids, "ods_code": own_code})
                    response = _request(client, method, url)
                    counts.probes += 1
                    check_body(label, method, url, response)
                    if response.status_code != 404:
                        # Only an answer that does not depend on the object is acceptable:
                        # the same refusal (403/405) the user gets for their own object.
                        own_url = pattern.build({**own_ids, "ods_code": own_code})
                        with transaction.atomic():
                            own_status = _request(client, method, own_url).status_code
                            transaction.set_rollback(True)
                        if response.status_code != own_status or own_status < 400:
                            leaks.append((label, method.upper(), url, response.status_code))
                # 3. Own tenant, own ids: the page itself must not show B's data either.
                if method == "get":
                    url = pattern.build({**own_ids, "ods_code": own_code})
                    response = _request(client, method, url)
                    counts.probes += 1
                    check_body(label, method, url, response)
                if database_fingerprint() != before:
                    leaks.append((label, method.upper(), url, "database changed"))
    return len(patterns), counts.probes, leaks


@pytest.mark.django_db
def test_every_url_is_tenant_scoped_or_reviewed():
    unreviewed = [
        p.route
        for p in walk()
        if not p.route.startswith(TENANT_PREFIXES + NON_TENANT_PREFIXES)
        and p.name not in NON_TENANT_URL_NAMES
    ]
    assert unreviewed == []


def test_no_tenant_url_leaks_another_trusts_data(world):
    patterns = tenant_patterns()
    assert len(patterns) >= 17  # the walk really found the tenant URLs
    counts = ProbeCounts()
    n_patterns, probes, leaks = run_probe(world, patterns, counts)
    print(
        f"cross-tenant probe: patterns={n_patterns} requests={probes} "
        f"markers searched={counts.marker_checks} leaks={len(leaks)}"
    )
    assert leaks == []


# --- Valid forms with one foreign id swapped in ---------------------------------------------------


def foreign_values(world) -> dict[str, list[str]]:
    """For each kind of id a form can carry, the values that name trust B's things (or a person
    who holds the role only in trust B)."""
    b = world.objects[world.trust_b.pk]
    return {
        "owner": [str(b["officer_id"])],
        "clinical_safety_officer": [str(b["officer_id"]), str(world.viewer_here_officer_there.pk)],
        "product": [str(b["product_id"])],
        "feedback": [str(b["feedback_id"])],
        "target": [str(b["feedback_id"])],
        "item": [str(b["item_id"])],
        "link": [str(b["link_id"])],
        "membership": [str(b["membership_id"])],
        "organisation": [f"o:{world.trust_b.ods_code}", f"ics:{world.ics_b.ods_code}"],
    }


def test_valid_forms_with_one_foreign_id_change_nothing_and_show_nothing(world):
    """Every form trust A's people are shown, submitted valid except for one id of trust B's."""
    people = {
        "org_admin": world.members[Role.ORG_ADMIN],
        "product_manager": world.members[Role.PRODUCT_MANAGER],
        "safety_officer": world.members[Role.CLINICAL_SAFETY_OFFICER],
        "contributor": world.members[Role.CONTRIBUTOR],
        "ics_lead": world.ics_lead_a,
    }
    forms_found = collect_forms(world, people)
    swaps = foreign_values(world)
    foreign_markers = world.markers_of(world.trust_b)
    submitted, markers_searched, leaks = 0, 0, []
    fields_swapped = set()
    for (method, action, _), (label, user, form) in sorted(forms_found.items()):
        if method != "post":
            continue
        client = Client(raise_request_exception=False)
        client.force_login(user)
        for name in form.fields:
            for value in swaps.get(name, ()):
                fields_swapped.add((action, name))
                with transaction.atomic():
                    before = database_fingerprint()
                    response = client.post(action, {**form.baseline(), name: value})
                    submitted += 1
                    where = (label, action, name, value)
                    if response.status_code >= 500:
                        leaks.append((*where, response.status_code))
                    elif database_fingerprint() != before:
                        leaks.append((*where, "accepted: the database changed"))
                    markers_searched += len(foreign_markers)
                    if found := _leaked_markers(response, foreign_markers):
                        leaks.append((*where, f"shows {found}"))
                    if problems := check_invariants():
                        leaks.append((*where, problems))
                    transaction.set_rollback(True)
    print(
        f"foreign-id forms: forms={len(forms_found)} fields swapped={len(fields_swapped)} "
        f"posts={submitted} markers searched={markers_searched} leaks={len(leaks)}"
    )
    assert len(fields_swapped) >= 10, sorted(fields_swapped)
    assert leaks == [], "\n".join(map(repr, leaks))


# --- A trust moving to another ICS -----------------------------------------------------------------


def test_a_trust_moving_ics_is_seen_by_its_new_ics_only(world):
    """Trust C leaves ICS A for ICS B: A's lead stops seeing it at once (cached pages included),
    B's lead starts, and neither can reach C's own pages."""
    for trust in (world.trust_a, world.trust_c):
        with scope(organisation=trust):
            summaries_recompute(trust, None)
    lead_a, lead_b = Client(), Client()
    lead_a.force_login(world.ics_lead_a)
    lead_b.force_login(world.ics_lead_b)
    c_markers = world.markers_of(world.trust_c)
    ics_pages = [
        p for p in tenant_patterns() if p.route.startswith("ics/") and p.kwargs == ("ods_code",)
    ]
    assert ics_pages

    def shows_c(client, ics):
        found = []
        for pattern in ics_pages:
            response = client.get(pattern.build({"ods_code": ics.ods_code}))
            assert response.status_code == 200, pattern.route
            found += _leaked_markers(response, c_markers)
        return found

    assert shows_c(lead_a, world.ics_a)  # C is in A's ICS: its shared data shows there
    Organisation.objects.filter(pk=world.trust_c.pk).update(ics=world.ics_b)
    assert shows_c(lead_a, world.ics_a) == []
    assert shows_c(lead_b, world.ics_b)
    for client in (lead_a, lead_b):
        response = client.get(f"/o/{world.trust_c.ods_code}/")
        assert response.status_code == 404
