"""Writes that insights starts: asking for a trust's summaries to be recomputed."""

from django.db import IntegrityError, transaction
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
    Two changes committing at once cannot both create the request: the loser of the unique
    index merges into the winner's (or, if the task took it meanwhile, starts a new one).
    """
    month_list = sorted({m.replace(day=1).isoformat() for m in months}) if months else None
    with scope(organisations=[organisation_id]):
        for _ in range(5):
            try:
                with transaction.atomic():
                    SummaryRefresh.objects.create(
                        organisation_id=organisation_id,
                        months=month_list,
                        requested_at=timezone.now(),
                    )
            except IntegrityError:
                with transaction.atomic():
                    request = (
                        SummaryRefresh.objects.select_for_update()
                        .filter(organisation_id=organisation_id)
                        .first()
                    )
                    if request is None:  # taken by its task between our insert and this read
                        continue
                    request.months = merge_months(request.months, month_list)
                    request.save(update_fields=["months"])
                    return
            else:
                enqueue_on_commit(summaries_refresh_task, organisation_id)
                return
        raise RuntimeError(f"could not record a summary refresh for organisation {organisation_id}")
