"""Row-level security on this app's tenant tables (see accounts.rls): the database shows and
accepts only rows of the trusts in the transaction's scope. Nothing on SQLite."""

from django.db import migrations

from accounts.rls import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [
        ("roadmaps", "0001_initial"),
        ("accounts", "0003_row_level_security"),
    ]

    operations = [
        EnableRowLevelSecurity("RoadmapItem"),
        EnableRowLevelSecurity("RoadmapEvidence"),
    ]
