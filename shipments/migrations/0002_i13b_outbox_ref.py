"""The outbox becomes generic (issue 13): its rows name what they are about in an indexed `ref`
("shipment:<id>") instead of a foreign key to shipments. The reference is filled from the foreign key
before the column is dropped; going back fills the key from the reference."""

from django.db import migrations, models
from django.db.models.functions import Cast, Concat

PREFIX = "shipment:"


def fill_ref(apps, schema_editor):
    OutboxMessage = apps.get_model("shipments", "OutboxMessage")
    OutboxMessage.objects.filter(shipment__isnull=False).update(
        ref=Concat(models.Value(PREFIX), Cast("shipment_id", models.CharField(max_length=30))))


def fill_shipment(apps, schema_editor):
    OutboxMessage = apps.get_model("shipments", "OutboxMessage")
    Shipment = apps.get_model("shipments", "Shipment")
    rows = OutboxMessage.objects.filter(ref__startswith=PREFIX).values_list("pk", "ref")
    by_shipment: dict[int, list[int]] = {}
    for pk, ref in rows.iterator():
        shipment_id = ref[len(PREFIX):]
        if shipment_id.isdigit():
            by_shipment.setdefault(int(shipment_id), []).append(pk)
    existing = set(Shipment.objects.filter(pk__in=list(by_shipment)).values_list("pk", flat=True))
    for shipment_id, pks in by_shipment.items():
        if shipment_id in existing:
            OutboxMessage.objects.filter(pk__in=pks).update(shipment_id=shipment_id)


class Migration(migrations.Migration):

    dependencies = [
        ('shipments', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='outboxmessage',
            name='ref',
            field=models.CharField(blank=True, db_index=True, default='', max_length=100),
        ),
        migrations.RunPython(fill_ref, fill_shipment),
        migrations.RemoveField(
            model_name='outboxmessage',
            name='shipment',
        ),
    ]
