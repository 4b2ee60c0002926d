"""Summary and reminder jobs. Each is safe to run twice and safe to kill half-way."""

from datetime import date

from celery import shared_task

from accounts.models import Organisation
from accounts.tenancy import TenantTask
from core.batch import run_isolated

from .reminders import renewal_reminders_send
from .summaries import SummaryBusy, summaries_recompute


@shared_task(base=TenantTask, bind=True, acks_late=True, max_retries=20)
def summaries_recompute_task(self, organisation, months: list[str] | None = None) -> int:
    """Incremental (given months) or full (None) recompute of one trust's summaries."""
    try:
        return summaries_recompute(
            organisation, [date.fromisoformat(m) for m in months] if months else None
        )
    except SummaryBusy as busy:
        raise self.retry(countdown=30) from busy


@shared_task
def summaries_recompute_all_task() -> dict:
    """Nightly: a full recompute, one task per trust so a killed worker loses one trust's run at
    most, and a trust whose task cannot be sent does not stop the others'."""
    ids = list(Organisation.objects.values_list("pk", flat=True))
    return run_isolated(
        "nightly summary recompute",
        ids,
        summaries_recompute_task.delay,
        key=lambda organisation_id: f"organisation {organisation_id}",
    ).as_dict()


@shared_task
def renewal_reminders_send_task() -> dict:
    return renewal_reminders_send().as_dict()
