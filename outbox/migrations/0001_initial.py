"""OutboxMessage arrives from the shipments app (issue 13) with its table, shipments_outboxmessage: state
only. Its content type follows it."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from core.contenttypes import content_types_mover


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('shipments', '0003_i13b_outbox_moves_to_outbox_app'),
        ('stores', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='OutboxMessage',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(db_index=True, max_length=30)),
                        ('ref', models.CharField(blank=True, db_index=True, default='', max_length=100)),
                        ('payload', models.JSONField(blank=True, default=dict)),
                        ('dedupe_key', models.CharField(blank=True, max_length=200, null=True, unique=True)),
                        ('state', models.CharField(choices=[('pending', 'Pending'), ('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed'), ('cancelled', 'Cancelled')], default='pending', max_length=10)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('max_attempts', models.PositiveIntegerField(default=10)),
                        ('next_attempt_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('lease_until', models.DateTimeField(blank=True, null=True)),
                        ('leased_by', models.CharField(blank=True, default='', max_length=100)),
                        ('last_error', models.TextField(blank=True, default='')),
                        ('response_status', models.PositiveIntegerField(blank=True, null=True)),
                        ('response_body', models.TextField(blank=True, default='')),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='outbox_messages', to='stores.tenant')),
                    ],
                    options={
                        'db_table': 'shipments_outboxmessage',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [
                            models.Index(fields=['state', 'next_attempt_at'], name='shipments_o_state_79b7b7_idx'),
                            models.Index(fields=['tenant', 'state', 'kind'], name='shipments_o_tenant__e5f0aa_idx'),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(*content_types_mover("shipments", "outbox", ["outboxmessage"])),
    ]
