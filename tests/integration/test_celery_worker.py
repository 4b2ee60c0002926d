"""A real Celery worker, on real Redis and PostgreSQL, runs a task the app enqueued on commit."""

import os
import quopri
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from accounts.permissions import Role
from accounts.services import invite_member
from config.celery import app

from ..factories import MembershipFactory

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


@pytest.fixture
def worker(tmp_path, transactional_db):
    """Start `celery worker` against the test database; yield the folder it writes mail to."""
    _require_services()
    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "SECRET_KEY": "integration-test-only",
        "ALLOWED_HOSTS": "localhost",
    }
    env.pop("PYTEST_VERSION", None)  # the worker is a production-like process, not a test
    app.control.purge()
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield mail_dir
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        print(output.decode(errors="replace")[-3000:])


def _test_database_url() -> str:
    s = connection.settings_dict
    user = s.get("USER") or ""
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


def _wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_invitation_email_is_sent_by_a_real_worker(worker, settings):
    app.conf.task_always_eager = False
    admin = MembershipFactory(role=Role.ORG_ADMIN)
    invitation = invite_member(
        organisation=admin.organisation,
        email="worker-test@example.org",
        role=Role.VIEWER,
        invited_by=admin.user,
        base_url="https://portfolio.example.org/",
    )
    assert _wait_for(lambda: worker.exists() and any(worker.iterdir())), "worker sent no email"
    raw = "".join(path.read_text() for path in worker.iterdir())
    sent = quopri.decodestring(raw.encode()).decode()
    assert "worker-test@example.org" in sent
    assert f"https://portfolio.example.org/invitations/{invitation.token}/" in sent
