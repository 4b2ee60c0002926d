"""The outbox relay, run by beat."""

from celery import shared_task

from .queue import outbox_relay


@shared_task
def outbox_relay_task() -> dict:
    return outbox_relay()
