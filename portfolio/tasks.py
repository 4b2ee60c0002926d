from celery import shared_task

from .services import process_usage_import


@shared_task(acks_late=True)
def process_usage_import_task(import_id: int) -> None:
    # The service sets the tenant scope from the import's own organisation.
    process_usage_import(import_id)
