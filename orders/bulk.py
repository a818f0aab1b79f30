"""Bulk writes for import pages: one statement per table and page, whatever the page holds.

Rows are plain dicts keyed by field attname (`store_id`, not `store`), built straight from the export:
an import page writes hundreds of rows, and model instances cost more to build and to prepare than
the database takes to store them.

On PostgreSQL the whole batch travels as one JSON parameter that `json_populate_recordset` turns into
rows of the table's own type, so the database does the type conversions and no per-value parameter
or array has to be adapted in Python:

    INSERT INTO t (a, b, …) SELECT a, b, … FROM json_populate_recordset(NULL::t, %s::json)
    ON CONFLICT (key) DO UPDATE SET a = EXCLUDED.a, …  RETURNING id, key

Elsewhere (SQLite: the demo and quick local tests) the same rows go through Django's bulk_create.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from functools import cache

from django.db import connection, models


def _json_value(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot go into a bulk row")


@cache
def _columns(model: type[models.Model]) -> dict[str, str]:
    """{attname: quoted column} of the model's concrete fields."""
    quote = connection.ops.quote_name
    return {f.attname: quote(f.column) for f in model._meta.concrete_fields}


@cache
def _field_columns(model: type[models.Model], names: tuple[str, ...]) -> list[str]:
    quote = connection.ops.quote_name
    return [quote(model._meta.get_field(name).column) for name in names]


def upsert(
    model: type[models.Model],
    rows: list[dict],
    *,
    unique: tuple[str, ...] = (),
    update: tuple[str, ...] = (),
    key: str | None = None,
) -> dict[object, int]:
    """Insert `rows`; with `unique` and `update`, a row whose unique fields exist updates `update`.

    Returns {row[key]: primary key} for every row written when `key` is given (the rows must then hold
    no two rows with the same `unique` values, as in any single INSERT … ON CONFLICT), else {}.
    """
    if not rows:
        return {}
    if connection.vendor == "postgresql":
        return _upsert_postgresql(model, rows, unique, update, key)
    objs = [model(**row) for row in rows]
    if update:
        model.objects.bulk_create(objs, update_conflicts=True, unique_fields=list(unique), update_fields=list(update))
    else:
        model.objects.bulk_create(objs)
    if key is None:
        return {}
    ids = {getattr(obj, key): obj.pk for obj in objs}
    if None in ids.values():  # pragma: no cover - a backend that cannot return ids from a bulk upsert
        ids = dict(model.objects.filter(**{f"{key}__in": list(ids)}).values_list(key, "pk"))
    return ids


def _defaults(model: type[models.Model], given: dict) -> dict:
    """What Model(**row) would fill in for the fields a row leaves out (new rows need them; updates
    touch only the `update` fields)."""
    return {
        f.attname: f.get_default()
        for f in model._meta.concrete_fields
        if f.attname not in given and not f.primary_key and (f.has_default() or f.null)
    }


def _upsert_postgresql(model, rows, unique, update, key) -> dict[object, int]:
    columns = _columns(model)
    defaults = _defaults(model, rows[0])
    if defaults:
        rows = [{**defaults, **row} for row in rows]
    names = list(rows[0])
    targets = ", ".join(columns[name] for name in names)
    table = connection.ops.quote_name(model._meta.db_table)
    # Identifiers only, from the model's own metadata and quoted; the values travel as the one parameter.
    sql = f"INSERT INTO {table} ({targets}) SELECT {targets} FROM json_populate_recordset(NULL::{table}, %s::json)"  # noqa: S608
    if update:
        conflict = ", ".join(_field_columns(model, tuple(unique)))
        sets = ", ".join(f"{col} = EXCLUDED.{col}" for col in _field_columns(model, tuple(update)))
        sql += f" ON CONFLICT ({conflict}) DO UPDATE SET {sets}"
    if key is not None:
        sql += f" RETURNING {connection.ops.quote_name(model._meta.pk.column)}, {columns[key]}"
    # Keys are attnames; json_populate_recordset matches them to column names.
    if any(columns[name].strip('"') != name for name in names):  # pragma: no cover - no db_column here
        rows = [{columns[name].strip('"'): value for name, value in row.items()} for row in rows]
    payload = json.dumps(rows, default=_json_value, ensure_ascii=False, separators=(",", ":"))
    with connection.cursor() as cursor:
        cursor.execute(sql, [payload])
        if key is None:
            return {}
        return {row_key: pk for pk, row_key in cursor.fetchall()}
