"""Who hears about a safety concern when the product names no officer, and 'you said, we did'."""

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Membership
from accounts.permissions import Role
from accounts.scoping import scope
from feedback import notifications, tasks
from feedback.notifications import safety_concern_notify, status_change_notify
from feedback.services import feedback_triage
from portfolio.models import Product
from tests.factories import FeedbackFactory, MembershipFactory, ProductFactory

pytestmark = pytest.mark.django_db


def notify(trust, feedback):
    with scope(organisation=trust):  # as the task base does
        safety_concern_notify(feedback.pk)


def test_without_a_named_officer_every_safety_officer_of_the_trust_hears(trust, other_trust):
    officers = {
        MembershipFactory(organisation=trust, role=role).user.email
        for role in [
            Role.CLINICAL_SAFETY_OFFICER,
            Role.CLINICAL_SAFETY_OFFICER,
        ]
    }
    MembershipFactory(organisation=trust, role=Role.ORG_ADMIN)
    MembershipFactory(organisation=other_trust, role=Role.CLINICAL_SAFETY_OFFICER)
    concern = FeedbackFactory(product=ProductFactory(organisation=trust), patient_safety=True)
    notify(trust, concern)
    [message] = mail.outbox
    assert set(message.to) == officers


def test_without_any_safety_officer_the_trusts_admins_hear(trust, org_admin):
    MembershipFactory(organisation=trust, role=Role.PRODUCT_MANAGER)
    concern = FeedbackFactory(product=ProductFactory(organisation=trust), patient_safety=True)
    notify(trust, concern)
    assert [m.to for m in mail.outbox] == [[org_admin.user.email]]


def test_a_concern_is_notified_once(trust, cso):
    concern = FeedbackFactory(
        product=ProductFactory(organisation=trust, clinical_safety_officer=cso.user),
        patient_safety=True,
    )
    notify(trust, concern)
    notify(trust, concern)
    assert len(mail.outbox) == 1


def test_you_said_we_did_reaches_the_submitters_of_merged_duplicates_once_each(trust, pm):
    product = ProductFactory(organisation=trust)
    confirmed = {"contact_consent": True, "contact_confirmed_at": timezone.now()}
    target = FeedbackFactory(product=product, contact_email="a@nhs.net", **confirmed)
    FeedbackFactory(
        product=product,
        duplicate_of=target,
        status="duplicate",
        contact_email="b@nhs.net",
        **confirmed,
    )
    FeedbackFactory(  # never confirmed: hears nothing
        product=product,
        duplicate_of=target,
        status="duplicate",
        contact_email="c@nhs.net",
        contact_consent=True,
    )
    with scope(organisation=trust):
        change = feedback_triage(feedback=target, status="planned", response="Soon.", user=pm.user)
        status_change_notify(change.pk)
        status_change_notify(change.pk)
    assert sorted(m.to[0] for m in mail.outbox) == ["a@nhs.net", "b@nhs.net"]


# --- Poisoned rows and suspended people -------------------------------------------------------------


def test_a_line_break_in_a_product_name_cannot_stop_a_safety_notification(trust, cso):
    product = ProductFactory(organisation=trust, clinical_safety_officer=cso.user)
    Product.unscoped.filter(pk=product.pk).update(name="EPR\r\nBcc: attacker@example.org")
    concern = FeedbackFactory(product=product, patient_safety=True)
    notify(trust, concern)
    [message] = mail.outbox
    assert message.to == [cso.user.email]
    assert message.subject.startswith("Patient safety concern: EPR Bcc: attacker@example.org")
    assert "attacker@example.org" not in message.recipients()


def test_a_suspended_safety_officer_is_passed_over_for_the_trusts_active_ones(trust, cso):
    deputy = MembershipFactory(organisation=trust, role=Role.CLINICAL_SAFETY_OFFICER)
    Membership.objects.filter(pk=cso.pk).update(suspended_at=timezone.now())
    concern = FeedbackFactory(
        product=ProductFactory(organisation=trust, clinical_safety_officer=cso.user),
        patient_safety=True,
    )
    notify(trust, concern)
    assert [m.to for m in mail.outbox] == [[deputy.user.email]]


def test_a_notification_that_keeps_failing_is_given_up_and_the_sweep_carries_on(
    trust, cso, monkeypatch, caplog
):
    poisoned = FeedbackFactory(product=ProductFactory(organisation=trust), patient_safety=True)
    healthy = FeedbackFactory(product=ProductFactory(organisation=trust), patient_safety=True)
    real = notifications.mail_send

    def fail_for_poisoned(*, subject, body, to):
        if poisoned.product.name in subject:
            raise ValueError("cannot render this one")
        real(subject=subject, body=body, to=to)

    monkeypatch.setattr(notifications, "mail_send", fail_for_poisoned)
    for _ in range(notifications.MAX_FAILURES):
        report = tasks.notifications_sweep_task(older_than_seconds=0)
        assert report["failed"] == [f"feedback {poisoned.pk}"]
    assert "notification failed 5 times; giving up" in caplog.text
    assert len(mail.outbox) == 1 and healthy.product.name in mail.outbox[0].subject
    # Given up: no longer re-sent every minute for ever.
    assert tasks.notifications_sweep_task(older_than_seconds=0) == {
        "job": "notification sweep",
        "done": 0,
        "failed": [],
    }


def test_network_faults_are_retried_without_being_counted(trust, cso, monkeypatch):
    concern = FeedbackFactory(product=ProductFactory(organisation=trust), patient_safety=True)

    def smtp_down(**kwargs):
        raise ConnectionRefusedError("mail server away")

    monkeypatch.setattr(notifications, "mail_send", smtp_down)
    with pytest.raises(ConnectionRefusedError):
        notify(trust, concern)
    concern.refresh_from_db()
    assert concern.safety_notify_failures == 0
