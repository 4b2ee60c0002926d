
import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


# NHS England regions as ODS codes them (national grouping), frozen here for the data step.
REGIONS = {
    "Y56": "London",
    "Y58": "South West",
    "Y59": "South East",
    "Y60": "Midlands",
    "Y61": "East of England",
    "Y62": "North West",
    "Y63": "North East and Yorkshire",
}


def regions_named(apps, schema_editor):
    """Earlier imports stored the region's code ("Y61") as its name."""
    IntegratedCareSystem = apps.get_model("accounts", "IntegratedCareSystem")
    for code, name in REGIONS.items():
        IntegratedCareSystem.objects.filter(region=code).update(region=name, region_code=code)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_organisation_sso_policy'),
    ]

    operations = [
        migrations.AddField(
            model_name='integratedcaresystem',
            name='closed_on',
            field=models.DateField(blank=True, null=True, verbose_name='closed on'),
        ),
        migrations.AddField(
            model_name='integratedcaresystem',
            name='opened_on',
            field=models.DateField(blank=True, null=True, verbose_name='opened on'),
        ),
        migrations.AddField(
            model_name='integratedcaresystem',
            name='region_code',
            field=models.CharField(blank=True, db_default='', default='', max_length=5, verbose_name='NHS England region code'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='closed_on',
            field=models.DateField(blank=True, null=True, verbose_name='closed on'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='ics_overridden',
            field=models.BooleanField(db_default=False, default=False, verbose_name='ICS set by hand (kept across ODS imports)'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='opened_on',
            field=models.DateField(blank=True, null=True, verbose_name='opened on'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='successor',
            field=models.ForeignKey(blank=True, help_text="The trust that took over this one's services when it closed (ODS succession).", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='predecessors', to='accounts.organisation'),
        ),
        migrations.AlterField(
            model_name='integratedcaresystem',
            name='ods_code',
            field=models.CharField(max_length=5, unique=True, validators=[django.core.validators.RegexValidator('^[A-Z0-9]{3,5}$', 'Enter an ICB ODS code: 3 to 5 capital letters or numbers, like QWE or D7T5G.')], verbose_name='ODS code'),
        ),
        migrations.AlterField(
            model_name='integratedcaresystem',
            name='region',
            field=models.CharField(max_length=100, verbose_name='NHS England region'),
        ),
        migrations.AlterField(
            model_name='organisation',
            name='ods_code',
            field=models.CharField(max_length=5, unique=True, validators=[django.core.validators.RegexValidator('^[A-Z0-9]{3,5}$', 'Enter a trust ODS code: 3 to 5 capital letters or numbers, like RJ1 or G6V2S.')], verbose_name='ODS code'),
        ),
        migrations.RunPython(regions_named, migrations.RunPython.noop),
    ]
