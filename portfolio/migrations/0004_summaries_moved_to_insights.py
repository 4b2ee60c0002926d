"""The summary models now belong to insights (its 0001 takes them over, state only): the tables
and their rows are not touched here."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('portfolio', '0003_summaries'),
        ('insights', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='ProductMonthSummary'),
                migrations.DeleteModel(name='RenewalReminder'),
                migrations.DeleteModel(name='TrustMonthSummary'),
            ],
        ),
    ]
