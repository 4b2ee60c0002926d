"""The database's own wall (accounts.rls): row-level security on every tenant table, and the app
connected as a role the policies apply to. PostgreSQL only (a failure in CI, skipped on SQLite).

Each test reads the database as the service does: outside the test harness's default (which lets
set-up code see every trust), through ``database_fail_closed``.
"""

import os

import pytest
from django.db import ProgrammingError, connection, transaction
from django.http import JsonResponse
from django.test import override_settings
from django.urls import path

from accounts.models import Organisation
from accounts.scoping import database_fail_closed, scope, scopes_disabled
from feedback.models import Feedback
from portfolio.models import Product
from tests.factories import FeedbackFactory, OrganisationFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("row-level security is tested on PostgreSQL: set DATABASE_URL")
        pytest.skip("row-level security is PostgreSQL's")


def tenant_tables() -> list[str]:
    """Every table of the schema with an organisation column: tenant data."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND column_name = 'organisation_id' ORDER BY table_name"
        )
        return [row[0] for row in cursor.fetchall()]


def raw(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@pytest.fixture
def two_trusts():
    ours, theirs = OrganisationFactory(), OrganisationFactory()
    for trust in (ours, theirs):
        product = ProductFactory(organisation=trust, name=f"Product of {trust.ods_code}")
        FeedbackFactory(product=product, text=f"Feedback of {trust.ods_code}")
    return ours, theirs


# --- The schema and the role ---------------------------------------------------------------------


def test_every_tenant_table_has_forced_row_level_security_and_the_tenant_policy():
    tables = tenant_tables()
    assert len(tables) >= 18  # the tenant models of today; a new one is added automatically
    rows = raw(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
        "(SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = %s) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relname = ANY(%s)",
        ["tenant_isolation", tables],
    )
    unprotected = [
        name
        for name, enabled, forced, policies in rows
        if not (enabled and forced and policies == 1)
    ]
    assert unprotected == [], (
        "tables with an organisation column but no forced row-level security: add "
        "accounts.rls.EnableRowLevelSecurity to their migration"
    )


def test_a_table_whose_parent_is_tenant_data_is_tenant_data_too():
    """A table without an organisation column but with a foreign key to a tenant table (a child
    row of a trust's data) must be protected as well; today there is none."""
    tenant = set(tenant_tables())
    children = raw(
        "SELECT DISTINCT child.relname FROM pg_constraint fk "
        "JOIN pg_class child ON child.oid = fk.conrelid "
        "JOIN pg_class parent ON parent.oid = fk.confrelid "
        "WHERE fk.contype = 'f' AND parent.relname = ANY(%s) AND NOT (child.relname = ANY(%s)) "
        "AND NOT child.relforcerowsecurity",
        [sorted(tenant), sorted(tenant)],
    )
    assert children == [], "child tables of tenant data without row-level security"


def test_the_app_connects_as_a_role_that_row_level_security_applies_to():
    ((user, superuser, bypass),) = raw(
        "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    )
    assert (superuser, bypass) == (False, False), user
    owned = raw(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
    )
    assert owned == [], "the app role owns nothing"
    with pytest.raises(ProgrammingError, match="must be owner"), transaction.atomic():
        raw("ALTER TABLE portfolio_product DISABLE ROW LEVEL SECURITY")


# --- Raw SQL, in and out of a scope ----------------------------------------------------------------


@pytest.mark.parametrize("table", ["portfolio_product", "feedback_feedback"])
def test_raw_sql_in_a_scope_sees_only_that_trust_and_outside_any_scope_nothing(table, two_trusts):
    ours, theirs = two_trusts
    with database_fail_closed():
        with scope(organisation=ours):
            assert {r[0] for r in raw(f"SELECT organisation_id FROM {table}")} == {ours.pk}  # noqa: S608
            with transaction.atomic():  # inside a transaction too
                assert {r[0] for r in raw(f"SELECT organisation_id FROM {table}")} == {ours.pk}  # noqa: S608
        assert raw(f"SELECT count(*) FROM {table}") == [(0,)]  # noqa: S608
        with scopes_disabled():
            assert {r[0] for r in raw(f"SELECT organisation_id FROM {table}")} == {
                ours.pk,
                theirs.pk,
            }  # noqa: S608


def test_every_tenant_table_shows_nothing_outside_a_scope(two_trusts):
    with database_fail_closed():
        counts = {table: raw(f'SELECT count(*) FROM "{table}"')[0][0] for table in tenant_tables()}  # noqa: S608
    assert set(counts.values()) == {0}, counts


def test_a_write_for_another_trust_is_refused_by_the_database(two_trusts):
    ours, theirs = two_trusts
    planted = ProductFactory.build(organisation=theirs, name="Planted", supplier=None)
    with database_fail_closed(), scope(organisation=ours):
        with connection.cursor() as cursor:  # their rows are not there to update
            cursor.execute(
                "UPDATE portfolio_product SET name = 'hijacked' WHERE organisation_id = %s",
                [theirs.pk],
            )
            assert cursor.rowcount == 0
        # The plain manager skips the application's check: the database refuses the row.
        with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
            Product.unscoped.bulk_create([planted])
    with scopes_disabled():
        assert not Product.unscoped.filter(name__in=["hijacked", "Planted"]).exists()


def test_a_scope_change_inside_one_transaction_follows_the_scope(two_trusts):
    ours, theirs = two_trusts
    with database_fail_closed(), transaction.atomic():
        with scope(organisation=ours):
            assert Feedback.unscoped.get().organisation_id == ours.pk
        with scope(organisation=theirs):
            assert Feedback.unscoped.get().organisation_id == theirs.pk
        assert Feedback.unscoped.count() == 0


def test_a_savepoint_rolled_back_does_not_leave_the_wrong_scope(two_trusts):
    ours, theirs = two_trusts
    with database_fail_closed(), transaction.atomic(), scope(organisation=ours):
        assert Feedback.unscoped.get().organisation_id == ours.pk
        try:
            with transaction.atomic(), scope(organisation=theirs):
                assert Feedback.unscoped.get().organisation_id == theirs.pk
                raise RuntimeError("roll the savepoint back")
        except RuntimeError:
            pass
        assert Feedback.unscoped.get().organisation_id == ours.pk


# --- A deliberately broken view: the database stops it -------------------------------------------


def leaky_view(request):
    """Forgets the tenant: the ORM's escape hatch and raw SQL, inside one trust's scope."""
    with scope(organisation=Organisation(pk=int(request.GET["ours"]))):
        names = sorted(Product.unscoped.values_list("name", flat=True))
        with connection.cursor() as cursor:
            cursor.execute("SELECT text FROM feedback_feedback")
            texts = sorted(row[0] for row in cursor.fetchall())
    with connection.cursor() as cursor:  # and outside any scope
        cursor.execute("SELECT count(*) FROM feedback_feedback")
        outside = cursor.fetchone()[0]
    return JsonResponse({"names": names, "texts": texts, "outside": outside})


urlpatterns = [path("leaky/", leaky_view)]


@override_settings(ROOT_URLCONF=__name__)
def test_a_view_that_forgets_the_tenant_leaks_nothing(two_trusts, client_for):
    ours, _ = two_trusts
    body = client_for(UserFactory()).get("/leaky/", {"ours": ours.pk}).json()
    assert body == {
        "names": [f"Product of {ours.ods_code}"],
        "texts": [f"Feedback of {ours.ods_code}"],
        "outside": 0,
    }


# --- Persistent connections carry nothing over ---------------------------------------------------


def test_a_reused_connection_carries_no_scope_into_the_next_request(two_trusts):
    ours, theirs = two_trusts
    with database_fail_closed():
        with scope(organisation=ours):
            assert len(raw("SELECT id FROM portfolio_product")) == 1
        backend_pid = raw("SELECT pg_backend_pid()")[0][0]
        # The same connection (same server process), the next "request": nothing is set.
        assert raw("SELECT pg_backend_pid()")[0][0] == backend_pid
        assert raw(
            "SELECT coalesce(current_setting('app.tenant_ids', true), ''), "
            "coalesce(current_setting('app.tenant_all', true), '')"
        ) in ([("", "")], [("{}", "")])
        assert raw("SELECT count(*) FROM portfolio_product") == [(0,)]
        with scope(organisation=theirs):
            assert {r[0] for r in raw("SELECT organisation_id FROM portfolio_product")} == {
                theirs.pk
            }


@pytest.mark.django_db(transaction=True)
def test_two_requests_for_different_trusts_on_one_connection_see_only_their_own(
    trust, other_trust, two_trust_user, client_for, settings
):
    ProductFactory(organisation=trust, name="Only in the first trust")
    ProductFactory(organisation=other_trust, name="Only in the second trust")
    client = client_for(two_trust_user)
    pids = []
    for ours, mine, theirs in ((trust, "first", "second"), (other_trust, "second", "first")):
        body = client.get(f"/o/{ours.ods_code}/products/").content.decode()
        assert f"Only in the {mine} trust" in body
        assert f"Only in the {theirs} trust" not in body
        pids.append(raw("SELECT pg_backend_pid()")[0][0])
        with database_fail_closed():  # what the connection carries after the request: nothing
            assert raw("SELECT count(*) FROM portfolio_product") == [(0,)]
    assert pids[0] == pids[1], "the same connection served both requests"
    with database_fail_closed(), scope(organisation=trust):
        assert raw("SELECT name FROM portfolio_product") == [("Only in the first trust",)]
