"""Idempotency records made before issue 14 kept a new webhook's signing secret in clear: mask it."""

from django.db import migrations


def mask_secret(value: str) -> str:  # as api.base.mask_secret, frozen here
    prefix = value.split("_", 1)[0] + "_" if "_" in value[:10] else ""
    return f"{prefix}…{value[-4:]}" if len(value) > len(prefix) + 8 else "…"


def mask(apps, schema_editor):
    IdempotencyRecord = apps.get_model("api", "IdempotencyRecord")
    for record in IdempotencyRecord.objects.filter(path__contains="/webhooks").iterator():
        body = record.response_body
        if isinstance(body, dict) and isinstance(body.get("secret"), str) and not body["secret"].count("…"):
            body["secret"] = mask_secret(body["secret"])
            record.response_body = body
            record.save(update_fields=["response_body"])


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial")]

    operations = [migrations.RunPython(mask, migrations.RunPython.noop)]
