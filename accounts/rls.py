"""The database's wall: PostgreSQL row-level security keyed on the tenant scope.

Every tenant table has a policy that shows (and lets the app write) only rows whose organisation is
in the scope the *transaction* carries in two settings:

- ``app.tenant_ids``: a PostgreSQL array of organisation ids (``{12,40}``), or empty;
- ``app.tenant_all``: ``on`` inside ``scopes_disabled()`` (admin, sweeps, cross-trust jobs): the
  only way to see across trusts.

Nothing set means nothing visible: a query outside any scope finds no tenant row and cannot write
one. The settings are set with ``set_config(..., true)``, so they end with the transaction and a
pooled or persistent connection carries nothing to its next user.

They are set by an execute wrapper installed on every PostgreSQL connection, from the same context
variable that ``accounts.scoping.scope()`` sets for the ORM, so the code that enters a scope today
(the tenant decorators, ``TenantTask``, commands, sweeps) sets the database's scope too, and raw
SQL gets it as well. Inside a transaction the settings are written once, before the first query,
and again only when the scope changes; a query in autocommit mode with a scope runs in a short
transaction of its own so the settings apply to it.

The app must connect as a role that is neither superuser nor ``BYPASSRLS`` (``manage.py
db_roles``); a superuser connection skips every policy. Tables get their policy in a migration
(:class:`EnableRowLevelSecurity`), and tests/test_rls.py fails for any table with an organisation
column that has none.
"""

from __future__ import annotations

from django.db import transaction
from django.db.migrations.operations.base import Operation
from psycopg.pq import TransactionStatus

from .scoping import database_scope

ALL_SETTING = "app.tenant_all"
IDS_SETTING = "app.tenant_ids"
POLICY = "tenant_isolation"
NOTHING = ("", "{}")
_SET_SQL = f"SELECT set_config('{ALL_SETTING}', %s, true), set_config('{IDS_SETTING}', %s, true)"


def visible(column: str = "organisation_id") -> str:
    """The condition every tenant table's policy applies to its organisation column.

    ``current_setting(…, true)`` is NULL when never set and '' after a transaction that set it;
    both mean "no trust". Each setting is read in a sub-select, so PostgreSQL evaluates it once
    per statement (an InitPlan) instead of once per row: over a trust's 50,000 usage rows that is
    the difference between +10 % and +150 % on the query (docs/performance.md).
    """
    everything = f"(SELECT coalesce(current_setting('{ALL_SETTING}', true), '') = 'on')"
    ids = (
        f"ARRAY(SELECT unnest(coalesce(nullif(current_setting('{IDS_SETTING}', true), ''), "
        "'{}')::bigint[]))"
    )
    return f"({everything} OR {column} = ANY ({ids}))"


def wanted_settings() -> tuple[str, str]:
    """(tenant_all, tenant_ids) for the scope active in this context."""
    ids = database_scope()
    if ids is None:
        return ("on", "{}")
    return ("", "{" + ",".join(str(i) for i in sorted(ids)) + "}")


class _ScopeWriter:
    """An execute wrapper: before a query, make the transaction's settings match the scope."""

    def __init__(self, connection):
        self.connection = connection
        self.written = None  # what this transaction carries, as far as this wrapper knows

    def __call__(self, execute, sql, params, many, context):
        wanted = wanted_settings()
        if isinstance(sql, str) and sql.lstrip()[:20].upper().startswith("ROLLBACK TO"):
            self.written = None  # a savepoint rollback may restore older settings: write again
            return execute(sql, params, many, context)
        conn = self.connection
        if conn.get_autocommit():
            # Each statement is its own transaction, which starts with nothing set.
            if wanted == NOTHING:
                return execute(sql, params, many, context)
            with transaction.atomic(using=conn.alias):
                self._write(wanted)
                return execute(sql, params, many, context)
        if not _transaction_open(conn):
            self.written = None  # the first statement of a new transaction
        if self.written != wanted and not (self.written is None and wanted == NOTHING):
            self._write(wanted)
        return execute(sql, params, many, context)

    def _write(self, wanted):
        # On a raw cursor of its own: not the query's (it may be a server-side cursor), not
        # counted as one of the app's queries, and not passed through this wrapper again.
        with self.connection.connection.cursor() as cursor:
            cursor.execute(_SET_SQL, list(wanted))
        self.written = wanted


def _transaction_open(conn) -> bool:
    raw = conn.connection
    return raw is not None and raw.info.transaction_status != TransactionStatus.IDLE


def install(connection) -> None:
    """Add the scope writer to a PostgreSQL connection (once; ``connection_created`` calls it)."""
    if connection.vendor != "postgresql":
        return
    if any(isinstance(w, _ScopeWriter) for w in connection.execute_wrappers):
        return
    connection.execute_wrappers.insert(0, _ScopeWriter(connection))


def on_connection_created(sender, connection, **kwargs) -> None:
    install(connection)


class EnableRowLevelSecurity(Operation):
    """Migration operation: ENABLE and FORCE row-level security on a tenant table, with the tenant
    policy on its organisation column. Nothing on SQLite."""

    reversible = True

    def __init__(self, model_name: str, column: str = "organisation_id"):
        self.model_name = model_name
        self.column = column

    def state_forwards(self, app_label, state):
        pass

    def _table(self, app_label, state):
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(self._table(app_label, to_state))
        condition = visible(schema_editor.quote_name(self.column))
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
        schema_editor.execute(
            f"CREATE POLICY {POLICY} ON {table} USING {condition} WITH CHECK {condition}"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(self._table(app_label, from_state))
        schema_editor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")

    def describe(self):
        return f"Enable row-level security on {self.model_name}"

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.model_name], {"column": self.column})
