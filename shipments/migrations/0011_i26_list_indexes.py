"""The shipment list's indexes (issue 26): the default order and each filter's, tenant first.

Built CONCURRENTLY on PostgreSQL (core.indexes), the new ones before the two they replace are dropped.
"""

import django.db.models.functions.text
from django.db import migrations, models

from core.indexes import AddIndexConcurrently, RemoveIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("shipments", "0010_i26_print_jobs"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="shipment",
            index=models.Index(fields=["tenant", "-created_at", "-id"], name="shipment_tenant_created"),
        ),
        AddIndexConcurrently(
            model_name="shipment",
            index=models.Index(fields=["tenant", "state", "-created_at", "-id"], name="shipment_tenant_state"),
        ),
        AddIndexConcurrently(
            model_name="shipment",
            index=models.Index(
                fields=["tenant", "store_update_state", "-created_at", "-id"], name="shipment_tenant_update"
            ),
        ),
        AddIndexConcurrently(
            model_name="shipment",
            index=models.Index(
                models.F("tenant"),
                django.db.models.functions.text.Upper("tracking_number"),
                name="shipment_tenant_tracking_ci",
            ),
        ),
        # Replaced: (tenant, -created_at) and (tenant, store_update_state) by the two above with the list's order.
        RemoveIndexConcurrently(model_name="shipment", name="shipments_s_tenant__e99532_idx"),
        RemoveIndexConcurrently(model_name="shipment", name="shipments_s_tenant__76e55c_idx"),
    ]
