"""Uploads stored in the database, streamed in chunks: no shared disk between web and worker.

Selected by the ``UPLOAD_STORAGE`` setting (``database``, the default, or ``filesystem`` for
``MEDIA_ROOT``). A file is written in one transaction, so a failure (a full disk on the
database server, a dropped connection) leaves nothing behind; the caller sees an ``OSError``,
as it would from a full local disk.
"""

import io

from django.core.files.base import File
from django.core.files.storage import Storage
from django.db import DatabaseError, transaction
from django.utils.deconstruct import deconstructible

from .models import StoredFile, StoredFileChunk

CHUNK_BYTES = 1024 * 1024


@deconstructible
class DatabaseStorage(Storage):
    def _save(self, name, content):
        try:
            with transaction.atomic():
                stored = StoredFile.objects.create(name=name)
                size = 0
                if hasattr(content, "seek") and getattr(content, "seekable", lambda: True)():
                    content.seek(0)
                for index, piece in enumerate(_pieces(content)):
                    StoredFileChunk.objects.create(file=stored, index=index, data=piece)
                    size += len(piece)
                stored.size = size
                stored.save(update_fields=["size"])
        except DatabaseError as error:
            raise OSError(f"Could not store {name} in the database: {error}") from error
        return name

    def _open(self, name, mode="rb"):
        if any(flag in mode for flag in "wa+"):
            raise ValueError("Stored files are written with save(), not opened for writing.")
        stored = StoredFile.objects.filter(name=name).only("pk").first()
        if stored is None:
            raise FileNotFoundError(name)
        return File(io.BufferedReader(_ChunkReader(stored.pk), CHUNK_BYTES), name=name)

    def exists(self, name):
        return StoredFile.objects.filter(name=name).exists()

    def delete(self, name):
        if not name:
            raise ValueError("The name must be given to delete().")
        try:
            StoredFile.objects.filter(name=name).delete()  # chunks go with it (CASCADE)
        except DatabaseError as error:
            raise OSError(f"Could not delete {name}: {error}") from error

    def size(self, name):
        size = StoredFile.objects.filter(name=name).values_list("size", flat=True).first()
        if size is None:
            raise FileNotFoundError(name)
        return size

    def get_created_time(self, name):
        created = StoredFile.objects.filter(name=name).values_list("created_at", flat=True).first()
        if created is None:
            raise FileNotFoundError(name)
        return created

    get_modified_time = get_created_time

    def listdir(self, path):
        prefix = f"{path.rstrip('/')}/" if path else ""
        names = StoredFile.objects.filter(name__startswith=prefix).values_list("name", flat=True)
        dirs, files = set(), []
        for name in names:
            rest = name[len(prefix) :]
            if "/" in rest:
                dirs.add(rest.split("/", 1)[0])
            else:
                files.append(rest)
        return sorted(dirs), sorted(files)

    def url(self, name):
        raise NotImplementedError("Uploads are read by the app, never served by URL.")


def _pieces(content):
    """The content in pieces of at most ``CHUNK_BYTES``, whatever kind of file it is."""
    if hasattr(content, "chunks"):
        pieces = content.chunks(CHUNK_BYTES)
    else:
        pieces = iter(lambda: content.read(CHUNK_BYTES), content.read(0))
    for piece in pieces:
        yield piece.encode() if isinstance(piece, str) else piece


class _ChunkReader(io.RawIOBase):
    """Reads a stored file one chunk (one query) at a time."""

    def __init__(self, file_id: int):
        self._file_id = file_id
        self._index = 0
        self._buffer = memoryview(b"")

    def readable(self):
        return True

    def readinto(self, target) -> int:
        if not self._buffer:
            data = (
                StoredFileChunk.objects.filter(file_id=self._file_id, index=self._index)
                .values_list("data", flat=True)
                .first()
            )
            if data is None:
                return 0
            self._index += 1
            self._buffer = memoryview(bytes(data))
        count = min(len(target), len(self._buffer))
        target[:count] = self._buffer[:count]
        self._buffer = self._buffer[count:]
        return count
