# Issue 33 (tracking page): the carrier's estimated delivery date, and the public lookups' limiter.

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tracking", "0003_i29x_carrier_account_leaves"),
    ]

    operations = [
        migrations.CreateModel(
            name="LookupThrottle",
            fields=[
                ("key", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("failures", models.PositiveIntegerField(default=0)),
                ("window_started_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.AddField(
            model_name="shipmenttracking",
            name="estimated_delivery",
            field=models.DateField(blank=True, null=True),
        ),
    ]
