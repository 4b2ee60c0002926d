"""Writes and business rules for feedback: submit, vote, triage, merge, safety, links."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from config.queue import enqueue_on_commit

from .models import (
    CLOSING_THE_LOOP_STATUSES,
    Feedback,
    FeedbackLink,
    FeedbackVote,
    Status,
    StatusChange,
)


def _refresh(feedback: Feedback) -> None:
    from django.utils import timezone as tz

    from portfolio.services import request_summary_refresh

    request_summary_refresh(
        feedback.organisation_id, [tz.localdate(feedback.created_at), tz.localdate()]
    )


SUBMIT_FIELDS = (
    "product",
    "staff_group",
    "rating",
    "category",
    "text",
    "patient_safety",
    "site",
    "contact_email",
    "contact_consent",
)


@transaction.atomic
def submit_feedback(
    *, organisation, data: dict, link: FeedbackLink | None = None, user=None
) -> Feedback:
    """Save first; the safety notification is enqueued only after the commit."""
    if data["product"].organisation_id != organisation.pk:
        raise ValidationError({"product": "Select a product from the list"})
    values = {name: data.get(name) for name in SUBMIT_FIELDS}
    values["site"] = values["site"] or (link.site if link else "")
    values["contact_email"] = values["contact_email"] or ""
    values["contact_consent"] = bool(values["contact_consent"] and values["contact_email"])
    feedback = Feedback.unscoped.create(
        organisation=organisation, link=link, submitted_by=user, **values
    )
    if feedback.patient_safety:
        from .tasks import notify_safety_officer

        enqueue_on_commit(notify_safety_officer, feedback.pk)
    _refresh(feedback)
    return feedback


@transaction.atomic
def toggle_vote(*, feedback: Feedback, user) -> bool:
    """Add or remove the user's 'me too'; returns True if they now have a vote."""
    deleted, _ = FeedbackVote.unscoped.filter(feedback=feedback, user=user).delete()
    if deleted:
        return False
    FeedbackVote.unscoped.get_or_create(
        organisation_id=feedback.organisation_id, feedback=feedback, user=user
    )
    return True


@transaction.atomic
def triage(*, feedback: Feedback, status: str, response: str, user) -> StatusChange | None:
    feedback = Feedback.unscoped.select_for_update().get(pk=feedback.pk)
    if feedback.status == Status.DUPLICATE:
        raise ValidationError(
            {"status": "This feedback was merged into another item; triage that one instead"}
        )
    if feedback.status == status and feedback.response == response:
        return None
    change = StatusChange.unscoped.create(
        organisation_id=feedback.organisation_id,
        feedback=feedback,
        from_status=feedback.status,
        to_status=status,
        response=response,
        changed_by=user,
    )
    feedback.status = status
    feedback.response = response
    feedback.save(update_fields=["status", "response", "updated_at"])
    if status in CLOSING_THE_LOOP_STATUSES and status != change.from_status:
        from .tasks import send_you_said_we_did

        enqueue_on_commit(send_you_said_we_did, change.pk)
    return change


@transaction.atomic
def merge(*, duplicate: Feedback, target: Feedback, user) -> Feedback:
    """Fold ``duplicate`` into ``target``: its votes (and its author's voice) move across."""
    if duplicate.pk == target.pk:
        raise ValidationError({"target": "Feedback cannot be a duplicate of itself"})
    if target.status == Status.DUPLICATE:
        raise ValidationError(
            {"target": "That feedback is itself a duplicate; choose the item it was merged into"}
        )
    if duplicate.organisation_id != target.organisation_id:
        raise ValidationError({"target": "Select feedback from the list"})
    duplicate = Feedback.unscoped.select_for_update().get(pk=duplicate.pk)
    voters = set(FeedbackVote.unscoped.filter(feedback=target).values_list("user_id", flat=True))
    moved = [
        vote.user_id
        for vote in FeedbackVote.unscoped.filter(feedback=duplicate)
        if vote.user_id not in voters
    ]
    if (
        duplicate.submitted_by_id
        and duplicate.submitted_by_id not in voters | set(moved)
        and (duplicate.submitted_by_id != target.submitted_by_id)
    ):
        moved.append(duplicate.submitted_by_id)
    FeedbackVote.unscoped.bulk_create(
        [
            FeedbackVote(organisation_id=target.organisation_id, feedback=target, user_id=uid)
            for uid in moved
        ]
    )
    FeedbackVote.unscoped.filter(feedback=duplicate).delete()
    # Anything already merged into the duplicate now points at the target.
    Feedback.unscoped.filter(duplicate_of=duplicate).update(duplicate_of=target)
    StatusChange.unscoped.create(
        organisation_id=duplicate.organisation_id,
        feedback=duplicate,
        from_status=duplicate.status,
        to_status=Status.DUPLICATE,
        response=f"Merged into feedback #{target.pk}",
        changed_by=user,
    )
    duplicate.status = Status.DUPLICATE
    duplicate.duplicate_of = target
    duplicate.save(update_fields=["status", "duplicate_of", "updated_at"])
    return duplicate


@transaction.atomic
def acknowledge_safety_concern(*, feedback: Feedback, user) -> None:
    Feedback.unscoped.filter(pk=feedback.pk, safety_acknowledged_at__isnull=True).update(
        safety_acknowledged_at=timezone.now()
    )


@transaction.atomic
def close_safety_concern(*, feedback: Feedback, outcome: str, reference: str, user) -> Feedback:
    feedback = Feedback.unscoped.select_for_update().get(pk=feedback.pk)
    if not feedback.patient_safety:
        raise ValidationError("This feedback is not a safety concern")
    if feedback.safety_closed_at:
        raise ValidationError("This safety concern is already closed")
    if not outcome or not reference.strip():
        raise ValidationError(
            "A safety concern needs the officer's outcome and a reference to close"
        )
    now = timezone.now()
    feedback.safety_outcome = outcome
    feedback.safety_reference = reference.strip()
    feedback.safety_closed_at = now
    feedback.safety_closed_by = user
    feedback.safety_acknowledged_at = feedback.safety_acknowledged_at or now
    feedback.save()
    _refresh(feedback)
    return feedback


def create_link(*, organisation, data: dict, user) -> FeedbackLink:
    return FeedbackLink.unscoped.create(organisation=organisation, created_by=user, **data)


def set_link_enabled(*, link: FeedbackLink, enabled: bool) -> None:
    FeedbackLink.unscoped.filter(pk=link.pk).update(is_enabled=enabled)


def sweep_unsent_notifications(*, older_than: timedelta = timedelta(seconds=30)) -> int:
    """Re-enqueue notifications whose first enqueue failed (e.g. Redis was down). Idempotent."""
    from .tasks import notify_safety_officer, send_you_said_we_did

    cutoff = timezone.now() - older_than
    sent = 0
    for feedback_id in Feedback.unscoped.filter(
        patient_safety=True, safety_notified_at__isnull=True, created_at__lte=cutoff
    ).values_list("pk", flat=True):
        notify_safety_officer.delay(feedback_id)
        sent += 1
    for change_id in StatusChange.unscoped.filter(
        notified_at__isnull=True, to_status__in=CLOSING_THE_LOOP_STATUSES, changed_at__lte=cutoff
    ).values_list("pk", flat=True):
        send_you_said_we_did.delay(change_id)
        sent += 1
    return sent
