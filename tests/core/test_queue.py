"""enqueue_on_commit: a broker that fails costs one timeout per process, not one per task."""

import pytest
from django.db import transaction

from core.queue import broker_health, enqueue_on_commit


class BrokerDown:
    name = "tests.broker_down"

    def __init__(self):
        self.calls = 0

    def apply_async(self, **kwargs):
        self.calls += 1
        raise ConnectionError("broker away")


class BrokerUp:
    name = "tests.broker_up"

    def __init__(self):
        self.sent = []

    def apply_async(self, args, kwargs, retry):
        self.sent.append(args)


@pytest.mark.django_db(transaction=True)
def test_after_one_failed_send_the_others_are_left_to_the_sweep(caplog):
    down, up = BrokerDown(), BrokerUp()
    with transaction.atomic():
        enqueue_on_commit(down, 1)
        enqueue_on_commit(down, 2)
        enqueue_on_commit(up, 3)
    assert down.calls == 1  # asked once, not three times
    assert up.sent == []
    assert "left to the sweep" in caplog.text
    broker_health.reset()
    with transaction.atomic():
        enqueue_on_commit(up, 4)
    assert up.sent == [(4,)]


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_when_the_transaction_rolls_back():
    up = BrokerUp()
    with transaction.atomic():
        enqueue_on_commit(up, 1)
        transaction.set_rollback(True)
    assert up.sent == []
