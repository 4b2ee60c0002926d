"""Running a trust's waiting summary refresh (``SummaryRefresh``): take it, recompute, and on
failure put its months back with the reason, so nothing asked for is lost."""

import logging
from datetime import date

from django.db import transaction
from django.utils import timezone

from .models import SummaryRefresh
from .summaries import SummaryBusy, summaries_recompute

logger = logging.getLogger(__name__)


def merge_months(current: list[str] | None, new: list[str] | None) -> list[str] | None:
    """None (every month) absorbs everything; otherwise the union, in order."""
    if current is None or new is None:
        return None
    return sorted(set(current) | set(new))


def _take(organisation) -> tuple[bool, list[str] | None, int]:
    """Remove and return the trust's waiting request: (found, months, failures so far)."""
    with transaction.atomic():
        # Wait for the lock: a change merging its months holds it until its (short) transaction
        # commits. Skipping a locked row would leave that request without a task under load.
        request = (
            SummaryRefresh.objects.select_for_update().filter(organisation=organisation).first()
        )
        if request is None:
            return False, None, 0
        found = (True, request.months, request.failures)
        request.delete()
        return found


def _put_back(organisation, months, failures: int, error: Exception | None) -> None:
    """Merge ``months`` back into the trust's request; record ``error`` if there is one."""
    with transaction.atomic():
        request, created = SummaryRefresh.objects.select_for_update().get_or_create(
            organisation=organisation,
            defaults={"months": months, "requested_at": timezone.now(), "failures": failures},
        )
        if not created:
            request.months = merge_months(request.months, months)
            request.failures = max(request.failures, failures)
        if error is not None:
            request.failures += 1
            request.last_failed_at = timezone.now()
            request.last_error = f"{type(error).__name__}: {error}"[:500]
        request.save()


def summaries_refresh_run(organisation) -> int:
    """Recompute what the trust's waiting request asks for. Returns rows written (0: nothing
    was waiting, e.g. another worker took it)."""
    found, months, failures = _take(organisation)
    if not found:
        return 0
    try:
        return summaries_recompute(
            organisation, [date.fromisoformat(m) for m in months] if months else None
        )
    except SummaryBusy:
        _put_back(organisation, months, failures, None)
        raise
    except Exception as error:
        _put_back(organisation, months, failures, error)
        logger.exception("Summary refresh of organisation %s failed.", organisation.pk)
        raise
