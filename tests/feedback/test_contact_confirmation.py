"""A contact address typed on the form is written to only after its owner confirms it through the
one signed link emailed to it; "you said, we did" goes only to confirmed addresses."""

import re
import time
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.scoping import scope, scopes_disabled
from feedback import contact_tokens
from feedback.models import Feedback
from feedback.notifications import (
    contact_confirmation_send,
    safety_concern_notify,
    status_change_notify,
)
from feedback.services import feedback_triage
from tests.factories import FeedbackFactory, FeedbackLinkFactory, ProductFactory

pytestmark = pytest.mark.django_db

ADDRESS = "nurse.one@nhs.net"


@pytest.fixture
def product(trust, cso):
    return ProductFactory(organisation=trust, name="Meridian EPR", clinical_safety_officer=cso.user)


@pytest.fixture
def link(trust, product):
    return FeedbackLinkFactory(organisation=trust, product=product)


def submit(client, link, django_capture_on_commit_callbacks, **overrides):
    data = {
        "product": link.product_id,
        "staff_group": "nurse_midwife",
        "rating": "2",
        "category": "usability",
        "text": "Discharge letters take nine clicks to send.",
        "patient_safety": "no",
        "contact_email": ADDRESS,
        "contact_consent": "on",
        **overrides,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("feedback:public_form", args=[link.token]), data)
    assert response.status_code == 302, response.content.decode()
    return response


def all_feedback():
    with scopes_disabled():
        return list(Feedback.objects.order_by("pk"))


def confirm_path(message) -> str:
    [path] = re.findall(r"https?://[^/\s]+(/f/confirm-email/[A-Za-z0-9_-]+/)", message.body)
    return path


def triage(trust, feedback, user):
    with scope(organisation=trust):
        change = feedback_triage(feedback=feedback, status="planned", response="Soon.", user=user)
        status_change_notify(change.pk)


def test_the_address_is_stored_unconfirmed_and_gets_one_confirmation_email(
    client, link, django_capture_on_commit_callbacks
):
    submit(client, link, django_capture_on_commit_callbacks)
    [feedback] = all_feedback()
    assert feedback.contact_email == ADDRESS
    assert feedback.contact_confirmed_at is None
    assert feedback.contact_confirmation_sent_at is not None
    [message] = mail.outbox
    assert message.to == [ADDRESS]
    assert message.subject == "Confirm your email address for feedback on Meridian EPR"
    assert "within 7 days" in message.body
    assert confirm_path(message)


def test_no_status_email_goes_to_an_unconfirmed_address(
    client, link, pm, trust, django_capture_on_commit_callbacks
):
    submit(client, link, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    triage(trust, all_feedback()[0], pm.user)
    assert mail.outbox == []


def test_opening_the_link_asks_then_confirming_lets_status_emails_through(
    client, link, pm, trust, django_capture_on_commit_callbacks
):
    submit(client, link, django_capture_on_commit_callbacks)
    path = confirm_path(mail.outbox[0])
    mail.outbox.clear()
    page = client.get(path)
    assert page.status_code == 200
    assert "Confirm your email address" in page.content.decode()
    assert all_feedback()[0].contact_confirmed_at is None  # a link scanner's GET confirms nothing
    response = client.post(path)
    assert response.status_code == 200
    assert "Email address confirmed" in response.content.decode()
    feedback = all_feedback()[0]
    assert feedback.contact_confirmed_at is not None
    triage(trust, feedback, pm.user)
    assert [m.to for m in mail.outbox] == [[ADDRESS]]
    assert client.post(path).status_code == 200  # confirming twice is harmless


def test_an_anonymous_visitor_is_not_sent_to_sign_in(
    client, link, django_capture_on_commit_callbacks
):
    submit(client, link, django_capture_on_commit_callbacks)
    client.logout()
    response = client.get(confirm_path(mail.outbox[0]))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "token",
    [
        "not-a-real-token",
        "QUJDREVGRzEyMzQ1Njc4OTA",  # base64 of garbage
    ],
)
def test_a_bad_link_is_a_friendly_not_found(client, token):
    response = client.get(reverse("feedback:contact_confirm", args=[token]))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert client.post(reverse("feedback:contact_confirm", args=[token])).status_code == 404


def test_a_tampered_link_is_not_found(client, link, django_capture_on_commit_callbacks):
    submit(client, link, django_capture_on_commit_callbacks)
    path = confirm_path(mail.outbox[0])
    token = path.rstrip("/").rsplit("/", 1)[1]
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    response = client.post(reverse("feedback:contact_confirm", args=[tampered]))
    assert response.status_code == 404
    assert all_feedback()[0].contact_confirmed_at is None


def test_an_expired_link_is_not_found(client, link, django_capture_on_commit_callbacks):
    submit(client, link, django_capture_on_commit_callbacks)
    feedback = all_feedback()[0]
    eight_days_ago = time.time() - 8 * 24 * 3600
    with mock.patch("django.core.signing.time.time", return_value=eight_days_ago):
        token = contact_tokens.make_token(
            organisation_id=feedback.organisation_id, feedback_id=feedback.pk, email=ADDRESS
        )
    response = client.post(reverse("feedback:contact_confirm", args=[token]))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert all_feedback()[0].contact_confirmed_at is None


def test_a_link_for_another_address_or_trust_is_not_found(client, link, trust):
    feedback = FeedbackFactory(product=link.product, contact_email=ADDRESS, contact_consent=True)
    for organisation_id, email in [
        (feedback.organisation_id, "someone.else@nhs.net"),
        (FeedbackLinkFactory().organisation_id, ADDRESS),
    ]:
        token = contact_tokens.make_token(
            organisation_id=organisation_id, feedback_id=feedback.pk, email=email
        )
        assert client.post(reverse("feedback:contact_confirm", args=[token])).status_code == 404
    feedback.refresh_from_db()
    assert feedback.contact_confirmed_at is None


def test_a_flood_of_feedback_naming_one_address_sends_it_one_email(
    client, link, django_capture_on_commit_callbacks
):
    for _ in range(4):
        submit(client, link, django_capture_on_commit_callbacks)
    submit(client, link, django_capture_on_commit_callbacks, contact_email=ADDRESS.upper())
    assert [m.to for m in mail.outbox] == [[ADDRESS]]
    # The one link confirms every feedback naming the address at this trust.
    client.post(confirm_path(mail.outbox[0]))
    assert all(f.contact_confirmed_at for f in all_feedback())


def test_a_new_email_goes_once_the_earlier_one_is_confirmed(
    client, link, django_capture_on_commit_callbacks
):
    submit(client, link, django_capture_on_commit_callbacks)
    client.post(confirm_path(mail.outbox[0]))
    submit(client, link, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2
    assert all_feedback()[1].contact_confirmed_at is None


def test_the_confirmation_is_sent_once(trust, product):
    feedback = FeedbackFactory(product=product, contact_email=ADDRESS, contact_consent=True)
    with scope(organisation=trust):
        contact_confirmation_send(feedback.pk, "http://testserver/")
        contact_confirmation_send(feedback.pk, "http://testserver/")
    assert len(mail.outbox) == 1


def test_the_signed_in_persons_own_address_needs_no_confirmation(
    client_for, contributor, trust, product, django_capture_on_commit_callbacks
):
    client = client_for(contributor.user)
    url = reverse("feedback:feedback_create", args=[trust.ods_code])
    data = {
        "product": product.pk,
        "staff_group": "doctor",
        "rating": "4",
        "category": "praise",
        "text": "Lovely new drug chart.",
        "patient_safety": "no",
        "contact_email": contributor.user.email.upper(),
        "contact_consent": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, data).status_code == 302
    assert all_feedback()[0].contact_confirmed_at is not None
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {**data, "contact_email": ADDRESS}).status_code == 302
    assert all_feedback()[1].contact_confirmed_at is None
    assert [m.to for m in mail.outbox] == [[ADDRESS]]


def test_no_stored_value_can_break_an_email_header(trust, pm, cso):
    product = ProductFactory(
        organisation=trust,
        name="EPR\r\nBcc: victim@example.org\x0b",
        clinical_safety_officer=cso.user,
    )
    concern = FeedbackFactory(
        product=product,
        patient_safety=True,
        contact_email=ADDRESS,
        contact_consent=True,
        contact_confirmed_at=timezone.now(),
    )
    unconfirmed = FeedbackFactory(product=product, contact_email="b@nhs.net", contact_consent=True)
    with scope(organisation=trust):
        safety_concern_notify(concern.pk)
        contact_confirmation_send(unconfirmed.pk, "http://testserver/")
        change = feedback_triage(feedback=concern, status="done", response="Fixed.", user=pm.user)
        status_change_notify(change.pk)
    assert len(mail.outbox) == 3
    for message in mail.outbox:
        assert "\r" not in message.subject and "\n" not in message.subject
        assert "\x0b" not in message.subject
        assert "EPR Bcc: victim@example.org" in message.subject
        assert message.to != ["victim@example.org"] and "victim@example.org" not in message.bcc
