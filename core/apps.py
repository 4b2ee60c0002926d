from django.apps import AppConfig

from . import converters, receivers


class CoreConfig(AppConfig):
    """Shared helpers, path converters, and the outbox of background work."""

    name = "core"
    verbose_name = "Core"
    # Connected at import: marks outbox rows done when a worker finishes their task.
    receivers = receivers

    def ready(self):
        converters.register()
