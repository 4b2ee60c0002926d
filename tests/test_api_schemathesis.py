"""Schemathesis against the live API and its own served schema, as an organisation admin's token
(every operation allowed): no request it can make may get a server error, and every response
must match the schema.

Runs the ``st`` command line against a live server on the test database, with trust data to
find (the cross-tenant World) and the throttle lifted so it measures the API, not the limit.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.permissions import Role
from tests.apiclient import make_token

ST = Path(sys.executable).with_name("st")
CHECKS = "not_a_server_error,response_schema_conformance"
MAX_EXAMPLES = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "30")


@pytest.mark.django_db(transaction=True)
def test_every_operation_survives_schemathesis(world, live_server, settings, tmp_path):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "1000000/minute"},
    }
    _, secret = make_token(world.trust_a, Role.ORG_ADMIN, actor=world.members[Role.ORG_ADMIN])
    report = tmp_path / "junit.xml"
    # Trust A's real ids for the path parameters, so each operation reaches its logic, not a 404.
    own = world.ids(world.trust_a)
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        "[parameters]\n"
        + "".join(
            f'"path.{name}" = {own[key]}\n'
            for name, key in {
                "product_id": "product_id",
                "contract_id": "contract_id",
                "import_id": "import_id",
                "feedback_id": "feedback_id",
                "item_id": "item_id",
            }.items()
        )
    )
    command = [
        str(ST),
        "--config-file",
        str(config),
        "run",
        f"{live_server.url}/api/v1/schema/",
        "--header",
        f"Authorization: Bearer {secret}",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        MAX_EXAMPLES,
        "--workers",
        "1",
        "--seed",
        "14",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
        "--generation-database",
        "none",
        "--no-color",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=1200, check=False, cwd=tmp_path
    )
    output = result.stdout + result.stderr
    print(output[-4000:])
    assert "operations" in output.lower(), output  # it ran, against the schema it was given
    assert result.returncode == 0, output[-8000:]
