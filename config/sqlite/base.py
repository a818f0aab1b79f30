"""SQLite backend that knows modern SQLite's bind-parameter limit and keeps triggers across table rebuilds.

Django assumes the old compile-time default of 999 variables per statement and splits bulk writes
into many small INSERTs; SQLite 3.32+ allows 32,766, so a page of orders is written in one statement
on SQLite as on PostgreSQL (the import's constant-queries-per-page rule holds on both).

SQLite alters most columns by rebuilding the table (a new table, the rows copied, the old one dropped, the new
one renamed). The drop loses the table's own triggers, and the rename fails while a trigger of another table
names the dropped one ("error in trigger …: no such table"): the picture of the day's tallies
(orders/tallies.py) are triggers on orders, shipments and label purchases that read each other's tables. So a
rebuild takes every trigger out first and puts back each one whose table still exists, whatever migration,
forwards or backwards, does the rebuild.
"""

import sqlite3

from django.db.backends.sqlite3 import base, features, schema

if sqlite3.sqlite_version_info < (3, 32):  # pragma: no cover - every supported Python ships newer
    raise ImportError(f"SQLite {sqlite3.sqlite_version} is too old; Outbound needs 3.32 or newer.")


class DatabaseFeatures(features.DatabaseFeatures):
    max_query_params = 32766


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    def _remake_table(self, model, *args, **kwargs):
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
            triggers = cursor.fetchall()
        for name, _table, _sql in triggers:
            self.execute(f'DROP TRIGGER IF EXISTS "{name}"', None)
        super()._remake_table(model, *args, **kwargs)
        tables = set(self.connection.introspection.table_names())
        for _name, table, sql in triggers:
            if table in tables:
                self.execute(sql, None)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
    SchemaEditorClass = DatabaseSchemaEditor
