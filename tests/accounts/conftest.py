"""Tests of the two-factor requirement make an org admin without it (``unenrolled_admin``); the
shared ``org_admin`` fixture is enrolled."""

import pytest

from accounts.permissions import Role
from tests.factories import MembershipFactory


@pytest.fixture
def unenrolled_admin(trust):
    """A second organisation admin of ``trust``, without two-factor authentication."""
    return MembershipFactory(organisation=trust, role=Role.ORG_ADMIN)
