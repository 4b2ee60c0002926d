"""Writes and business rules for roadmap items and the feedback they cite.

Every function runs inside the caller's tenant scope (the view's, or the task base's).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from feedback.models import Status as FeedbackStatus
from feedback.services import feedback_triage

from .models import ItemStatus, RoadmapEvidence, RoadmapItem, Visibility
from .rice import RiceError, rice_score
from .signals import roadmap_changed
from .webhooks import roadmap_item_released_emit

ITEM_FIELDS = (
    "product",
    "title",
    "description",
    "status",
    "horizon",
    "target_quarter",
    "owner",
    "expected_outcome",
    "reach",
    "impact",
    "confidence",
    "effort",
    "visibility",
)


def _changed(item: RoadmapItem) -> None:
    """This month's figures count the items in flight."""
    roadmap_changed.send(
        sender=RoadmapItem, organisation_id=item.organisation_id, months=[timezone.localdate()]
    )


def _score(item: RoadmapItem) -> None:
    try:
        item.rice_score = rice_score(item.reach, item.impact, item.confidence, item.effort)
    except RiceError as error:
        raise ValidationError({error.field: error.message}) from None


@transaction.atomic
def roadmap_item_create(*, organisation, data: dict, user) -> RoadmapItem:
    item = RoadmapItem(organisation=organisation, **{k: data[k] for k in ITEM_FIELDS if k in data})
    if item.product.organisation_id != organisation.pk:
        raise ValidationError({"product": "Select a product from the list"})
    _score(item)
    item.save()
    if item.status == ItemStatus.RELEASED:
        _close_the_loop(item, user)
        roadmap_item_released_emit(item)
    _changed(item)
    return item


@transaction.atomic
def roadmap_item_update(*, item: RoadmapItem, data: dict, user) -> RoadmapItem:
    item = RoadmapItem.objects.select_for_update().get(pk=item.pk)
    was_released = item.status == ItemStatus.RELEASED
    was_public = item.visibility == Visibility.PUBLIC
    for name in ITEM_FIELDS:
        if name in data:
            setattr(item, name, data[name])
    if item.visibility == Visibility.PUBLIC and not was_public:
        # Each publication gets a new link: a link shared before the item was withdrawn stays dead.
        item.public_token = RoadmapItem._meta.get_field("public_token").get_default()
    if item.product.organisation_id != item.organisation_id:
        raise ValidationError({"product": "Select a product from the list"})
    _score(item)
    item.save()
    if item.status == ItemStatus.RELEASED and not was_released:
        _close_the_loop(item, user)
        roadmap_item_released_emit(item)
    _changed(item)
    return item


@transaction.atomic
def roadmap_item_delete(*, item: RoadmapItem, user) -> None:
    """Delete the item and its evidence links; the feedback it cited is kept as it is."""
    item = RoadmapItem.objects.select_for_update().get(pk=item.pk)
    _changed(item)
    item.delete()


@transaction.atomic
def roadmap_item_move(*, item: RoadmapItem, horizon: str) -> None:
    RoadmapItem.objects.filter(pk=item.pk).update(horizon=horizon)


@transaction.atomic
def roadmap_item_set_status(*, item: RoadmapItem, status: str, user) -> RoadmapItem:
    return roadmap_item_update(item=item, data={"status": status}, user=user)


def _close_the_loop(item: RoadmapItem, user) -> None:
    """Released: every cited feedback item becomes done, through feedback's own triage (and
    emails). A response the product manager wrote to that feedback is kept, with the release
    added after it: it is what the people who gave the feedback were told, in that person's own words."""
    note = f"Released: {item.title}."
    if item.expected_outcome:
        note += f" {item.expected_outcome}"
    for link in item.evidence_links.select_related("feedback"):
        feedback = link.feedback
        if feedback.status in {FeedbackStatus.DONE, FeedbackStatus.DUPLICATE}:
            continue
        feedback_triage(
            feedback=feedback,
            status=FeedbackStatus.DONE,
            response=release_response(feedback.response, note),
            user=user,
        )


def release_response(written: str, note: str) -> str:
    """The response a released item leaves on feedback it cites: the written one, then the
    release note (once, however often the item is released)."""
    written = written.strip()
    if not written:
        return note
    if note in written:
        return written
    return f"{written}\n\n{note}"


@transaction.atomic
def roadmap_evidence_link(*, item: RoadmapItem, feedback) -> RoadmapEvidence:
    if feedback.organisation_id != item.organisation_id:
        raise ValidationError({"feedback": "Select feedback from the list"})
    link, _ = RoadmapEvidence.objects.get_or_create(
        organisation_id=item.organisation_id, item=item, feedback=feedback
    )
    return link


def roadmap_evidence_unlink(*, item: RoadmapItem, feedback_id: int) -> None:
    RoadmapEvidence.objects.filter(item=item, feedback_id=feedback_id).delete()
