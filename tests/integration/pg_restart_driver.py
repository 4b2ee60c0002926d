"""Run in a subprocess against the private PostgreSQL of test_postgres_restart (see there):

    python manage.py shell -c "from tests.integration.pg_restart_driver import main; main()" \
        load SECONDS | converge

Prints one JSON line with what it counted.
"""

import json
import sys
import time
from datetime import timedelta

from django.db import close_old_connections

from accounts.models import IntegratedCareSystem, Membership, Organisation, User
from accounts.permissions import Role
from accounts.scoping import scope, scopes_disabled
from core.models import OutboxMessage
from core.queue import outbox_relay
from feedback.models import Feedback
from feedback.services import feedback_submit
from feedback.tasks import notifications_sweep_task
from insights.models import SummaryRefresh
from insights.tasks import summaries_refresh_sweep_task
from portfolio.models import Product


def load(seconds: float) -> dict:
    ics = IntegratedCareSystem.objects.create(ods_code="QPR", name="Restart ICS", region="Test")
    trust = Organisation.objects.create(ods_code="RPR01", name="Restart Trust", ics=ics)
    officer = User.objects.create_user("restart-cso@example.org")
    Membership.objects.create(user=officer, organisation=trust, role=Role.CLINICAL_SAFETY_OFFICER)
    with scope(organisation=trust):
        product = Product.objects.create(
            organisation=trust,
            name="Restart EPR",
            capability="epr",
            clinical_safety_officer=officer,
        )
    accepted, errors, n = 0, [], 0
    started = time.time()
    while time.time() - started < seconds:
        n += 1
        try:
            close_old_connections()
            with scope(organisation=trust):
                feedback_submit(
                    organisation=trust,
                    data={
                        "product": product,
                        "staff_group": "doctor",
                        "rating": 1 + n % 5,
                        "category": "fault",
                        "text": f"Restart post {n}",
                        "patient_safety": n % 5 == 0,
                        "site": "",
                        "contact_email": "",
                        "contact_consent": False,
                    },
                )
            accepted += 1
        except Exception as error:  # noqa: BLE001 - counted: errors are expected only during the restart
            errors.append((time.time(), type(error).__name__))
            time.sleep(0.2)
    return {"accepted": accepted, "errors": errors}


def converge() -> dict:
    outbox_relay(resend_after=timedelta(seconds=20))
    notifications_sweep_task(older_than_seconds=5)
    summaries_refresh_sweep_task(older_than_seconds=5)
    with scopes_disabled():
        return {
            "rows": Feedback.objects.count(),
            "safety": Feedback.objects.filter(patient_safety=True).count(),
            "safety_unsent": Feedback.objects.filter(
                patient_safety=True, safety_notified_at__isnull=True
            ).count(),
            "outbox_waiting": OutboxMessage.objects.filter(done_at__isnull=True).count(),
            "refresh_waiting": SummaryRefresh.objects.count(),
        }


def main(argv=None) -> None:
    argv = argv or sys.argv[1:]
    result = load(float(argv[1])) if argv[0] == "load" else converge()
    print(json.dumps(result))
