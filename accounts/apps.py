from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and organisations"

    def ready(self):
        from . import receivers  # noqa: F401, PLC0415 - connect receivers once the app registry is ready
