from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = "Insights (summaries and dashboards)"

    def ready(self):
        from . import receivers  # noqa: F401, PLC0415 - connect receivers once the app registry is ready
