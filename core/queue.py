"""Background work goes through a transactional outbox (``core.models.OutboxMessage``).

``enqueue_on_commit`` writes the task as a row in the caller's transaction and sends it to
Celery after the commit. A worker finishing it marks the row done (``core.receivers``); the
relay (``outbox_relay``, every 30 s from beat) re-sends rows never sent (Redis was down) or
sent long ago and never finished (a worker killed, a message lost). Tasks are idempotent, so a
second delivery is harmless. Redis being down costs a delay, never lost work or a hung request:
after one failed send the process stops asking the broker for ``BROKER_BACKOFF_SECONDS``.
"""

import logging
import time
from datetime import timedelta
from itertools import takewhile

from celery import current_app
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .batch import run_isolated
from .models import OutboxMessage

logger = logging.getLogger(__name__)

BROKER_BACKOFF_SECONDS = 15.0
# A sent task not finished after this long is sent again (longer than any task takes to run
# after waiting in the queue; a second delivery of an idempotent task is harmless).
RESEND_AFTER = timedelta(minutes=15)
# A row not sent within this long after its commit (the broker was down) is sent by the relay.
UNSENT_AFTER = timedelta(seconds=10)
MAX_ATTEMPTS = 10
KEEP_DONE = timedelta(days=7)


class _BrokerHealth:
    """When the broker last failed a send, in this process."""

    def __init__(self):
        self.down_until = 0.0

    def available(self) -> bool:
        return time.monotonic() >= self.down_until

    def failed(self) -> None:
        self.down_until = time.monotonic() + BROKER_BACKOFF_SECONDS

    def reset(self) -> None:
        self.down_until = 0.0


broker_health = _BrokerHealth()


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Run ``task(*args, **kwargs)`` in a worker once the current transaction commits."""
    message = OutboxMessage.objects.create(task=task.name, args=list(args), kwargs=kwargs)
    transaction.on_commit(lambda: _send(task, message))


def _send(task, message: OutboxMessage) -> bool:
    if not broker_health.available():
        logger.warning("Broker failed moments ago; %s is left to the outbox relay.", task.name)
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(
        sent_at=timezone.now(), attempts=message.attempts + 1
    )
    try:
        task.apply_async(
            args=message.args, kwargs=message.kwargs, retry=False, task_id=message.task_id
        )
    except Exception:  # broker down: the row stays; the relay sends it later
        broker_health.failed()
        OutboxMessage.objects.filter(pk=message.pk, done_at__isnull=True).update(sent_at=None)
        logger.exception("Could not enqueue %s; the outbox relay will send it.", task.name)
        return False
    return True


def outbox_relay(resend_after: timedelta = RESEND_AFTER) -> dict:
    """Send what was never sent, and again what was sent ``resend_after`` ago and never finished."""
    now = timezone.now()
    OutboxMessage.objects.filter(done_at__lt=now - KEEP_DONE).delete()
    waiting = OutboxMessage.objects.filter(
        Q(sent_at__isnull=True, created_at__lte=now - UNSENT_AFTER)
        | Q(sent_at__lte=now - resend_after),
        done_at__isnull=True,
        attempts__lt=MAX_ATTEMPTS,
    )
    broker_health.reset()  # the relay judges the broker afresh on each run
    # Once a send fails the broker is away: stop, rather than log a failure for every row left.
    return run_isolated(
        "outbox relay",
        takewhile(
            lambda _: broker_health.available(), waiting.order_by("created_at")[:1000].iterator()
        ),
        _resend,
        key=lambda message: message.task_id,
    ).as_dict()


def _resend(message: OutboxMessage) -> bool:
    task = current_app.tasks.get(message.task)
    if task is None:
        raise LookupError(f"no task named {message.task}")
    if message.attempts + 1 >= MAX_ATTEMPTS:
        logger.error(
            "Outbox: last attempt (%d) for %s; last error: %s",
            MAX_ATTEMPTS,
            message,
            message.last_error or "none recorded",
        )
    if not _send(task, message):
        raise ConnectionError("broker unavailable")
    return True
