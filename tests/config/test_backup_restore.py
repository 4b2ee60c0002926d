"""Backups: scripts/backup.sh of the test database, restored by scripts/restore.sh into a new empty
database, gives back the same rows (every table's count and checksum) and the uploaded files;
retention keeps the newest BACKUP_KEEP; restore refuses to run without an explicit target.

Needs PostgreSQL and its client tools (pg_dump, pg_restore): skipped locally on SQLite, a failure
in CI or whenever the database is PostgreSQL but the tools are missing."""

import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
import pytest
from django.db import connection

from accounts.management.commands.db_roles import DEFAULT_OWNER
from tests.factories import FeedbackFactory, OrganisationFactory, ProductFactory

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "scripts" / "backup.sh"
RESTORE = ROOT / "scripts" / "restore.sh"
IN_CI = bool(os.environ.get("CI"))
STAMP = r"\d{8}T\d{6}Z"


def run(script, *args, **env):
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "MEDIA_ROOT"}}
    return subprocess.run(
        ["bash", str(script), *map(str, args)],
        env={**base, **{k: str(v) for k, v in env.items()}},
        capture_output=True,
        text=True,
        timeout=300,
    )


def database_url(name: str, user: str | None = None) -> str:
    """A libpq URL for database ``name`` on the test database's server: as the superuser of
    DATABASE_URL (the tests connect as the app role, which may not create databases nor see
    every trust), or as ``user``."""
    s = connection.settings_dict
    given = urlsplit(os.environ.get("DATABASE_URL", ""))
    auth = quote(user or given.username or "", safe="")
    if not user and given.password:
        auth += ":" + quote(given.password, safe="")
    host = s["HOST"] or ""
    port = f":{s['PORT']}" if s["PORT"] else ""
    return f"postgresql://{auth}@{host}{port}/{quote(name, safe='')}"


def major(version_text: str) -> int:
    return int(re.search(r"(\d+)(?:\.\d+)?", version_text.split(")", 1)[-1]).group(1))


@pytest.fixture
def postgres_tools(transactional_db):
    """pg_dump and pg_restore, at least as new as the server; the test database committed to."""
    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("CI must run on PostgreSQL (DATABASE_URL)", pytrace=False)
        pytest.skip("backups are of PostgreSQL: set DATABASE_URL=postgres://...")
    missing = [tool for tool in ("pg_dump", "pg_restore") if not shutil.which(tool)]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not found: install the PostgreSQL client (Debian: "
            "postgresql-client) to back up and restore",
            pytrace=False,
        )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        server = int(cursor.fetchone()[0]) // 10000
    client = major(subprocess.run(["pg_dump", "--version"], capture_output=True, text=True).stdout)
    if client < server:
        pytest.fail(f"pg_dump {client} is older than the server ({server})", pytrace=False)


@pytest.fixture
def empty_database(postgres_tools):
    """A new, empty database on the same server, dropped afterwards: the restore target."""
    name = f"restore_check_{secrets.token_hex(6)}"
    with psycopg.connect(database_url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield database_url(name)
    with psycopg.connect(database_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def snapshot(url: str) -> dict[str, tuple[int, str]]:
    """Every table of the public schema: (row count, md5 of its rows in a fixed order)."""
    with psycopg.connect(url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        checksum = "md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
        return {
            table: conn.execute(f'SELECT count(*), {checksum} FROM "{table}" t').fetchone()
            for table in tables
        }


def test_a_backup_restores_into_a_new_database_with_the_same_rows_and_files(
    empty_database, settings, tmp_path
):
    trust = OrganisationFactory(name="Backup Trust")
    products = [ProductFactory(organisation=trust, name=f"Backed-up product {i}") for i in range(3)]
    FeedbackFactory(product=products[0], text="Feedback that must survive a restore")
    media = Path(settings.MEDIA_ROOT)
    (media / "usage").mkdir(parents=True)
    (media / "usage" / "import.csv").write_text("date,users\n2026-01-01,7\n")
    backups = tmp_path / "backups"
    source = database_url(connection.settings_dict["NAME"])

    # Backups run as the owner role (BYPASSRLS): the app role would see no trust's rows.
    owner = database_url(connection.settings_dict["NAME"], user=DEFAULT_OWNER)
    made = run(BACKUP, DATABASE_URL=owner, BACKUP_DIR=backups, MEDIA_ROOT=media)
    assert made.returncode == 0, made.stderr
    (dump,) = backups.glob("portfolio-*.dump")
    (archive,) = backups.glob("media-*.tar.gz")
    assert re.fullmatch(f"portfolio-{STAMP}.dump", dump.name)
    assert archive.name == dump.name.replace("portfolio-", "media-").replace(".dump", ".tar.gz")
    assert dump.stat().st_mode & 0o077 == 0, "a backup is readable by its owner only"

    restored_media = tmp_path / "restored-media"
    restored = run(RESTORE, "--target", empty_database, dump, "--media-root", restored_media)
    assert restored.returncode == 0, restored.stderr

    before, after = snapshot(source), snapshot(empty_database)
    assert before["portfolio_product"][0] == 3
    assert before["feedback_feedback"][0] == 1
    assert after == before
    assert (restored_media / "usage" / "import.csv").read_text() == "date,users\n2026-01-01,7\n"

    # Restoring again over the restored copy (--clean --if-exists) gives the same rows once.
    again = run(RESTORE, "--target", empty_database, dump)
    assert again.returncode == 0, again.stderr
    assert snapshot(empty_database) == before


def test_a_file_that_is_not_a_backup_is_refused_before_the_target_is_touched(
    empty_database, tmp_path
):
    bogus = tmp_path / "portfolio-20000101T000000Z.dump"
    bogus.write_bytes(b"PGDMP but not really")
    result = run(RESTORE, "--target", empty_database, bogus)
    assert result.returncode != 0
    assert "not a readable pg_dump" in result.stderr
    assert snapshot(empty_database) == {}


def test_retention_keeps_the_newest_backups_and_their_media(postgres_tools, settings, tmp_path):
    backups = tmp_path / "backups"
    backups.mkdir()
    for day in ("01", "02", "03"):
        (backups / f"portfolio-200001{day}T000000Z.dump").write_text("old")
        (backups / f"media-200001{day}T000000Z.tar.gz").write_text("old")
    (backups / "notes.txt").write_text("not a backup: left alone")

    made = run(
        BACKUP,
        DATABASE_URL=database_url(connection.settings_dict["NAME"]),
        BACKUP_DIR=backups,
        MEDIA_ROOT=tmp_path / "no-media-yet",
        BACKUP_KEEP=2,
        PG_DUMP="env LC_ALL=C pg_dump",  # a command of several words, as for Compose
    )
    assert made.returncode == 0, made.stderr
    names = sorted(path.name for path in backups.iterdir())
    (new,) = [n for n in names if n.startswith("portfolio-") and not n.startswith("portfolio-2000")]
    assert re.fullmatch(f"portfolio-{STAMP}.dump", new)
    assert names == sorted(
        ["media-20000103T000000Z.tar.gz", "notes.txt", "portfolio-20000103T000000Z.dump", new]
    )


# --- Refusals: no database needed --------------------------------------------------------------


@pytest.fixture
def spy_path(tmp_path):
    """A PATH whose pg_dump and pg_restore only record that they were called."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("pg_dump", "pg_restore"):
        (bin_dir / tool).write_text(f'#!/bin/sh\necho {tool} >> "{tmp_path}/called"\n')
        (bin_dir / tool).chmod(0o755)
    return f"{bin_dir}:{os.environ['PATH']}"


def test_restore_refuses_without_an_explicit_target_even_with_database_url_set(spy_path, tmp_path):
    dump = tmp_path / "portfolio-20000101T000000Z.dump"
    dump.write_text("x")
    result = run(RESTORE, dump, PATH=spy_path, DATABASE_URL="postgres://localhost/portfolio")
    assert result.returncode == 2
    assert "refusing to run without an explicit --target" in result.stderr
    assert not (tmp_path / "called").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--target", "sqlite:///var/db.sqlite3", "x.dump"],
        ["--target", "postgres://localhost/portfolio"],
        ["--target", "postgres://localhost/portfolio", "missing.dump"],
        ["--target"],
    ],
)
def test_restore_refuses_bad_arguments(spy_path, tmp_path, args):
    result = run(RESTORE, *args, PATH=spy_path)
    assert result.returncode == 2, result.stderr
    assert not (tmp_path / "called").exists()


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"DATABASE_URL": "sqlite:///var/db.sqlite3"},
        {"DATABASE_URL": "postgres://localhost/portfolio", "BACKUP_KEEP": "0"},
        {"DATABASE_URL": "postgres://localhost/portfolio", "BACKUP_KEEP": "many"},
    ],
)
def test_backup_refuses_without_a_postgres_database_or_with_a_bad_keep(spy_path, tmp_path, env):
    result = run(BACKUP, PATH=spy_path, BACKUP_DIR=tmp_path / "backups", **env)
    assert result.returncode == 2, result.stderr
    assert not (tmp_path / "called").exists()
    assert not (tmp_path / "backups").exists()
