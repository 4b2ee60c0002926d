"""Writes that insights starts: asking for a trust's summaries to be recomputed."""

from core.queue import enqueue_on_commit

from .tasks import summaries_recompute_task


def summaries_schedule_refresh(organisation_id: int, months=None) -> None:
    """Recompute the trust's summaries after this transaction commits (months=None: all)."""
    month_list = sorted({m.replace(day=1).isoformat() for m in months}) if months else None
    enqueue_on_commit(summaries_recompute_task, organisation_id, month_list)
