from django.core.exceptions import ValidationError
from django.db import transaction

from feedback.models import Status as FeedbackStatus
from feedback.services import triage

from .models import ItemStatus, RoadmapEvidence, RoadmapItem
from .rice import RiceError, rice_score

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


def _refresh(item: RoadmapItem) -> None:
    from django.utils import timezone

    from portfolio.services import request_summary_refresh

    request_summary_refresh(item.organisation_id, [timezone.localdate()])


def _score(item: RoadmapItem) -> None:
    try:
        item.rice_score = rice_score(item.reach, item.impact, item.confidence, item.effort)
    except RiceError as error:
        raise ValidationError({error.field: error.message}) from None


@transaction.atomic
def create_item(*, organisation, data: dict, user) -> RoadmapItem:
    item = RoadmapItem(organisation=organisation, **{k: data[k] for k in ITEM_FIELDS if k in data})
    if item.product.organisation_id != organisation.pk:
        raise ValidationError({"product": "Select a product from the list"})
    _score(item)
    item.save()
    if item.status == ItemStatus.RELEASED:
        _close_the_loop(item, user)
    _refresh(item)
    return item


@transaction.atomic
def update_item(*, item: RoadmapItem, data: dict, user) -> RoadmapItem:
    item = RoadmapItem.unscoped.select_for_update().get(pk=item.pk)
    was_released = item.status == ItemStatus.RELEASED
    for name in ITEM_FIELDS:
        if name in data:
            setattr(item, name, data[name])
    if item.product.organisation_id != item.organisation_id:
        raise ValidationError({"product": "Select a product from the list"})
    _score(item)
    item.save()
    if item.status == ItemStatus.RELEASED and not was_released:
        _close_the_loop(item, user)
    _refresh(item)
    return item


@transaction.atomic
def move_item(*, item: RoadmapItem, horizon: str) -> None:
    RoadmapItem.unscoped.filter(pk=item.pk).update(horizon=horizon)


@transaction.atomic
def set_status(*, item: RoadmapItem, status: str, user) -> RoadmapItem:
    return update_item(item=item, data={"status": status}, user=user)


def _close_the_loop(item: RoadmapItem, user) -> None:
    """Released: every cited feedback item becomes done, through feedback's own triage (and emails)."""
    response = f"Released: {item.title}."
    if item.expected_outcome:
        response += f" {item.expected_outcome}"
    for link in item.evidence_links.select_related("feedback"):
        feedback = link.feedback
        if feedback.status in {FeedbackStatus.DONE, FeedbackStatus.DUPLICATE}:
            continue
        triage(feedback=feedback, status=FeedbackStatus.DONE, response=response, user=user)


@transaction.atomic
def link_evidence(*, item: RoadmapItem, feedback) -> RoadmapEvidence:
    if feedback.organisation_id != item.organisation_id:
        raise ValidationError({"feedback": "Select feedback from the list"})
    link, _ = RoadmapEvidence.unscoped.get_or_create(
        organisation_id=item.organisation_id, item=item, feedback=feedback
    )
    return link


def unlink_evidence(*, item: RoadmapItem, feedback_id: int) -> None:
    RoadmapEvidence.unscoped.filter(item=item, feedback_id=feedback_id).delete()
