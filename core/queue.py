"""Enqueue Celery tasks only after the surrounding transaction commits.

The user's write is already committed when the broker is asked, so Redis being down costs a
delayed notification, never a lost write or a hung request.
"""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args, **kwargs) -> None:
    def _send():
        try:
            task.apply_async(args=args, kwargs=kwargs, retry=False)
        except Exception:  # broker down: the write stands; a sweep re-sends later
            logger.exception("Could not enqueue %s; it will be picked up by the sweep.", task.name)

    transaction.on_commit(_send)
