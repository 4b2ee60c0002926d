import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_deploy_check(**extra_env):
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "PYTEST_VERSION"}}
    env.update(
        SECRET_KEY="a-production-like-secret-key-that-is-long-and-random-enough-0123456789",
        ALLOWED_HOSTS="portfolio.example.org",
        **extra_env,
    )
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_reports_only_the_justified_hsts_preload_warning():
    result = run_deploy_check()
    output = result.stdout + result.stderr
    assert "security.W021" in output
    assert "identified 1 issue" in output, output


def test_deploy_check_is_clean_once_preload_is_chosen():
    result = run_deploy_check(SECURE_HSTS_PRELOAD="true")
    assert "no issues" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "PYTEST_VERSION", "SECRET_KEY"}
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
