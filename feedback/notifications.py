"""Emails about feedback. Each is idempotent: it records when it was sent and sends once.

Called by tasks (inside the feedback's tenant scope), after the change has committed. Subjects
are built from stored names; ``core.mail.mail_send`` puts each on one line, so no value can add
a header. A notification that fails for a reason other than a network fault is counted; after
``MAX_FAILURES`` the sweep stops re-sending it and an error is logged (the row stays visible in
the app: a safety concern is in the safety queue whether or not its e-mail went).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from accounts.permissions import Role
from core.mail import mail_send

from . import contact_tokens
from .models import Feedback, StatusChange

# While an address has an unconfirmed confirmation email younger than this, feedback naming it
# again sends nothing new: the one link confirms them all.
CONFIRMATION_RESEND_AFTER = timedelta(hours=24)
# Network faults (the mail server or the broker away) are retried without limit by the sweep;
# any other failure is counted, and after this many the notification is given up and logged.
TRANSIENT_ERRORS = (ConnectionError, TimeoutError, OSError)
MAX_FAILURES = 5

logger = logging.getLogger(__name__)


def _counting_failures(model, failures_field: str):
    """Decorator: a non-transient failure of ``notify(pk)`` adds one to the row's failure count."""

    def decorator(notify):
        def wrapped(pk, *args, **kwargs):
            try:
                return notify(pk, *args, **kwargs)
            except TRANSIENT_ERRORS:
                raise
            except Exception:
                model.objects.filter(pk=pk).update(**{failures_field: F(failures_field) + 1})
                count = model.objects.filter(pk=pk).values_list(failures_field, flat=True).first()
                if count is not None and count >= MAX_FAILURES:
                    logger.error(
                        "%s %s: notification failed %s times; giving up.",
                        model._meta.label,
                        pk,
                        count,
                    )
                raise

        wrapped.__name__ = notify.__name__
        wrapped.__doc__ = notify.__doc__
        return wrapped

    return decorator


def _safety_recipients(feedback: Feedback) -> list[str]:
    """The product's named officer; else every clinical safety officer of the trust; else its admins."""
    active = Membership.objects.filter(
        organisation_id=feedback.organisation_id, suspended_at__isnull=True
    )
    officer = feedback.product.clinical_safety_officer
    if officer and active.filter(user=officer, role=Role.CLINICAL_SAFETY_OFFICER).exists():
        return [officer.email]
    for role in (Role.CLINICAL_SAFETY_OFFICER, Role.ORG_ADMIN):
        recipients = list(active.filter(role=role).values_list("user__email", flat=True))
        if recipients:
            return recipients
    return []


@_counting_failures(Feedback, "safety_notify_failures")
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
        mail_send(
            subject=f"Patient safety concern: {feedback.product.name} ({feedback.organisation.name})",
            body=render_to_string(
                "feedback/email/safety_concern.txt",
                {"feedback": feedback, "service_name": settings.SERVICE_NAME},
            ),
            to=_safety_recipients(feedback),
        )
        feedback.safety_notified_at = timezone.now()
        feedback.save(update_fields=["safety_notified_at"])


@_counting_failures(StatusChange, "notify_failures")
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
            mail_send(
                subject=f"You said, we did: your feedback on {feedback.product.name}",
                body=render_to_string("feedback/email/you_said_we_did.txt", context),
                to=[email],
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
            mail_send(
                subject=f"Confirm your email address for feedback on {feedback.product.name}",
                body=render_to_string("feedback/email/contact_confirmation.txt", context),
                to=[feedback.contact_email],
            )
        # Covered by the earlier email when there is one: its time, so that no chain of feedback
        # keeps an address from ever being sent a fresh link.
        feedback.contact_confirmation_sent_at = earlier or now
        feedback.save(update_fields=["contact_confirmation_sent_at"])
