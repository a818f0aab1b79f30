"""Index migrations that are safe on a live database.

On PostgreSQL, `AddIndexConcurrently`/`RemoveIndexConcurrently` build and drop the index with
CREATE/DROP INDEX CONCURRENTLY: the table keeps taking writes (imports, shipments) while a large index is
built. Elsewhere (SQLite: tests, the demo) they are the plain AddIndex/RemoveIndex. A migration using them
sets `atomic = False` (PostgreSQL refuses CONCURRENTLY inside a transaction).
"""

from __future__ import annotations

from django.contrib.postgres import operations as pg
from django.db import migrations


class AddIndexConcurrently(pg.AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class RemoveIndexConcurrently(pg.RemoveIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.RemoveIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.RemoveIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)
