"""What the roadmap tells the trust's webhook endpoints (accounts.webhooks)."""

from django.urls import reverse
from django.utils import timezone

from accounts.models import WebhookEvent
from accounts.webhooks.links import webhook_link
from accounts.webhooks.services import webhook_emit

from .models import RoadmapItem, Visibility


def _item(item: RoadmapItem) -> dict:
    public = item.visibility == Visibility.PUBLIC
    return {
        "id": item.pk,
        "url": webhook_link(item.get_absolute_url()),
        "public_url": (
            webhook_link(reverse("roadmaps:item_public", args=[item.public_token]))
            if public
            else None
        ),
        "title": item.title,
        "product": {"id": item.product_id, "name": item.product.name},
        "status": item.status,
        "horizon": item.horizon,
        "target_quarter": item.target_quarter,
        "visibility": item.visibility,
        "evidence_feedback_ids": sorted(item.evidence_links.values_list("feedback_id", flat=True)),
    }


def roadmap_item_released_emit(item: RoadmapItem) -> None:
    webhook_emit(
        item.organisation_id,
        WebhookEvent.ROADMAP_ITEM_RELEASED,
        lambda: {"roadmap_item": _item(item), "released_at": timezone.now()},
        free_text=lambda: {
            "free_text": {
                "description": item.description,
                "expected_outcome": item.expected_outcome,
            }
        },
    )
