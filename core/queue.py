"""Enqueue Celery tasks only after the surrounding transaction commits.

The user's write is already committed when the broker is asked, so Redis being down costs a
delayed notification, never a lost write or a hung request. After one failed send, the process
stops asking the broker for ``BROKER_BACKOFF_SECONDS``: a request that enqueues several tasks
waits for one broker timeout at most, not one per task. What is skipped is left to the sweeps.
"""

import logging
import time

from django.db import transaction

logger = logging.getLogger(__name__)

BROKER_BACKOFF_SECONDS = 15.0


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
    def _send():
        if not broker_health.available():
            logger.warning("Broker failed moments ago; %s is left to the sweep.", task.name)
            return
        try:
            task.apply_async(args=args, kwargs=kwargs, retry=False)
        except Exception:  # broker down: the write stands; a sweep re-sends later
            broker_health.failed()
            logger.exception("Could not enqueue %s; it will be picked up by the sweep.", task.name)

    transaction.on_commit(_send)
