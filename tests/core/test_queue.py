"""The outbox: background work is a row written with the change, sent after the commit, and
re-sent by the relay until a worker finishes it."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from core import queue
from core.models import OutboxMessage
from core.queue import broker_health, enqueue_on_commit, outbox_relay
from core.receivers import outbox_task_done
from core.tasks import outbox_relay_task


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

    def apply_async(self, args, kwargs, retry, task_id):
        self.sent.append((tuple(args), task_id))


@pytest.mark.django_db(transaction=True)
def test_after_one_failed_send_the_others_are_left_to_the_relay(caplog):
    down, up = BrokerDown(), BrokerUp()
    with transaction.atomic():
        enqueue_on_commit(down, 1)
        enqueue_on_commit(down, 2)
        enqueue_on_commit(up, 3)
    assert down.calls == 1  # asked once, not three times
    assert up.sent == []
    assert "left to the outbox relay" in caplog.text
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 3  # nothing lost


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_work_behind():
    up = BrokerUp()
    with transaction.atomic():
        enqueue_on_commit(up, 1)
        transaction.set_rollback(True)
    assert up.sent == []
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_work_is_sent_after_the_commit_with_its_row_id_and_marked_done_by_the_worker():
    up = BrokerUp()
    with transaction.atomic():
        enqueue_on_commit(up, 7)
        assert up.sent == []
    message = OutboxMessage.objects.get()
    assert up.sent == [((7,), f"outbox-{message.pk}")]
    assert message.sent_at is not None and message.done_at is None

    class Finished:
        class request:  # noqa: N801 - the shape Celery gives a task's request
            id = f"outbox-{message.pk}"

    outbox_task_done(sender=Finished)
    message.refresh_from_db()
    assert message.done_at is not None


@pytest.mark.django_db(transaction=True)
def test_the_relay_sends_unsent_and_stale_rows_and_gives_up_after_the_limit(monkeypatch):
    up = BrokerUp()
    monkeypatch.setattr(queue.current_app, "tasks", {"tests.broker_up": up})
    old = timezone.now() - timedelta(hours=1)
    unsent = OutboxMessage.objects.create(task="tests.broker_up", args=[1], created_at=old)
    stale = OutboxMessage.objects.create(
        task="tests.broker_up", args=[2], created_at=old, sent_at=old, attempts=1
    )
    fresh = OutboxMessage.objects.create(task="tests.broker_up", args=[3])  # being sent now
    done = OutboxMessage.objects.create(
        task="tests.broker_up", args=[4], created_at=old, sent_at=old, done_at=old
    )
    exhausted = OutboxMessage.objects.create(
        task="tests.broker_up", args=[5], created_at=old, attempts=queue.MAX_ATTEMPTS
    )
    broker_health.failed()  # a web process's view of the broker does not stop the relay
    report = outbox_relay()
    assert report["done"] == 2 and report["failed"] == []
    assert sorted(args for args, _ in up.sent) == [(1,), (2,)]
    for message in (unsent, stale):
        message.refresh_from_db()
        assert message.sent_at > old
    assert OutboxMessage.objects.filter(pk__in=[fresh.pk, done.pk, exhausted.pk]).count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_task_run_by_celery_marks_its_row_done():
    """In-process (eager) here; tests/integration runs the same through a real worker."""
    with transaction.atomic():
        enqueue_on_commit(outbox_relay_task)
    message = OutboxMessage.objects.get(task="core.tasks.outbox_relay_task")
    assert message.done_at is not None


@pytest.mark.django_db(transaction=True)
def test_the_relay_stops_at_the_first_failed_send_while_the_broker_is_away(monkeypatch):
    down = BrokerDown()
    monkeypatch.setattr(queue.current_app, "tasks", {"tests.broker_down": down})
    old = timezone.now() - timedelta(hours=1)
    for n in range(5):
        OutboxMessage.objects.create(task="tests.broker_down", args=[n], created_at=old)
    report = outbox_relay()
    assert down.calls == 1  # one try, not one per row
    assert report["done"] == 0 and len(report["failed"]) == 1
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 5  # all still waiting
