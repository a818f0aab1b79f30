"""SQLite backend that knows modern SQLite's bind-parameter limit.

Django assumes the old compile-time default of 999 variables per statement and splits bulk writes
into many small INSERTs; SQLite 3.32+ allows 32,766, so a page of orders is written in one statement
on SQLite as on PostgreSQL (the import's constant-queries-per-page rule holds on both).
"""

import sqlite3

from django.db.backends.sqlite3 import base, features

if sqlite3.sqlite_version_info < (3, 32):  # pragma: no cover - every supported Python ships newer
    raise ImportError(f"SQLite {sqlite3.sqlite_version} is too old; Outbound needs 3.32 or newer.")


class DatabaseFeatures(features.DatabaseFeatures):
    max_query_params = 32766


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
