"""The summary models move here from portfolio (state only): the tables stay where they are,
with their rows, until 0002 gives them this app's names."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0001_initial'),
        ('portfolio', '0003_summaries'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
            migrations.CreateModel(
                name='ProductMonthSummary',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('month', models.DateField(help_text='First day of the month.')),
                    ('capability', models.CharField(choices=[('epr', 'Electronic patient record (EPR)'), ('epma', 'Electronic prescribing and medicines administration (EPMA)'), ('pas', 'Patient administration system (PAS)'), ('integration_engine', 'Integration engine'), ('reporting', 'Reporting and business intelligence'), ('patient_portal', 'Patient portal'), ('remote_monitoring', 'Remote monitoring'), ('decision_support', 'Clinical decision support'), ('order_comms', 'Order communications'), ('imaging', 'Imaging'), ('other', 'Other')], max_length=32)),
                    ('lifecycle_stage', models.CharField(choices=[('proposed', 'Proposed'), ('procuring', 'Procuring'), ('implementing', 'Implementing'), ('live', 'Live'), ('sunsetting', 'Sunsetting'), ('retired', 'Retired')], max_length=16)),
                    ('days_with_data', models.PositiveSmallIntegerField(default=0)),
                    ('mean_daily_active_users', models.DecimalField(decimal_places=2, max_digits=12, null=True)),
                    ('peak_active_users', models.PositiveIntegerField(null=True)),
                    ('licensed_seats', models.PositiveIntegerField(null=True)),
                    ('utilisation', models.DecimalField(decimal_places=4, max_digits=8, null=True)),
                    ('annual_spend', models.DecimalField(decimal_places=2, default=0, max_digits=14)),
                    ('monthly_spend', models.DecimalField(decimal_places=2, default=0, max_digits=14)),
                    ('cost_per_active_user', models.DecimalField(decimal_places=2, max_digits=14, null=True)),
                    ('feedback_count', models.PositiveIntegerField(default=0)),
                    ('rating_sum', models.PositiveIntegerField(default=0)),
                    ('mean_rating', models.DecimalField(decimal_places=2, max_digits=4, null=True)),
                    ('feedback_by_category', models.JSONField(default=dict)),
                    ('open_safety_concerns', models.PositiveIntegerField(default=0)),
                    ('roadmap_in_flight', models.PositiveIntegerField(default=0)),
                    ('contract_end_date', models.DateField(null=True)),
                    ('next_notice_deadline', models.DateField(null=True)),
                    ('computed_at', models.DateTimeField()),
                    ('organisation', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.organisation')),
                    ('product', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='month_summaries', to='portfolio.product')),
                    ('supplier', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='portfolio.supplier')),
                ],
                options={
                    'db_table': 'portfolio_productmonthsummary',
                    'indexes': [models.Index(fields=['organisation', 'month'], name='portfolio_p_organis_4d7e65_idx'), models.Index(fields=['month', 'capability'], name='portfolio_p_month_34fd69_idx')],
                    'constraints': [models.UniqueConstraint(fields=('product', 'month'), name='one_summary_per_product_month')],
                },
            ),
            migrations.CreateModel(
                name='RenewalReminder',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('threshold_days', models.PositiveSmallIntegerField()),
                    ('notice_deadline', models.DateField()),
                    ('sent_at', models.DateTimeField(auto_now_add=True)),
                    ('contract', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reminders', to='portfolio.contract')),
                    ('organisation', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.organisation')),
                ],
                options={
                    'db_table': 'portfolio_renewalreminder',
                    'constraints': [models.UniqueConstraint(fields=('contract', 'threshold_days', 'notice_deadline'), name='one_reminder_per_threshold')],
                },
            ),
            migrations.CreateModel(
                name='TrustMonthSummary',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('month', models.DateField()),
                    ('live_products', models.PositiveIntegerField(default=0)),
                    ('annual_spend', models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                    ('monthly_spend', models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                    ('mean_daily_active_users', models.DecimalField(decimal_places=2, default=0, max_digits=14)),
                    ('licensed_seats', models.PositiveIntegerField(default=0)),
                    ('utilisation', models.DecimalField(decimal_places=4, max_digits=8, null=True)),
                    ('cost_per_active_user', models.DecimalField(decimal_places=2, max_digits=14, null=True)),
                    ('feedback_count', models.PositiveIntegerField(default=0)),
                    ('mean_rating', models.DecimalField(decimal_places=2, max_digits=4, null=True)),
                    ('open_safety_concerns', models.PositiveIntegerField(default=0)),
                    ('roadmap_in_flight', models.PositiveIntegerField(default=0)),
                    ('computed_at', models.DateTimeField()),
                    ('organisation', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.organisation')),
                ],
                options={
                    'db_table': 'portfolio_trustmonthsummary',
                    'constraints': [models.UniqueConstraint(fields=('organisation', 'month'), name='one_summary_per_trust_month')],
                },
            ),
    
            ],
        ),
    ]
