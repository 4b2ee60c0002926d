from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo world and the benchmark scale data. The top layer: nothing imports it."""

    name = "demo"
    verbose_name = "Demo and scale data"
