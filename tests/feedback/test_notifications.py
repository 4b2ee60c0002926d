"""Who hears about a safety concern when the product names no officer, and 'you said, we did'."""

import pytest
from django.core import mail
from django.utils import timezone

from accounts.permissions import Role
from accounts.scoping import scope
from feedback.notifications import safety_concern_notify, status_change_notify
from feedback.services import feedback_triage
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
