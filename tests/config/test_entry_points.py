"""The servers' entry points load the project: gunicorn (WSGI), an ASGI server, Celery."""

from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler

from config.asgi import application as asgi_application
from config.celery import app
from config.wsgi import application as wsgi_application


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
    } <= names


def test_every_scheduled_task_exists(settings):
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]
