"""Invitations last 72 hours (configurable), and only their addressee can take them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership
from accounts.permissions import Role
from tests.factories import PASSWORD, InvitationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_invitation_lasts_72_hours_by_default(org_admin_client, trust):
    before = timezone.now()
    org_admin_client.post(
        reverse("accounts:invitation_create", args=[trust.ods_code]),
        {"email": "new@example.org", "role": Role.VIEWER},
    )
    expires = Invitation.unscoped.get().expires_at
    assert before + timedelta(hours=72) <= expires <= timezone.now() + timedelta(hours=72)


def test_the_validity_comes_from_settings(settings, trust):
    settings.INVITATION_VALIDITY_HOURS = 24
    invitation = InvitationFactory(organisation=trust)
    assert invitation.expires_at - invitation.created_at < timedelta(hours=24, minutes=1)


def test_an_invitation_older_than_its_validity_does_not_work(client):
    invitation = InvitationFactory()
    Invitation.unscoped.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(reverse("accounts:invitation_accept", args=[invitation.token]))
    assert response.status_code == 404
    assert "This invitation link does not work" in response.content.decode()


@pytest.mark.parametrize("token", ["x" * 129, "not a token", "abc"])
def test_a_malformed_token_is_a_plain_404(client, token):
    assert client.get(f"/invitations/{token}/").status_code == 404


def test_signing_in_as_someone_else_does_not_take_the_invitation(client):
    """Opened signed out, then signed in with a different account: no membership, a message."""
    invitation = InvitationFactory(email="intended@example.org")
    someone_else = UserFactory(email="someone.else@example.org")
    UserFactory(email="intended@example.org")  # so the link sends people to sign in
    client.get(reverse("accounts:invitation_accept", args=[invitation.token]))
    response = client.post(
        reverse("account_login"),
        {"login": someone_else.email, "password": PASSWORD},
        follow=True,
    )
    assert "This invitation was sent to a different email address" in response.content.decode()
    assert not Membership.objects.filter(organisation=invitation.organisation).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
