"""The Compose stack's supervision, as written (no Docker needed): restart policies, health checks,
migrations before any process, one shared uploads volume, both queues consumed, the image's
writable directories owned by the app user; the backup targets; the operations guide's beat jobs.

Reads docker-compose.yml with PyYAML: skipped locally without it, a failure in CI."""

import os
import re
import subprocess
from pathlib import Path

import pytest

try:
    import yaml
except ImportError:  # pragma: no cover - depends on the environment
    yaml = None

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose():
    if yaml is None:
        if os.environ.get("CI"):
            pytest.fail("PyYAML is needed to check docker-compose.yml in CI", pytrace=False)
        pytest.skip("PyYAML not installed")
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


def command(service) -> str:
    value = service["command"]
    return " ".join(value) if isinstance(value, list) else value


def test_every_long_running_service_restarts_and_is_health_checked(services):
    for name in (*PROCESSES, "db", "redis"):
        assert services[name]["restart"] == "unless-stopped", name
        assert services[name]["healthcheck"]["test"], name


def test_migrations_run_once_before_web_worker_and_beat(services):
    migrate = services["migrate"]
    assert command(migrate).endswith('python manage.py migrate --noinput"')
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    for name in PROCESSES:
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["db"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
        assert "migrate" not in command(services[name]), f"{name} must not migrate itself"


def test_the_worker_consumes_both_queues_and_its_own_ping_is_its_health(services):
    worker = services["worker"]
    assert re.search(r"(^|\s)-Q notifications,celery(\s|$)", command(worker)), "notifications first"
    check = " ".join(worker["healthcheck"]["test"])
    assert "inspect ping" in check and "-d celery@$$HOSTNAME" in check


def test_beats_health_is_its_schedule_files_age(services):
    beat = services["beat"]
    schedule = re.search(r"--schedule (\S+)", command(beat)).group(1)
    assert schedule.startswith("/app/var/beat/")
    check = " ".join(beat["healthcheck"]["test"])
    assert f"find {Path(schedule).parent} -name '{Path(schedule).name}*' -mmin -" in check
    assert f"beat:{Path(schedule).parent}" in beat["volumes"]


def test_web_and_worker_share_uploads_through_the_database_not_a_disk(services):
    for name in ("web", "worker"):
        assert services[name]["environment"]["UPLOAD_STORAGE"] == "database", name


def test_the_image_creates_its_writable_directories_for_the_app_user():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    user_at = lines.index("USER app")
    prepare = next(i for i, line in enumerate(lines) if "chown -R app:app /app/var" in line)
    assert prepare < user_at
    assert "/app/var/media" in lines[prepare] and "/app/var/beat" in lines[prepare]


def test_make_backup_and_restore_call_the_scripts():
    def dry_run(*args):
        return subprocess.run(
            ["make", "-n", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
        ).stdout

    assert "scripts/backup.sh" in dry_run("backup")
    assert 'scripts/restore.sh --target "postgres://db.example/copy" "x.dump"' in dry_run(
        "restore", "DUMP=x.dump", "TARGET=postgres://db.example/copy"
    )
    for script in ("backup.sh", "restore.sh"):
        assert os.access(ROOT / "scripts" / script, os.X_OK), script
    assert "/backups/" in (ROOT / ".gitignore").read_text().splitlines()


def test_the_operations_guide_lists_every_beat_job(settings):
    guide = (ROOT / "docs" / "operations.md").read_text()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert f"`{entry['task']}`" in guide, f"docs/operations.md does not describe {name}"


def test_the_services_connect_as_the_app_role_and_migrate_makes_the_roles_first(services):
    for name in ("web", "worker", "beat"):
        url = services[name]["environment"]["DATABASE_URL"]
        assert url.startswith("postgres://portfolio_app:"), name  # row-level security applies
    migrate = services["migrate"]
    assert migrate["environment"]["DATABASE_URL"].startswith("postgres://portfolio:")  # superuser
    steps = command(migrate)
    assert steps.index("manage.py db_roles") < steps.index("DATABASE_USER=portfolio_owner")
    assert steps.index("DATABASE_USER=portfolio_owner") < steps.index("manage.py migrate")
