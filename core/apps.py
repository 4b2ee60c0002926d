from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared helpers; installed as an app only so Django finds its template tags."""

    name = "core"
    verbose_name = "Core"
