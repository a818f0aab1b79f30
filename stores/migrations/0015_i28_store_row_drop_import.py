"""Issue 28: drop the import engine's columns (and their indexes) from the store's row, after orders'
0011_i28_store_import_state copied them to orders.StoreImportState. A later migration of the same change: on a
live database, deploy the code that reads the new rows first, then run this one (docs/layers.md, "The store row
holds the store")."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('stores', '0014_i28_store_row_drop_realtime'),
        ('orders', '0011_i28_store_import_state'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='store',
            name='stores_stor_is_acti_919fb6_idx',
        ),
        migrations.RemoveIndex(
            model_name='store',
            name='store_next_import_idx',
        ),
        migrations.RemoveField(
            model_name='store',
            name='consecutive_failures',
        ),
        migrations.RemoveField(
            model_name='store',
            name='idle_checks',
        ),
        migrations.RemoveField(
            model_name='store',
            name='import_lock_run',
        ),
        migrations.RemoveField(
            model_name='store',
            name='import_pending_since',
        ),
        migrations.RemoveField(
            model_name='store',
            name='import_queued_until',
        ),
        migrations.RemoveField(
            model_name='store',
            name='import_running_since',
        ),
        migrations.RemoveField(
            model_name='store',
            name='import_scheduled_at',
        ),
        migrations.RemoveField(
            model_name='store',
            name='import_watermark',
        ),
        migrations.RemoveField(
            model_name='store',
            name='last_checked_at',
        ),
        migrations.RemoveField(
            model_name='store',
            name='last_import_at',
        ),
        migrations.RemoveField(
            model_name='store',
            name='last_import_message',
        ),
        migrations.RemoveField(
            model_name='store',
            name='last_import_ok',
        ),
        migrations.RemoveField(
            model_name='store',
            name='last_reconcile_at',
        ),
        migrations.RemoveField(
            model_name='store',
            name='needs_attention',
        ),
        migrations.RemoveField(
            model_name='store',
            name='next_import_at',
        ),
        migrations.RemoveField(
            model_name='store',
            name='orders_recovered',
        ),
    ]
