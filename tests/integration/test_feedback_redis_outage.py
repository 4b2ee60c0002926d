"""Redis stopped or frozen: the clinician's post is saved and answered in seconds, and the safety
concern is notified once Redis is back.

Each test runs its own Redis on a free port (``private_redis``) as the broker of both the web side
(this process) and the worker, and stops or freezes that one; the machine's Redis is not touched.
"""

import time

import pytest
from django.urls import reverse

from accounts.permissions import Role
from config.celery import app
from core.queue import broker_health
from feedback.models import Feedback
from feedback.tasks import notifications_sweep_task

from ..factories import FeedbackLinkFactory, MembershipFactory, ProductFactory
from .conftest import wait_for
from .private_redis import broker_at

POST = {
    "staff_group": "doctor",
    "rating": "1",
    "category": "fault",
    "text": "Allergy banner missing on the drug chart",
    "patient_safety": "yes",
}


def _concern_link():
    trust_cso = MembershipFactory(role=Role.CLINICAL_SAFETY_OFFICER)
    product = ProductFactory(
        organisation=trust_cso.organisation, clinical_safety_officer=trust_cso.user
    )
    return (
        trust_cso,
        product,
        FeedbackLinkFactory(organisation=product.organisation, product=product),
    )


@pytest.mark.django_db(transaction=True)
def test_safety_concern_posted_with_redis_down_is_notified_when_it_is_back(
    workers, private_redis, client
):
    app.conf.task_always_eager = False
    workers.env["REDIS_URL"] = private_redis.url
    workers.start()
    worker = workers.mail_dir
    trust_cso, product, link = _concern_link()
    with broker_at(private_redis.url):
        private_redis.stop()
        started = time.monotonic()
        response = client.post(
            reverse("feedback:public_form", args=[link.token]), {**POST, "product": product.pk}
        )
        elapsed = time.monotonic() - started
        _after_outage(private_redis, response, elapsed, trust_cso, worker)


def _after_outage(private_redis, response, elapsed, trust_cso, worker):
    assert response.status_code == 302  # the clinician sees success
    assert elapsed < 15, f"the request hung for {elapsed:.1f} s on a dead broker"
    feedback = Feedback.unscoped.get()
    assert feedback.safety_notified_at is None  # saved, not yet notified

    private_redis.start()  # same port: the worker reconnects

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


@pytest.mark.django_db(transaction=True)
def test_a_frozen_redis_costs_a_post_seconds_not_a_500(private_redis, client):
    """Redis accepts the connection but never answers (SIGSTOP): the feedback is saved and the
    clinician is answered within a few seconds; the sweep sends the notification once it thaws."""
    app.conf.task_always_eager = False
    _, product, link = _concern_link()
    with broker_at(private_redis.url):
        private_redis.freeze()
        try:
            started = time.monotonic()
            response = client.post(
                reverse("feedback:public_form", args=[link.token]),
                {**POST, "product": product.pk},
            )
            elapsed = time.monotonic() - started
        finally:
            private_redis.thaw()
        assert response.status_code == 302
        # One broker timeout (2 s, one retry) at most, however many tasks the post enqueues.
        assert elapsed < 6, f"the request waited {elapsed:.1f} s on a frozen broker"
        feedback = Feedback.unscoped.get()
        assert feedback.safety_notified_at is None
        broker_health.reset()  # the sweep runs in beat's process, which never saw the failure
        report = notifications_sweep_task(older_than_seconds=0)
        assert report["done"] == 1  # re-enqueued now that Redis answers again
