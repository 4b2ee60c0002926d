"""Row-level security on this app's tenant tables (see accounts.rls): the database shows and
accepts only rows of the trusts in the transaction's scope. Nothing on SQLite."""

from django.db import migrations

from accounts.rls import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0003_summary_refresh"),
        ("accounts", "0003_row_level_security"),
    ]

    operations = [
        EnableRowLevelSecurity("ProductMonthSummary"),
        EnableRowLevelSecurity("TrustMonthSummary"),
        EnableRowLevelSecurity("RenewalReminder"),
        EnableRowLevelSecurity("SummaryRefresh"),
    ]
