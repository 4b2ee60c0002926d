"""Fault injection: the broker (a private Redis) dies while a worker holds an unacknowledged
import, and comes back empty. Nothing committed is lost and everything completes exactly once.

The worker may exit when Redis drops under it (kombu's ``restore_unacked`` bug, present in the
newest kombu, 5.7.0): production runs it under a supervisor (compose ``restart: unless-stopped``),
and this test plays the supervisor, starting a new worker if the old one is gone.
"""

import time
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.permissions import Role
from accounts.scoping import scope
from config.celery import app
from core.models import OutboxMessage
from core.queue import broker_health, outbox_relay
from feedback.models import Feedback
from portfolio.models import ImportStatus, UsageImport, UsageRecord
from portfolio.services import usage_import_start

from ..factories import FeedbackLinkFactory, MembershipFactory, ProductFactory
from .conftest import wait_for
from .private_redis import broker_at

ROWS = 120_000


def _big_csv(product_name: str) -> SimpleUploadedFile:
    lines = ["date,product,active_users,site"]
    lines += [
        f"{date(2023, 1, 1) + timedelta(days=n % 700)},{product_name},{n % 5000},Site {n // 700}"
        for n in range(ROWS)
    ]
    return SimpleUploadedFile("big.csv", ("\n".join(lines) + "\n").encode())


@pytest.mark.django_db(transaction=True)
def test_redis_dies_under_a_busy_worker_and_every_task_completes_once(
    workers, private_redis, client
):
    app.conf.task_always_eager = False
    workers.env["REDIS_URL"] = private_redis.url
    worker = workers.start()
    cso = MembershipFactory(role=Role.CLINICAL_SAFETY_OFFICER)
    product = ProductFactory(organisation=cso.organisation, clinical_safety_officer=cso.user)
    link = FeedbackLinkFactory(organisation=product.organisation, product=product)

    with broker_at(private_redis.url):
        with scope(organisation=product.organisation):
            record = usage_import_start(
                organisation=product.organisation, uploaded_file=_big_csv(product.name), user=None
            )

        def processing():
            return UsageImport.unscoped.get(pk=record.pk).status != ImportStatus.PENDING

        assert wait_for(processing, timeout=60), "the worker never started the import"
        private_redis.stop()  # the worker holds the import's message, unacknowledged
        outage_started = time.monotonic()
        response = client.post(
            reverse("feedback:public_form", args=[link.token]),
            {
                "product": product.pk,
                "staff_group": "doctor",
                "rating": "1",
                "category": "fault",
                "text": "Wrong dose shown after the outage",
                "patient_safety": "yes",
            },
        )
        assert response.status_code == 302  # saved and answered while Redis is down
        time.sleep(2)
        private_redis.start()  # back, and empty: the unacknowledged message is gone
        restarted = worker.poll() is not None
        if restarted:  # the supervisor's job
            workers.start()
        broker_health.reset()

        def everything_done():
            outbox_relay(resend_after=timedelta(seconds=20))
            return not OutboxMessage.objects.filter(done_at__isnull=True).exists()

        assert wait_for(everything_done, timeout=240), list(
            OutboxMessage.objects.filter(done_at__isnull=True).values_list("task", "attempts")
        )
        recovered_in = time.monotonic() - outage_started

    record.refresh_from_db()
    assert record.status == ImportStatus.SUCCEEDED, record.errors
    with scope(organisation=product.organisation):
        assert UsageRecord.objects.count() == ROWS  # once: no row twice
    concern = Feedback.unscoped.get()
    assert concern.safety_notified_at is not None
    sent = [p.read_text() for p in workers.mail_dir.iterdir()]
    assert sum("Wrong dose shown after the outage" in text for text in sent) == 1
    print(
        f"redis restart: worker {'restarted' if restarted else 'survived'}, "
        f"recovered in {recovered_in:.0f} s, import rows {ROWS}/{ROWS}, safety e-mails 1"
    )
