"""API test helpers: make a token for a trust, and a client that sends it."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from accounts import services as account_services
from accounts.permissions import Role
from accounts.scoping import scopes_disabled
from tests.factories import MembershipFactory

PROBLEM = "application/problem+json"


def make_token(organisation, role=Role.PRODUCT_MANAGER, read_only=False, days=30, actor=None):
    actor = actor or MembershipFactory(organisation=organisation, role=Role.ORG_ADMIN).user
    with scopes_disabled():
        token, secret = account_services.api_token_create(
            organisation=organisation,
            name=f"{role} token",
            role=role,
            read_only=read_only,
            expires_at=timezone.now() + timedelta(days=days),
            actor=actor,
        )
    return token, secret


def api(secret=None):
    client = Client()
    if secret:
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client
