"""WebhookSubscription and WebhookDelivery arrive from the api app (issue 13) with their tables,
api_webhooksubscription and api_webhookdelivery: state only. Their content types follow them."""

import django.db.models.deletion
import django.utils.timezone
import stores.models
import uuid
from django.conf import settings
from django.db import migrations, models

from core.contenttypes import content_types_mover


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('api', '0004_i13b_webhooks_move_to_webhooks_app'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('stores', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='WebhookSubscription',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('url', models.URLField(max_length=500, validators=[stores.models.validate_fetchable_url])),
                        ('events', models.JSONField(default=list)),
                        ('description', models.CharField(blank=True, default='', max_length=200)),
                        ('secret_encrypted', models.TextField(default='', editable=False)),
                        ('is_active', models.BooleanField(default=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL)),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='webhook_subscriptions', to='stores.tenant')),
                    ],
                    options={
                        'db_table': 'api_webhooksubscription',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='WebhookDelivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('event_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('event', models.CharField(max_length=40)),
                        ('payload', models.JSONField(default=dict)),
                        ('state', models.CharField(choices=[('pending', 'Pending'), ('delivered', 'Delivered'), ('failed', 'Failed')], default='pending', max_length=10)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('response_status', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('response_excerpt', models.TextField(blank=True, default='')),
                        ('error', models.TextField(blank=True, default='')),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('last_attempt_at', models.DateTimeField(blank=True, null=True)),
                        ('delivered_at', models.DateTimeField(blank=True, null=True)),
                        ('subscription', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='webhooks.webhooksubscription')),
                    ],
                    options={
                        'db_table': 'api_webhookdelivery',
                        'verbose_name_plural': 'webhook deliveries',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(*content_types_mover("api", "webhooks", ["webhooksubscription", "webhookdelivery"])),
    ]
