"""A real Celery worker for integration tests, on the test database and real Redis."""

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from config.celery import app

from .private_redis import private_redis  # noqa: F401 - a fixture for the fault tests

ROOT = Path(__file__).resolve().parents[2]


def _require_services():
    reasons = []
    if connection.vendor != "postgresql":
        reasons.append("DATABASE_URL must point at PostgreSQL")
    if not os.environ.get("REDIS_URL"):
        reasons.append("REDIS_URL must be set")
    if reasons:
        message = "Celery integration test needs: " + "; ".join(reasons)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


class Workers:
    """Starts real `celery worker` processes on the test database; stops (or kills) them."""

    def __init__(self, mail_dir, media_root, log_dir):
        self.mail_dir = mail_dir
        self.log_dir = log_dir
        self.env = {
            **os.environ,
            "DATABASE_URL": _test_database_url(),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
            "SECRET_KEY": "integration-test-only",
            "ALLOWED_HOSTS": "localhost",
            "MEDIA_ROOT": str(media_root),
            "UPLOAD_STORAGE": "database",
        }
        self.env.pop("PYTEST_VERSION", None)  # the worker is a production-like process, not a test
        self.processes = []

    def start(self):
        # The log goes to a file, never to a pipe: nobody reads a pipe until the worker stops, and
        # once its buffer (64 KiB: a few dozen tracebacks during a fault) is full the worker blocks
        # on its next log line for ever, which looks exactly like lost work.
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"worker-{len(self.processes)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--queues=notifications,celery",
                "--loglevel=warning",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()  # the child has its own descriptor
        self.processes.append(process)
        return process

    def log_tail(self, chars=3000) -> str:
        text = "".join(
            path.read_text(errors="replace") for path in sorted(self.log_dir.glob("worker-*.log"))
        )
        return text[-chars:]

    def stop_all(self):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        print(self.log_tail())


@pytest.fixture
def workers(tmp_path, transactional_db, settings):
    _require_services()
    app.control.purge()
    # A MEDIA_ROOT of the worker's own, as on another machine: uploads reach it through the
    # database (UPLOAD_STORAGE=database), never through a shared disk.
    pool = Workers(tmp_path / "mail", tmp_path / "worker-media", tmp_path / "worker-logs")
    try:
        yield pool
    finally:
        pool.stop_all()


@pytest.fixture
def worker(workers):
    """One running worker; yields the folder it writes mail to."""
    workers.start()
    return workers.mail_dir


def _test_database_url() -> str:
    s = connection.settings_dict
    user = s.get("USER") or ""
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def raw_connection():
    """A second connection to the test database, outside Django: a test holds locks on it."""
    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=s["USER"],
        password=s["PASSWORD"] or None,
        dbname=s["NAME"],
        autocommit=False,
    )


def waiting_to_insert_into(table: str) -> bool:
    """Some session (the worker) is blocked on a lock in an INSERT INTO ``table``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query ILIKE %s",
            [f"%INSERT INTO %{table}%"],  # quoted or not
        )
        return cursor.fetchone()[0] > 0
