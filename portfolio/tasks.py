from celery import shared_task

from .services import process_usage_import


@shared_task(acks_late=True)
def process_usage_import_task(import_id: int) -> None:
    # The service sets the tenant scope from the import's own organisation.
    process_usage_import(import_id)


@shared_task(bind=True, acks_late=True, max_retries=20)
def recompute_summaries_task(self, organisation_id: int, months: list[str] | None = None) -> int:
    """Incremental (given months) or full (None) recompute of one trust's summaries."""
    from datetime import date

    from .summaries import SummaryBusy, recompute_organisation

    try:
        return recompute_organisation(
            organisation_id, [date.fromisoformat(m) for m in months] if months else None
        )
    except SummaryBusy as busy:
        raise self.retry(countdown=30) from busy


@shared_task
def recompute_all_summaries() -> int:
    """Nightly: a full recompute, one task per trust so a killed worker loses one trust's run at most."""
    from accounts.models import Organisation

    ids = list(Organisation.objects.values_list("pk", flat=True))
    for organisation_id in ids:
        recompute_summaries_task.delay(organisation_id)
    return len(ids)


@shared_task
def send_renewal_reminders_task() -> int:
    from .reminders import send_renewal_reminders

    return send_renewal_reminders()
