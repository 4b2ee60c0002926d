"""The transactional outbox: every background task is first a row written with the change that
asks for it, so a committed change never depends on Redis being up at that moment."""

from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    """One task to run: sent after the commit, re-sent by the relay until a worker finishes it.

    Holds only the task's name and its JSON arguments (ids, not data), so it is not tenant data.
    """

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                name="core_outbox_waiting_idx",
                condition=models.Q(done_at__isnull=True),
            )
        ]

    def __str__(self):
        return f"{self.task} {self.args} ({'done' if self.done_at else 'waiting'})"

    @property
    def task_id(self) -> str:
        return f"outbox-{self.pk}"


class StoredFile(models.Model):
    """A file kept in the database (see core.storage.DatabaseStorage): web and worker read the
    same uploads wherever they run, and a database backup holds them too."""

    name = models.CharField(max_length=255, unique=True)
    size = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.name


class StoredFileChunk(models.Model):
    """One piece of a stored file, so that saving or reading never holds a whole file at once."""

    file = models.ForeignKey(StoredFile, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["file", "index"], name="core_stored_file_chunk_unique")
        ]

    def __str__(self):
        return f"{self.file_id}#{self.index}"
