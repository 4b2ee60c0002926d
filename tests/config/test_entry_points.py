"""The servers' entry points load the project: gunicorn (WSGI), an ASGI server, Celery."""

import pytest
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler

from config.asgi import application as asgi_application
from config.celery import app
from config.wsgi import application as wsgi_application

# Loading Celery's task modules runs Django's system checks, which on SQLite ask the database
# whether it supports JSON fields.
pytestmark = pytest.mark.django_db


def test_wsgi_and_asgi_applications_load():
    assert isinstance(wsgi_application, WSGIHandler)
    assert isinstance(asgi_application, ASGIHandler)


def test_the_celery_app_finds_every_apps_tasks():
    app.loader.import_default_modules()
    names = set(app.tasks)
    assert {
        "accounts.tasks.invitation_send_task",
        "portfolio.tasks.usage_import_process_task",
        "feedback.tasks.safety_concern_notify_task",
        "feedback.tasks.notifications_sweep_task",
        "insights.tasks.summaries_recompute_task",
        "insights.tasks.summaries_recompute_all_task",
        "insights.tasks.renewal_reminders_send_task",
        "insights.tasks.summaries_refresh_task",
        "insights.tasks.summaries_refresh_sweep_task",
        "portfolio.tasks.usage_imports_requeue_stuck_task",
        "accounts.tasks.sessions_clear_task",
        "core.tasks.outbox_relay_task",
    } <= names


def test_every_scheduled_task_exists(settings):
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_every_routed_task_exists_and_notifications_have_their_own_queue(settings):
    app.loader.import_default_modules()
    for name in settings.CELERY_TASK_ROUTES:
        assert name in app.tasks, name
    queue = app.amqp.router.route({}, "feedback.tasks.safety_concern_notify_task")["queue"]
    assert queue.name == "notifications"
    assert app.amqp.router.route({}, "insights.tasks.summaries_refresh_task")["queue"].name == (
        "celery"
    )
