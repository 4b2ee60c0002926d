"""A worker finishing an outbox task marks its row done; a failure records why.

Imported by ``CoreConfig`` before the models are ready, so the model is looked up when a
signal arrives, not imported here.
"""

from celery.signals import task_failure, task_success
from django.apps import apps
from django.utils import timezone

PREFIX = "outbox-"


def _outbox_rows(task_id):
    if not task_id or not str(task_id).startswith(PREFIX):
        return None
    model = apps.get_model("core", "OutboxMessage")
    return model.objects.filter(pk=int(str(task_id).removeprefix(PREFIX)))


@task_success.connect(dispatch_uid="core-outbox-done")
def outbox_task_done(sender=None, **kwargs) -> None:
    rows = _outbox_rows(getattr(getattr(sender, "request", None), "id", None))
    if rows is not None:
        rows.update(done_at=timezone.now())


@task_failure.connect(dispatch_uid="core-outbox-failed")
def outbox_task_failed(sender=None, task_id=None, exception=None, **kwargs) -> None:
    rows = _outbox_rows(task_id)
    if rows is not None:
        rows.update(last_error=f"{type(exception).__name__}: {exception}"[:500])
