"""Usage imports always end: explicit states, plain-English failures, "Try again", retries of
transient database errors, the stuck-import sweep, and uploads that never leave a stray file."""

import errno
import re
from datetime import timedelta
from pathlib import Path
from unittest import mock

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIRequest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.scoping import scope, scopes_disabled
from portfolio import usage_import
from portfolio.models import ImportStatus, UsageImport, UsageRecord
from portfolio.services import (
    INLINE_IMPORT_BYTES,
    UsageImportNotRetryable,
    UsageUploadNotSaved,
    usage_import_retry,
    usage_import_start,
)
from portfolio.tasks import usage_imports_requeue_stuck_task
from portfolio.usage_import import (
    MAX_ATTEMPTS,
    REASON_BUSY,
    REASON_FILE_MISSING,
    REASON_INTERRUPTED,
    REASON_UNEXPECTED,
    RETRY_DELAYS_SECONDS,
    usage_import_process,
)
from tests.factories import ProductFactory, UsageImportFactory

pytestmark = pytest.mark.django_db

GOOD = (
    "date,product,active_users,site\n"
    "2025-03-01,Meridian EPR,10,Main\n"
    "2025-03-02,Meridian EPR,11,Main\n"
    "2025-03-01,Meridian EPR,12,Annexe\n"
)


@pytest.fixture
def trust(trust):
    ProductFactory(organisation=trust, name="Meridian EPR")
    return trust


@pytest.fixture(autouse=True)
def _uploads_on_disk(settings):
    """These tests inject disk faults into FileSystemStorage; the database storage (the default)
    has its own in tests/core/test_storage.py."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }


@pytest.fixture
def no_sleep():
    with mock.patch.object(usage_import.time, "sleep") as sleep:
        yield sleep


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """Run the sweep as beat would; the imports it requeues run (tasks are in-process here)."""

    def run() -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            return usage_imports_requeue_stuck_task()

    return run


def url(name, trust, *args):
    return reverse(name, args=[trust.ods_code, *args])


def make_import(trust, content: str = GOOD, **fields) -> UsageImport:
    """An import with its file stored, in the state a run (or a dead worker) left it."""
    record = UsageImport.unscoped.create(organisation=trust, original_name="usage.csv", **fields)
    record.file.save("usage.csv", ContentFile(content.encode()))
    return record


def process(record: UsageImport) -> UsageImport:
    with scope(organisation=record.organisation):
        usage_import_process(record.pk)
    return UsageImport.unscoped.get(pk=record.pk)


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def row_count() -> int:
    with scopes_disabled():
        return UsageRecord.objects.count()


# --- Explicit states; every failure ends "failed" with a reason ------------------------------


def test_a_good_import_goes_pending_processing_succeeded_and_its_file_is_deleted(trust, settings):
    record = make_import(trust)
    assert record.status == ImportStatus.PENDING
    seen = []
    real_write = usage_import.write_rows

    def write(organisation_id, rows):
        seen.append(UsageImport.unscoped.get(pk=record.pk).status)
        return real_write(organisation_id, rows)

    with mock.patch.object(usage_import, "write_rows", write):
        record = process(record)
    assert seen == [ImportStatus.PROCESSING]
    assert record.status == ImportStatus.SUCCEEDED
    assert (record.rows_imported, record.attempts, record.file.name) == (3, 1, "")
    assert row_count() == 3
    assert stored_files(settings) == []


def test_a_rejected_file_is_deleted_at_once(trust, settings):
    record = process(make_import(trust, "date,product,active_users\n2025-01-01,Nope,5\n"))
    assert record.status == ImportStatus.FAILED
    assert record.failure_reason == ""
    assert not record.can_retry  # its rows must be fixed: upload a corrected file
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    "error",
    [RuntimeError("boom"), MemoryError(), ValueError("bad"), KeyError("x")],
)
def test_an_unexpected_error_fails_the_import_with_a_reason_and_keeps_the_file(
    trust, settings, error
):
    with mock.patch.object(usage_import, "write_rows", side_effect=error):
        record = process(make_import(trust))
    assert record.status == ImportStatus.FAILED
    assert record.failure_reason == REASON_UNEXPECTED
    assert record.finished_at is not None
    assert record.can_retry
    assert row_count() == 0
    assert len(stored_files(settings)) == 1


def test_a_missing_file_fails_the_import_and_cannot_be_retried(trust, pm_client, pm):
    record = make_import(trust)
    record.file.storage.delete(record.file.name)
    record = process(record)
    assert record.status == ImportStatus.FAILED
    assert record.failure_reason == REASON_FILE_MISSING
    assert record.file.name == ""
    assert not record.can_retry
    page = pm_client.get(url("portfolio:usage_import_detail", trust, record.pk)).content.decode()
    assert "The import could not be finished" in page
    assert "is no longer stored on the server" in page
    assert "Upload the file again" in page
    assert "Try again" not in page


def test_an_unreadable_file_fails_the_import(trust):
    with mock.patch.object(FileSystemStorage, "open", side_effect=PermissionError(13, "denied")):
        record = process(make_import(trust))
    assert record.status == ImportStatus.FAILED
    assert "could not be read from the server's storage" in record.failure_reason


# --- Transient database errors are retried with backoff ---------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("deadlock detected"),
        psycopg.errors.DeadlockDetected("deadlock detected"),
        psycopg.errors.SerializationFailure("could not serialize access"),
        psycopg.OperationalError("server closed the connection unexpectedly"),
    ],
)
def test_transient_database_errors_are_retried_with_backoff(trust, no_sleep, error):
    real_write = usage_import.write_rows
    calls = []

    def flaky(organisation_id, rows):
        calls.append(1)
        if len(calls) <= 2:
            raise error
        return real_write(organisation_id, rows)

    with mock.patch.object(usage_import, "write_rows", flaky):
        record = process(make_import(trust))
    assert record.status == ImportStatus.SUCCEEDED
    assert len(calls) == 3
    assert [c.args[0] for c in no_sleep.call_args_list] == list(RETRY_DELAYS_SECONDS[:2])
    assert row_count() == 3


def test_a_database_that_stays_busy_fails_the_import_after_the_retries(trust, no_sleep):
    busy = OperationalError("could not obtain lock")
    with mock.patch.object(usage_import, "write_rows", side_effect=busy) as write:
        record = process(make_import(trust))
    assert write.call_count == len(RETRY_DELAYS_SECONDS) + 1
    assert [c.args[0] for c in no_sleep.call_args_list] == list(RETRY_DELAYS_SECONDS)
    assert record.status == ImportStatus.FAILED
    assert record.failure_reason == REASON_BUSY
    assert record.can_retry


def test_the_failed_page_shows_the_reason_and_a_try_again_button(trust, pm_client):
    with mock.patch.object(usage_import, "write_rows", side_effect=RuntimeError("boom")):
        record = process(make_import(trust))
    response = pm_client.get(url("portfolio:usage_import_detail", trust, record.pk))
    page = response.content.decode()
    assert "<title>Error: Usage import" in page
    assert "The import could not be finished" in page
    assert "Something went wrong on our side" in page
    assert "boom" not in page  # no internals
    assert 'method="post"' in page
    assert ">Try again</button>" in page
    listing = pm_client.get(url("portfolio:usage_import_create", trust)).content.decode()
    assert "Could not finish" in listing


# --- "Try again" ------------------------------------------------------------------------------


def test_try_again_imports_a_failed_import_and_deletes_its_file(trust, pm_client, settings):
    with mock.patch.object(usage_import, "write_rows", side_effect=RuntimeError("boom")):
        record = process(make_import(trust))
    target = url("portfolio:usage_import_detail", trust, record.pk)
    response = pm_client.post(target)
    assert response.status_code == 302
    assert response["Location"] == target
    record.refresh_from_db()
    assert record.status == ImportStatus.SUCCEEDED
    assert record.failure_reason == ""
    assert row_count() == 3
    assert stored_files(settings) == []
    assert "Usage data imported" in pm_client.get(target).content.decode()


def test_try_again_sends_a_large_file_to_the_worker(trust, django_capture_on_commit_callbacks):
    lines = ["date,product,active_users,site"]
    n = 0
    while sum(len(line) + 1 for line in lines) <= INLINE_IMPORT_BYTES:
        lines.append(f"2025-01-{n % 28 + 1:02d},Meridian EPR,{n},Site {n}")
        n += 1
    record = make_import(
        trust,
        "\n".join(lines) + "\n",
        status=ImportStatus.FAILED,
        failure_reason=REASON_BUSY,
        attempts=1,
    )
    with scope(organisation=trust), django_capture_on_commit_callbacks(execute=True):
        queued = usage_import_retry(record=record)
        assert queued.status == ImportStatus.PENDING
    record.refresh_from_db()
    assert record.status == ImportStatus.SUCCEEDED
    assert record.rows_imported == n
    assert record.attempts == 2


def test_try_again_refuses_an_import_whose_rows_had_problems(trust, pm_client):
    record = UsageImportFactory(organisation=trust)  # failed, with errors by line
    response = pm_client.post(url("portfolio:usage_import_detail", trust, record.pk), follow=True)
    assert "This import cannot be tried again. Upload the file again instead." in (
        response.content.decode()
    )
    record.refresh_from_db()
    assert record.status == ImportStatus.FAILED
    assert record.errors


@pytest.mark.parametrize(
    "fields",
    [
        {"status": ImportStatus.SUCCEEDED},
        {"status": ImportStatus.PROCESSING},
        {"status": ImportStatus.FAILED, "failure_reason": ""},
    ],
)
def test_only_a_failed_import_with_its_file_can_be_retried(trust, fields):
    record = make_import(trust, **fields)
    with scope(organisation=trust), pytest.raises(UsageImportNotRetryable):
        usage_import_retry(record=record)


def test_a_failed_import_whose_file_is_gone_cannot_be_retried(trust):
    record = make_import(trust, status=ImportStatus.FAILED, failure_reason=REASON_UNEXPECTED)
    record.file.storage.delete(record.file.name)
    with scope(organisation=trust), pytest.raises(UsageImportNotRetryable):
        usage_import_retry(record=record)


def test_viewers_cannot_try_again(trust, viewer_client):
    record = make_import(trust, status=ImportStatus.FAILED, failure_reason=REASON_UNEXPECTED)
    response = viewer_client.post(url("portfolio:usage_import_detail", trust, record.pk))
    assert response.status_code == 403
    assert UsageImport.unscoped.get(pk=record.pk).status == ImportStatus.FAILED


def test_another_trusts_import_cannot_be_retried(trust, pm_client):
    theirs = make_import(
        ProductFactory(name="Meridian EPR").organisation,
        status=ImportStatus.FAILED,
        failure_reason=REASON_UNEXPECTED,
    )
    response = pm_client.post(url("portfolio:usage_import_detail", trust, theirs.pk))
    assert response.status_code == 404
    assert UsageImport.unscoped.get(pk=theirs.pk).status == ImportStatus.FAILED


# --- Safe to run twice; a replaced run changes nothing -----------------------------------------


def test_a_second_delivery_takes_over_an_import_left_processing(trust):
    # A worker was killed moments ago; the outbox relay sends the task again.
    record = make_import(trust, status=ImportStatus.PROCESSING, attempts=1, rows_processed=50)
    record = process(record)
    assert (record.status, record.attempts, record.rows_imported) == (
        ImportStatus.SUCCEEDED,
        2,
        3,
    )
    assert row_count() == 3


def test_running_a_finished_import_again_changes_nothing(trust):
    record = process(make_import(trust))
    again = process(record)
    assert (again.status, again.attempts, again.rows_imported) == (ImportStatus.SUCCEEDED, 1, 3)
    assert row_count() == 3


def test_a_run_replaced_by_the_sweep_stops_without_writing(trust):
    record = make_import(trust)
    real = usage_import.products_by_name

    def requeued_meanwhile():
        # As if this run stalled and the sweep requeued it: a newer run now owns the import.
        UsageImport.unscoped.filter(pk=record.pk).update(
            status=ImportStatus.PENDING, progress_at=timezone.now()
        )
        return real()

    with mock.patch.object(usage_import, "products_by_name", requeued_meanwhile):
        stale = process(record)
    assert stale.status == ImportStatus.PENDING
    assert row_count() == 0


# --- The stuck-import sweep ------------------------------------------------------------------


def minutes_ago(minutes: int):
    return timezone.now() - timedelta(minutes=minutes)


def test_an_import_stuck_in_processing_is_requeued_and_completes(trust, settings, sweep):
    stuck = make_import(
        trust,
        status=ImportStatus.PROCESSING,
        attempts=1,
        rows_processed=1,
        progress_at=minutes_ago(11),
    )
    result = sweep()
    assert result["requeued"] == 1
    stuck.refresh_from_db()
    assert stuck.status == ImportStatus.SUCCEEDED
    assert (stuck.attempts, stuck.rows_imported) == (2, 3)
    assert row_count() == 3
    assert stored_files(settings) == []


def test_an_import_pending_too_long_is_requeued_and_completes(trust, sweep):
    waiting = make_import(trust, progress_at=minutes_ago(11))
    sweep()
    waiting.refresh_from_db()
    assert waiting.status == ImportStatus.SUCCEEDED
    assert row_count() == 3


def test_imports_still_moving_are_left_alone(trust, sweep):
    running = make_import(
        trust, status=ImportStatus.PROCESSING, attempts=1, progress_at=minutes_ago(9)
    )
    waiting = make_import(trust, progress_at=minutes_ago(9))
    assert sweep()["requeued"] == 0
    running.refresh_from_db()
    waiting.refresh_from_db()
    assert (running.status, running.attempts) == (ImportStatus.PROCESSING, 1)
    assert waiting.status == ImportStatus.PENDING


def test_the_sweep_gives_up_after_max_attempts_but_keeps_the_file_for_try_again(
    trust, pm_client, sweep
):
    record = make_import(
        trust,
        status=ImportStatus.PROCESSING,
        attempts=MAX_ATTEMPTS,
        progress_at=minutes_ago(11),
    )
    sweep()
    record.refresh_from_db()
    assert record.status == ImportStatus.FAILED
    assert record.failure_reason == REASON_INTERRUPTED
    assert record.can_retry
    pm_client.post(url("portfolio:usage_import_detail", trust, record.pk))
    record.refresh_from_db()
    assert record.status == ImportStatus.SUCCEEDED


def test_the_sweep_covers_every_trust(trust, sweep):
    other = ProductFactory(name="Meridian EPR").organisation
    records = [
        make_import(organisation, progress_at=minutes_ago(30)) for organisation in (trust, other)
    ]
    assert sweep()["requeued"] == 2
    for record in records:
        record.refresh_from_db()
        assert record.status == ImportStatus.SUCCEEDED


def test_one_import_that_cannot_be_requeued_does_not_stop_the_others(trust):
    first, second = (make_import(trust, progress_at=minutes_ago(30)) for _ in range(2))
    sent = []

    def requeue(organisation_id, import_id):
        if import_id == first.pk:
            raise ConnectionError("outbox unavailable")
        sent.append(import_id)

    with scopes_disabled():
        result = usage_import.usage_imports_requeue_stuck(requeue)
    assert result == {"requeued": 1, "given_up": 0, "failed": [f"usage import {first.pk}"]}
    assert sent == [second.pk]
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.status == ImportStatus.PENDING
    assert first.progress_at < minutes_ago(29)  # rolled back: still stuck, the next sweep retries


def test_the_sweep_deletes_files_no_run_will_read_again(trust, settings, sweep):
    now = timezone.now()
    keep = make_import(
        trust,
        status=ImportStatus.FAILED,
        failure_reason=REASON_BUSY,
        finished_at=now - timedelta(days=6),
    )
    expired = make_import(
        trust,
        status=ImportStatus.FAILED,
        failure_reason=REASON_BUSY,
        finished_at=now - timedelta(days=8),
    )
    leftovers = [
        make_import(trust, status=ImportStatus.SUCCEEDED, finished_at=now),
        make_import(trust, status=ImportStatus.FAILED, finished_at=now),  # rows had problems
    ]
    result = sweep()
    assert result["files_deleted"]["done"] == 3
    assert result["requeued"] == 0
    assert [path.name for path in stored_files(settings)] == [Path(keep.file.name).name]
    for record in [expired, *leftovers]:
        record.refresh_from_db()
        assert record.file.name == ""
    expired_page = UsageImport.unscoped.get(pk=expired.pk)
    assert not expired_page.can_retry


# --- Uploads: size from Content-Length, a full disk, no stray files -----------------------------


def post_upload(client, trust, content: bytes, **extra):
    return client.post(
        url("portfolio:usage_import_create", trust),
        {"file": SimpleUploadedFile("usage.csv", content)},
        **extra,
    )


def _body_must_not_be_read(*args, **kwargs):
    raise AssertionError("the request body was read")


@pytest.mark.parametrize("enforce_csrf", [False, True])
def test_an_upload_declared_too_large_is_refused_without_reading_it(trust, pm, enforce_csrf):
    client = Client(enforce_csrf_checks=enforce_csrf)
    client.force_login(pm.user)
    with mock.patch.object(WSGIRequest, "_load_post_and_files", _body_must_not_be_read):
        response = client.generic(
            "POST",
            url("portfolio:usage_import_create", trust),
            b"--x--\r\n",
            content_type="multipart/form-data; boundary=x",
            CONTENT_LENGTH=str(41 * 1024 * 1024),
        )
    assert response.status_code == 413
    page = response.content.decode()
    assert "There is a problem" in page
    assert "The selected file must be smaller than 40 MB" in page
    with scopes_disabled():
        assert not UsageImport.objects.exists()


def test_the_upload_still_checks_the_csrf_token(trust, pm):
    client = Client(enforce_csrf_checks=True)
    client.force_login(pm.user)
    assert post_upload(client, trust, GOOD.encode()).status_code == 403
    with scopes_disabled():
        assert not UsageImport.objects.exists()
    client.get(url("portfolio:usage_import_create", trust))
    token = client.cookies["csrftoken"].value
    response = client.post(
        url("portfolio:usage_import_create", trust),
        {"file": SimpleUploadedFile("usage.csv", GOOD.encode()), "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_a_full_disk_while_saving_the_upload_is_a_form_error(trust, pm_client, settings):
    full = OSError(errno.ENOSPC, "No space left on device")
    with mock.patch.object(FileSystemStorage, "save", side_effect=full):
        response = post_upload(pm_client, trust, GOOD.encode())
    assert response.status_code == 503
    page = response.content.decode()
    assert "There is a problem" in page
    assert "The file could not be saved because of a problem on our side" in page
    with scopes_disabled():
        assert not UsageImport.objects.exists()
    assert stored_files(settings) == []


def test_a_half_written_upload_is_deleted(trust, pm_client, settings):
    def half_then_full(self, name, content):
        path = Path(self.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"date,product,act")
        raise OSError(errno.ENOSPC, "No space left on device")

    with mock.patch.object(FileSystemStorage, "_save", half_then_full):
        response = post_upload(pm_client, trust, GOOD.encode())
    assert response.status_code == 503
    assert stored_files(settings) == []


def test_a_failure_saving_the_import_row_deletes_the_stored_file(trust, settings):
    with (
        scope(organisation=trust),
        mock.patch.object(UsageImport.objects, "create", side_effect=OperationalError("gone")),
        pytest.raises(OperationalError),
    ):
        usage_import_start(
            organisation=trust,
            uploaded_file=SimpleUploadedFile("usage.csv", GOOD.encode()),
            user=None,
        )
    assert stored_files(settings) == []


def test_the_service_raises_upload_not_saved(trust):
    full = OSError(errno.ENOSPC, "No space left on device")
    with (
        scope(organisation=trust),
        mock.patch.object(FileSystemStorage, "save", side_effect=full),
        pytest.raises(UsageUploadNotSaved),
    ):
        usage_import_start(
            organisation=trust,
            uploaded_file=SimpleUploadedFile("usage.csv", GOOD.encode()),
            user=None,
        )


def test_a_full_disk_while_receiving_the_upload_is_a_form_error(trust, pm_client):
    full = OSError(errno.ENOSPC, "No space left on device")
    with mock.patch.object(WSGIRequest, "_load_post_and_files", side_effect=full):
        response = post_upload(pm_client, trust, GOOD.encode())
    assert response.status_code == 503
    assert "The file could not be saved because of a problem on our side" in (
        response.content.decode()
    )


def test_the_stored_name_is_ours_not_the_uploaders(trust):
    with (
        scope(organisation=trust),
        mock.patch.object(usage_import, "write_rows", side_effect=RuntimeError),
    ):
        record = usage_import_start(
            organisation=trust,
            uploaded_file=SimpleUploadedFile("March usage.csv", GOOD.encode()),
            user=None,
        )
    assert record.original_name == "March usage.csv"
    assert re.fullmatch(r"usage-imports/\d{4}/\d{2}/[0-9a-f]{32}\.csv", record.file.name)
