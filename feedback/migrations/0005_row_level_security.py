"""Row-level security on this app's tenant tables (see accounts.rls): the database shows and
accepts only rows of the trusts in the transaction's scope. Nothing on SQLite."""

from django.db import migrations

from accounts.rls import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0004_notification_failures"),
        ("accounts", "0003_row_level_security"),
    ]

    operations = [
        EnableRowLevelSecurity("FeedbackLink"),
        EnableRowLevelSecurity("Feedback"),
        EnableRowLevelSecurity("FeedbackVote"),
        EnableRowLevelSecurity("StatusChange"),
    ]
