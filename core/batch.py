"""Batch jobs that keep going: one bad item is logged and reported, the rest are still done."""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)


@dataclass
class BatchReport:
    """What a batch job did: how many items it completed and which ones failed."""

    job: str
    done: int = 0
    failed: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"job": self.job, "done": self.done, "failed": self.failed}


def run_isolated[T](job: str, items: Iterable[T], handle: Callable[[T], bool | None], key=repr):
    """Call ``handle(item)`` for every item; an exception fails that item only.

    ``handle`` returns False when it had nothing to do (the item is neither done nor failed).
    Each failure is logged with its traceback and ``key(item)``, and the report names them, so a
    poisoned row shows up in the logs and the task result instead of stopping the job.
    """
    report = BatchReport(job)
    for item in items:
        try:
            outcome = handle(item)
        except Exception:
            logger.exception("%s: item %s failed; carrying on with the rest.", job, key(item))
            report.failed.append(key(item))
            continue
        if outcome is not False:
            report.done += 1
    if report.failed:
        logger.error(
            "%s: %d done, %d failed: %s", job, report.done, len(report.failed), report.failed
        )
    return report
