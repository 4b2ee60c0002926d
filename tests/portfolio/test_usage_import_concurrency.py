"""PostgreSQL: two imports of the same rows, listed in opposite orders, write at the same moment.
Rows are written in key order, so neither waits on the other in a cycle: no deadlock, no retry,
no duplicate row."""

import os
import threading
from datetime import date, timedelta
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from accounts.scoping import scope, scopes_disabled
from portfolio import usage_import
from portfolio.models import ImportStatus, UsageImport, UsageRecord
from portfolio.usage_import import usage_import_process
from tests.factories import OrganisationFactory, ProductFactory


def _require_postgresql():
    if connection.vendor != "postgresql":
        message = "needs PostgreSQL (set DATABASE_URL)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)


@pytest.mark.django_db(transaction=True)
def test_same_rows_in_opposite_orders_import_concurrently_without_deadlock():
    _require_postgresql()
    trust = OrganisationFactory()
    names = ["Meridian EPR", "MedChart EPMA"]
    for name in names:
        ProductFactory(organisation=trust, name=name)
    lines = [
        f"{date(2025, 1, 1) + timedelta(days=day)},{name},{day},Site {site}"
        for name in names
        for day in range(100)
        for site in range(100)
    ]
    header = "date,product,active_users,site\n"
    records = []
    for ordered in (lines, lines[::-1]):
        record = UsageImport.unscoped.create(organisation=trust, original_name="usage.csv")
        record.file.save("usage.csv", ContentFile((header + "\n".join(ordered) + "\n").encode()))
        records.append(record)

    # Both runs reach the upsert together, each holding its rows in its own transaction.
    together = threading.Barrier(2, timeout=60)
    real_write = usage_import.write_rows

    first_try = threading.local()

    def write_together(organisation_id, rows):
        if not getattr(first_try, "done", False):
            first_try.done = True
            together.wait()
        return real_write(organisation_id, rows)

    errors = []

    def run(record):
        try:
            with scope(organisation=trust):
                usage_import_process(record.pk)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    with (
        mock.patch.object(usage_import, "write_rows", write_together),
        mock.patch.object(usage_import.time, "sleep") as retry_wait,
    ):
        threads = [threading.Thread(target=run, args=(record,)) for record in records]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
    assert retry_wait.call_count == 0, "a run hit a database error (a deadlock) and retried"
    for record in records:
        record.refresh_from_db()
        assert record.status == ImportStatus.SUCCEEDED, record.failure_reason
        assert record.rows_imported == len(lines)
    with scopes_disabled():
        assert UsageRecord.objects.filter(organisation=trust).count() == len(lines)
