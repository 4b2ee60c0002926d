"""Feedback's background jobs: thin wrappers that run a notification inside the trust's scope."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from accounts.scoping import scopes_disabled
from accounts.tenancy import TenantTask
from core.batch import run_isolated

from .models import CLOSING_THE_LOOP_STATUSES, Feedback, StatusChange
from .notifications import (
    MAX_FAILURES,
    contact_confirmation_send,
    safety_concern_notify,
    status_change_notify,
)

RETRY = {
    "autoretry_for": (ConnectionError, TimeoutError, OSError),
    "retry_backoff": True,
    "max_retries": 8,
}


@shared_task(base=TenantTask, **RETRY)
def safety_concern_notify_task(organisation, feedback_id: int) -> None:
    safety_concern_notify(feedback_id)


@shared_task(base=TenantTask, **RETRY)
def status_change_notify_task(organisation, status_change_id: int) -> None:
    status_change_notify(status_change_id)


@shared_task(base=TenantTask, **RETRY)
def contact_confirmation_send_task(organisation, feedback_id: int, base_url: str) -> None:
    contact_confirmation_send(feedback_id, base_url)


@shared_task
def notifications_sweep_task(older_than_seconds: int = 30) -> dict:
    """Re-send notifications whose first enqueue failed (e.g. Redis was down). Idempotent: each
    notification records that it was sent. Whole-database: it looks across every trust. One
    notification that cannot be enqueued does not stop the others; one that keeps failing is
    given up after ``MAX_FAILURES`` (see feedback.notifications)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    with scopes_disabled():
        safety = Feedback.objects.filter(
            patient_safety=True,
            safety_notified_at__isnull=True,
            created_at__lte=cutoff,
            safety_notify_failures__lt=MAX_FAILURES,
        ).values_list("organisation_id", "pk")
        changes = StatusChange.objects.filter(
            notified_at__isnull=True,
            to_status__in=CLOSING_THE_LOOP_STATUSES,
            changed_at__lte=cutoff,
            notify_failures__lt=MAX_FAILURES,
        ).values_list("organisation_id", "pk")
        work = [(safety_concern_notify_task, "feedback", row) for row in safety] + [
            (status_change_notify_task, "status change", row) for row in changes
        ]
    return run_isolated(
        "notification sweep",
        work,
        lambda item: item[0].delay(*item[2]),
        key=lambda item: f"{item[1]} {item[2][1]}",
    ).as_dict()
