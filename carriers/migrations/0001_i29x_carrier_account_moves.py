"""CarrierAccount arrives from the tracking app (issue 29) with its table, tracking_carrieraccount (kept by
`db_table`): state only, no row copied, the tracking rows' foreign key untouched. Its content type (and so its
permissions and admin log entries) follows it."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from core.contenttypes import content_types_mover


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('stores', '0009_i19_tracking'),
        ('tracking', '0002_tracking_state_returned'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='CarrierAccount',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('carrier', models.CharField(choices=[('UPS', 'UPS'), ('USPS', 'USPS')], max_length=20)),
                        ('name', models.CharField(blank=True, default='', max_length=100)),
                        ('credentials_encrypted', models.TextField(default='', editable=False)),
                        ('test_mode', models.BooleanField(default=False, help_text="Use the carrier's test servers.")),
                        ('server_url', models.URLField(blank=True, default='', max_length=300)),
                        ('is_active', models.BooleanField(default=True)),
                        ('last_test_ok', models.BooleanField(blank=True, null=True)),
                        ('last_test_outcome', models.CharField(blank=True, default='', max_length=20)),
                        ('last_test_message', models.CharField(blank=True, default='', max_length=500)),
                        ('last_tested_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='carrier_accounts', to='stores.tenant')),
                    ],
                    options={
                        'db_table': 'tracking_carrieraccount',
                        'ordering': ['carrier', 'id'],
                        'constraints': [models.UniqueConstraint(fields=('tenant', 'carrier'), name='carrieraccount_one_per_carrier')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(*content_types_mover("tracking", "carriers", ["carrieraccount"])),
    ]
