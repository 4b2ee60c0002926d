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
