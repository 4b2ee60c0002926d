"""Celery application.

Without ``REDIS_URL`` the settings switch Celery to eager mode, so tasks run in-process
(the zero-set-up demo). With it, a real worker consumes from Redis.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("portfolio")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
