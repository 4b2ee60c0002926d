"""A worker killed (SIGKILL) in the middle of a large usage import: nothing it did is kept, the
stuck-import sweep sends the import to a new worker, and the import completes, once."""

import signal
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.scoping import scope
from config.celery import app
from core.models import OutboxMessage
from core.queue import outbox_relay
from portfolio.models import ImportStatus, UsageImport, UsageRecord
from portfolio.services import usage_import_start
from portfolio.tasks import usage_imports_requeue_stuck_task
from portfolio.usage_import import STUCK_AFTER

from ..factories import ProductFactory
from .conftest import raw_connection, wait_for, waiting_to_insert_into

ROWS = 200_000


def _big_csv(product_name: str) -> SimpleUploadedFile:
    lines = ["date,product,active_users,site"]
    lines += [
        f"{date(2023, 1, 1) + timedelta(days=n % 700)},{product_name},{n % 5000},Site {n // 700}"
        for n in range(ROWS)
    ]
    return SimpleUploadedFile("big.csv", ("\n".join(lines) + "\n").encode())


def _usage_rows(trust) -> int:
    with scope(organisation=trust):
        return UsageRecord.objects.count()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_import_then_the_sweep_completes_it_once(workers):
    app.conf.task_always_eager = False
    first = workers.start()
    product = ProductFactory(name="Meridian EPR")
    trust = product.organisation

    # Hold the usage table so the worker stops at its upsert with every row checked, then kill it.
    blocker = raw_connection()
    try:
        blocker.execute(f"LOCK TABLE {UsageRecord._meta.db_table} IN EXCLUSIVE MODE")
        with scope(organisation=trust):
            record = usage_import_start(
                organisation=trust, uploaded_file=_big_csv(product.name), user=None
            )
        assert record.status == ImportStatus.PENDING
        assert wait_for(lambda: waiting_to_insert_into(UsageRecord._meta.db_table), timeout=120), (
            "the worker never reached the write"
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=20)
    finally:
        blocker.rollback()
        blocker.close()

    record.refresh_from_db()
    assert (record.status, record.attempts) == (ImportStatus.PROCESSING, 1)
    assert record.rows_processed == ROWS
    assert _usage_rows(trust) == 0  # the killed run committed nothing

    workers.start()
    # Its progress stopped: as if the sweep's STUCK_AFTER had passed since.
    UsageImport.unscoped.filter(pk=record.pk).update(
        progress_at=timezone.now() - STUCK_AFTER - timedelta(minutes=1)
    )
    assert usage_imports_requeue_stuck_task()["requeued"] == 1

    def finished():
        # An import records its end first, then deletes its file (a second update): wait for both.
        record.refresh_from_db()
        return record.status == ImportStatus.FAILED or (
            record.status == ImportStatus.SUCCEEDED and not record.file.name
        )

    assert wait_for(finished, timeout=180), f"import still {record.status}, {record.file.name}"
    assert record.status == ImportStatus.SUCCEEDED, record.failure_reason or record.errors
    assert (record.rows_imported, record.attempts, record.file.name) == (ROWS, 2, "")
    assert _usage_rows(trust) == ROWS

    # The killed run's own message, re-sent by the outbox relay later, changes nothing.
    outbox_relay(resend_after=timedelta(0))
    assert wait_for(
        lambda: not OutboxMessage.objects.filter(done_at__isnull=True).exists(), timeout=60
    ), list(OutboxMessage.objects.values_list("task", "attempts", "done_at"))
    record.refresh_from_db()
    assert (record.status, record.rows_imported, record.attempts) == (
        ImportStatus.SUCCEEDED,
        ROWS,
        2,
    )
    assert _usage_rows(trust) == ROWS
