from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("stores", "0017_i28s_store_drop_secret_columns"),
    ]

    operations = [
        migrations.AddField(
            model_name="tenant",
            name="daily_label_limit",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="The most this tenant may spend on labels in one UTC day; empty: no limit.",
                max_digits=10,
                null=True,
            ),
        ),
    ]
