"""The shape of the code (DESIGN.md "Layers"), checked so that it cannot drift back.

- import-linter's contracts hold, and they do fail on an upward import;
- function-level imports (which dodge cycles) are the reviewed few;
- the fail-closed tenant manager is bypassed only where the whole database is the point;
- ``config/`` is the project package only.
"""

import ast
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ["core", "accounts", "portfolio", "feedback", "roadmaps", "insights", "demo"]
BIN = Path(sys.executable).parent

# Reviewed: the only imports inside functions, one line each with the same reason in a noqa.
FUNCTION_LEVEL_IMPORTS = {
    "accounts/apps.py": "connect the receivers once the app registry is ready",
    "insights/apps.py": "connect the receivers once the app registry is ready",
    "roadmaps/apps.py": "register the feedback page's roadmap section once views can load",
}

# Reviewed: every way around the tenant scope in app code, and why the whole database is the point.
WHOLE_DATABASE = {
    ("accounts/selectors.py", "invitation_get_by_token", "unscoped"): (
        "an invitation link is opened before any trust is known; the secret token names it"
    ),
    ("feedback/selectors.py", "feedback_link_get_by_token", "unscoped"): (
        "the QR-code form is opened without sign-in; the secret token names the trust"
    ),
    ("roadmaps/selectors.py", "roadmap_item_get_public", "unscoped"): (
        "a published roadmap item's secret link, before any trust is known"
    ),
    # The database's wall (accounts.rls) takes the same word: these are also the only reads the
    # database serves across trusts, each narrowed to one secret token or the person's own rows.
    ("accounts/selectors.py", "invitation_get_by_token", "scopes_disabled"): (
        "the invitation named by its secret token, before any trust is known"
    ),
    ("feedback/selectors.py", "feedback_link_get_by_token", "scopes_disabled"): (
        "the QR-code link named by its secret token, before any trust is known"
    ),
    ("roadmaps/selectors.py", "roadmap_item_get_public", "scopes_disabled"): (
        "the published item named by its secret link, before any trust is known"
    ),
    ("accounts/selectors.py", "membership_list", "scopes_disabled"): (
        "the signed-in person's own memberships, to choose a trust"
    ),
    ("accounts/selectors.py", "works_in_several_places", "scopes_disabled"): (
        "the signed-in user's own memberships in every trust: whether the header offers "
        "'Switch organisation'"
    ),
    ("accounts/selectors.py", "membership_list_closed", "scopes_disabled"): (
        "the signed-in person's own memberships of closed trusts, to say they closed"
    ),
    ("accounts/selectors.py", "invitation_list_open_for_email", "unscoped"): (
        "a single sign-on proved the address: its open invitations, before any trust is known"
    ),
    ("accounts/selectors.py", "invitation_list_open_for_email", "scopes_disabled"): (
        "the open invitations to the address a single sign-on just proved"
    ),
    ("accounts/selectors.py", "api_token_get_by_hash", "unscoped"): (
        "an API request names its token by a secret, before any trust is known"
    ),
    ("accounts/selectors.py", "api_token_get_by_hash", "scopes_disabled"): (
        "the API token named by its secret's hash, before any trust is known"
    ),
    ("accounts/tenancy.py", "_membership_for", "scopes_disabled"): (
        "the signed-in person's own membership of the trust in the URL, before its scope is entered"
    ),
    ("accounts/webhooks/delivery.py", "webhook_deliveries_sweep", "scopes_disabled"): (
        "sends every trust's webhook deliveries that are due"
    ),
    ("feedback/tasks.py", "notifications_sweep_task", "scopes_disabled"): (
        "re-sends every trust's unsent notifications"
    ),
    ("portfolio/tasks.py", "usage_imports_requeue_stuck_task", "scopes_disabled"): (
        "requeues every trust's stalled usage imports and deletes their finished files"
    ),
    ("insights/reminders.py", "renewal_reminders_send", "scopes_disabled"): (
        "the daily reminder run reads every trust's contracts"
    ),
    ("insights/tasks.py", "summaries_refresh_sweep_task", "scopes_disabled"): (
        "re-sends every trust's summary refreshes that waited too long"
    ),
    ("demo/management/commands/make_scale_data.py", "Command.handle", "scopes_disabled"): (
        "creates and deletes benchmark data across 200 trusts"
    ),
    ("config/urls.py", "unscoped_admin_view.wrapped", "scopes_disabled"): (
        "the superuser admin administers every trust"
    ),
}


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [str(BIN / "lint-imports"), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_import_layers_hold():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _lint_a_copy_with(tmp_path, module: str, line: str) -> subprocess.CompletedProcess:
    """lint-imports on a copy of the tree in which ``module`` (a path) gains ``line``."""
    for package in [*APPS, "config"]:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{line}  # noqa\n")
    return _lint_imports(tmp_path)


def test_an_upward_import_breaks_the_layers_contract(tmp_path):
    result = _lint_a_copy_with(tmp_path, "portfolio/services.py", "import insights.selectors")
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert "portfolio.services -> insights.selectors" in result.stdout


def test_an_app_importing_the_project_package_breaks_a_contract(tmp_path):
    result = _lint_a_copy_with(tmp_path, "core/forms.py", "import config.settings")
    assert result.returncode != 0
    assert "core.forms -> config.settings" in result.stdout


def test_function_level_imports_are_the_reviewed_few():
    result = subprocess.run(  # noqa: S603
        [
            str(BIN / "ruff"),
            "check",
            "--no-cache",
            "--select",
            "PLC0415",
            "--ignore-noqa",
            "--output-format",
            "json",
            *APPS,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = Counter(
        str(Path(item["filename"]).relative_to(ROOT)) for item in json.loads(result.stdout)
    )
    assert sum(found.values()) <= 5
    assert set(found) == set(FUNCTION_LEVEL_IMPORTS), found
    for path in found:
        source = (ROOT / path).read_text()
        assert "# noqa: F401, PLC0415 - " in source or "# noqa: PLC0415 - " in source, path


def _scope_bypasses(root: Path = ROOT) -> Counter:
    """(file, enclosing function, kind) for every ``.unscoped`` and ``scopes_disabled()``."""
    found: Counter = Counter()

    def visit(node, path, names):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                visit(child, path, [*names, child.name])
                continue
            where = ".".join(names) or "<module>"
            if isinstance(child, ast.Attribute) and child.attr == "unscoped":
                found[(path, where, "unscoped")] += 1
            if isinstance(child, ast.Call):
                func = child.func
                name = getattr(func, "id", None) or getattr(func, "attr", None)
                if name == "scopes_disabled":
                    found[(path, where, "scopes_disabled")] += 1
            visit(child, path, names)

    for package in [*APPS, "config"]:
        for file in sorted((root / package).rglob("*.py")):
            if "migrations" in file.parts:
                continue
            path = str(file.relative_to(root))
            visit(ast.parse(file.read_text(), filename=path), path, [])
    return found


def test_the_tenant_scope_is_bypassed_only_where_the_whole_database_is_the_point():
    found = _scope_bypasses()
    unreviewed = sorted(set(found) - set(WHOLE_DATABASE))
    assert unreviewed == [], (
        "A new way around the tenant scope: use the scoped manager inside scope(...), or add it "
        "to WHOLE_DATABASE with the reason the whole database is the point."
    )
    assert sorted(set(WHOLE_DATABASE) - set(found)) == []  # keep the list true
    assert all(count == 1 for count in found.values()), found


def test_the_scan_sees_a_new_bypass(tmp_path):
    (tmp_path / "portfolio").mkdir()
    (tmp_path / "portfolio" / "leaky.py").write_text(
        "def leak(Product):\n    return Product.unscoped.all()\n\n\n"
        "class Job:\n    def run(self):\n        with scopes_disabled():\n            pass\n"
    )
    assert _scope_bypasses(tmp_path) == Counter(
        {
            ("portfolio/leaky.py", "leak", "unscoped"): 1,
            ("portfolio/leaky.py", "Job.run", "scopes_disabled"): 1,
        }
    )


def test_config_is_the_project_package_only():
    files = {
        str(path.relative_to(ROOT / "config"))
        for path in (ROOT / "config").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert files == {"__init__.py", "settings.py", "urls.py", "wsgi.py", "asgi.py", "celery.py"}


def test_email_is_sent_only_through_core_mail():
    """core.mail.mail_send puts every subject on one line; sending any other way could let a
    stored name with a line break stop a notification (or add a header)."""
    offenders = [
        str(path.relative_to(ROOT))
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if path != ROOT / "core" / "mail.py"
        and re.search(r"\bsend_mail\b|\bEmailMessage\b|\bsend_mass_mail\b", path.read_text())
    ]
    assert offenders == []
