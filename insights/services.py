"""Writes that insights starts: asking for a trust's summaries to be recomputed."""

from django.db import transaction
from django.utils import timezone

from accounts.scoping import scope
from core.queue import enqueue_on_commit

from .models import SummaryRefresh
from .refresh import merge_months
from .tasks import summaries_refresh_task


def summaries_schedule_refresh(organisation_id: int, months=None) -> None:
    """Ask for the trust's summaries of ``months`` (None: all) to be recomputed.

    Merged into the trust's one waiting request, in the caller's transaction: the first change
    sends a task after the commit; the ones that follow before it runs only add their months.
    """
    month_list = sorted({m.replace(day=1).isoformat() for m in months}) if months else None
    with transaction.atomic(), scope(organisations=[organisation_id]):
        waiting = SummaryRefresh.objects.select_for_update().filter(organisation_id=organisation_id)
        request = waiting.first()
        if request is None:
            SummaryRefresh.objects.create(
                organisation_id=organisation_id, months=month_list, requested_at=timezone.now()
            )
            enqueue_on_commit(summaries_refresh_task, organisation_id)
            return
        request.months = merge_months(request.months, month_list)
        request.save(update_fields=["months"])
