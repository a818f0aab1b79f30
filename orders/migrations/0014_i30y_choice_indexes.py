"""Issue 30's filters: the orders a preset ships and the orders marked for a person (the lists' "ships with"
and "marked for" filters, their counts, and a preset's or a user's deletion), and the orders held until a
date. Each partial: only the orders that have one are indexed, so an imported order nothing chose costs
nothing more.

Built CONCURRENTLY on PostgreSQL (core.indexes): imports keep writing while they build.
"""

from django.conf import settings
from django.db import migrations, models

from core.indexes import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("carriers", "0002_i29x_ship_from_presets_labels"),
        ("orders", "0013_i30x_tags_presets_rules"),
        ("stores", "0017_i28s_store_drop_secret_columns"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                condition=models.Q(("shipping_preset__isnull", False)),
                fields=["tenant", "shipping_preset", "-order_date", "-id"],
                name="order_preset_date",
            ),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                condition=models.Q(("assignee__isnull", False)),
                fields=["tenant", "assignee", "-order_date", "-id"],
                name="order_assignee_date",
            ),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                condition=models.Q(("hold_until__isnull", False)), fields=["hold_until"], name="order_hold_until"
            ),
        ),
    ]
