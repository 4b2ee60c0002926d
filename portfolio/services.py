"""Writes and business rules for products, contracts and usage imports.

Every function runs inside the caller's tenant scope (the view's, or the task base's).
"""

from __future__ import annotations

import logging
import uuid

from django.db import transaction
from django.utils import timezone

from core.queue import enqueue_on_commit

from .models import Contract, ImportSource, ImportStatus, Product, ProductChange, UsageImport
from .signals import portfolio_changed
from .tasks import usage_import_process_task
from .usage_import import usage_import_process

# Files up to this size are imported during the request; bigger ones go to a Celery worker.
INLINE_IMPORT_BYTES = 256 * 1024

logger = logging.getLogger(__name__)


def _changed(organisation_id: int) -> None:
    """Any month's figures may change (the summaries carry product and contract details)."""
    portfolio_changed.send(sender=Product, organisation_id=organisation_id, months=None)


def _display(instance, field_name: str) -> str:
    field = instance._meta.get_field(field_name)
    value = getattr(instance, field_name)
    if value in (None, ""):
        return "–"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _apply(instance, data: dict, label) -> dict:
    """Set ``data`` on ``instance``; return {label: [before, after]} for the values that changed."""
    changes = {}
    for name, value in data.items():
        before = _display(instance, name)
        setattr(instance, name, value)
        after = _display(instance, name)
        if before != after:
            changes[label(str(instance._meta.get_field(name).verbose_name))] = [before, after]
    return changes


def _record_change(product: Product, user, summary: str, changes: dict) -> None:
    ProductChange.objects.create(
        organisation_id=product.organisation_id,
        product=product,
        changed_by=user,
        summary=summary,
        changes=changes,
    )


@transaction.atomic
def product_create(*, organisation, data: dict, user=None) -> Product:
    product = Product.objects.create(organisation=organisation, **data)
    _record_change(product, user, "Product added", {})
    _changed(organisation.pk)
    return product


@transaction.atomic
def product_update(*, product: Product, data: dict, user) -> Product:
    product = Product.objects.select_for_update().get(pk=product.pk)
    changes = _apply(product, data, lambda name: name.capitalize())
    if changes:
        product.save()
        _record_change(product, user, "Product details changed", changes)
        _changed(product.organisation_id)
    return product


@transaction.atomic
def product_set_archived(*, product: Product, archived: bool, user) -> Product:
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.is_archived == archived:
        return product
    product.archived_at = timezone.now() if archived else None
    product.save(update_fields=["archived_at", "updated_at"])
    _record_change(product, user, "Product archived" if archived else "Product restored", {})
    _changed(product.organisation_id)
    return product


@transaction.atomic
def contract_create(*, product: Product, data: dict, user) -> Contract:
    contract = Contract.objects.create(
        organisation_id=product.organisation_id, product=product, **data
    )
    _record_change(
        product,
        user,
        "Contract added",
        {
            "Contract": [
                "–",
                f"{contract.supplier}, {contract.start_date:%d/%m/%Y} to "
                f"{contract.end_date:%d/%m/%Y}, £{contract.annual_cost:,.2f} a year",
            ]
        },
    )
    _changed(product.organisation_id)
    return contract


@transaction.atomic
def contract_update(*, contract: Contract, data: dict, user) -> Contract:
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    changes = _apply(contract, data, lambda name: f"Contract {name}")
    if changes:
        contract.save()
        _record_change(contract.product, user, "Contract changed", changes)
        _changed(contract.organisation_id)
    return contract


class UsageUploadNotSaved(Exception):
    """The server could not store the uploaded file (a full disk, a storage error)."""


class UsageImportNotRetryable(Exception):
    """Only an import that failed for a reason other than its rows, whose file is kept, can be
    tried again."""


def usage_import_start(
    *, organisation, uploaded_file, user, source: str = ImportSource.UPLOAD
) -> UsageImport:
    """Save the upload; small files import now, large ones in a worker (progress is visible).

    Raises UsageUploadNotSaved, leaving no file behind, if the storage cannot take the file.
    """
    storage = UsageImport._meta.get_field("file").storage
    # A name of our own (the person's file name is kept in original_name): it cannot clash, so
    # whatever a failed save left under it is ours to delete.
    name = UsageImport._meta.get_field("file").generate_filename(None, f"{uuid.uuid4().hex}.csv")
    try:
        name = storage.save(name, uploaded_file)
    except OSError as error:
        logger.exception("Could not store an uploaded usage file.")
        _delete_quietly(storage, name)
        raise UsageUploadNotSaved from error
    try:
        with transaction.atomic():  # the import and its task request (a large file) together
            record = UsageImport.objects.create(
                organisation=organisation,
                file=name,
                original_name=uploaded_file.name[:255],
                source=source,
                uploaded_by=user,
            )
            inline = _inline_or_enqueue(record, uploaded_file.size)
    except BaseException:
        _delete_quietly(storage, name)
        raise
    if inline:
        _process_now(record)
    return record


def usage_import_retry(*, record: UsageImport) -> UsageImport:
    """Queue a failed import again ("Try again"). Raises UsageImportNotRetryable.

    ``attempts`` carries on counting (it fences each run's writes), so after the sweep has given
    up on an import that kept being interrupted, each "Try again" gets one more run.
    """
    if not record.can_retry:
        raise UsageImportNotRetryable
    size = record.file.size
    with transaction.atomic():  # back to pending and its task request (a large file) together
        queued = UsageImport.objects.filter(
            pk=record.pk, status=ImportStatus.FAILED, file=record.file.name
        ).exclude(failure_reason="")
        if not queued.update(
            status=ImportStatus.PENDING,
            failure_reason="",
            rows_processed=0,
            progress_at=timezone.now(),
            finished_at=None,
        ):
            raise UsageImportNotRetryable  # someone else pressed it first
        inline = _inline_or_enqueue(record, size)
    if inline:
        _process_now(record)
    record.refresh_from_db()
    return record


def _inline_or_enqueue(record: UsageImport, size: int) -> bool:
    """Small files are imported during the request (True); large ones go to a worker."""
    if size <= INLINE_IMPORT_BYTES:
        return True
    enqueue_on_commit(usage_import_process_task, record.organisation_id, record.pk)
    return False


def _process_now(record: UsageImport) -> None:
    usage_import_process(record.pk)
    record.refresh_from_db()


def _delete_quietly(storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.exception("Could not delete %s after a failed upload.", name)
