"""Uploads kept in the database: streamed in chunks, all or nothing, readable by any process
that reaches the database (web and worker need no shared disk)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from core import storage as storage_module
from core.models import StoredFile, StoredFileChunk
from core.storage import DatabaseStorage
from portfolio.models import ImportStatus, UsageImport, UsageRecord
from portfolio.services import UsageUploadNotSaved, usage_import_start
from portfolio.tasks import usage_imports_requeue_stuck_task
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(storage_module, "CHUNK_BYTES", 7)


def test_the_default_upload_storage_is_the_database():
    assert isinstance(storages["default"], DatabaseStorage)
    assert UsageImport._meta.get_field("file").storage.exists("x") is False  # the same storage


def test_a_file_is_saved_in_chunks_and_read_back_exactly(small_chunks):
    storage = DatabaseStorage()
    body = b"date,product,active_users\n" + b"x" * 50 + "é\n".encode()
    name = storage.save("usage/a.csv", ContentFile(body))
    stored = StoredFile.objects.get(name=name)
    assert stored.size == len(body) == storage.size(name)
    assert stored.chunks.count() == -(-len(body) // 7)
    with storage.open(name, "rb") as handle:
        assert handle.read(5) == body[:5]
        assert handle.read() == body[5:]
    assert storage.exists(name)
    assert storage.listdir("usage") == ([], ["a.csv"])
    assert storage.listdir("") == (["usage"], [])


def test_reading_fetches_one_chunk_at_a_time(small_chunks, django_assert_num_queries):
    storage = DatabaseStorage()
    name = storage.save("b.csv", ContentFile(b"0123456789" * 3))  # 5 chunks of 7 bytes
    with storage.open(name) as handle, django_assert_num_queries(1):
        assert handle.read(1) == b"0"


def test_a_name_in_use_gets_another_one():
    storage = DatabaseStorage()
    first = storage.save("c.csv", ContentFile(b"one"))
    second = storage.save("c.csv", ContentFile(b"two"))
    assert first != second
    assert storage.open(first).read() == b"one"
    assert storage.open(second).read() == b"two"


def test_a_text_file_is_stored_as_utf8():
    storage = DatabaseStorage()
    name = storage.save("t.csv", ContentFile("Ward 7 – café"))
    assert storage.open(name).read().decode() == "Ward 7 – café"


def test_a_missing_file_is_file_not_found():
    storage = DatabaseStorage()
    with pytest.raises(FileNotFoundError):
        storage.open("nope.csv")
    with pytest.raises(FileNotFoundError):
        storage.size("nope.csv")
    assert not storage.exists("nope.csv")
    storage.delete("nope.csv")  # deleting what is not there is not an error


def test_delete_removes_the_file_and_its_chunks(small_chunks):
    storage = DatabaseStorage()
    name = storage.save("d.csv", ContentFile(b"x" * 30))
    storage.delete(name)
    assert not StoredFile.objects.exists()
    assert not StoredFileChunk.objects.exists()


def test_opening_for_writing_is_refused():
    storage = DatabaseStorage()
    name = storage.save("w.csv", ContentFile(b"x"))
    with pytest.raises(ValueError, match="save"):
        storage.open(name, "wb")


def test_a_database_failure_half_way_leaves_nothing_and_is_an_os_error(small_chunks):
    storage = DatabaseStorage()
    real = StoredFileChunk.objects.create
    calls = []

    def create(**fields):
        calls.append(fields["index"])
        if len(calls) == 3:
            raise OperationalError("could not extend file: No space left on device")
        return real(**fields)

    with (
        mock.patch.object(StoredFileChunk.objects, "create", create),
        pytest.raises(OSError, match="No space left"),
    ):
        storage.save("e.csv", ContentFile(b"x" * 30))
    assert calls == [0, 1, 2]
    assert not StoredFile.objects.exists()
    assert not StoredFileChunk.objects.exists()


# --- Through the usage import -----------------------------------------------------------------

GOOD = "date,product,active_users,site\n2025-03-01,Meridian EPR,10,Main\n"


def test_an_upload_imports_from_the_database_and_leaves_no_file(org_admin_client, trust):
    client = org_admin_client
    ProductFactory(organisation=trust, name="Meridian EPR")
    response = client.post(
        reverse("portfolio:usage_import_create", args=[trust.ods_code]),
        {"file": SimpleUploadedFile("usage.csv", GOOD.encode(), content_type="text/csv")},
    )
    assert response.status_code == 302
    record = UsageImport.unscoped.get()
    assert record.status == ImportStatus.SUCCEEDED
    assert UsageRecord.unscoped.count() == 1
    assert not StoredFile.objects.exists()  # deleted once imported


def test_a_database_that_cannot_take_the_upload_saves_nothing(trust, org_admin):
    full = OperationalError("could not extend file: No space left on device")
    upload = SimpleUploadedFile("usage.csv", GOOD.encode(), content_type="text/csv")
    with (
        mock.patch.object(StoredFileChunk.objects, "create", side_effect=full),
        pytest.raises(UsageUploadNotSaved),
    ):
        usage_import_start(organisation=trust, uploaded_file=upload, user=org_admin.user)
    assert not UsageImport.unscoped.exists()
    assert not StoredFile.objects.exists()


def test_the_sweep_deletes_stored_uploads_no_import_names_after_a_day(trust):
    storage = DatabaseStorage()
    kept = UsageImport.unscoped.create(organisation=trust, original_name="usage.csv")
    kept.file.save("kept.csv", ContentFile(GOOD.encode()))
    orphan = storage.save("usage-imports/2026/11/orphan.csv", ContentFile(b"x"))
    fresh = storage.save("usage-imports/2026/11/fresh.csv", ContentFile(b"x"))
    other = storage.save("elsewhere/keep.csv", ContentFile(b"x"))
    day_ago = timezone.now() - timedelta(days=1, minutes=1)
    StoredFile.objects.exclude(name=fresh).update(created_at=day_ago)

    result = usage_imports_requeue_stuck_task()

    assert result["orphan_files_deleted"] == 1
    assert not storage.exists(orphan)
    assert storage.exists(kept.file.name) and storage.exists(fresh) and storage.exists(other)
