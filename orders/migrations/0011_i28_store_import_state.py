"""Issue 28: the import engine's bookkeeping moves from the store's row to orders.StoreImportState (one row per
store).

Create and copy, in batches of stores by primary key (a live database: each batch its own short transaction,
no long lock on the stores table); the old columns are dropped by stores' 0015_i28_store_row_drop_import, a
later migration (the order of a live deploy: docs/layers.md, "The store row holds the store")."""

import django.db.models.deletion
from django.db import migrations, models

BATCH = 1000
FIELDS = (
    "import_watermark",
    "last_import_at",
    "last_import_ok",
    "last_import_message",
    "consecutive_failures",
    "needs_attention",
    "import_running_since",
    "import_lock_run",
    "import_pending_since",
    "import_scheduled_at",
    "next_import_at",
    "import_queued_until",
    "last_checked_at",
    "idle_checks",
    "last_reconcile_at",
    "orders_recovered",
)


def copy_import_state(apps, schema_editor):
    Store = apps.get_model("stores", "Store")
    StoreImportState = apps.get_model("orders", "StoreImportState")
    db = schema_editor.connection.alias
    last = 0
    while True:
        batch = list(Store.objects.using(db).filter(pk__gt=last).order_by("pk").values("pk", *FIELDS)[:BATCH])
        if not batch:
            return
        last = batch[-1]["pk"]
        StoreImportState.objects.using(db).bulk_create(
            [StoreImportState(store_id=row.pop("pk"), **row) for row in batch],
            ignore_conflicts=True,  # a row the new code made meanwhile wins
        )


def copy_back(apps, schema_editor):
    Store = apps.get_model("stores", "Store")
    StoreImportState = apps.get_model("orders", "StoreImportState")
    db = schema_editor.connection.alias
    for row in StoreImportState.objects.using(db).values("store_id", *FIELDS).iterator(chunk_size=BATCH):
        Store.objects.using(db).filter(pk=row.pop("store_id")).update(**row)


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own

    dependencies = [
        ('orders', '0010_i26_list_indexes'),
        ('stores', '0012_i25_store_disconnected_at'),
    ]

    operations = [
        migrations.CreateModel(
            name='StoreImportState',
            fields=[
                ('store', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='import_state', serialize=False, to='stores.store')),
                ('import_watermark', models.DateTimeField(blank=True, null=True)),
                ('last_import_at', models.DateTimeField(blank=True, null=True)),
                ('last_import_ok', models.BooleanField(blank=True, null=True)),
                ('last_import_message', models.TextField(blank=True, default='')),
                ('consecutive_failures', models.PositiveIntegerField(default=0)),
                ('needs_attention', models.BooleanField(default=False)),
                ('import_running_since', models.DateTimeField(blank=True, null=True)),
                ('import_lock_run', models.BigIntegerField(blank=True, editable=False, null=True)),
                ('import_pending_since', models.DateTimeField(blank=True, editable=False, null=True)),
                ('import_scheduled_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('next_import_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('import_queued_until', models.DateTimeField(blank=True, editable=False, null=True)),
                ('last_checked_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('idle_checks', models.PositiveBigIntegerField(default=0, editable=False)),
                ('last_reconcile_at', models.DateTimeField(blank=True, null=True)),
                ('orders_recovered', models.PositiveIntegerField(default=0, help_text='Orders the reconciliation sweep found missing, all time.', verbose_name='orders recovered')),
            ],
            options={
                'verbose_name': 'store import state',
                'indexes': [models.Index(fields=['last_import_at'], name='import_state_last_import_idx'), models.Index(fields=['next_import_at'], name='import_state_next_import_idx')],
            },
        ),
        migrations.RunPython(copy_import_state, copy_back),
    ]
