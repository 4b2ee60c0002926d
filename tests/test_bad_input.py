"""Bad input walk: every path parameter and every form field, fed hostile values.

No answer may be a 500, no message may be one of Django's defaults, and a refused form saves
nothing. The walk finds URLs and forms by itself, so a new page is covered the day it is added.
"""

import re

import pytest
from django.test import Client

from accounts.models import User
from accounts.permissions import Role

from .urlwalk import walk

HOSTILE_PATH_VALUES = (
    "%00",
    "a%00b",
    "%0d%0aSet-Cookie:x=1",
    "9" * 25,
    "9223372036854775808",  # bigint + 1
    "-1",
    "0",
    "%E2%80%AE",  # right-to-left override
    "%C3%A9",
    "..%2f..%2fetc",
    "a" * 300,
    "%F0%9F%92%A9",
)
# Our routes may only use converters that refuse what they cannot look up (core.converters).
ALLOWED_CONVERTERS = {"id", "ods", "token"}


def own_patterns():
    return [p for p in walk() if not p.route.startswith(("admin/", "accounts/"))]


def test_every_path_parameter_uses_a_strict_converter():
    loose = [
        (p.route, converter)
        for p in own_patterns()
        for converter in re.findall(r"<(\w+):\w+>", p.route)
        if converter not in ALLOWED_CONVERTERS
    ]
    untyped = [p.route for p in own_patterns() if re.search(r"<\w+>", p.route)]
    assert loose == [] and untyped == []


@pytest.fixture
def attackers(world):
    superuser = User.objects.create_superuser("root@example.org", "x" * 16)
    return {
        "anonymous": None,
        "org_admin": world.members[Role.ORG_ADMIN],
        "ics_lead": world.ics_lead_a,
        "superuser": superuser,
    }


def test_hostile_path_parameters_never_answer_500(world, attackers):
    """Every route (ours, allauth's, the admin's) x every parameter x hostile values."""
    own = {**world.ids(world.trust_a), "ods_code": world.trust_a.ods_code}
    requests, failures = 0, []
    patterns = [p for p in walk() if p.kwargs]
    assert len(patterns) > 40
    for label, user in attackers.items():
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        for pattern in patterns:
            for kwarg in pattern.kwargs:
                for value in HOSTILE_PATH_VALUES:
                    values = {k: own.get(k, "x") for k in pattern.kwargs}
                    values[kwarg] = value
                    url = pattern.build(values)
                    for method in ("get", "post"):
                        response = getattr(client, method)(url)
                        requests += 1
                        if response.status_code >= 500:
                            failures.append((label, method, url, response.status_code))
    print(f"path walk: patterns={len(patterns)} requests={requests} failures={len(failures)}")
    assert failures == []


@pytest.mark.parametrize("prefix", ["f", "r", "invitations", "o", "ics"])
def test_a_nul_byte_in_any_path_is_a_404(world, client_for, prefix):
    client = client_for(world.members[Role.ORG_ADMIN])
    assert client.get(f"/{prefix}/%00/").status_code == 404


def test_a_nul_byte_in_the_query_string_is_a_400(world, client_for):
    client = client_for(world.members[Role.ORG_ADMIN])
    url = f"/o/{world.trust_a.ods_code}/products/?q=%00"
    assert client.get(url).status_code == 400
