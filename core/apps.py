from django.apps import AppConfig

from . import converters


class CoreConfig(AppConfig):
    """Shared helpers; installed as an app so Django finds its template tags and path converters."""

    name = "core"
    verbose_name = "Core"

    def ready(self):
        converters.register()
