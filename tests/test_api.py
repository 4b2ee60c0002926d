"""The API (/api/v1/): tokens, the rules the pages share, problem details, paging, throttling, and
the committed OpenAPI schema. Cross-tenant probing is in tests/test_api_cross_tenant.py."""

from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts import services as account_services
from accounts.api import TokenRateThrottle
from accounts.models import ApiToken, AuditAction, AuditEntry
from accounts.permissions import Role
from accounts.scoping import scopes_disabled
from portfolio.models import Contract, Product, ProductChange
from tests.apiclient import PROBLEM, api, make_token
from tests.factories import ContractFactory, MembershipFactory, ProductFactory, SupplierFactory

SCHEMA = Path(__file__).resolve().parent.parent / "docs" / "openapi.yaml"


@pytest.fixture
def trust(db):
    return MembershipFactory(role=Role.ORG_ADMIN).organisation


# --- tokens ---------------------------------------------------------------------------------------


def test_only_a_hash_of_the_secret_is_kept_and_the_token_works(trust):
    token, secret = make_token(trust)
    assert secret.startswith("npp_") and secret.startswith(token.prefix)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        assert all(secret not in str(value) for row in cursor.fetchall() for value in row)
    response = api(secret).get("/api/v1/organisation/")
    assert response.status_code == 200, response.content
    assert response.json()["ods_code"] == trust.ods_code
    with scopes_disabled():
        assert ApiToken.unscoped.get(pk=token.pk).last_used_at is not None
        assert AuditEntry.unscoped.filter(action=AuditAction.API_TOKEN_CREATE).exists()


@pytest.mark.parametrize("how", ["revoked", "expired", "creator_gone", "unknown", "malformed"])
def test_a_token_that_no_longer_works_is_refused_with_401(trust, how):
    token, secret = make_token(trust)
    with scopes_disabled():
        if how == "revoked":
            account_services.api_token_revoke(token=token, actor=None)
        elif how == "expired":
            ApiToken.unscoped.filter(pk=token.pk).update(expires_at=timezone.now())
        elif how == "creator_gone":
            token.created_by.is_active = False
            token.created_by.save()
    if how == "unknown":
        secret = "npp_" + "x" * 43
    elif how == "malformed":
        secret = "not-a-token\x00"
    response = api(secret).get("/api/v1/products/")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["status"] == 401


def test_anonymous_requests_get_401_problem_details(db):
    response = api().get("/api/v1/products/")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


def test_a_read_only_token_cannot_write_and_a_viewer_cannot_write(trust):
    _, read_only = make_token(trust, role=Role.PRODUCT_MANAGER, read_only=True)
    _, viewer = make_token(trust, role=Role.VIEWER)
    body = {"name": "EPMA", "capability": "epma", "lifecycle_stage": "live"}
    for secret in (read_only, viewer):
        assert api(secret).get("/api/v1/products/").status_code == 200
        response = api(secret).post("/api/v1/products/", body, content_type="application/json")
        assert response.status_code == 403
        assert response["Content-Type"] == PROBLEM
    with scopes_disabled():
        assert not Product.unscoped.exists()


def test_a_closed_trusts_token_is_refused(trust):
    _, secret = make_token(trust)
    trust.closed_on = timezone.localdate()
    trust.save()
    assert api(secret).get("/api/v1/products/").status_code == 403


def test_org_admins_make_and_revoke_tokens_in_the_app_and_see_the_secret_once(
    client, trust, settings
):
    settings.ADMIN_MFA_REQUIRED = False
    with scopes_disabled():
        admin = trust.memberships.get(role=Role.ORG_ADMIN).user
    client.force_login(admin)
    url = f"/o/{trust.ods_code}/api-tokens/"
    response = client.post(url, {"name": "", "role": "nope", "lifetime": "7"})
    assert response.status_code == 400
    assert b"Enter a name for the token" in response.content
    response = client.post(
        url, {"name": "EPR nightly", "role": Role.PRODUCT_MANAGER, "lifetime": "90"}
    )
    assert response.status_code == 302
    response = client.get(url)
    assert "no-store" in response["Cache-Control"]
    secret = response.context["secret"]
    assert secret.encode() in response.content
    assert secret.encode() not in client.get(url).content  # once
    assert api(secret).get("/api/v1/products/").status_code == 200
    with scopes_disabled():
        token = ApiToken.unscoped.get(name="EPR nightly")
    assert client.post(f"{url}{token.pk}/revoke/").status_code == 302
    assert api(secret).get("/api/v1/products/").status_code == 401


def test_other_roles_cannot_reach_the_token_pages(client, trust):
    manager = MembershipFactory(organisation=trust, role=Role.PRODUCT_MANAGER).user
    client.force_login(manager)
    assert client.get(f"/o/{trust.ods_code}/api-tokens/").status_code == 403


# --- products and contracts -------------------------------------------------------------------------


def test_products_are_created_with_the_pages_rules_and_nothing_saved_when_bad(trust):
    _, secret = make_token(trust)
    response = api(secret).post(
        "/api/v1/products/",
        {"name": "", "capability": "nope", "go_live_date": "0001-01-01"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors["name"] == "Enter the product name"
    assert errors["capability"] == "Select a capability from the list"
    assert "go_live_date" in errors
    with scopes_disabled():
        assert not Product.unscoped.exists()

    supplier = SupplierFactory()
    response = api(secret).post(
        "/api/v1/products/",
        {
            "name": "Ward EPMA",
            "capability": "epma",
            "lifecycle_stage": "live",
            "supplier": supplier.pk,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    product = response.json()
    assert product["supplier"] == {"id": supplier.pk, "name": supplier.name}
    response = api(secret).post(
        "/api/v1/products/",
        {"name": "ward epma", "capability": "epma", "lifecycle_stage": "live"},
        content_type="application/json",
    )
    assert response.json()["errors"] == [
        {"field": "name", "message": "This trust already has a product with this name"}
    ]


def test_a_patch_changes_only_what_it_names_and_joins_the_history(trust):
    _, secret = make_token(trust)
    with scopes_disabled():
        product = ProductFactory(organisation=trust, name="PAS", lifecycle_stage="live")
    response = api(secret).patch(
        f"/api/v1/products/{product.pk}/",
        {"lifecycle_stage": "sunsetting"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["lifecycle_stage"] == "sunsetting"
    assert response.json()["name"] == "PAS"
    with scopes_disabled():
        assert ProductChange.unscoped.filter(product=product).exists()
    response = api(secret).post(
        f"/api/v1/products/{product.pk}/archive/", {}, content_type="application/json"
    )
    assert response.json()["archived"] is True
    listed = api(secret).get("/api/v1/products/").json()["results"]
    assert listed == []
    listed = api(secret).get("/api/v1/products/?archived=true").json()["results"]
    assert [p["id"] for p in listed] == [product.pk]


def test_contracts_are_checked_like_the_pages(trust):
    _, secret = make_token(trust)
    with scopes_disabled():
        product = ProductFactory(organisation=trust)
    url = f"/api/v1/products/{product.pk}/contracts/"
    response = api(secret).post(
        url,
        {
            "supplier": SupplierFactory().pk,
            "start_date": "2026-04-01",
            "end_date": "2025-03-31",
            "annual_cost": "12000.00",
            "licence_model": "per_user",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]
    with scopes_disabled():
        assert not Contract.unscoped.exists()
        contract = ContractFactory(product=product)
    response = api(secret).patch(
        f"{url}{contract.pk}/", {"seats": 250}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["seats"] == 250


def test_lists_page_by_cursor_with_a_constant_number_of_queries(
    trust, django_assert_max_num_queries
):
    _, secret = make_token(trust)
    with scopes_disabled():
        ProductFactory.create_batch(7, organisation=trust)
    client = api(secret)
    seen, url = [], "/api/v1/products/?page_size=3"
    while url:
        with django_assert_max_num_queries(12):
            body = client.get(url).json()
        seen += [p["id"] for p in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 7


@pytest.mark.parametrize(
    "body",
    [
        '{"name": ',
        "[1, 2]",
        '"text"',
        "null",
        '{"name": {"$gt": ""}}',
        '{"owner": [1]}',
        '{"name": "A", "capability": "epr", "lifecycle_stage": "live", "go_live_date": [null]}',
        '{"name": "A", "capability": "epr", "lifecycle_stage": "live", "vision": {"a": 1}}',
        '{"name": "A", "capability": "epr", "lifecycle_stage": "live", "go_live_date": false}',
        '{"name": "A", "capability": "epr", "lifecycle_stage": "live", "go_live_date": 20260101}',
    ],
)
def test_hostile_json_is_a_400_problem_not_a_500(trust, body):
    _, secret = make_token(trust)
    response = api(secret).post("/api/v1/products/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM


def test_the_browser_session_works_with_csrf(trust):
    with scopes_disabled():
        member = MembershipFactory(organisation=trust, role=Role.PRODUCT_MANAGER).user
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.get("/api/v1/products/").status_code == 403  # no trust opened yet
    client.get(f"/o/{trust.ods_code}/")
    assert client.get("/api/v1/products/").status_code == 200
    response = client.post(
        "/api/v1/products/",
        {"name": "X", "capability": "epr", "lifecycle_stage": "live"},
        content_type="application/json",
    )
    assert response.status_code == 403  # CSRF
    assert "CSRF" in response.json()["title"]


def test_each_token_is_throttled_with_retry_after(trust, monkeypatch):
    """Three a minute, counted in fixed windows: the fourth in a window is refused until the
    next window starts, which Retry-After gives; other tokens are counted apart."""
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"api": "3/minute"})
    now = [6_000_000.0 + 45.2]  # 45.2 s into a minute: the clock is the test's, not the wall's
    monkeypatch.setattr(TokenRateThrottle, "timer", lambda self: now[0])
    cache.clear()
    _, secret = make_token(trust)
    _, other = make_token(trust)
    statuses = [api(secret).get("/api/v1/products/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api(secret).get("/api/v1/products/")
    assert response["Content-Type"] == PROBLEM
    assert response["Retry-After"] == "15"  # the rest of this minute, rounded up
    assert api(other).get("/api/v1/products/").status_code == 200
    now[0] += 15  # the next window
    assert api(secret).get("/api/v1/products/").status_code == 200
    cache.clear()


# --- the schema ----------------------------------------------------------------------------------


def test_the_committed_schema_is_the_one_the_code_makes(tmp_path):
    out = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(out), "--validate", "--fail-on-warn")
    assert out.read_text() == SCHEMA.read_text(), (
        "docs/openapi.yaml is out of date: run `make schema` and commit it"
    )


def test_the_docs_page_and_schema_are_served_to_signed_in_users(client, trust):
    with scopes_disabled():
        member = MembershipFactory(organisation=trust, role=Role.VIEWER).user
    client.force_login(member)
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"/api/v1/products/" in response.content
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    assert b"cdn" not in response.content.lower()


def test_list_filters_are_checked_and_applied(trust):
    _, secret = make_token(trust)
    with scopes_disabled():
        ProductFactory(organisation=trust, name="Main EPR", capability="epr")
        ProductFactory(organisation=trust, name="Ward EPMA", capability="epma")
    response = api(secret).get("/api/v1/products/?capability=nope")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"][0]["field"] == "capability"
    names = [
        p["name"] for p in api(secret).get("/api/v1/products/?capability=epma").json()["results"]
    ]
    assert names == ["Ward EPMA"]
    names = [p["name"] for p in api(secret).get("/api/v1/products/?q=epr").json()["results"]]
    assert names == ["Main EPR"]


def test_an_empty_tenant_queryset_needs_no_scope():
    assert list(Product.objects.none()) == []
