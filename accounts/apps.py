from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and organisations"

    def ready(self):
        from . import receivers  # noqa: F401, PLC0415 - connect the receivers once the app registry is ready
        from .rls import on_connection_created  # noqa: PLC0415 - connect the receivers once the app registry is ready

        connection_created.connect(on_connection_created, dispatch_uid="accounts-rls")
