"""What feedback tells the trust's webhook endpoints (accounts.webhooks): ids, links and fields
that identify nobody. What people wrote goes under ``free_text``, only to endpoints whose trust
allowed it; the submitter's name and contact address are never sent."""

from django.urls import reverse

from accounts.models import WebhookEvent
from accounts.webhooks.links import webhook_link
from accounts.webhooks.services import webhook_emit

from .models import Feedback, StatusChange


def _feedback(feedback: Feedback) -> dict:
    return {
        "id": feedback.pk,
        "url": webhook_link(feedback.get_absolute_url()),
        "product": {"id": feedback.product_id, "name": feedback.product.name},
        "category": feedback.category,
        "staff_group": feedback.staff_group,
        "rating": feedback.rating,
        "patient_safety": feedback.patient_safety,
        "site": feedback.site,
        "status": feedback.status,
        "created_at": feedback.created_at,
    }


def feedback_received_emit(feedback: Feedback) -> None:
    """New feedback; a safety concern is also reported as one, with the officer's page."""
    text = {"free_text": {"text": feedback.text}}
    webhook_emit(
        feedback.organisation_id,
        WebhookEvent.FEEDBACK_RECEIVED,
        lambda: {"feedback": _feedback(feedback)},
        free_text=text,
    )
    if feedback.patient_safety:
        webhook_emit(
            feedback.organisation_id,
            WebhookEvent.SAFETY_CONCERN_RAISED,
            lambda: {
                "feedback": _feedback(feedback),
                "safety_concern_url": webhook_link(
                    reverse(
                        "feedback:safety_concern_detail",
                        args=[feedback.organisation.ods_code, feedback.pk],
                    )
                ),
            },
            free_text=text,
        )


def feedback_status_changed_emit(feedback: Feedback, change: StatusChange) -> None:
    webhook_emit(
        feedback.organisation_id,
        WebhookEvent.FEEDBACK_STATUS_CHANGED,
        lambda: {
            "feedback": _feedback(feedback),
            "from_status": change.from_status,
            "to_status": change.to_status,
            "duplicate_of": feedback.duplicate_of_id,
            "changed_at": change.changed_at,
        },
        free_text=lambda: {"free_text": {"text": feedback.text, "response": change.response}},
    )
