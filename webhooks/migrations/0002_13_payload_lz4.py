"""Delivery payloads compressed with lz4 rather than pglz on PostgreSQL 14+ (issue 13, webhooks in bulk).

An import page writes a payload of a few KB per order and subscriber inside its transaction; PostgreSQL
compresses each one as it stores it out of line, and lz4 does that several times faster than the default
pglz for about the same size. Only new values are affected (existing rows keep their compression, and
reading either is transparent). A server without lz4 (older, or built without it) keeps pglz: nothing
else changes, so the migration passes over it. Nothing happens on SQLite."""

from django.db import DatabaseError, migrations, transaction

TABLE = "api_webhookdelivery"


def _compression(method: str):
    def apply(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "postgresql" or connection.pg_version < 140000:
            return
        quote = connection.ops.quote_name
        try:
            with transaction.atomic(using=connection.alias):
                with connection.cursor() as cursor:
                    cursor.execute(f"ALTER TABLE {quote(TABLE)} ALTER COLUMN {quote('payload')} "
                                   f"SET COMPRESSION {method}")
        except DatabaseError:  # this server has no lz4: pglz, as before
            pass

    return apply


class Migration(migrations.Migration):

    dependencies = [
        ("webhooks", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(_compression("lz4"), _compression("pglz"), elidable=True),
    ]
