"""Read queries for webhooks, inside the trust's scope."""

from django.db.models import QuerySet

from ..models import WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list() -> QuerySet[WebhookEndpoint]:
    """The endpoints of the trust in scope, newest first, with who added them."""
    return WebhookEndpoint.objects.select_related("created_by")


def webhook_endpoint_get(endpoint_id: int) -> WebhookEndpoint:
    return WebhookEndpoint.objects.select_related("organisation", "created_by").get(pk=endpoint_id)


def webhook_delivery_list(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's delivery log, newest first (without the payloads: the log does not show them)."""
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .defer("payload")
        .order_by("-created_at", "-pk")
    )
