"""WebhookSubscription and WebhookDelivery move to the webhooks app (issue 13): state only, the tables
api_webhooksubscription and api_webhookdelivery stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0003_i14_webhook_url_validator'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='WebhookDelivery'),
                migrations.DeleteModel(name='WebhookSubscription'),
            ],
            database_operations=[],
        ),
    ]
