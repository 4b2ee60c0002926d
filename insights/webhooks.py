"""What insights tells the trust's webhook endpoints (accounts.webhooks)."""

from django.urls import reverse

from accounts.models import WebhookEvent
from accounts.webhooks.links import webhook_link
from accounts.webhooks.services import webhook_emit
from portfolio.models import Contract


def contract_notice_due_emit(contract: Contract, *, days_left: int, threshold: int) -> None:
    """A renewal reminder went out: the notice deadline is ``threshold`` days away or less."""
    webhook_emit(
        contract.organisation_id,
        WebhookEvent.CONTRACT_NOTICE_DUE,
        lambda: {
            "contract": {
                "id": contract.pk,
                "reference": contract.reference,
                "supplier": str(contract.supplier),
                "end_date": contract.end_date,
                "notice_deadline": contract.notice_deadline,
            },
            "product": {
                "id": contract.product_id,
                "name": contract.product.name,
                "url": webhook_link(contract.product.get_absolute_url()),
            },
            "days_left": days_left,
            "threshold_days": threshold,
        },
    )


def summaries_updated_emit(organisation, months, rows_written: int) -> None:
    """Once per trust per recompute, whatever number of rows it wrote."""
    webhook_emit(
        organisation,
        WebhookEvent.SUMMARIES_UPDATED,
        lambda: {
            "months": [month.isoformat() for month in months],
            "rows_written": rows_written,
            "dashboard_url": webhook_link(
                reverse("insights:trust_dashboard", args=[organisation.ods_code])
            ),
        },
    )
