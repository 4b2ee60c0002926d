"""The cross-tenant probe for the API: every /api/v1/ route × method × token role of trust A,
with trust B's ids (404, nothing written) and with A's own (bodies never show B's markers).

The token fixes the trust, so there is no trust in the URL to swap: the attack is B's ids, and a
POST/PATCH body naming B's objects (B's supplier is shared; B's members are not).
"""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.permissions import Role
from accounts.scoping import scope, scopes_disabled
from insights.summaries import summaries_recompute
from tests.urlwalk import walk

from .test_cross_tenant_probe import _leaked_markers, database_fingerprint

METHODS = ("get", "post", "put", "patch", "delete")
NOT_PROBED = {"api:schema", "api:docs"}  # the same for every caller: no trust data


def api_patterns():
    return [p for p in walk() if p.route.startswith("api/") and p.name not in NOT_PROBED]


def token_secret(world, organisation, role):
    with scopes_disabled():
        _, secret = account_services.api_token_create(
            organisation=organisation,
            name=f"probe {role}",
            role=role,
            read_only=False,
            expires_at=timezone.now() + timedelta(days=1),
            actor=world.members[Role.ORG_ADMIN],
        )
    return secret


def hostile_body(world) -> dict:
    """A valid-looking write that names trust B's people and objects."""
    foreign = world.ids(world.trust_b)
    return {
        "name": "Injected by API probe",
        "capability": "epr",
        "lifecycle_stage": "live",
        "owner": int(foreign["officer_id"]),
        "clinical_safety_officer": int(foreign["officer_id"]),
        "product": int(foreign["product_id"]),
        "feedback": int(foreign["feedback_id"]),
        "target": int(foreign["feedback_id"]),
        "status": "planned",
        "response": "Injected by API probe",
        "title": "Injected by API probe",
        "archived": True,
        "seats": 1,
    }


def _call(client, method, url, body, secret):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    if method in ("post", "put", "patch"):
        return getattr(client, method)(url, body, content_type="application/json", **kwargs)
    return getattr(client, method)(url, **kwargs)


@pytest.mark.django_db
def test_no_api_route_shows_or_changes_another_trusts_data(world, client):
    patterns = api_patterns()
    assert len(patterns) >= 19
    foreign_ids, own_ids = world.ids(world.trust_b), world.ids(world.trust_a)
    foreign_markers = world.markers_of(world.trust_b)
    body = hostile_body(world)
    leaks, probes = [], 0
    for role in Role.values:
        secret = token_secret(world, world.trust_a, role)
        _call(client, "get", "/api/v1/organisation/", None, secret)  # records its first use now
        for pattern in patterns:
            for method in METHODS:
                before = database_fingerprint()
                object_kwargs = list(pattern.kwargs)
                if object_kwargs:
                    url = pattern.build(foreign_ids)
                    response = _call(client, method, url, body, secret)
                    probes += 1
                    if response.status_code != 404:
                        # Only a refusal that does not depend on the object will do.
                        with transaction.atomic():
                            own = _call(client, method, pattern.build(own_ids), body, secret)
                            transaction.set_rollback(True)
                        if response.status_code != own.status_code or own.status_code < 400:
                            leaks.append((role, method, url, response.status_code))
                    if found := _leaked_markers(response, foreign_markers):
                        leaks.append((role, method, url, f"shows {found}"))
                    if database_fingerprint() != before:
                        leaks.append((role, method, url, "database changed"))
                # Own objects (or a list): B's data never appears, and a write naming B's
                # people or objects is refused or ignored.
                url = pattern.build(own_ids)
                with transaction.atomic():
                    response = _call(client, method, url, body, secret)
                    probes += 1
                    if found := _leaked_markers(response, foreign_markers):
                        leaks.append((role, method, url, f"shows {found}"))
                    assert response.status_code < 500, (role, method, url, response.content)
                    transaction.set_rollback(True)
    print(f"api probe: routes={len(patterns)} roles={len(Role.values)} probes={probes}")
    assert leaks == []


@pytest.mark.django_db
def test_an_ics_token_reads_its_own_icss_trusts_only(world, client):
    """ICS A's read token, on every route and method: trust B (another ICS) never shows, writes
    are refused, and the trust routes refuse it (a trust's own data is not an ICS roll-up)."""
    for trust in (world.trust_a, world.trust_b, world.trust_c):
        with scope(organisation=trust):
            summaries_recompute(trust)
    with scopes_disabled():
        _, secret = account_services.ics_api_token_create(
            ics=world.ics_a,
            name="probe",
            expires_at=timezone.now() + timedelta(days=1),
            actor=world.ics_lead_a,
        )
    foreign_markers = world.markers_of(world.trust_b)
    own_ids = world.ids(world.trust_a)
    body = hostile_body(world)
    leaks, answered = [], {}
    for pattern in api_patterns():
        for method in METHODS:
            before = database_fingerprint()
            url = pattern.build(own_ids)
            with transaction.atomic():
                response = _call(client, method, url, body, secret)
                transaction.set_rollback(True)
            answered[method, pattern.route] = response.status_code
            if found := _leaked_markers(response, foreign_markers):
                leaks.append((method, url, f"shows {found}"))
            if method != "get" and response.status_code < 400:
                leaks.append((method, url, response.status_code))
            if database_fingerprint() != before:
                leaks.append((method, url, "database changed"))
            is_ics_route = pattern.route.startswith("api/v1/ics/")
            if method == "get" and (response.status_code == 200) != is_ics_route:
                leaks.append((method, url, response.status_code))
    assert leaks == []
    trusts = _call(client, "get", "/api/v1/ics/summaries/trusts/", None, secret).json()
    assert {row["trust"] for row in trusts["results"]} == {
        world.trust_a.ods_code,
        world.trust_c.ods_code,
    }
