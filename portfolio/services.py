"""Writes and business rules for products, contracts and usage imports."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from accounts.scoping import scope
from config.queue import enqueue_on_commit

from . import usage_import
from .models import Contract, ImportStatus, Product, ProductChange, UsageImport

logger = logging.getLogger(__name__)

# Files up to this size are imported during the request; bigger ones go to a Celery worker.
INLINE_IMPORT_BYTES = 256 * 1024


def request_summary_refresh(organisation_id: int, months=None) -> None:
    """Recompute the trust's summaries after this transaction commits (months=None: all)."""
    from .tasks import recompute_summaries_task

    month_list = sorted({m.replace(day=1).isoformat() for m in months}) if months else None
    enqueue_on_commit(recompute_summaries_task, organisation_id, month_list)


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
    ProductChange.unscoped.create(
        organisation_id=product.organisation_id,
        product=product,
        changed_by=user,
        summary=summary,
        changes=changes,
    )


@transaction.atomic
def create_product(*, organisation, data: dict, user=None) -> Product:
    product = Product.unscoped.create(organisation=organisation, **data)
    _record_change(product, user, "Product added", {})
    request_summary_refresh(organisation.pk)
    return product


@transaction.atomic
def update_product(*, product: Product, data: dict, user) -> Product:
    product = Product.unscoped.select_for_update().get(pk=product.pk)
    changes = _apply(product, data, lambda name: name.capitalize())
    if changes:
        product.save()
        _record_change(product, user, "Product details changed", changes)
        request_summary_refresh(product.organisation_id)
    return product


@transaction.atomic
def set_archived(*, product: Product, archived: bool, user) -> Product:
    product = Product.unscoped.select_for_update().get(pk=product.pk)
    if product.is_archived == archived:
        return product
    product.archived_at = timezone.now() if archived else None
    product.save(update_fields=["archived_at", "updated_at"])
    _record_change(product, user, "Product archived" if archived else "Product restored", {})
    request_summary_refresh(product.organisation_id)
    return product


@transaction.atomic
def create_contract(*, product: Product, data: dict, user) -> Contract:
    contract = Contract.unscoped.create(
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
    request_summary_refresh(product.organisation_id)
    return contract


@transaction.atomic
def update_contract(*, contract: Contract, data: dict, user) -> Contract:
    contract = Contract.unscoped.select_for_update().get(pk=contract.pk)
    changes = _apply(contract, data, lambda name: f"Contract {name}")
    if changes:
        contract.save()
        _record_change(contract.product, user, "Contract changed", changes)
        request_summary_refresh(contract.organisation_id)
    return contract


def start_usage_import(*, organisation, uploaded_file, user) -> UsageImport:
    """Save the upload; small files import now, large ones in a worker (progress is visible)."""
    record = UsageImport.unscoped.create(
        organisation=organisation,
        file=uploaded_file,
        original_name=uploaded_file.name[:255],
        uploaded_by=user,
    )
    if uploaded_file.size <= INLINE_IMPORT_BYTES:
        process_usage_import(record.pk)
        record.refresh_from_db()
    else:
        from .tasks import process_usage_import_task

        enqueue_on_commit(process_usage_import_task, record.pk)
    return record


def process_usage_import(import_id: int) -> None:
    """Validate the whole file, then write every row or none. Safe to run twice."""
    record = UsageImport.unscoped.select_related("organisation").get(pk=import_id)
    if record.status in {ImportStatus.SUCCEEDED, ImportStatus.FAILED}:
        return
    UsageImport.unscoped.filter(pk=import_id).update(status=ImportStatus.PROCESSING)
    with scope(organisation=record.organisation):
        try:
            with record.file.open("rb") as handle:
                raw = handle.read(usage_import.MAX_UPLOAD_BYTES + 1)
            text = usage_import.decode(raw)

            def progress(done):
                UsageImport.unscoped.filter(pk=import_id).update(rows_processed=done)

            parsed = usage_import.parse(
                text, usage_import.products_by_name(), timezone.localdate(), progress=progress
            )
            if parsed.error_count:
                raise usage_import.ImportRejected(
                    parsed.errors, parsed.error_count, parsed.rows_total
                )
            UsageImport.unscoped.filter(pk=import_id).update(
                rows_total=parsed.rows_total, rows_processed=parsed.rows_total
            )
            written = usage_import.write_rows(record.organisation_id, parsed.rows)
            if parsed.rows:
                days = [row[1] for row in parsed.rows]
                first, last = min(days), max(days)
                from .summaries import months_between

                request_summary_refresh(record.organisation_id, months_between(first, last))
        except usage_import.ImportRejected as rejected:
            UsageImport.unscoped.filter(pk=import_id).update(
                status=ImportStatus.FAILED,
                errors=rejected.errors,
                error_count=rejected.error_count,
                rows_total=rejected.rows_total,
                rows_imported=0,
                finished_at=timezone.now(),
            )
            return
        UsageImport.unscoped.filter(pk=import_id).update(
            status=ImportStatus.SUCCEEDED,
            rows_imported=written,
            errors=[],
            error_count=0,
            finished_at=timezone.now(),
        )
