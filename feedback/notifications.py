"""Emails about feedback. Each is idempotent: it records when it was sent and sends once.

Called by tasks (inside the feedback's tenant scope), after the change has committed.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Membership
from accounts.permissions import Role

from .models import Feedback, StatusChange


def _safety_recipients(feedback: Feedback) -> list[str]:
    """The product's named officer; else every clinical safety officer of the trust; else its admins."""
    officer = feedback.product.clinical_safety_officer
    if officer:
        return [officer.email]
    for role in (Role.CLINICAL_SAFETY_OFFICER, Role.ORG_ADMIN):
        recipients = list(
            Membership.objects.filter(
                organisation_id=feedback.organisation_id, role=role
            ).values_list("user__email", flat=True)
        )
        if recipients:
            return recipients
    return []


def safety_concern_notify(feedback_id: int) -> None:
    with transaction.atomic():
        feedback = (
            Feedback.objects.select_for_update(of=("self",))
            .select_related("product", "product__clinical_safety_officer", "organisation")
            .filter(pk=feedback_id, patient_safety=True, safety_notified_at__isnull=True)
            .first()
        )
        if feedback is None:
            return
        send_mail(
            subject=f"Patient safety concern: {feedback.product.name} ({feedback.organisation.name})",
            message=render_to_string(
                "feedback/email/safety_concern.txt",
                {"feedback": feedback, "service_name": settings.SERVICE_NAME},
            ),
            from_email=None,
            recipient_list=_safety_recipients(feedback),
        )
        feedback.safety_notified_at = timezone.now()
        feedback.save(update_fields=["safety_notified_at"])


def status_change_notify(status_change_id: int) -> None:
    """'You said, we did': tell everyone who agreed to hear about this feedback (or its merged
    duplicates) what was decided."""
    with transaction.atomic():
        change = (
            StatusChange.objects.select_for_update(of=("self",))
            .select_related("feedback", "feedback__product", "organisation")
            .filter(pk=status_change_id, notified_at__isnull=True)
            .first()
        )
        if change is None:
            return
        feedback = change.feedback
        submitters = Feedback.objects.filter(contact_consent=True).exclude(contact_email="")
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
