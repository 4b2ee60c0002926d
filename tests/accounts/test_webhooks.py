"""Webhooks: signed per Standard Webhooks, checked by a real HTTP receiver on a local port; sent
from the outbox (nothing lost with Redis down), retried on a schedule, and turned off (with an
e-mail to the admins) when they keep failing. The trust's pages for them."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    AuditAction,
    AuditEntry,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from accounts.permissions import Role
from accounts.scoping import scope, scopes_disabled
from accounts.tasks import webhook_deliveries_sweep_task
from accounts.webhooks import addresses, signing
from accounts.webhooks.delivery import webhook_delivery_attempt
from accounts.webhooks.services import (
    MAX_ENDPOINTS,
    webhook_emit,
    webhook_endpoint_create,
    webhook_endpoint_rotate_secret,
    webhook_test_send,
)
from config.celery import app
from core.models import OutboxMessage
from feedback.models import Feedback
from feedback.services import feedback_submit, feedback_triage
from insights.reminders import renewal_reminders_send
from insights.summaries import summaries_recompute
from roadmaps.services import roadmap_item_set_status
from tests.factories import (
    ContractFactory,
    FeedbackFactory,
    FeedbackLinkFactory,
    MembershipFactory,
    ProductFactory,
    RoadmapItemFactory,
    WebhookDeliveryFactory,
    WebhookEndpointFactory,
)
from tests.integration.private_redis import broker_at
from tests.webhook_receiver import Receiver, verify

pytestmark = pytest.mark.django_db

CONTACT = "ward7.sister@example.nhs.uk"
TEXT = "Discharge letters take nine clicks to send."


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def product(trust, cso):
    return ProductFactory(organisation=trust, name="Meridian EPR", clinical_safety_officer=cso.user)


def endpoint_for(receiver, trust, **fields) -> WebhookEndpoint:
    fields.setdefault("event_types", [WebhookEvent.FEEDBACK_RECEIVED])
    endpoint = WebhookEndpointFactory(organisation=trust, url=receiver.url, **fields)
    receiver.secrets = [endpoint.secret]
    return endpoint


def webhook_mail() -> list:
    """The e-mails about webhooks (the feedback's contact confirmation goes out too)."""
    return [m for m in mail.outbox if "Webhook" in m.subject]


def submit(trust, product, **overrides):
    data = {
        "product": product,
        "staff_group": "nurse_midwife",
        "rating": 2,
        "category": "usability",
        "text": TEXT,
        "patient_safety": False,
        "site": "Ward 7",
        "contact_email": CONTACT,
        "contact_consent": True,
        **overrides,
    }
    with scope(organisation=trust):
        return feedback_submit(organisation=trust, data=data)


def deliveries(**filters) -> list[WebhookDelivery]:
    with scopes_disabled():
        return list(WebhookDelivery.objects.filter(**filters).order_by("pk"))


def make_due(delivery: WebhookDelivery) -> None:
    """What the clock does between two attempts, without waiting for it."""
    with scopes_disabled():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )


def sweep() -> dict:
    return webhook_deliveries_sweep_task(older_than_seconds=0)


# --- The signature --------------------------------------------------------------------------


def test_the_signature_matches_the_standard_webhooks_reference_vector():
    """The test vector of the Standard Webhooks reference libraries."""
    assert (
        signing.signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            b'{"test": 2432232314}',
        )
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_a_new_secret_is_32_random_bytes_in_the_whsec_format():
    secret = signing.secret_new()
    assert secret.startswith("whsec_")
    assert len(signing._key(secret)) == 32
    assert secret != signing.secret_new()
    assert "." not in signing.message_id_new()


# --- Delivery to a real receiver -------------------------------------------------------------


def test_new_feedback_reaches_a_real_receiver_signed_and_without_free_text(
    receiver, trust, product, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver, trust)
    with django_capture_on_commit_callbacks(execute=True):
        feedback = submit(trust, product)
    [request] = receiver.received
    assert request.verified, request.headers
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"].startswith("msg_")
    body = json.loads(request.body)
    assert body["type"] == "feedback.received"
    assert body["organisation"]["ods_code"] == trust.ods_code
    data = body["data"]["feedback"]
    assert data["id"] == feedback.pk
    assert data["url"] == f"/o/{trust.ods_code}/feedback/{feedback.pk}/"
    assert data["product"] == {"id": product.pk, "name": "Meridian EPR"}
    assert "free_text" not in body["data"]
    for secret_thing in (TEXT, CONTACT, "contact", "submitted_by"):
        assert secret_thing not in request.body.decode()
    [delivery] = deliveries(endpoint=endpoint)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert (delivery.attempts, delivery.last_response_code) == (1, 200)
    assert delivery.message_id == request.headers["webhook-id"]


def test_free_text_goes_only_to_an_endpoint_that_opted_in(
    receiver, trust, product, django_capture_on_commit_callbacks
):
    plain = WebhookEndpointFactory(
        organisation=trust,
        url=receiver.url + "?plain",
        event_types=[WebhookEvent.FEEDBACK_RECEIVED],
    )
    with_text = WebhookEndpointFactory(
        organisation=trust,
        url=receiver.url + "?text",
        include_free_text=True,
        event_types=[WebhookEvent.FEEDBACK_RECEIVED],
    )
    receiver.secrets = [plain.secret, with_text.secret]
    with django_capture_on_commit_callbacks(execute=True):
        submit(trust, product)
    by_path = {r.path.split("?")[1]: json.loads(r.body) for r in receiver.received}
    assert all(r.verified for r in receiver.received)
    assert "free_text" not in by_path["plain"]["data"]
    assert by_path["text"]["data"]["free_text"] == {"text": TEXT}
    assert CONTACT not in json.dumps(by_path["text"])
    # One event, one message id, whichever endpoint it went to (receivers dedupe on it).
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1


def test_a_safety_concern_is_also_raised_as_its_own_event(
    receiver, trust, product, django_capture_on_commit_callbacks
):
    endpoint_for(receiver, trust, event_types=[WebhookEvent.SAFETY_CONCERN_RAISED])
    with django_capture_on_commit_callbacks(execute=True):
        submit(trust, product)  # not a concern: not sent
        feedback = submit(trust, product, patient_safety=True)
    [request] = receiver.received
    body = json.loads(request.body)
    assert body["type"] == "safety_concern.raised"
    assert body["data"]["feedback"]["id"] == feedback.pk
    assert body["data"]["safety_concern_url"].endswith(f"/safety/{feedback.pk}/")


def test_a_500_is_retried_on_the_schedule_and_then_delivered(
    receiver, trust, product, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver, trust)
    receiver.answers = [(500, {})]
    with django_capture_on_commit_callbacks(execute=True):
        submit(trust, product)
    [delivery] = deliveries(endpoint=endpoint)
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_response_code == 500
    assert delivery.last_error == "Answered HTTP 500: Internal error in the receiving system"
    wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert timedelta(seconds=4) < wait < timedelta(seconds=6)  # 5 s, with jitter
    assert sweep()["done"] == 0  # not due yet
    make_due(delivery)
    assert sweep()["done"] == 1
    first, second = receiver.received
    assert first.verified and second.verified
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.failing_since is None


def test_a_delivered_message_is_never_sent_again(
    receiver, trust, product, django_capture_on_commit_callbacks
):
    endpoint_for(receiver, trust)
    with django_capture_on_commit_callbacks(execute=True):
        submit(trust, product)
    [delivery] = deliveries()
    make_due(delivery)
    with scope(organisation=trust):
        assert webhook_delivery_attempt(delivery.pk) is None
    assert sweep()["done"] == 0
    assert len(receiver.received) == 1


def test_a_claimed_delivery_is_not_sent_by_a_second_worker(receiver, trust):
    """The first worker's claim pushes the delivery a lease ahead: the second finds it not due."""
    endpoint = endpoint_for(receiver, trust)
    delivery = WebhookDeliveryFactory(
        endpoint=endpoint,
        organisation=trust,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
    )
    receiver.answers = [(500, {})]
    with scope(organisation=trust):
        assert webhook_delivery_attempt(delivery.pk) == DeliveryStatus.PENDING
        assert webhook_delivery_attempt(delivery.pk) is None
    assert len(receiver.received) == 1


def test_an_event_committed_while_redis_is_down_is_delivered_by_the_sweep(
    receiver, trust, product, client, django_capture_on_commit_callbacks
):
    """The clinician's post is saved with its delivery row; the task cannot be sent (the broker
    is a closed port); beat's sweep sends it once Redis is back."""
    endpoint_for(receiver, trust)
    link = FeedbackLinkFactory(organisation=trust, product=product)
    app.conf.task_always_eager = False
    try:
        with broker_at("redis://127.0.0.1:1/0"), django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("feedback:public_form", args=[link.token]),
                {
                    "product": product.pk,
                    "staff_group": "nurse_midwife",
                    "rating": "2",
                    "category": "usability",
                    "text": TEXT,
                    "patient_safety": "no",
                },
            )
    finally:
        app.conf.task_always_eager = True
    assert response.status_code == 302
    with scopes_disabled():
        assert Feedback.objects.count() == 1
    [delivery] = deliveries()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 0
    assert OutboxMessage.objects.filter(
        task="accounts.tasks.webhook_deliver_task", sent_at__isnull=True
    ).exists()
    assert receiver.received == []
    assert sweep()["done"] == 1
    [request] = receiver.received
    assert request.verified
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED


def test_a_rolled_back_change_sends_nothing(trust, product):
    WebhookEndpointFactory(organisation=trust)
    with pytest.raises(RuntimeError), scope(organisation=trust), transaction.atomic():
        submit(trust, product)
        raise RuntimeError("the change failed after the event")
    assert deliveries() == []


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    receiver, trust, product, django_capture_on_commit_callbacks
):
    endpoint_for(receiver, trust)
    receiver.answers = [(302, {"Location": "http://127.0.0.1:1/elsewhere"})]
    with django_capture_on_commit_callbacks(execute=True):
        submit(trust, product)
    [delivery] = deliveries()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error.startswith("Answered a redirect (not followed)")
    assert len(receiver.received) == 1


def test_a_delivery_gives_up_after_the_last_retry(
    receiver, trust, product, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_SCHEDULE = (5, 300)
    endpoint_for(receiver, trust)
    receiver.answers = [(503, {})] * 3
    with django_capture_on_commit_callbacks(execute=True):
        submit(trust, product)
    for _ in range(2):
        make_due(deliveries()[0])
        sweep()
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    assert delivery.next_attempt_at is None
    make_due(delivery)
    assert sweep()["done"] == 0


def test_an_endpoint_that_keeps_failing_is_turned_off_and_its_admins_emailed(
    receiver, trust, product, org_admin, pm, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    settings.WEBHOOK_DISABLE_AFTER_HOURS = 0
    endpoint = endpoint_for(receiver, trust)
    receiver.answers = [(500, {})] * 10
    with django_capture_on_commit_callbacks(execute=True):
        submit(trust, product)
    for _ in range(2):
        make_due(deliveries()[0])
        sweep()
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None
    assert "Every attempt failed since" in endpoint.disabled_reason
    [message] = webhook_mail()
    assert message.to == [org_admin.user.email]  # the admins, not the product manager
    assert "Webhook endpoint turned off" in message.subject
    assert endpoint.get_absolute_url() in message.body
    with scopes_disabled():
        entry = AuditEntry.objects.get(action=AuditAction.WEBHOOK_DISABLE)
    assert entry.actor is None
    # Nothing more is sent; the event waits for the endpoint.
    [delivery] = deliveries()
    assert delivery.status == DeliveryStatus.PENDING
    make_due(delivery)
    assert sweep()["done"] == 0
    assert len(receiver.received) == 3
    assert len(webhook_mail()) == 1  # told once
    # No new deliveries are made for a turned-off endpoint.
    submit(trust, product)
    assert len(deliveries()) == 1


def test_turning_an_endpoint_back_on_resets_it_and_sends_what_waited(
    receiver, trust, org_admin_client, org_admin
):
    endpoint = endpoint_for(
        receiver,
        trust,
        disabled_at=timezone.now(),
        disabled_reason="Every attempt failed",
        consecutive_failures=8,
        failing_since=timezone.now() - timedelta(days=1),
    )
    waiting = WebhookDeliveryFactory(
        endpoint=endpoint,
        organisation=trust,
        status=DeliveryStatus.PENDING,
        next_attempt_at=timezone.now() + timedelta(hours=10),
    )
    response = org_admin_client.post(
        reverse("accounts:webhook_enable", args=[trust.ods_code, endpoint.pk])
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.is_enabled and endpoint.consecutive_failures == 0
    assert sweep()["done"] == 1
    waiting.refresh_from_db()
    assert waiting.status == DeliveryStatus.SUCCEEDED
    assert receiver.received[0].verified


def test_410_gone_turns_the_endpoint_off_at_once(
    receiver, trust, product, org_admin, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver, trust)
    receiver.answers = [(410, {})]
    with django_capture_on_commit_callbacks(execute=True):
        submit(trust, product)
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None and "410" in endpoint.disabled_reason
    assert deliveries()[0].status == DeliveryStatus.FAILED
    assert len(webhook_mail()) == 1


def test_after_a_secret_is_replaced_both_secrets_sign_for_a_day(
    receiver, trust, org_admin, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver, trust)
    old = endpoint.secret
    with scope(organisation=trust):
        new = webhook_endpoint_rotate_secret(endpoint=endpoint, actor=org_admin.user)
        with django_capture_on_commit_callbacks(execute=True):
            webhook_test_send(endpoint=endpoint)
    [request] = receiver.received
    assert verify([new], request.headers, request.body)
    assert verify([old], request.headers, request.body)
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    with scopes_disabled():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
        )
    with scope(organisation=trust), django_capture_on_commit_callbacks(execute=True):
        webhook_test_send(endpoint=endpoint)
    assert len(receiver.received) == 2
    latest = receiver.received[-1]
    assert verify([new], latest.headers, latest.body)
    assert not verify([old], latest.headers, latest.body)


# --- Events emitted by the apps --------------------------------------------------------------


def payloads(event_type) -> list[dict]:
    return [d.payload for d in deliveries(event_type=event_type)]


def test_triage_reports_a_status_change_with_the_response_only_as_free_text(trust, product, pm):
    WebhookEndpointFactory(organisation=trust)
    feedback = FeedbackFactory(product=product)
    with scope(organisation=trust):
        feedback_triage(
            feedback=feedback, status="planned", response="In the May release", user=pm.user
        )
        feedback_triage(feedback=feedback, status="planned", response="Now June", user=pm.user)
    [payload] = payloads(WebhookEvent.FEEDBACK_STATUS_CHANGED)  # the status changed once
    assert payload["data"]["from_status"] == "new" and payload["data"]["to_status"] == "planned"
    assert "In the May release" not in json.dumps(payload)


def test_releasing_a_roadmap_item_reports_it(trust, product, pm):
    WebhookEndpointFactory(organisation=trust, include_free_text=True)
    item = RoadmapItemFactory(product=product, description="Fewer clicks")
    with scope(organisation=trust):
        roadmap_item_set_status(item=item, status="released", user=pm.user)
        roadmap_item_set_status(item=item, status="released", user=pm.user)
    [payload] = payloads(WebhookEvent.ROADMAP_ITEM_RELEASED)
    assert payload["data"]["roadmap_item"]["id"] == item.pk
    assert payload["data"]["roadmap_item"]["url"] == f"/o/{trust.ods_code}/roadmap/{item.pk}/"
    assert payload["data"]["free_text"]["description"] == "Fewer clicks"


def test_a_renewal_reminder_reports_the_contract_notice_due(trust, pm):
    WebhookEndpointFactory(organisation=trust)
    product = ProductFactory(organisation=trust, owner=pm.user)
    today = timezone.localdate()
    contract = ContractFactory(
        product=product, end_date=today + timedelta(days=100), notice_period_days=90
    )
    renewal_reminders_send(today)
    renewal_reminders_send(today)  # run twice: reported once
    [payload] = payloads(WebhookEvent.CONTRACT_NOTICE_DUE)
    assert payload["data"]["contract"]["id"] == contract.pk
    assert payload["data"]["days_left"] == 10 and payload["data"]["threshold_days"] == 30


def test_a_summary_recompute_reports_once_per_trust(trust, product):
    WebhookEndpointFactory(organisation=trust, event_types=[WebhookEvent.SUMMARIES_UPDATED])
    FeedbackFactory(product=product)
    ProductFactory(organisation=trust)
    with scope(organisation=trust):
        summaries_recompute(trust, None)
    [payload] = payloads(WebhookEvent.SUMMARIES_UPDATED)
    assert payload["data"]["months"] and payload["data"]["rows_written"] > 2
    assert payload["data"]["dashboard_url"] == f"/o/{trust.ods_code}/dashboard/"


def test_an_endpoint_gets_only_the_events_it_subscribes_to_and_only_its_trusts(
    trust, other_trust, product
):
    WebhookEndpointFactory(organisation=trust, event_types=[WebhookEvent.SUMMARIES_UPDATED])
    WebhookEndpointFactory(organisation=other_trust)
    submit(trust, product)
    assert deliveries() == []


def test_a_trust_without_endpoints_pays_one_query(trust, product, django_assert_num_queries):
    calls = []
    with scope(organisation=trust), django_assert_num_queries(1):
        webhook_emit(trust, WebhookEvent.FEEDBACK_RECEIVED, lambda: calls.append(1) or {})
    assert calls == []


# --- Where webhooks may go ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.org/x", addresses.NOT_HTTPS),
        ("ftp://127.0.0.1/x", addresses.NOT_HTTPS),
        ("https://user:pass@hooks.example.org/x", addresses.HAS_CREDENTIALS),
        ("https://10.1.2.3/x", addresses.NOT_PUBLIC),
        ("https://169.254.169.254/latest/meta-data/", addresses.NOT_PUBLIC),
        ("https://[::1]/x", addresses.NOT_PUBLIC),
        ("https://[::ffff:192.168.0.1]/x", addresses.NOT_PUBLIC),
        ("https://100.64.0.1/x", addresses.NOT_PUBLIC),
        ("https://224.0.0.1/x", addresses.NOT_PUBLIC),
        ("https://no-such-host.invalid/x", addresses.NOT_FOUND),
    ],
)
def test_private_and_plain_http_addresses_are_refused(url, message):
    assert addresses.url_refusal(url) == message


def test_loopback_is_refused_unless_the_settings_allow_it(settings):
    assert addresses.url_refusal("http://127.0.0.1:8080/x") is None  # the tests' setting
    settings.WEBHOOK_ALLOW_INSECURE_HOSTS = frozenset()
    assert addresses.url_refusal("http://127.0.0.1:8080/x") == addresses.NOT_HTTPS
    assert addresses.url_refusal("https://127.0.0.1:8080/x") == addresses.NOT_PUBLIC


def test_a_public_address_is_allowed(monkeypatch):
    monkeypatch.setattr(
        addresses.socket,
        "getaddrinfo",
        lambda *args, **kwargs: [
            (2, 1, 6, "", ("198.51.100.7", 443)),
            (2, 1, 6, "", ("8.8.8.8", 443)),
        ],
    )
    assert addresses.url_refusal("https://hooks.example.org/x") == addresses.NOT_PUBLIC  # TEST-NET
    monkeypatch.setattr(
        addresses.socket,
        "getaddrinfo",
        lambda *args, **kwargs: [(2, 1, 6, "", ("8.8.8.8", 443))],
    )
    assert addresses.url_refusal("https://hooks.example.org/x") is None


def test_a_name_pointed_at_a_private_address_later_is_not_sent_to(
    trust, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOW_INSECURE_HOSTS = frozenset()
    endpoint = WebhookEndpointFactory(organisation=trust, url="https://10.0.0.5/hooks")
    with scope(organisation=trust), django_capture_on_commit_callbacks(execute=True):
        webhook_test_send(endpoint=endpoint)
    [delivery] = deliveries()
    assert delivery.last_error.startswith("Not sent: This URL points to a private")


# --- The pages ---------------------------------------------------------------------------------


def url(name, trust, *args):
    return reverse(f"accounts:{name}", args=[trust.ods_code, *args])


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(org_admin_client, org_admin, trust):
    response = org_admin_client.post(
        url("webhook_create", trust),
        {
            "url": "http://127.0.0.1:8080/hooks",
            "description": "Service desk",
            "event_types": [WebhookEvent.FEEDBACK_RECEIVED, WebhookEvent.SAFETY_CONCERN_RAISED],
        },
    )
    with scopes_disabled():
        endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302 and response["Location"] == endpoint.get_absolute_url()
    assert endpoint.event_types == ["feedback.received", "safety_concern.raised"]
    assert not endpoint.include_free_text and endpoint.created_by == org_admin.user
    page = org_admin_client.get(response["Location"])
    assert endpoint.secret in page.content.decode()
    assert "no-cache" in page["Cache-Control"] or "no-store" in page["Cache-Control"]
    assert endpoint.secret not in org_admin_client.get(response["Location"]).content.decode()
    with scopes_disabled():
        assert AuditEntry.objects.filter(action=AuditAction.WEBHOOK_CREATE).count() == 1
    listing = org_admin_client.get(url("webhook_list", trust)).content.decode()
    assert "Service desk" in listing and endpoint.secret not in listing


def test_the_form_refuses_a_private_address_in_nhs_words(org_admin_client, trust, settings):
    settings.WEBHOOK_ALLOW_INSECURE_HOSTS = frozenset()
    response = org_admin_client.post(
        url("webhook_create", trust),
        {"url": "https://192.168.1.10/hooks", "event_types": [WebhookEvent.FEEDBACK_RECEIVED]},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and "private or local network" in page
    response = org_admin_client.post(url("webhook_create", trust), {"url": ""})
    page = response.content.decode()
    assert "Enter the URL to send events to" in page and "Select at least one event" in page
    with scopes_disabled():
        assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("role", [Role.PRODUCT_MANAGER, Role.CLINICAL_SAFETY_OFFICER, Role.VIEWER])
def test_only_organisation_admins_manage_webhooks(client_for, trust, role):
    client = client_for(MembershipFactory(organisation=trust, role=role).user)
    assert client.get(url("webhook_list", trust)).status_code == 403


def test_the_send_test_event_button_sends_to_that_endpoint_only(
    receiver, trust, org_admin_client, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver, trust, event_types=[WebhookEvent.SUMMARIES_UPDATED])
    WebhookEndpointFactory(organisation=trust)  # another endpoint: not sent the test
    with django_capture_on_commit_callbacks(execute=True):
        response = org_admin_client.post(url("webhook_test", trust, endpoint.pk))
    assert response.status_code == 302
    [request] = receiver.received
    assert request.verified and json.loads(request.body)["type"] == "webhook.test"
    page = org_admin_client.get(response["Location"]).content.decode()
    assert "Test event sent" in page and "webhook.test" in page and "Delivered" in page


def test_turning_off_and_deleting_are_audited(org_admin_client, trust):
    endpoint = WebhookEndpointFactory(organisation=trust)
    org_admin_client.post(url("webhook_disable", trust, endpoint.pk))
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None and endpoint.disabled_notice_sent_at is not None
    assert "Turn on" in org_admin_client.get(endpoint.get_absolute_url()).content.decode()
    confirm = org_admin_client.get(url("webhook_delete", trust, endpoint.pk))
    assert "Delete this endpoint?" in confirm.content.decode()
    response = org_admin_client.post(url("webhook_delete", trust, endpoint.pk))
    assert response["Location"] == url("webhook_list", trust)
    with scopes_disabled():
        assert not WebhookEndpoint.objects.exists()
        actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {AuditAction.WEBHOOK_DISABLE, AuditAction.WEBHOOK_DELETE} <= actions
    assert webhook_mail() == []  # an admin who turned it off is not e-mailed about it


def test_replacing_the_secret_shows_the_new_one_once(org_admin_client, trust):
    endpoint = WebhookEndpointFactory(organisation=trust)
    old = endpoint.secret
    assert (
        "Replace the signing secret?"
        in org_admin_client.get(url("webhook_rotate", trust, endpoint.pk)).content.decode()
    )
    response = org_admin_client.post(url("webhook_rotate", trust, endpoint.pk))
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.previous_secret == old
    assert endpoint.secret in org_admin_client.get(response["Location"]).content.decode()


def test_the_delivery_log_is_paginated_with_constant_queries(
    org_admin_client, trust, django_assert_max_num_queries
):
    endpoint = WebhookEndpointFactory(organisation=trust)
    for n in range(30):
        WebhookDeliveryFactory(endpoint=endpoint, organisation=trust, last_error=f"error {n:02d}")
    first = org_admin_client.get(endpoint.get_absolute_url()).content.decode()
    assert "error 29" in first and "error 04" not in first and "Older deliveries" in first
    with django_assert_max_num_queries(12):
        second = org_admin_client.get(endpoint.get_absolute_url() + "?page=2").content.decode()
    assert "error 04" in second and "error 29" not in second and "Newer deliveries" in second
    assert org_admin_client.get(endpoint.get_absolute_url() + "?page=zzz").status_code == 200


def test_an_admin_cannot_add_more_than_the_limit(trust, org_admin):
    for _ in range(MAX_ENDPOINTS):
        WebhookEndpointFactory(organisation=trust)
    with scope(organisation=trust), pytest.raises(ValidationError):
        webhook_endpoint_create(
            organisation=trust,
            url="http://127.0.0.1:8080/x",
            description="",
            event_types=[WebhookEvent.FEEDBACK_RECEIVED],
            include_free_text=False,
            actor=org_admin.user,
        )


def test_an_admin_without_two_factor_is_sent_to_set_it_up_first(client_for, trust):
    admin = MembershipFactory(organisation=trust, role=Role.ORG_ADMIN)
    response = client_for(admin.user).get(url("webhook_list", trust))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
