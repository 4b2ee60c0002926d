from celery import shared_task
from django.db import InterfaceError, OperationalError

from accounts.scoping import scopes_disabled
from accounts.tenancy import TenantTask
from core.queue import enqueue_on_commit

from .usage_import import (
    usage_import_files_delete_finished,
    usage_import_orphan_files_delete,
    usage_import_process,
    usage_imports_requeue_stuck,
)


@shared_task(
    base=TenantTask,
    acks_late=True,
    # The import retries its own database errors; these are the ones before it starts.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=3,
)
def usage_import_process_task(organisation, import_id: int) -> None:
    usage_import_process(import_id)


@shared_task
def usage_imports_requeue_stuck_task() -> dict:
    """Send imports whose progress stopped (a worker killed, a message lost) to a worker again,
    and delete the files no run will read again. Whole-database: it looks across every trust.
    Running an import twice is safe (the rows are upserted on their key)."""
    with scopes_disabled():
        return {
            **usage_imports_requeue_stuck(
                lambda organisation_id, import_id: enqueue_on_commit(
                    usage_import_process_task, organisation_id, import_id
                )
            ),
            "files_deleted": usage_import_files_delete_finished().as_dict(),
            "orphan_files_deleted": usage_import_orphan_files_delete(),
        }
