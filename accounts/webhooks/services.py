"""Writes and business rules for webhooks: endpoints, and the events reported to them.

Every function runs inside the caller's tenant scope (a view's, a task's, or a whole-database job's).
"""

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.queue import enqueue_on_commit

from ..models import (
    WEBHOOK_TEST_EVENT,
    AuditAction,
    Organisation,
    WebhookDelivery,
    WebhookEndpoint,
)
from ..services import audit_entry_create
from ..tasks import webhook_deliver_task
from . import signing
from .addresses import url_refusal
from .links import webhook_link

__all__ = ["webhook_emit", "webhook_link"]

MAX_ENDPOINTS = 20
TEST_EVENT_MESSAGE = (
    f"A test event from {settings.SERVICE_NAME}. It shows this endpoint receives and can verify "
    "our webhooks; no action is needed."
)

type Fields = dict | Callable[[], dict] | None


def _evaluate(fields: Fields) -> dict:
    return (fields() if callable(fields) else fields) or {}


def _timestamp(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _deliveries_create(endpoints, event_type: str, data: dict, free_text: dict) -> list:
    """One delivery per endpoint, all with one message id (the event's), sent after the commit."""
    now = timezone.now()
    message_id = signing.message_id_new()
    deliveries = []
    for endpoint in endpoints:
        organisation = endpoint.organisation
        payload = {
            "type": event_type,
            "timestamp": _timestamp(now),
            "organisation": {"ods_code": organisation.ods_code, "name": organisation.name},
            "data": {**data, **(free_text if endpoint.include_free_text else {})},
        }
        delivery = WebhookDelivery.objects.create(
            organisation_id=endpoint.organisation_id,
            endpoint=endpoint,
            message_id=message_id,
            event_type=event_type,
            payload=payload,
            next_attempt_at=now,
        )
        enqueue_on_commit(webhook_deliver_task, endpoint.organisation_id, delivery.pk)
        deliveries.append(delivery)
    return deliveries


def webhook_emit(organisation, event_type: str, data: Fields, *, free_text: Fields = None) -> int:
    """Report ``event_type`` to each enabled endpoint of ``organisation`` (or its id) that
    subscribes to it. Call it inside the transaction of the change: the deliveries commit with
    it, and are sent after. Returns how many deliveries were written.

    ``data`` holds ids, links and fields that identify nobody; ``free_text`` what people typed,
    sent only to endpoints whose trust opted in. Either may be a function that builds it: it is
    called only when some endpoint subscribes, so a trust without endpoints pays one query.
    """
    organisation_id = getattr(organisation, "pk", organisation)
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.select_related("organisation").filter(
            organisation_id=organisation_id, disabled_at__isnull=True
        )
        if endpoint.subscribes_to(event_type)
    ]
    if not endpoints:
        return 0
    return len(
        _deliveries_create(
            endpoints,
            event_type,
            _evaluate(data),
            _evaluate(free_text) if any(e.include_free_text for e in endpoints) else {},
        )
    )


def _describe(endpoint: WebhookEndpoint) -> str:
    return f"{endpoint.description} ({endpoint.url})" if endpoint.description else endpoint.url


@transaction.atomic
def webhook_endpoint_create(
    *,
    organisation: Organisation,
    url: str,
    description: str,
    event_types: list[str],
    include_free_text: bool,
    actor,
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint to the trust in scope; returns it and its signing secret."""
    if refusal := url_refusal(url):
        raise ValidationError({"url": refusal})
    if not event_types:
        raise ValidationError({"event_types": "Select at least one event"})
    Organisation.objects.select_for_update().get(pk=organisation.pk)  # count, then add, alone
    if WebhookEndpoint.objects.filter(organisation=organisation).count() >= MAX_ENDPOINTS:
        raise ValidationError(
            f"An organisation can have up to {MAX_ENDPOINTS} endpoints. Delete one you no "
            "longer use first."
        )
    endpoint = WebhookEndpoint.objects.create(
        organisation=organisation,
        url=url,
        description=description,
        event_types=list(event_types),
        include_free_text=include_free_text,
        secret=signing.secret_new(),
        created_by=actor,
    )
    audit_entry_create(
        organisation=organisation,
        actor=actor,
        action=AuditAction.WEBHOOK_CREATE,
        detail=f"{_describe(endpoint)}{', with free text' if include_free_text else ''}",
    )
    return endpoint, endpoint.secret


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor) -> None:
    """Delete the endpoint and its delivery log; nothing more is sent to it."""
    audit_entry_create(
        organisation=endpoint.organisation,
        actor=actor,
        action=AuditAction.WEBHOOK_DELETE,
        detail=_describe(endpoint),
    )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


@transaction.atomic
def webhook_endpoint_disable(*, endpoint: WebhookEndpoint, actor) -> WebhookEndpoint:
    """Stop sending to the endpoint. Deliveries waiting for it wait on, until it is turned on."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if endpoint.disabled_at is not None:
        return endpoint
    endpoint.disabled_at = timezone.now()
    endpoint.disabled_reason = f"Turned off by {actor.email}" if actor else "Turned off"
    endpoint.disabled_notice_sent_at = endpoint.disabled_at  # they know: they did it
    endpoint.save(update_fields=["disabled_at", "disabled_reason", "disabled_notice_sent_at"])
    audit_entry_create(
        organisation=endpoint.organisation,
        actor=actor,
        action=AuditAction.WEBHOOK_DISABLE,
        detail=_describe(endpoint),
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_enable(*, endpoint: WebhookEndpoint, actor) -> WebhookEndpoint:
    """Send to the endpoint again, failure count reset; what waited for it goes out now."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if endpoint.disabled_at is None:
        return endpoint
    if refusal := url_refusal(endpoint.url):
        raise ValidationError(refusal)
    endpoint.disabled_at = None
    endpoint.disabled_reason = ""
    endpoint.disabled_notice_sent_at = None
    endpoint.consecutive_failures = 0
    endpoint.failing_since = None
    endpoint.save(
        update_fields=[
            "disabled_at",
            "disabled_reason",
            "disabled_notice_sent_at",
            "consecutive_failures",
            "failing_since",
        ]
    )
    now = timezone.now()
    WebhookDelivery.objects.filter(
        endpoint=endpoint, status="pending", next_attempt_at__gt=now
    ).update(next_attempt_at=now)
    audit_entry_create(
        organisation=endpoint.organisation,
        actor=actor,
        action=AuditAction.WEBHOOK_ENABLE,
        detail=_describe(endpoint),
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint, actor) -> str:
    """Give the endpoint a new secret; returns it. The old one signs alongside it (a second
    signature in the header) for ``settings.WEBHOOK_SECRET_OVERLAP_HOURS``."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + timedelta(
        hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS
    )
    endpoint.secret = signing.secret_new()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    audit_entry_create(
        organisation=endpoint.organisation,
        actor=actor,
        action=AuditAction.WEBHOOK_ROTATE,
        detail=_describe(endpoint),
    )
    return endpoint.secret


@transaction.atomic
def webhook_test_send(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a ``webhook.test`` event to this endpoint only, whatever it subscribes to."""
    endpoint = WebhookEndpoint.objects.select_related("organisation").get(pk=endpoint.pk)
    if endpoint.disabled_at is not None:
        raise ValidationError("Turn the endpoint on before you send it a test event.")
    [delivery] = _deliveries_create(
        [endpoint],
        WEBHOOK_TEST_EVENT,
        {"endpoint_id": endpoint.pk, "message": TEST_EVENT_MESSAGE},
        {},
    )
    return delivery
