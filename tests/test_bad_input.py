"""Bad input walk: every path parameter and every form field, fed hostile values.

No answer may be a 500, no message may be one of Django's defaults, and a refused form saves
nothing. The walk finds URLs and forms by itself, so a new page is covered the day it is added.
"""

import re

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import resolve, reverse

from accounts.models import User
from accounts.permissions import Role
from feedback.models import FeedbackLink

from .formwalk import collect_forms, django_default_messages_in, page_forms
from .test_cross_tenant_probe import database_fingerprint
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


# --- Every form, every field, hostile values ------------------------------------------------------

TEXT_VALUES = (
    "",
    " ",
    "\x00",
    "a\r\nBcc: victim@example.org",
    "bell\x07",
    "x" * 1_000_000,
    "\u202eevil",
    "\u200fשלום",
    '=HYPERLINK("http://x")',
    "<script>alert(1)</script>",
    "' OR 1=1--",
)
NUMBER_VALUES = ("-1", "0", "2147483648", "9" * 30, "1e309", "NaN", "1.5", "١٢", "\x00", "")
DATE_VALUES = ("0001-01-01", "9999-12-31", "2026-02-30", "1899-12-31", "\x00", "x" * 300, "")
CHOICE_VALUES = ("zzz", "999999999999999999999", "-1", "\x00", "")
VALUES_BY_KIND = {
    "text": TEXT_VALUES,
    "search": TEXT_VALUES,
    "textarea": TEXT_VALUES,
    "email": (*TEXT_VALUES, "not-an-email", "a@" + "b" * 300 + ".nhs.uk"),
    "number": NUMBER_VALUES,
    "date": DATE_VALUES,
    "select": CHOICE_VALUES,
    "radio": CHOICE_VALUES,
    "checkbox": ("zzz", "\x00"),
    "hidden": (*CHOICE_VALUES, "a\r\nb"),
}
# One-line inputs must refuse these (a redirect would mean the value was accepted).
ONE_LINE_BAD = ("\x00", "a\r\nBcc: victim@example.org", "bell\x07", "\u202eevil")


def test_every_form_refuses_bad_input_without_500_default_messages_or_partial_saves(world):
    link = FeedbackLink.unscoped.get(pk=world.objects[world.trust_a.pk]["link_id"])
    people = {
        "anonymous": None,
        "org_admin": world.members[Role.ORG_ADMIN],
        "cso": world.members[Role.CLINICAL_SAFETY_OFFICER],
        "pm": world.members[Role.PRODUCT_MANAGER],
        "ics_lead": world.ics_lead_a,
    }
    forms_found = collect_forms(world, people)
    public = Client(raise_request_exception=False)
    public_url = reverse("feedback:public_form", args=[link.token])
    for form in page_forms(public.get(public_url).content.decode(), public_url):
        forms_found[(form.method, public_url, tuple(sorted(form.fields)))] = (
            "anonymous",
            None,
            form,
        )
    assert len(forms_found) >= 15, sorted(forms_found)
    requests, failures = 0, []
    for (method, action, _), (label, user, form) in sorted(
        forms_found.items(), key=lambda kv: kv[0]
    ):
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        baseline = form.baseline()
        for name, field in form.fields.items():
            if name == "csrfmiddlewaretoken" or field.kind == "file":
                continue
            for value in VALUES_BY_KIND.get(field.kind, TEXT_VALUES):
                data = {**baseline, name: value}
                cache.clear()  # rate limits would otherwise answer instead of the form
                with transaction.atomic():
                    before = database_fingerprint() if method == "post" else None
                    if method == "post":
                        response = client.post(action, data)
                    else:
                        response = client.get(action, data)
                    requests += 1
                    where = (label, method, action, name, repr(value[:40]))
                    status = response.status_code
                    body = response.content.decode(errors="replace") if status != 302 else ""
                    if status >= 500:
                        failures.append((*where, status))
                    elif defaults := django_default_messages_in(body):
                        failures.append((*where, "Django default message", defaults))
                    elif method == "post":
                        saved = database_fingerprint() != before
                        if status != 302 and saved:
                            failures.append((*where, status, "saved although refused"))
                        elif saved and field.kind in {"text", "email"} and value in ONE_LINE_BAD:
                            failures.append((*where, "control characters accepted"))
                    transaction.set_rollback(True)
    fields = sum(len(form.fields) for _, _, form in forms_found.values())
    print(f"form walk: forms={len(forms_found)} fields={fields} requests={requests}")
    assert failures == [], "\n".join(sorted({repr(f[:4] + f[5:])[:300] for f in failures}))


# --- Methods a page does not handle --------------------------------------------------------------


def test_every_page_refuses_methods_it_does_not_handle(world):
    """PUT, PATCH, DELETE and TRACE are answered 405 by every page of ours that does not handle
    them (an API view may handle PATCH), never as a GET."""
    link = FeedbackLink.unscoped.get(pk=world.objects[world.trust_a.pk]["link_id"])
    values = {**world.ids(world.trust_a), "token": link.token}
    people = {
        "o/": world.members[Role.ORG_ADMIN],
        "ics/": world.ics_lead_a,
    }
    wrong = []
    patterns = own_patterns()
    for pattern in patterns:
        prefix = "ics/" if pattern.route.startswith("ics/") else "o/"
        client = Client(raise_request_exception=False)
        client.force_login(people[prefix])
        code = world.ics_a.ods_code if prefix == "ics/" else world.trust_a.ods_code
        url = pattern.build({**values, "ods_code": code})
        view_class = getattr(resolve(url).func, "view_class", None)  # class-based (the API)
        for method in ("put", "patch", "delete", "trace"):
            if view_class is not None and hasattr(view_class, method):
                continue  # handled: e.g. PATCH of an API object
            status = getattr(client, method)(url).status_code
            if status != 405:
                wrong.append((method.upper(), url, status))
    print(f"method walk: patterns={len(patterns)} wrong={len(wrong)}")
    assert wrong == [], "\n".join(map(repr, wrong))
