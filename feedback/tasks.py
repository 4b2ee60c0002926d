"""Notifications for feedback. Each is idempotent: it records when it was sent and sends once."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Membership
from accounts.permissions import Role

from .models import Feedback, StatusChange
from .services import sweep_unsent_notifications

RETRY = {
    "autoretry_for": (ConnectionError, TimeoutError, OSError),
    "retry_backoff": True,
    "max_retries": 8,
}


@shared_task(**RETRY)
def notify_safety_officer(feedback_id: int) -> None:
    with transaction.atomic():
        feedback = (
            Feedback.unscoped.select_for_update(of=("self",))
            .select_related("product", "product__clinical_safety_officer", "organisation")
            .filter(pk=feedback_id, patient_safety=True, safety_notified_at__isnull=True)
            .first()
        )
        if feedback is None:
            return
        officer = feedback.product.clinical_safety_officer
        recipients = [officer.email] if officer else []
        if not recipients:  # no named officer: every clinical safety officer in the trust
            recipients = list(
                Membership.objects.filter(
                    organisation_id=feedback.organisation_id, role=Role.CLINICAL_SAFETY_OFFICER
                ).values_list("user__email", flat=True)
            )
        if not recipients:
            recipients = list(
                Membership.objects.filter(
                    organisation_id=feedback.organisation_id, role=Role.ORG_ADMIN
                ).values_list("user__email", flat=True)
            )
        send_mail(
            subject=f"Patient safety concern: {feedback.product.name} ({feedback.organisation.name})",
            message=render_to_string(
                "feedback/email/safety_concern.txt",
                {"feedback": feedback, "service_name": settings.SERVICE_NAME},
            ),
            from_email=None,
            recipient_list=recipients,
        )
        feedback.safety_notified_at = timezone.now()
        feedback.save(update_fields=["safety_notified_at"])


@shared_task(**RETRY)
def send_you_said_we_did(status_change_id: int) -> None:
    with transaction.atomic():
        change = (
            StatusChange.unscoped.select_for_update(of=("self",))
            .select_related("feedback", "feedback__product", "organisation")
            .filter(pk=status_change_id, notified_at__isnull=True)
            .first()
        )
        if change is None:
            return
        feedback = change.feedback
        submitters = Feedback.unscoped.filter(contact_consent=True).exclude(contact_email="")
        emails = set(
            submitters.filter(pk=feedback.pk).values_list("contact_email", flat=True)
        ) | set(submitters.filter(duplicate_of=feedback).values_list("contact_email", flat=True))
        context = {"change": change, "feedback": feedback, "service_name": settings.SERVICE_NAME}
        for email in sorted(emails):
            send_mail(
                subject=f"You said, we did: your feedback on {feedback.product.name}",
                message=render_to_string("feedback/email/you_said_we_did.txt", context),
                from_email=None,
                recipient_list=[email],
            )
        change.notified_at = timezone.now()
        change.save(update_fields=["notified_at"])


@shared_task
def sweep_notifications() -> int:
    return sweep_unsent_notifications()
