# Issue 33 (tracking page): each shipment's unguessable tracking page token, and the fourth buyer notice.
# The column is added empty, then given its default for new rows: one default for every existing row would
# break uniqueness. Existing shipments get a token when a notice first links to their page
# (shipments.services.shipment_tracking_token).

import shipments.models
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shipments", "0013_i31x_operator_alerts"),
    ]

    operations = [
        migrations.AddField(
            model_name="shipment",
            name="tracking_token",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="shipment",
            name="tracking_token",
            field=models.CharField(
                blank=True,
                default=shipments.models.new_tracking_token,
                editable=False,
                max_length=64,
                null=True,
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="emailsend",
            name="kind",
            field=models.CharField(
                choices=[
                    ("shipment_confirmation", "Shipment confirmation"),
                    ("delivery_notice", "Delivery notice"),
                    ("out_for_delivery", "Out for delivery notice"),
                    ("estimated_delivery", "Estimated delivery changed"),
                ],
                max_length=30,
            ),
        ),
    ]
