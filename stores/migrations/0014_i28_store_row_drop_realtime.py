"""Issue 28: drop the real-time columns from the store's row, after hooks' 0006_i28_store_realtime copied them to
hooks.StoreRealtime. A later migration of the same change: on a live database, deploy the code that reads the
new rows first, then run this one (docs/layers.md, "The store row holds the store")."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("stores", "0013_i26_call_budget"),
        ("hooks", "0006_i28_store_realtime"),
    ]

    operations = [
        migrations.RemoveField(model_name="store", name="hooks_message"),
        migrations.RemoveField(model_name="store", name="hooks_subscription_ids"),
        migrations.RemoveField(model_name="store", name="hooks_token_hash"),
    ]
