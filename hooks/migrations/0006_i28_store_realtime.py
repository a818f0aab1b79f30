"""Issue 28: a store's real-time link moves from the store's row to hooks.StoreRealtime (one row per store).

Create and copy, in batches of stores by primary key (a live database: no long lock on the stores table);
the old columns are dropped by stores' 0014_i28_store_row_drop_realtime, a later migration (the order of a live
deploy: docs/layers.md, "The store row holds the store")."""

import django.db.models.deletion
from django.db import migrations, models

BATCH = 1000


def copy_realtime(apps, schema_editor):
    Store = apps.get_model("stores", "Store")
    StoreRealtime = apps.get_model("hooks", "StoreRealtime")
    db = schema_editor.connection.alias
    last = 0
    while True:
        batch = list(
            Store.objects.using(db)
            .filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "hooks_token_hash", "hooks_subscription_ids", "hooks_message")[:BATCH]
        )
        if not batch:
            return
        StoreRealtime.objects.using(db).bulk_create(
            [
                StoreRealtime(store_id=pk, token_hash=h or "", subscription_ids=ids or [], message=m or "")
                for pk, h, ids, m in batch
            ],
            ignore_conflicts=True,  # a row the new code made meanwhile wins
        )
        last = batch[-1][0]


def copy_back(apps, schema_editor):
    Store = apps.get_model("stores", "Store")
    StoreRealtime = apps.get_model("hooks", "StoreRealtime")
    db = schema_editor.connection.alias
    for row in StoreRealtime.objects.using(db).iterator(chunk_size=BATCH):
        Store.objects.using(db).filter(pk=row.store_id).update(
            hooks_token_hash=row.token_hash, hooks_subscription_ids=row.subscription_ids, hooks_message=row.message
        )


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own

    dependencies = [
        ("hooks", "0005_i26_echoes"),
        ("stores", "0012_i25_store_disconnected_at"),
    ]

    operations = [
        migrations.CreateModel(
            name="StoreRealtime",
            fields=[
                (
                    "store",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="realtime",
                        serialize=False,
                        to="stores.store",
                    ),
                ),
                ("token_hash", models.CharField(blank=True, db_index=True, default="", editable=False, max_length=64)),
                ("subscription_ids", models.JSONField(blank=True, default=list, editable=False)),
                ("message", models.TextField(blank=True, default="", editable=False)),
            ],
            options={"verbose_name": "store real-time link"},
        ),
        migrations.RunPython(copy_realtime, copy_back),
    ]
