"""Two admins demoting, suspending or removing each other at the same moment (write skew).

Each checks "is there another active admin?" and finds the other one; if both then wrote, the
trust would have none. The services lock the trust's row first, so the second waits, counts
again, and is refused. On PostgreSQL (CI) two real connections race, each held at a barrier
right after its check; SQLite runs one writer at a time, so there the two run one after the other.
"""

import contextlib
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts import services
from accounts.models import Membership
from accounts.permissions import Role
from accounts.scoping import scope
from tests.factories import MembershipFactory, OrganisationFactory

ACTIONS = {
    "demote": lambda target, actor: services.membership_set_role(
        membership=target, role=Role.VIEWER, actor=actor
    ),
    "suspend": lambda target, actor: services.membership_suspend(membership=target, actor=actor),
    "remove": lambda target, actor: services.membership_remove(membership=target, actor=actor),
}


def active_admins(trust) -> int:
    return Membership.objects.filter(
        organisation=trust, role=Role.ORG_ADMIN, suspended_at__isnull=True
    ).count()


def _race(monkeypatch, trust, moves) -> list[str]:
    """Run ``moves`` [(action, target, actor)] in two threads, each on its own connection."""
    barrier = threading.Barrier(len(moves))
    checked = services._ensure_another_active_admin

    def check_then_wait_for_the_other(*args, **kwargs):
        checked(*args, **kwargs)
        # Without the trust lock both threads get here before either writes. With it, the
        # other thread is still waiting for the lock, so this wait times out and we carry on.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=1)

    monkeypatch.setattr(services, "_ensure_another_active_admin", check_then_wait_for_the_other)
    outcomes = []

    def run(action, target, actor):
        try:
            with scope(organisation=trust):
                ACTIONS[action](target, actor)
            outcomes.append("done")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=move) for move in moves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("first", "second"),
    [("demote", "demote"), ("demote", "remove"), ("remove", "suspend"), ("suspend", "demote")],
)
def test_two_admins_acting_on_each_other_at_once_leave_one_admin(monkeypatch, first, second):
    trust = OrganisationFactory()
    a = MembershipFactory(organisation=trust, role=Role.ORG_ADMIN)
    b = MembershipFactory(organisation=trust, role=Role.ORG_ADMIN)
    moves = [(first, b, a.user), (second, a, b.user)]
    if connection.vendor == "postgresql":
        outcomes = _race(monkeypatch, trust, moves)
    else:
        outcomes = []
        for action, target, actor in moves:
            try:
                with scope(organisation=trust):
                    ACTIONS[action](target, actor)
                outcomes.append("done")
            except ValidationError:
                outcomes.append("refused")
    assert sorted(outcomes) == ["done", "refused"]
    assert active_admins(trust) == 1
