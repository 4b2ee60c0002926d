"""A safety concern posted while Redis is stopped is saved, and notified once Redis is back.

This test really stops the local Redis server (the one in REDIS_URL) and starts it again with the
machine's documented command, so it runs only in CI or with ALLOW_REDIS_RESTART=1.
"""

import os
import shutil
import subprocess
import time
from urllib.parse import urlparse

import pytest
from django.urls import reverse

from accounts.permissions import Role
from config.celery import app
from feedback.models import Feedback
from feedback.tasks import notifications_sweep_task

from ..factories import FeedbackLinkFactory, MembershipFactory, ProductFactory
from .conftest import wait_for

REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]


def _redis_up() -> bool:
    return (
        subprocess.run(
            ["redis-cli", "-p", "6379", "ping"], capture_output=True, text=True
        ).stdout.strip()
        == "PONG"
    )  # noqa: S603, S607


@pytest.fixture
def restartable_redis():
    url = urlparse(os.environ.get("REDIS_URL", ""))
    allowed = os.environ.get("CI") or os.environ.get("ALLOW_REDIS_RESTART")
    if not (
        url.hostname in {"127.0.0.1", "localhost"}
        and url.port in {None, 6379}
        and shutil.which("redis-server")
    ):
        message = "needs a local Redis on 127.0.0.1:6379 that this test may restart"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    if not allowed:
        pytest.skip("set ALLOW_REDIS_RESTART=1 to let this test stop and start the local Redis")
    yield
    if not _redis_up():
        subprocess.run(REDIS_START, check=True)  # noqa: S603, S607
        assert wait_for(_redis_up, timeout=20)


@pytest.mark.django_db(transaction=True)
def test_safety_concern_posted_with_redis_down_is_notified_when_it_is_back(
    worker,
    restartable_redis,
    client,  # noqa: F811
):
    app.conf.task_always_eager = False
    trust_cso = MembershipFactory(role=Role.CLINICAL_SAFETY_OFFICER)
    product = ProductFactory(
        organisation=trust_cso.organisation, clinical_safety_officer=trust_cso.user
    )
    link = FeedbackLinkFactory(organisation=product.organisation, product=product)

    subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], capture_output=True)  # noqa: S603, S607
    assert wait_for(lambda: not _redis_up(), timeout=10)

    started = time.monotonic()
    response = client.post(
        reverse("feedback:public_form", args=[link.token]),
        {
            "product": product.pk,
            "staff_group": "doctor",
            "rating": "1",
            "category": "fault",
            "text": "Allergy banner missing on the drug chart",
            "patient_safety": "yes",
        },
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 302  # the clinician sees success
    assert elapsed < 15, f"the request hung for {elapsed:.1f} s on a dead broker"
    feedback = Feedback.unscoped.get()
    assert feedback.safety_notified_at is None  # saved, not yet notified

    subprocess.run(REDIS_START, check=True)  # noqa: S603, S607
    assert wait_for(_redis_up, timeout=20)

    # Beat runs this every minute; calling it through the worker avoids waiting for the clock.
    def swept_and_sent():
        feedback.refresh_from_db()
        if feedback.safety_notified_at is None:
            try:
                notifications_sweep_task.apply_async(kwargs={}, retry=False)
            except Exception:  # worker or broker still reconnecting
                return False
            time.sleep(1)
            feedback.refresh_from_db()
        return feedback.safety_notified_at is not None

    assert wait_for(swept_and_sent, timeout=90), (
        "the concern was never notified after Redis came back"
    )
    sent = "".join(path.read_text() for path in worker.iterdir())
    assert trust_cso.user.email in sent
    assert "Allergy banner missing" in sent
