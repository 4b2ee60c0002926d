from celery import shared_task

from accounts.tenancy import TenantTask

from .usage_import import usage_import_process


@shared_task(base=TenantTask, acks_late=True)
def usage_import_process_task(organisation, import_id: int) -> None:
    usage_import_process(import_id)
