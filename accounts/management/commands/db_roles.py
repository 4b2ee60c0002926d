"""Create (or bring up to date) the two PostgreSQL roles the service uses. Run it as a superuser.

- the owner role owns the schema's tables: migrations and backups connect as it. It has BYPASSRLS
  so that data migrations and ``pg_dump`` see every trust; the service never connects as it.
- the app role is what web, worker and beat connect as: it owns nothing, is not superuser and has
  no BYPASSRLS, so every tenant table's row-level security policy applies to it (accounts.rls). It
  may read and write rows, never change the schema.

Idempotent: run it again after a restore, or to move an existing database (tables owned by the
superuser) to the two roles. Passwords, if given, come from the environment, never arguments.
"""

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from psycopg import sql

DEFAULT_OWNER = "portfolio_owner"
DEFAULT_APP = "portfolio_app"


def roles_ensure(owner: str, app: str, *, owner_password=None, app_password=None, truncate=False):
    """The roles, their grants and the ownership of every table, sequence and view in public."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            raise CommandError("db_roles must run as a PostgreSQL superuser.")

    def run(statement, *params):
        with connection.cursor() as cursor:
            cursor.execute(statement.as_string(connection.connection), params or None)

    o, a = sql.Identifier(owner), sql.Identifier(app)
    with transaction.atomic():
        for role, attributes in (
            (owner, "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE BYPASSRLS"),
            (app, "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"),
        ):
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
                exists = cursor.fetchone()
            verb = "ALTER" if exists else "CREATE"
            run(sql.SQL(f"{verb} ROLE {{}} {attributes}").format(sql.Identifier(role)))
        for role, password in ((owner, owner_password), (app, app_password)):
            if password:
                with connection.cursor() as cursor:
                    cursor.execute(
                        sql.SQL("ALTER ROLE {} PASSWORD {}")
                        .format(sql.Identifier(role), sql.Literal(password))
                        .as_string(connection.connection)
                    )
        database = sql.Identifier(connection.settings_dict["NAME"])
        run(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}, {}").format(database, o, a))
        # CREATE on the database: migrations add trusted extensions (pg_trgm) as the owner.
        run(sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(database, o))
        run(sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(o))
        run(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(a))
        run(sql.SQL("REVOKE CREATE ON SCHEMA public FROM {}").format(a))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
                "AND c.relkind IN ('r', 'p', 'v', 'm', 'S') "
                "AND pg_get_userbyid(c.relowner) <> %s "
                # A sequence that belongs to a table's column follows its table.
                "AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE "
                "d.objid = c.oid AND d.deptype IN ('a', 'i')))",
                [owner],
            )
            others = cursor.fetchall()
        kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
        for name, kind in others:
            run(sql.SQL(f"ALTER {kinds[kind]} {{}} OWNER TO {{}}").format(sql.Identifier(name), o))
        privileges = "SELECT, INSERT, UPDATE, DELETE" + (", TRUNCATE" if truncate else "")
        run(sql.SQL(f"GRANT {privileges} ON ALL TABLES IN SCHEMA public TO {{}}").format(a))
        run(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(a))
        run(
            sql.SQL(
                f"ALTER DEFAULT PRIVILEGES FOR ROLE {{}} IN SCHEMA public GRANT {privileges} "
                "ON TABLES TO {}"
            ).format(o, a)
        )
        run(
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT USAGE, SELECT "
                "ON SEQUENCES TO {}"
            ).format(o, a)
        )
    return len(others)


class Command(BaseCommand):
    help = (
        "Create or update the database's owner role (migrations, backups) and app role (the "
        "service; row-level security applies to it). Run as a PostgreSQL superuser."
    )

    def add_arguments(self, parser):
        parser.add_argument("--owner", default=os.environ.get("DATABASE_OWNER_ROLE", DEFAULT_OWNER))
        parser.add_argument("--app", default=os.environ.get("DATABASE_APP_ROLE", DEFAULT_APP))

    def handle(self, *args, owner, app, **options):
        if connection.vendor != "postgresql":
            raise CommandError("db_roles is for PostgreSQL; SQLite has no roles (nor RLS).")
        if owner == app:
            raise CommandError("The owner and app roles must be different roles.")
        moved = roles_ensure(
            owner,
            app,
            owner_password=os.environ.get("DATABASE_OWNER_PASSWORD") or None,
            app_password=os.environ.get("DATABASE_APP_PASSWORD") or None,
        )
        if options["verbosity"] < 1:
            return
        self.stdout.write(
            f"Roles ready: {owner} owns the schema ({moved} objects handed over), {app} reads "
            "and writes rows under row-level security."
        )
