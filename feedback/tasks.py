"""Feedback's background jobs: thin wrappers that run a notification inside the trust's scope."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from accounts.scoping import scopes_disabled
from accounts.tenancy import TenantTask

from .models import CLOSING_THE_LOOP_STATUSES, Feedback, StatusChange
from .notifications import contact_confirmation_send, safety_concern_notify, status_change_notify

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
def notifications_sweep_task(older_than_seconds: int = 30) -> int:
    """Re-send notifications whose first enqueue failed (e.g. Redis was down). Idempotent: each
    notification records that it was sent. Whole-database: it looks across every trust."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    sent = 0
    with scopes_disabled():
        for organisation_id, feedback_id in Feedback.objects.filter(
            patient_safety=True, safety_notified_at__isnull=True, created_at__lte=cutoff
        ).values_list("organisation_id", "pk"):
            safety_concern_notify_task.delay(organisation_id, feedback_id)
            sent += 1
        for organisation_id, change_id in StatusChange.objects.filter(
            notified_at__isnull=True,
            to_status__in=CLOSING_THE_LOOP_STATUSES,
            changed_at__lte=cutoff,
        ).values_list("organisation_id", "pk"):
            status_change_notify_task.delay(organisation_id, change_id)
            sent += 1
    return sent
