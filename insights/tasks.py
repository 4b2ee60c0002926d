"""Summary and reminder jobs. Each is safe to run twice and safe to kill half-way."""

from datetime import date, timedelta

from celery import shared_task
from django.utils import timezone

from accounts.models import Organisation
from accounts.scoping import scopes_disabled
from accounts.tenancy import TenantTask
from core.batch import run_isolated

from .models import SummaryRefresh
from .refresh import summaries_refresh_run
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


@shared_task(base=TenantTask, bind=True, acks_late=True, max_retries=20)
def summaries_refresh_task(self, organisation) -> int:
    """Take the trust's waiting refresh request and recompute its months (see SummaryRefresh)."""
    try:
        return summaries_refresh_run(organisation)
    except SummaryBusy as busy:
        raise self.retry(countdown=30) from busy


@shared_task
def summaries_refresh_sweep_task(older_than_seconds: int = 120) -> dict:
    """Re-send refresh requests that have waited too long: their task was lost (Redis down, a
    worker killed) or failed. Whole-database: it looks across every trust."""
    with scopes_disabled():
        waiting = list(
            SummaryRefresh.objects.filter(
                requested_at__lte=timezone.now() - timedelta(seconds=older_than_seconds)
            ).values_list("organisation_id", flat=True)
        )
    return run_isolated(
        "summary refresh sweep",
        waiting,
        summaries_refresh_task.delay,
        key=lambda organisation_id: f"organisation {organisation_id}",
    ).as_dict()


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
