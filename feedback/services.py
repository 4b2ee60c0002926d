"""Writes and business rules for feedback: submit, vote, triage, merge, safety, links.

Every function runs inside the caller's tenant scope (the view's, or the task base's).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.queue import enqueue_on_commit

from .models import (
    CLOSING_THE_LOOP_STATUSES,
    Feedback,
    FeedbackLink,
    FeedbackVote,
    Status,
    StatusChange,
)
from .signals import feedback_changed
from .tasks import (
    contact_confirmation_send_task,
    safety_concern_notify_task,
    status_change_notify_task,
)
from .webhooks import feedback_received_emit, feedback_status_changed_emit


def _changed(feedback: Feedback) -> None:
    """The figures of the month it was given in, and of this month, may have changed."""
    feedback_changed.send(
        sender=Feedback,
        organisation_id=feedback.organisation_id,
        months=[timezone.localdate(feedback.created_at), timezone.localdate()],
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


def _is_own_address(email: str, user) -> bool:
    return bool(user is not None and user.email and email.lower() == user.email.lower())


@transaction.atomic
def feedback_submit(
    *,
    organisation,
    data: dict,
    link: FeedbackLink | None = None,
    user=None,
    rate_limited: bool = False,
    base_url: str = "",
) -> Feedback:
    """Save first; the safety notification is enqueued only after the commit.

    A contact address is stored unconfirmed and its owner is emailed a confirmation link (built
    on ``base_url``): nobody can make the service write to someone else's address. The signed-in
    person's own address needs no confirmation. ``rate_limited``: saved although the public
    form's limit was reached (only a safety concern is), for triage to check.
    """
    if data["product"].organisation_id != organisation.pk:
        raise ValidationError({"product": "Select a product from the list"})
    values = {name: data.get(name) for name in SUBMIT_FIELDS}
    values["site"] = values["site"] or (link.site if link else "")
    values["contact_email"] = values["contact_email"] or ""
    values["contact_consent"] = bool(values["contact_consent"] and values["contact_email"])
    if not values["contact_consent"]:
        values["contact_email"] = ""
    confirmed = bool(values["contact_email"]) and _is_own_address(values["contact_email"], user)
    feedback = Feedback.objects.create(
        organisation=organisation,
        link=link,
        submitted_by=user,
        rate_limited=rate_limited,
        contact_confirmed_at=timezone.now() if confirmed else None,
        **values,
    )
    if feedback.patient_safety:
        enqueue_on_commit(safety_concern_notify_task, organisation.pk, feedback.pk)
    if feedback.contact_email and not confirmed:
        enqueue_on_commit(contact_confirmation_send_task, organisation.pk, feedback.pk, base_url)
    feedback_received_emit(feedback)
    _changed(feedback)
    return feedback


@transaction.atomic
def feedback_contact_confirm(*, feedback: Feedback) -> int:
    """The owner of ``feedback``'s contact address opened the link sent to it: every unconfirmed
    feedback of this trust naming that address is now confirmed (one email may have covered
    several). Returns how many."""
    return Feedback.objects.filter(
        contact_email__iexact=feedback.contact_email,
        contact_consent=True,
        contact_confirmed_at__isnull=True,
    ).update(contact_confirmed_at=timezone.now())


@transaction.atomic
def feedback_vote_toggle(*, feedback: Feedback, user) -> bool:
    """Add or remove the user's 'me too'; returns True if they now have a vote."""
    deleted, _ = FeedbackVote.objects.filter(feedback=feedback, user=user).delete()
    if deleted:
        return False
    FeedbackVote.objects.get_or_create(
        organisation_id=feedback.organisation_id, feedback=feedback, user=user
    )
    return True


@transaction.atomic
def feedback_triage(*, feedback: Feedback, status: str, response: str, user) -> StatusChange | None:
    feedback = Feedback.objects.select_for_update().get(pk=feedback.pk)
    if feedback.status == Status.DUPLICATE:
        raise ValidationError(
            {"status": "This feedback was merged into another item; triage that one instead"}
        )
    if feedback.status == status and feedback.response == response:
        return None
    change = StatusChange.objects.create(
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
        enqueue_on_commit(status_change_notify_task, feedback.organisation_id, change.pk)
    if status != change.from_status:
        feedback_status_changed_emit(feedback, change)
    return change


@transaction.atomic
def feedback_merge(*, duplicate: Feedback, target: Feedback, user) -> Feedback:
    """Fold ``duplicate`` into ``target``: its votes (and its author's voice) move across."""
    if duplicate.pk == target.pk:
        raise ValidationError({"target": "Feedback cannot be a duplicate of itself"})
    if target.status == Status.DUPLICATE:
        raise ValidationError(
            {"target": "That feedback is itself a duplicate; choose the item it was merged into"}
        )
    if duplicate.organisation_id != target.organisation_id:
        raise ValidationError({"target": "Select feedback from the list"})
    duplicate = Feedback.objects.select_for_update().get(pk=duplicate.pk)
    voters = set(FeedbackVote.objects.filter(feedback=target).values_list("user_id", flat=True))
    moved = [
        vote.user_id
        for vote in FeedbackVote.objects.filter(feedback=duplicate)
        if vote.user_id not in voters
    ]
    if (
        duplicate.submitted_by_id
        and duplicate.submitted_by_id not in voters | set(moved)
        and (duplicate.submitted_by_id != target.submitted_by_id)
    ):
        moved.append(duplicate.submitted_by_id)
    FeedbackVote.objects.bulk_create(
        [
            FeedbackVote(organisation_id=target.organisation_id, feedback=target, user_id=uid)
            for uid in moved
        ]
    )
    FeedbackVote.objects.filter(feedback=duplicate).delete()
    # Anything already merged into the duplicate now points at the target.
    Feedback.objects.filter(duplicate_of=duplicate).update(duplicate_of=target)
    change = StatusChange.objects.create(
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
    if change.from_status != Status.DUPLICATE:
        feedback_status_changed_emit(duplicate, change)
    return duplicate


@transaction.atomic
def safety_concern_acknowledge(*, feedback: Feedback, user) -> None:
    Feedback.objects.filter(pk=feedback.pk, safety_acknowledged_at__isnull=True).update(
        safety_acknowledged_at=timezone.now()
    )


@transaction.atomic
def safety_concern_close(*, feedback: Feedback, outcome: str, reference: str, user) -> Feedback:
    feedback = Feedback.objects.select_for_update().get(pk=feedback.pk)
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
    _changed(feedback)
    return feedback


def feedback_link_create(*, organisation, data: dict, user) -> FeedbackLink:
    return FeedbackLink.objects.create(organisation=organisation, created_by=user, **data)


def feedback_link_set_enabled(*, link: FeedbackLink, enabled: bool) -> None:
    FeedbackLink.objects.filter(pk=link.pk).update(is_enabled=enabled)
