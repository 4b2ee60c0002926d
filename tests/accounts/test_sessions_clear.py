"""The nightly job that deletes expired sessions (accounts.tasks.sessions_clear_task)."""

from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.tasks import sessions_clear_task

pytestmark = pytest.mark.django_db


def make_session(expires_in: timedelta) -> str:
    store = SessionStore()
    store["marker"] = "x"
    store.create()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() + expires_in
    )
    return store.session_key


def test_expired_sessions_are_deleted_and_live_ones_kept():
    expired = make_session(timedelta(seconds=-1))
    live = make_session(timedelta(hours=1))

    sessions_clear_task.delay()

    assert not Session.objects.filter(session_key=expired).exists()
    assert Session.objects.filter(session_key=live).exists()
    assert SessionStore(session_key=live).get("marker") == "x"


def test_beat_runs_it_nightly(settings):
    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "accounts.tasks.sessions_clear_task"
    ]
    assert len(entries) == 1, "add sessions_clear_task to CELERY_BEAT_SCHEDULE"
    schedule = entries[0]["schedule"]
    assert isinstance(schedule, crontab), schedule
    assert len(schedule.hour) == 1 and len(schedule.minute) == 1, "once a day"
    assert len(schedule.day_of_week) == 7, "every day"
