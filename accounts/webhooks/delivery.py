"""Sending one webhook delivery, and the sweep that sends whatever is due.

A delivery is claimed before it is sent: one conditional UPDATE moves its next attempt a lease
ahead and counts the attempt, so a second worker (or the sweep) finds nothing due and sends
nothing. A worker killed mid-send leaves the claim to expire and the sweep tries again: delivery
is at least once, and receivers drop repeats by ``webhook-id`` as Standard Webhooks asks. A
delivery that succeeded is never sent again.
"""

import json
import logging
import random
import time
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.scoping import scope, scopes_disabled
from core.batch import run_isolated
from core.text import one_line

from ..models import AuditAction, AuditEntry, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from ..notifications import webhook_disabled_send
from . import signing
from .addresses import url_refusal

logger = logging.getLogger(__name__)

USER_AGENT = "NHS-Product-Portfolio-Webhooks/1"
ERROR_LIMIT = 300
BODY_EXCERPT = 200
JITTER = 0.1
# Longest wait a Retry-After header may ask for.
LONGEST_RETRY_AFTER = timedelta(hours=24)


def _lease() -> timedelta:
    """How long a claimed attempt holds its delivery: longer than any attempt can take."""
    return timedelta(seconds=2 * settings.WEBHOOK_TIMEOUT_SECONDS + 30)


def _signing_secrets(endpoint: WebhookEndpoint, now) -> list[str]:
    previous = endpoint.previous_secret
    if (
        previous
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > now
    ):
        return [endpoint.secret, previous]
    return [endpoint.secret]


def _retry_after(response) -> timedelta | None:
    value = response.headers.get("Retry-After", "")
    if value.isdigit():
        return min(timedelta(seconds=int(value)), LONGEST_RETRY_AFTER)
    return None


def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery):
    """POST the delivery, signed. Returns (succeeded, status code or None, error, retry after)."""
    if refusal := url_refusal(endpoint.url):
        return False, None, f"Not sent: {refusal}", None
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature_header(
            _signing_secrets(endpoint, timezone.now()), delivery.message_id, timestamp, body
        ),
    }
    proxy = settings.WEBHOOK_PROXY_URL
    with requests.Session() as session:
        session.trust_env = False  # no *_PROXY from the environment: only the one set here
        try:
            response = session.post(
                endpoint.url,
                data=body,
                headers=headers,
                timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
                allow_redirects=False,
                stream=True,  # read a few hundred bytes of the answer at most
                proxies={"http": proxy, "https": proxy} if proxy else None,
            )
        except requests.Timeout:
            return False, None, f"No answer within {settings.WEBHOOK_TIMEOUT_SECONDS} seconds", None
        except requests.ConnectionError:
            return False, None, "Could not connect to the server", None
        except requests.RequestException as error:
            return False, None, f"Could not send: {type(error).__name__}", None
        with response:
            return _outcome(response)


def _outcome(response):
    code = response.status_code
    if 200 <= code < 300:
        return True, code, "", None
    try:
        excerpt = response.raw.read(BODY_EXCERPT * 2, decode_content=True)
    except Exception:  # noqa: BLE001 - the answer's body is only a hint for the log
        excerpt = b""
    text = one_line(excerpt.decode(errors="replace"), limit=BODY_EXCERPT)
    reason = "a redirect (not followed)" if 300 <= code < 400 else f"HTTP {code}"
    error = f"Answered {reason}" + (f": {text}" if text else "")
    return False, code, error, _retry_after(response)


def webhook_delivery_attempt(delivery_id: int) -> str | None:
    """Send the delivery if it is due and its endpoint is on; returns its status afterwards,
    or None when there was nothing to do (sent already, not due, claimed by another worker)."""
    now = timezone.now()
    if not WebhookEndpoint.objects.filter(
        deliveries__pk=delivery_id, disabled_at__isnull=True
    ).exists():
        return None  # turned off (its deliveries wait) or deleted
    # No join in this UPDATE: every condition stays in its own WHERE, which PostgreSQL checks
    # again on the row a concurrent claim committed, so the second claim updates nothing.
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + _lease(), attempts=F("attempts") + 1, last_attempt_at=now)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    try:
        succeeded, code, error, retry_after = _post(delivery.endpoint, delivery)
    except Exception as unexpected:  # a fault of ours: counted like any failure, and logged
        logger.exception("Webhook delivery %s could not be sent.", delivery_id)
        succeeded, code, error, retry_after = (
            False,
            None,
            f"Could not send: {type(unexpected).__name__}",
            None,
        )
    if succeeded:
        return _record_success(delivery, code)
    return _record_failure(delivery, code, error, retry_after)


def _record_success(delivery: WebhookDelivery, code: int) -> str:
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.SUCCEEDED,
            delivered_at=timezone.now(),
            next_attempt_at=None,
            last_response_code=code,
            last_error="",
        )
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(
            consecutive_failures=0, failing_since=None
        )
    return DeliveryStatus.SUCCEEDED


def _next_delay(attempts: int, retry_after: timedelta | None) -> timedelta | None:
    """How long to wait after the ``attempts``-th failed attempt; None when none is left."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if attempts > len(schedule):
        return None
    seconds = schedule[attempts - 1]
    delay = timedelta(seconds=seconds * (1 + random.uniform(-JITTER, JITTER)))  # noqa: S311
    return max(delay, retry_after) if retry_after else delay


def _record_failure(delivery: WebhookDelivery, code, error: str, retry_after) -> str:
    now = timezone.now()
    disabled = False
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        delay = None if code == 410 else _next_delay(delivery.attempts, retry_after)
        status = DeliveryStatus.PENDING if delay is not None else DeliveryStatus.FAILED
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=status,
            next_attempt_at=now + delay if delay is not None else None,
            last_response_code=code,
            last_error=error[:ERROR_LIMIT],
        )
        endpoint.consecutive_failures += 1
        endpoint.failing_since = endpoint.failing_since or delivery.last_attempt_at or now
        fields = ["consecutive_failures", "failing_since"]
        reason = _disable_reason(endpoint, code, now)
        if endpoint.disabled_at is None and reason:
            endpoint.disabled_at = now
            endpoint.disabled_reason = reason
            fields += ["disabled_at", "disabled_reason"]
            # As accounts.services.audit_entry_create writes it (that module sends this one's
            # tasks, so cannot be imported here): the system did it, so no actor.
            AuditEntry.objects.create(
                organisation_id=endpoint.organisation_id,
                action=AuditAction.WEBHOOK_DISABLE,
                detail=f"{endpoint.url}: {reason}"[:255],
            )
            disabled = True
        endpoint.save(update_fields=fields)
    if disabled:
        _notify_disabled(endpoint.pk)
    return status


def _disable_reason(endpoint: WebhookEndpoint, code, now) -> str:
    if code == 410:
        return "The endpoint answered 410 Gone: it asked for no more webhooks"
    failing_for = now - endpoint.failing_since
    if endpoint.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES and (
        failing_for >= timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS)
    ):
        return f"Every attempt failed since {timezone.localtime(endpoint.failing_since):%d %b %Y %H:%M}"
    return ""


def _notify_disabled(endpoint_id: int) -> None:
    """E-mail the admins now; if that fails the sweep tries again."""
    try:
        webhook_disabled_send(endpoint_id=endpoint_id)
    except Exception:
        logger.exception(
            "Webhook endpoint %s: the e-mail saying it was turned off failed.", endpoint_id
        )


def webhook_deliveries_sweep(*, enqueue, older_than_seconds: int = 10) -> dict:
    """Send every delivery that is due (retries, and first attempts whose task was lost while
    Redis was down), and the e-mails about endpoints turned off that did not go. Whole-database:
    it looks across every trust. ``enqueue(organisation_id, delivery_id)`` sends one delivery's
    task; ``older_than_seconds`` leaves a just-made delivery to the task its commit sent."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    with scopes_disabled():
        due = list(
            WebhookDelivery.objects.filter(
                status=DeliveryStatus.PENDING,
                next_attempt_at__lte=cutoff,
                endpoint__disabled_at__isnull=True,
            )
            .order_by("next_attempt_at")
            .values_list("organisation_id", "pk")[:1000]
        )
        unnoticed = list(
            WebhookEndpoint.objects.filter(
                disabled_at__isnull=False, disabled_notice_sent_at__isnull=True
            ).values_list("organisation_id", "pk")
        )
    report = run_isolated(
        "webhook delivery sweep",
        due,
        lambda row: enqueue(*row),
        key=lambda row: f"delivery {row[1]}",
    ).as_dict()
    for organisation_id, endpoint_id in unnoticed:
        with scope(organisations=[organisation_id]):
            _notify_disabled(endpoint_id)
    return report
