"""Bulk writes for import pages: one statement per page step, whatever the page holds.

Rows are plain dicts keyed by field attname (`store_id`, not `store`), built straight from the export:
an import page writes hundreds of rows, and model instances cost more to build and to prepare than
the database takes to store them.

On PostgreSQL each table's rows travel as one JSON parameter that `jsonb_populate_recordset` turns into
rows of the table's own type, so the database does the type conversions and no value or array has to
be adapted in Python; several tables go in one statement, all but the last as data-modifying CTEs
(which PostgreSQL always runs to completion):

    WITH w0 AS (INSERT INTO a (…) SELECT … FROM jsonb_populate_recordset(NULL::a, %s::jsonb) ON CONFLICT …)
    INSERT INTO b (x, y, …) SELECT x, y, … FROM jsonb_populate_recordset(NULL::b, %s::jsonb)
    ON CONFLICT (key) DO UPDATE SET x = EXCLUDED.x, …  RETURNING id, key

Elsewhere (SQLite: the demo and quick local tests) the same rows go through Django's bulk_create, one
table after the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import orjson
from django.db import connection, models


@dataclass(frozen=True)
class Rows:
    """Rows for one table. With `unique` and `update`, a row whose unique fields exist updates `update`;
    with `unique` alone, such a row is left as it is (ON CONFLICT DO NOTHING) and reported by no id.
    With `key`, the write reports {row[key]: primary key} (so no two rows may share `unique` values,
    as in any single INSERT … ON CONFLICT); a tuple of fields as `key` reports {(row[k1], row[k2], …): pk}."""

    model: type[models.Model]
    rows: list[dict]
    unique: tuple[str, ...] = ()
    update: tuple[str, ...] = ()
    key: str | tuple[str, ...] | None = None


def upsert(
    model: type[models.Model],
    rows: list[dict],
    *,
    unique: tuple[str, ...] = (),
    update: tuple[str, ...] = (),
    key: str | tuple[str, ...] | None = None,
) -> dict[object, int]:
    """Write one table's rows; {row[key]: primary key} when `key` is given, else {}."""
    return write(Rows(model, rows, tuple(unique), tuple(update), key))


def write(*batches: Rows) -> dict[object, int]:
    """Write every batch (one statement on PostgreSQL); returns the last batch's {row[key]: pk}."""
    batches = tuple(b for b in batches if b.rows)
    if not batches:
        return {}
    if connection.vendor == "postgresql":
        return _write_postgresql(batches)
    ids: dict[object, int] = {}
    for batch in batches:
        ids = _write_orm(batch)
    return ids


def _write_orm(batch: Rows) -> dict[object, int]:
    model = batch.model
    objs = [model(**row) for row in batch.rows]
    if batch.update:
        model.objects.bulk_create(
            objs, update_conflicts=True, unique_fields=list(batch.unique), update_fields=list(batch.update)
        )
    elif batch.unique:
        # Django returns no ids after ignore_conflicts: read the new rows' ids back by their key.
        before = _ids_by_key(batch, objs) if batch.key else {}
        model.objects.bulk_create(objs, ignore_conflicts=True)
        if batch.key is None:
            return {}
        return {key: pk for key, pk in _ids_by_key(batch, objs).items() if key not in before}
    else:
        model.objects.bulk_create(objs)
    if batch.key is None:
        return {}
    ids = {_key_of(obj, batch.key): obj.pk for obj in objs}
    if None in ids.values():  # pragma: no cover - a backend that cannot return ids from a bulk upsert
        ids = _ids_by_key(batch, objs)
    return ids


def _key_of(obj: models.Model, key: str | tuple[str, ...]) -> object:
    return getattr(obj, key) if isinstance(key, str) else tuple(getattr(obj, k) for k in key)


def _ids_by_key(batch: Rows, objs: list[models.Model]) -> dict[object, int]:
    key = batch.key
    keys = {_key_of(obj, key) for obj in objs}
    fields = (key,) if isinstance(key, str) else key
    # Each key field among the batch's values: a superset of the rows asked for, narrowed in Python.
    narrowed = batch.model.objects.filter(**{f"{f}__in": {_key_of(obj, f) for obj in objs} for f in fields})
    found = {(row[:-1] if len(fields) > 1 else row[0]): row[-1] for row in narrowed.values_list(*fields, "pk")}
    return {k: pk for k, pk in found.items() if k in keys}


def _json_value(value: object) -> str:
    # orjson writes str, numbers, bools, None, lists, dicts, dates and datetimes itself (datetimes in
    # ISO 8601, as isoformat() does); a decimal goes as its text, so no digit is lost to a float.
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot go into a bulk row")


@cache
def _columns(model: type[models.Model]) -> dict[str, str]:
    """{attname: column} of the model's concrete fields."""
    return {f.attname: f.column for f in model._meta.concrete_fields}


def _defaults(model: type[models.Model], given: dict) -> dict:
    """What Model(**row) would fill in for the fields a row leaves out (new rows need them; updates
    touch only the `update` fields)."""
    return {
        f.attname: f.get_default()
        for f in model._meta.concrete_fields
        if f.attname not in given and not f.primary_key and (f.has_default() or f.null)
    }


def _insert_sql(batch: Rows, returning: bool) -> tuple[str, str]:
    """(INSERT statement with one %s, its JSON parameter) for one batch."""
    model, quote = batch.model, connection.ops.quote_name
    columns = _columns(model)
    defaults = _defaults(model, batch.rows[0])
    rows = [{**defaults, **row} for row in batch.rows] if defaults else batch.rows
    names = list(rows[0])
    if any(columns[name] != name for name in names):  # pragma: no cover - no db_column on these models
        rows = [{columns[name]: value for name, value in row.items()} for row in rows]
    targets = ", ".join(quote(columns[name]) for name in names)
    table = quote(model._meta.db_table)
    # Identifiers only, from the model's own metadata and quoted; the values travel as the one parameter.
    # jsonb, not json: a nested value (a webhook delivery's payload) then reaches its jsonb column parsed
    # once, not re-parsed from its text (a third less server time for a page's deliveries; the same for
    # flat rows).
    sql = f"INSERT INTO {table} ({targets}) SELECT {targets} FROM jsonb_populate_recordset(NULL::{table}, %s::jsonb)"  # noqa: S608
    conflict = ", ".join(quote(model._meta.get_field(name).column) for name in batch.unique)
    if batch.update:
        sets = ", ".join(
            f"{quote(model._meta.get_field(name).column)} = EXCLUDED.{quote(model._meta.get_field(name).column)}"
            for name in batch.update
        )
        sql += f" ON CONFLICT ({conflict}) DO UPDATE SET {sets}"
    elif batch.unique:
        sql += f" ON CONFLICT ({conflict}) DO NOTHING"
    if returning:
        keys = (batch.key,) if isinstance(batch.key, str) else batch.key
        sql += f" RETURNING {quote(model._meta.pk.column)}, {', '.join(quote(columns[k]) for k in keys)}"
    return sql, orjson.dumps(rows, default=_json_value).decode()


def _write_postgresql(batches: tuple[Rows, ...]) -> dict[object, int]:
    *before, last = batches
    returning = last.key is not None
    parts, params = [], []
    for number, batch in enumerate(before):
        sql, payload = _insert_sql(batch, returning=False)
        parts.append(f"w{number} AS ({sql})")
        params.append(payload)
    sql, payload = _insert_sql(last, returning=returning)
    params.append(payload)
    if parts:
        sql = f"WITH {', '.join(parts)} {sql}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if not returning:
            return {}
        if isinstance(last.key, str):
            return {row_key: pk for pk, row_key in cursor.fetchall()}
        return {tuple(row_key): pk for pk, *row_key in cursor.fetchall()}
