"""Row-level security on this app's tenant tables (see accounts.rls): the database shows and
accepts only rows of the trusts in the transaction's scope. Nothing on SQLite."""

from django.db import migrations

from accounts.rls import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_hardening"),
    ]

    operations = [
        EnableRowLevelSecurity("Membership"),
        EnableRowLevelSecurity("Invitation"),
        EnableRowLevelSecurity("AuditEntry"),
    ]
