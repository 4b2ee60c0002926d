"""Cross-tenant probe: every tenant URL x method x role x another trust's ids -> 404, no writes.

The walk finds URLs by itself; an unknown URL kwarg fails the test until it has a factory below.
"""

import hashlib

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client

from accounts.permissions import Role

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
}
NON_TENANT_PREFIXES = ("admin/", "accounts/")  # superuser admin; allauth's own pages
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


def run_probe(world, patterns):
    """Return (patterns, probes, leaks) where leaks lists each non-404 answer about B's data."""
    probes = 0
    leaks = []
    users = dict(world.members.items())
    users["ics_lead_of_other_ics"] = world.ics_lead_a
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
                # 1. Another tenant's URL: never answered except with 404.
                url = pattern.build({**foreign_ids, "ods_code": foreign_code})
                response = _request(client, method, url)
                probes += 1
                if response.status_code != 404:
                    leaks.append((label, method.upper(), url, response.status_code))
                # 2. Own tenant with another tenant's ids: all of them, then one at a time
                #    (own product, foreign contract...), so nested lookups are covered too.
                object_kwargs = [k for k in pattern.kwargs if k != "ods_code"]
                variants = [foreign_ids] if object_kwargs else []
                if len(object_kwargs) > 1:
                    variants += [{**own_ids, key: foreign_ids[key]} for key in object_kwargs]
                for ids in variants:
                    url = pattern.build({**ids, "ods_code": own_code})
                    response = _request(client, method, url)
                    probes += 1
                    if response.status_code != 404:
                        # Only an answer that does not depend on the object is acceptable:
                        # the same refusal (403/405) the user gets for their own object.
                        own_url = pattern.build({**own_ids, "ods_code": own_code})
                        with transaction.atomic():
                            own_status = _request(client, method, own_url).status_code
                            transaction.set_rollback(True)
                        if response.status_code != own_status or own_status < 400:
                            leaks.append((label, method.upper(), url, response.status_code))
                if database_fingerprint() != before:
                    leaks.append((label, method.upper(), url, "database changed"))
    return len(patterns), probes, leaks


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
    n_patterns, probes, leaks = run_probe(world, patterns)
    print(f"patterns={n_patterns} probes={probes} leaks={len(leaks)}")
    assert leaks == []
