"""The checks behind the service's health: the JSON endpoint for monitors (``accounts:health``)
and the status page for people (``core:status``) call the same functions here.

Each ``*_ping`` raises when its service does not answer; ``service_checks`` runs them all and
says, in words, what works. The JSON endpoint asks the database only, as load balancers expect:
a web process with Redis down still serves pages (the cache fails open and background work waits
in the outbox), so Redis must not take the web service out of the pool.
"""

import logging
import secrets
from dataclasses import dataclass

from celery import current_app
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from .models import OutboxMessage
from .queue import MAX_ATTEMPTS, RESEND_AFTER, broker_health

logger = logging.getLogger(__name__)

WORKING = "working"
DELAYED = "delayed"
NOT_WORKING = "not working"


@dataclass(frozen=True)
class Check:
    name: str
    state: str  # WORKING, DELAYED or NOT_WORKING
    summary: str

    @property
    def ok(self) -> bool:
        return self.state == WORKING


def database_ping() -> None:
    """One round trip to the database; raises if it does not answer."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def cache_ping() -> None:
    """Write a value to the cache and read it back. The cache fails open (core.cache): with Redis
    down a write is dropped and a read misses, so a value that does not come back is the failure."""
    key = f"health-probe:{secrets.token_hex(8)}"
    value = secrets.token_hex(8)
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise ConnectionError("the cache did not keep a value")


def broker_ping() -> None:
    """Connect to the task queue's broker (Redis); raises if it does not answer in time."""
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)


def tasks_overdue() -> int:
    """Background tasks still waiting ``RESEND_AFTER`` after they were asked for (no worker is
    finishing them). Tasks that ran out of attempts are left out: they wait for a person."""
    return OutboxMessage.objects.filter(
        done_at__isnull=True,
        attempts__lt=MAX_ATTEMPTS,
        created_at__lt=timezone.now() - RESEND_AFTER,
    ).count()


def _database_check() -> Check:
    try:
        database_ping()
    except Exception:
        logger.exception("Status: the database did not answer.")
        return Check(
            "Database", NOT_WORKING, "The database is not answering. Most pages will not load."
        )
    return Check("Database", WORKING, "The database is answering.")


def _cache_check() -> Check:
    try:
        cache_ping()
    except Exception:
        logger.exception("Status: the cache did not answer.")
        return Check(
            "Cache",
            NOT_WORKING,
            "The cache is not answering. Pages still work, but some may be slower.",
        )
    return Check("Cache", WORKING, "The cache is answering.")


def _task_queue_check() -> Check:
    name = "Background tasks"
    if current_app.conf.task_always_eager:
        return Check(
            name, WORKING, "Background tasks run straight away in the web server (demonstration)."
        )
    try:
        broker_ping()
    except Exception:
        logger.exception("Status: the task queue's broker did not answer.")
        return Check(
            name,
            NOT_WORKING,
            "The task queue is not answering. Changes are saved, and emails and summary "
            "updates are sent once it is back.",
        )
    if not broker_health.available():
        return Check(
            name, DELAYED, "The task queue failed moments ago. Waiting tasks will be sent again."
        )
    try:
        overdue = tasks_overdue()
    except Exception:
        logger.exception("Status: could not count waiting background tasks.")
        return Check(
            name, DELAYED, "The task queue is answering, but waiting tasks were not counted."
        )
    if overdue:
        minutes = int(RESEND_AFTER.total_seconds() // 60)
        tasks = "task has" if overdue == 1 else "tasks have"
        return Check(
            name,
            DELAYED,
            f"The task queue is answering, but {overdue:,} {tasks} waited more than {minutes} "
            "minutes. Emails and summary updates may be late.",
        )
    return Check(name, WORKING, "The task queue is answering and tasks are being done.")


def service_checks() -> list[Check]:
    """Every check, in the order the status page shows them. Never raises."""
    return [_database_check(), _cache_check(), _task_queue_check()]
