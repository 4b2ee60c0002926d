"""Row-level security on this app's tenant tables (see accounts.rls): the database shows and
accepts only rows of the trusts in the transaction's scope. Nothing on SQLite."""

from django.db import migrations

from accounts.rls import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0005_usage_import_reliability"),
        ("accounts", "0003_row_level_security"),
    ]

    operations = [
        EnableRowLevelSecurity("Product"),
        EnableRowLevelSecurity("ProductChange"),
        EnableRowLevelSecurity("Contract"),
        EnableRowLevelSecurity("UsageRecord"),
        EnableRowLevelSecurity("UsageImport"),
    ]
