"""The order lists' indexes (issue 26): the default order and each filter's, tenant first.

Built CONCURRENTLY on PostgreSQL (core.indexes): imports keep writing while they build. The new indexes are
built before the two they replace are dropped, so no list is ever without one.
"""

import django.db.models.functions.text
from django.db import migrations, models

from core.indexes import AddIndexConcurrently, RemoveIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orders", "0009_i14_skip_invalid_values"),
        ("stores", "0012_i25_store_disconnected_at"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(fields=["tenant", "-order_date", "-id"], name="order_tenant_date"),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(fields=["tenant", "status", "-order_date", "-id"], name="order_tenant_status_date"),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(fields=["tenant", "store", "-order_date", "-id"], name="order_tenant_store_date"),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(fields=["tenant", "storefront", "-order_date", "-id"], name="order_tenant_sfront_date"),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                condition=models.Q(("shipping", "partial")),
                fields=["tenant", "-order_date", "-id"],
                name="order_partial_date",
            ),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                condition=models.Q(("needs_attention", True)),
                fields=["tenant", "-order_date", "-id"],
                name="order_attention_date",
            ),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                models.F("tenant"), django.db.models.functions.text.Upper("number"), name="order_tenant_number_ci"
            ),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                models.F("tenant"), django.db.models.functions.text.Upper("email"), name="order_tenant_email_ci"
            ),
        ),
        # Replaced: (tenant, status, -order_date) by order_tenant_status_date, (tenant, email) by the UPPER one.
        RemoveIndexConcurrently(model_name="order", name="orders_orde_tenant__1d994e_idx"),
        RemoveIndexConcurrently(model_name="order", name="orders_orde_tenant__98efd1_idx"),
    ]
