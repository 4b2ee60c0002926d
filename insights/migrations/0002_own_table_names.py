"""Give the moved summary tables and indexes this app's names (ALTER TABLE/INDEX ... RENAME):
rows, constraints and sequences are kept."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('insights', '0001_initial'),
        ('portfolio', '0004_summaries_moved_to_insights'),
    ]

    operations = [
        migrations.AlterModelTable(name='productmonthsummary', table=None),
        migrations.AlterModelTable(name='trustmonthsummary', table=None),
        migrations.AlterModelTable(name='renewalreminder', table=None),
        migrations.RenameIndex(
            model_name='productmonthsummary',
            new_name='insights_pms_org_month_idx',
            old_name='portfolio_p_organis_4d7e65_idx',
        ),
        migrations.RenameIndex(
            model_name='productmonthsummary',
            new_name='insights_pms_month_cap_idx',
            old_name='portfolio_p_month_34fd69_idx',
        ),
    ]
