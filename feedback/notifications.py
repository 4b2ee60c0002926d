"""Emails about feedback. Each is idempotent: it records when it was sent and sends once.

Called by tasks (inside the feedback's tenant scope), after the change has committed. Subjects
are built from stored names, so each passes through ``_subject``: no value can add a header.
"""

import unicodedata
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from accounts.permissions import Role

from . import contact_tokens
from .models import Feedback, StatusChange

# While an address has an unconfirmed confirmation email younger than this, feedback naming it
# again sends nothing new: the one link confirms them all.
CONFIRMATION_RESEND_AFTER = timedelta(hours=24)


def _subject(text: str, limit: int = 200) -> str:
    """``text`` on one line: every control, format or line/paragraph separator character becomes
    a space and runs of spaces collapse, so a stored name cannot break the email's headers."""
    cleaned = "".join(
        " " if unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"} else char for char in text
    )
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


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
            subject=_subject(
                f"Patient safety concern: {feedback.product.name} ({feedback.organisation.name})"
            ),
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
        submitters = Feedback.objects.filter(
            contact_consent=True, contact_confirmed_at__isnull=False
        ).exclude(contact_email="")
        emails = set(
            submitters.filter(pk=feedback.pk).values_list("contact_email", flat=True)
        ) | set(submitters.filter(duplicate_of=feedback).values_list("contact_email", flat=True))
        context = {"change": change, "feedback": feedback, "service_name": settings.SERVICE_NAME}
        for email in sorted(emails):
            send_mail(
                subject=_subject(f"You said, we did: your feedback on {feedback.product.name}"),
                message=render_to_string("feedback/email/you_said_we_did.txt", context),
                from_email=None,
                recipient_list=[email],
            )
        change.notified_at = timezone.now()
        change.save(update_fields=["notified_at"])


def contact_confirmation_send(feedback_id: int, base_url: str) -> None:
    """The one email asking the owner of a contact address to confirm it, with a signed link that
    expires (``contact_tokens.MAX_AGE``). Not sent while the address already has an unconfirmed
    one younger than ``CONFIRMATION_RESEND_AFTER``: that link confirms this feedback too."""
    with transaction.atomic():
        feedback = (
            Feedback.objects.select_for_update(of=("self",))
            .select_related("product", "organisation")
            .filter(
                pk=feedback_id,
                contact_consent=True,
                contact_confirmed_at__isnull=True,
                contact_confirmation_sent_at__isnull=True,
            )
            .exclude(contact_email="")
            .first()
        )
        if feedback is None:
            return
        now = timezone.now()
        earlier = (
            Feedback.objects.filter(
                contact_email__iexact=feedback.contact_email,
                contact_confirmed_at__isnull=True,
                contact_confirmation_sent_at__gte=now - CONFIRMATION_RESEND_AFTER,
            )
            .exclude(pk=feedback.pk)
            .order_by("contact_confirmation_sent_at")
            .values_list("contact_confirmation_sent_at", flat=True)
            .first()
        )
        if earlier is None:
            token = contact_tokens.make_token(
                organisation_id=feedback.organisation_id,
                feedback_id=feedback.pk,
                email=feedback.contact_email,
            )
            context = {
                "feedback": feedback,
                "confirm_url": base_url.rstrip("/")
                + reverse("feedback:contact_confirm", args=[token]),
                "days": contact_tokens.MAX_AGE.days,
                "service_name": settings.SERVICE_NAME,
            }
            send_mail(
                subject=_subject(
                    f"Confirm your email address for feedback on {feedback.product.name}"
                ),
                message=render_to_string("feedback/email/contact_confirmation.txt", context),
                from_email=None,
                recipient_list=[feedback.contact_email],
            )
        # Covered by the earlier email when there is one: its time, so that no chain of feedback
        # keeps an address from ever being sent a fresh link.
        feedback.contact_confirmation_sent_at = earlier or now
        feedback.save(update_fields=["contact_confirmation_sent_at"])
