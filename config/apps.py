from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The project package, installed only for its template tags and shared templates."""

    name = "config"
    verbose_name = "Project"
