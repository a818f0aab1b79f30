"""The picture of the day's per-day tallies, kept by the database itself (docs/insights.md#tallies).

Three tables, written only by triggers on the orders, shipments and label purchases tables (SQLite and
PostgreSQL), so every write counts, whatever road it takes: the import, shipment and label services,
`bulk_create`, `QuerySet.update`, factories, the demo, raw SQL.

    orders_daytally       (tenant, store, day)                      received, awaiting, shipped
    orders_shiptimetally  (tenant, store, day, tenths)              orders
    orders_spendtally     (tenant, store, day, carrier, currency)   labels, amount, voided_labels, voided_amount

* `received`: orders whose order date falls on that day.
* `awaiting`: of those, the ones in Awaiting Shipment now (the waiting-by-age figures sum them by age).
* `shipped`: orders with at least one active (not voided) shipment whose ship date is that day.
* `orders_shiptimetally`: each order with an active shipment, counted once, on the day its first active
  shipment was recorded, under its ship time (order date → that first shipment) in tenths of an hour.
* `orders_spendtally`: label purchases with a price, on the day they were made: the ones in state `bought`
  (labels, amount: the spend) and the ones `voided` since (voided_labels, voided_amount: refunded or being
  refunded, not spend), under their order's store.

Days are UTC days (the settings' TIME_ZONE is UTC): `orders.insights` reads the tallies when the active
time zone is UTC and falls back to its live scan under any other zone. Store and tenant are plain integers,
not foreign keys: a deleted store's orders take their counts down to zero on their way out, and nothing
cascades into these tables.

`install(connection)` creates the triggers (idempotent), `rebuild(connection)` recounts everything from
the orders and shipments in one statement per table (the migration's backfill, `manage.py
refresh_insights`, and `post_migrate` after a flush or a table rebuilt by a later SQLite migration, which
drops that table's triggers).
"""

# The SQL below is built from constant table names and expressions only: it holds no value from outside.
# ruff: noqa: S608
from __future__ import annotations

from django.db import models

ACTIVE = "('shipped', 'delivered')"  # shipments.models.ShipmentState other than "voided"
AWAITING = "'awaiting_shipment'"  # orders.status_machine.OrderStatus.AWAITING_SHIPMENT

ORDERS = "orders_order"
SHIPMENTS = "shipments_shipment"
DAYS = "orders_daytally"
TIMES = "orders_shiptimetally"
SPEND = "orders_spendtally"
LABELS = "labels_labelpurchase"
BOUGHT, VOIDED = "'bought'", "'voided'"  # labels.models.PurchaseState: the states that were paid for

TRIGGERS = (
    "orders_tally_order_ins",
    "orders_tally_order_del",
    "orders_tally_order_upd",
    "orders_tally_ship_ins",
    "orders_tally_ship_del",
    "orders_tally_ship_upd",
    "orders_tally_label_ins",
    "orders_tally_label_del",
    "orders_tally_label_upd",
)


class Dialect:
    def __init__(self, vendor: str):
        self.vendor = vendor
        self.pg = vendor == "postgresql"

    def day(self, ts: str) -> str:
        return f"(({ts}) AT TIME ZONE 'UTC')::date" if self.pg else f"date({ts})"

    def tenths(self, first: str, ordered: str) -> str:
        # The same arithmetic as the live scan (orders.insights._ship_time_histogram), so both agree exactly.
        if self.pg:
            return f"ROUND((EXTRACT(EPOCH FROM (({first}) - ({ordered}))) / 3600.0) * 10)::integer"
        return f"CAST(ROUND(((julianday({first}) - julianday({ordered})) * 24.0) * 10) AS INTEGER)"

    def least(self, a: str, b: str) -> str:
        if self.pg:
            return f"LEAST({a}, {b})"  # ignores NULLs
        return (
            f"(CASE WHEN ({a}) IS NULL THEN ({b}) WHEN ({b}) IS NULL THEN ({a}) "
            f"WHEN ({a}) < ({b}) THEN ({a}) ELSE ({b}) END)"
        )

    def differs(self, a: str, b: str) -> str:
        return f"(({a}) IS DISTINCT FROM ({b}))" if self.pg else f"(({a}) IS NOT ({b}))"


def _day_upsert(select: str, received: str = "0", awaiting: str = "0", shipped: str = "0") -> str:
    """INSERT … SELECT tenant_id, store_id, day, <received>, <awaiting>, <shipped> FROM … adding to the row."""
    return (
        f"INSERT INTO {DAYS} (tenant_id, store_id, day, received, awaiting, shipped) {select} "
        f"ON CONFLICT (tenant_id, store_id, day) DO UPDATE SET "
        f"received = {DAYS}.received + excluded.received, awaiting = {DAYS}.awaiting + excluded.awaiting, "
        f"shipped = {DAYS}.shipped + excluded.shipped"
    )


def _time_upsert(select: str) -> str:
    return (
        f"INSERT INTO {TIMES} (tenant_id, store_id, day, tenths, orders) {select} "
        f"ON CONFLICT (tenant_id, store_id, day, tenths) DO UPDATE SET orders = {TIMES}.orders + excluded.orders"
    )


def _first(order_id: str, *, without: str | None = None) -> str:
    """The first active shipment's time of an order (optionally leaving one shipment out), a scalar query."""
    other = f" AND x.id <> {without}" if without else ""
    return f"(SELECT MIN(x.created_at) FROM {SHIPMENTS} x WHERE x.order_id = {order_id} AND x.state IN {ACTIVE}{other})"


def _ship_time_move(d: Dialect, order_id: str, before: str, after: str) -> list[str]:
    """Move an order's ship-time count from its first shipment `before` to `after` (either may be NULL)."""
    statements = []
    for first, sign in ((before, -1), (after, 1)):
        statements.append(
            _time_upsert(
                f"SELECT o.tenant_id, o.store_id, {d.day('f.first')}, {d.tenths('f.first', 'o.order_date')}, {sign} "
                f"FROM (SELECT {before} AS first0, {after} AS first1) b "
                f"CROSS JOIN (SELECT {first} AS first) f JOIN {ORDERS} o ON o.id = {order_id} "
                f"WHERE f.first IS NOT NULL AND {d.differs('b.first0', 'b.first1')}"
            )
        )
    return statements


def _shipped_move(d: Dialect, row: str, sign: int) -> str:
    """Count (sign 1) or uncount (-1) the order of shipment `row` (NEW or OLD) as shipped on the row's ship
    date, unless another active shipment of the order already holds that day."""
    return _day_upsert(
        f"SELECT o.tenant_id, o.store_id, {row}.ship_date, 0, 0, {sign} FROM {ORDERS} o "
        f"WHERE o.id = {row}.order_id AND {row}.state IN {ACTIVE} AND NOT EXISTS ("
        f"SELECT 1 FROM {SHIPMENTS} x WHERE x.order_id = {row}.order_id AND x.ship_date = {row}.ship_date "
        f"AND x.state IN {ACTIVE} AND x.id <> {row}.id)"
    )


def _order_counts(d: Dialect, row: str, sign: int) -> str:
    return _day_upsert(
        f"SELECT {row}.tenant_id, {row}.store_id, {d.day(row + '.order_date')}, {sign}, "
        f"CASE WHEN {row}.status = {AWAITING} THEN {sign} ELSE 0 END, 0 WHERE 1 = 1"
    )


def _order_shipped(d: Dialect, row: str, sign: int) -> str:
    """An order's shipped days counted (1) or uncounted (-1) under the order's own tenant and store."""
    return _day_upsert(
        f"SELECT {row}.tenant_id, {row}.store_id, x.ship_date, 0, 0, {sign} FROM {SHIPMENTS} x "
        f"WHERE x.order_id = {row}.id AND x.state IN {ACTIVE} GROUP BY x.ship_date"
    )


def _order_ship_time(d: Dialect, row: str, sign: int) -> str:
    return _time_upsert(
        f"SELECT {row}.tenant_id, {row}.store_id, {d.day('f.first')}, {d.tenths('f.first', row + '.order_date')}, "
        f"{sign} FROM (SELECT {_first(row + '.id')} AS first) f WHERE f.first IS NOT NULL"
    )


def _spend_rows(d: Dialect, rows: str, sign: str, store: str = "o.store_id", join: str | None = None) -> str:
    """The spend a set of label purchases `rows` (NEW, OLD or a transition table, aliased r) adds (sign 1)
    or takes away (-1): the bought ones' price as spend, the voided ones' apart; under the order's store."""
    join = join if join is not None else f"JOIN {ORDERS} o ON o.id = r.order_id"
    return (
        f"SELECT r.tenant_id, {store} AS store_id, {d.day('r.created_at')} AS day, r.carrier, r.currency, "
        f"CASE WHEN r.state = {BOUGHT} THEN {sign} ELSE 0 END AS labels, "
        f"CASE WHEN r.state = {BOUGHT} THEN {sign} * r.price ELSE 0 END AS amount, "
        f"CASE WHEN r.state = {VOIDED} THEN {sign} ELSE 0 END AS voided_labels, "
        f"CASE WHEN r.state = {VOIDED} THEN {sign} * r.price ELSE 0 END AS voided_amount "
        f"FROM {rows} {join} "
        f"WHERE r.price IS NOT NULL AND r.state IN ({BOUGHT}, {VOIDED})"
    )


def _order_spend_moved(d: Dialect, owner_moved: str) -> str:
    """An order moved to another store (never in practice): its labels' spend moves with it."""
    return _spend_upsert(
        f"{_spend_rows(d, f'{LABELS} r', '-1', store='OLD.store_id', join='')} AND r.order_id = OLD.id "
        f"AND ({owner_moved}) UNION ALL "
        f"{_spend_rows(d, f'{LABELS} r', '1', store='NEW.store_id', join='')} AND r.order_id = NEW.id "
        f"AND ({owner_moved})"
    )


def _spend_upsert(select: str) -> str:
    columns = "tenant_id, store_id, day, carrier, currency"
    sums = ("labels", "amount", "voided_labels", "voided_amount")
    return (
        f"INSERT INTO {SPEND} ({columns}, {', '.join(sums)}) "
        f"SELECT {columns}, {', '.join(f'SUM({c})' for c in sums)} FROM ({select}) t "
        f"GROUP BY {columns} HAVING {' OR '.join(f'SUM({c}) <> 0' for c in sums)} ORDER BY 1, 2, 3, 4, 5 "
        f"ON CONFLICT ({columns}) DO UPDATE SET " + ", ".join(f"{c} = {SPEND}.{c} + excluded.{c}" for c in sums)
    )


def trigger_bodies(vendor: str) -> dict[str, tuple[str, str, str | None, list[str]]]:
    """{name: (table, event, WHEN condition or None, [statements])}."""
    d = Dialect(vendor)
    order_moved = (
        "OLD.order_date <> NEW.order_date OR OLD.status <> NEW.status "
        "OR OLD.store_id <> NEW.store_id OR OLD.tenant_id <> NEW.tenant_id"
    )
    order_keys = "OLD.order_date <> NEW.order_date OR OLD.store_id <> NEW.store_id OR OLD.tenant_id <> NEW.tenant_id"
    owner_moved = "OLD.store_id <> NEW.store_id OR OLD.tenant_id <> NEW.tenant_id"
    old_active = f"(OLD.state IN {ACTIVE})"
    new_active = f"(NEW.state IN {ACTIVE})"
    ship_changed = (
        f"OLD.order_id <> NEW.order_id OR {old_active} <> {new_active} OR OLD.ship_date <> NEW.ship_date "
        "OR OLD.created_at <> NEW.created_at"
    )
    # An order's first shipment before this change: the others' first, and this row as it was if active.
    old_first = d.least(_first("OLD.order_id", without="OLD.id"), f"CASE WHEN {old_active} THEN OLD.created_at END")
    return {
        "orders_tally_order_ins": (ORDERS, "INSERT", None, [_order_counts(d, "NEW", 1)]),
        "orders_tally_order_del": (
            ORDERS,
            "DELETE",
            None,
            [_order_counts(d, "OLD", -1), _order_shipped(d, "OLD", -1), _order_ship_time(d, "OLD", -1)],
        ),
        "orders_tally_order_upd": (
            ORDERS,
            "UPDATE",
            order_moved,
            [
                _order_counts(d, "OLD", -1),
                _order_counts(d, "NEW", 1),
                # Only when the order changes hands (never in practice) or its date moves.
                _order_shipped(d, "OLD", -1).replace("GROUP BY", f"AND ({owner_moved}) GROUP BY"),
                _order_shipped(d, "NEW", 1).replace("GROUP BY", f"AND ({owner_moved}) GROUP BY"),
                _order_ship_time(d, "OLD", -1).replace("WHERE f.first", f"WHERE ({order_keys}) AND f.first"),
                _order_ship_time(d, "NEW", 1).replace("WHERE f.first", f"WHERE ({order_keys}) AND f.first"),
                _order_spend_moved(d, owner_moved),
            ],
        ),
        "orders_tally_ship_ins": (
            SHIPMENTS,
            "INSERT",
            None,
            [
                _shipped_move(d, "NEW", 1),
                *_ship_time_move(d, "NEW.order_id", _first("NEW.order_id", without="NEW.id"), _first("NEW.order_id")),
            ],
        ),
        "orders_tally_ship_del": (
            SHIPMENTS,
            "DELETE",
            None,
            [_shipped_move(d, "OLD", -1), *_ship_time_move(d, "OLD.order_id", old_first, _first("OLD.order_id"))],
        ),
        "orders_tally_ship_upd": (
            SHIPMENTS,
            "UPDATE",
            ship_changed,
            [
                _shipped_move(d, "OLD", -1),
                _shipped_move(d, "NEW", 1),
                *_ship_time_move(d, "OLD.order_id", old_first, _first("OLD.order_id")),
                # A shipment moved to another order (never in practice): that order's first changes too.
                *[
                    s.replace("WHERE f.first", "WHERE OLD.order_id <> NEW.order_id AND f.first")
                    for s in _ship_time_move(
                        d, "NEW.order_id", _first("NEW.order_id", without="NEW.id"), _first("NEW.order_id")
                    )
                ],
            ],
        ),
        # SQLite has no FROM NEW: the row's columns are selected as a one-row table first.
        "orders_tally_label_ins": (LABELS, "INSERT", None, [_spend_upsert(_spend_rows(d, _row("NEW"), "1"))]),
        "orders_tally_label_del": (LABELS, "DELETE", None, [_spend_upsert(_spend_rows(d, _row("OLD"), "-1"))]),
        "orders_tally_label_upd": (
            LABELS,
            "UPDATE",
            " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _LABEL_COLUMNS),
            [_spend_upsert(f"{_spend_rows(d, _row('OLD'), '-1')} UNION ALL {_spend_rows(d, _row('NEW'), '1')}")],
        ),
    }


_LABEL_COLUMNS = ("tenant_id", "order_id", "created_at", "carrier", "currency", "state", "price")


def _row(which: str) -> str:
    return "(SELECT " + ", ".join(f"{which}.{c} AS {c}" for c in _LABEL_COLUMNS) + ") r"


# --- PostgreSQL: statement-level triggers over the transition tables -----------------------------------
#
# A row-level AFTER trigger on PostgreSQL runs once the whole statement is done and sees all its rows (a
# bulk_create of two shipments of one order would see each other as "the other one"): PostgreSQL counts
# per statement instead, set-based, from the rows before (`old_rows`) and after (`new_rows`) it.

_EMPTY = "(SELECT * FROM {table} WHERE false)"


def _pg_order_statements(old: str, new: str, update: bool) -> list[str]:
    d = Dialect("postgresql")
    counts = _day_upsert(
        f"SELECT tenant_id, store_id, day, SUM(sign), SUM(CASE WHEN status = {AWAITING} THEN sign ELSE 0 END), 0 "
        f"FROM (SELECT tenant_id, store_id, {d.day('order_date')} AS day, status, 1 AS sign FROM {new} nr "
        f"UNION ALL SELECT tenant_id, store_id, {d.day('order_date')}, status, -1 FROM {old} orr) c "
        f"GROUP BY tenant_id, store_id, day HAVING SUM(sign) <> 0 "
        f"OR SUM(CASE WHEN status = {AWAITING} THEN sign ELSE 0 END) <> 0 ORDER BY 1, 2, 3"
    )
    if update:  # the orders whose owner or date moved (never the owner in practice; the date rarely)
        moved = (
            f"(SELECT o.id, o.tenant_id AS old_tenant, o.store_id AS old_store, o.order_date AS old_date, "
            f"n.tenant_id AS new_tenant, n.store_id AS new_store, n.order_date AS new_date "
            f"FROM {old} o JOIN {new} n ON n.id = o.id WHERE o.tenant_id <> n.tenant_id "
            f"OR o.store_id <> n.store_id OR o.order_date <> n.order_date)"
        )
    else:  # a delete: whatever shipments are left (Django deletes them first) are uncounted
        moved = (
            f"(SELECT o.id, o.tenant_id AS old_tenant, o.store_id AS old_store, o.order_date AS old_date, "
            f"NULL::bigint AS new_tenant, NULL::bigint AS new_store, NULL::timestamptz AS new_date FROM {old} o)"
        )
    shipped = _day_upsert(
        f"SELECT tenant_id, store_id, day, 0, 0, SUM(sign) FROM ("
        f"SELECT m.old_tenant AS tenant_id, m.old_store AS store_id, x.ship_date AS day, -1 AS sign "
        f"FROM {moved} m JOIN (SELECT DISTINCT order_id, ship_date FROM {SHIPMENTS} WHERE state IN {ACTIVE}) x "
        f"ON x.order_id = m.id UNION ALL "
        f"SELECT m.new_tenant, m.new_store, x.ship_date, 1 "
        f"FROM {moved} m JOIN (SELECT DISTINCT order_id, ship_date FROM {SHIPMENTS} WHERE state IN {ACTIVE}) x "
        f"ON x.order_id = m.id WHERE m.new_tenant IS NOT NULL) t "
        f"GROUP BY tenant_id, store_id, day HAVING SUM(sign) <> 0 ORDER BY 1, 2, 3"
    )
    firsts = (
        f"(SELECT m.*, (SELECT MIN(x.created_at) FROM {SHIPMENTS} x WHERE x.order_id = m.id "
        f"AND x.state IN {ACTIVE}) AS first FROM {moved} m)"
    )
    times = _time_upsert(
        f"SELECT tenant_id, store_id, day, tenths, SUM(sign) FROM ("
        f"SELECT f.old_tenant AS tenant_id, f.old_store AS store_id, {d.day('f.first')} AS day, "
        f"{d.tenths('f.first', 'f.old_date')} AS tenths, -1 AS sign FROM {firsts} f WHERE f.first IS NOT NULL "
        f"UNION ALL SELECT f.new_tenant, f.new_store, {d.day('f.first')}, {d.tenths('f.first', 'f.new_date')}, 1 "
        f"FROM {firsts} f WHERE f.first IS NOT NULL AND f.new_tenant IS NOT NULL) t "
        f"GROUP BY tenant_id, store_id, day, tenths HAVING SUM(sign) <> 0 ORDER BY 1, 2, 3"
    )
    spend = _spend_upsert(
        f"{_spend_rows(d, f'{LABELS} r', '-1', store='m.old_store', join=f'JOIN {moved} m ON m.id = r.order_id')} "
        f"UNION ALL "
        f"{_spend_rows(d, f'{LABELS} r', '1', store='m.new_store', join=f'JOIN {moved} m ON m.id = r.order_id')} "
        f"AND m.new_tenant IS NOT NULL"
    )
    return [counts, shipped, times, spend]


def _pg_shipment_statements(old: str, new: str, update: bool) -> list[str]:
    d = Dialect("postgresql")
    if update:
        changed = (
            f"SELECT o.order_id FROM {old} o JOIN {new} n ON n.id = o.id WHERE o.order_id <> n.order_id "
            f"OR (o.state IN {ACTIVE}) <> (n.state IN {ACTIVE}) OR o.ship_date <> n.ship_date "
            f"OR o.created_at <> n.created_at"
        )
        touched = f"{changed} UNION {changed.replace('SELECT o.order_id', 'SELECT n.order_id', 1)}"
    else:
        touched = f"SELECT order_id FROM {old} orr UNION SELECT order_id FROM {new} nr"
    columns = "id, order_id, ship_date, created_at, state"
    after = f"(SELECT {columns} FROM {SHIPMENTS} WHERE order_id IN (SELECT order_id FROM touched))"
    before = (
        f"(SELECT {columns} FROM {SHIPMENTS} WHERE order_id IN (SELECT order_id FROM touched) "
        f"AND id NOT IN (SELECT id FROM {new} nr) UNION ALL SELECT {columns} FROM {old} orr "
        f"WHERE order_id IN (SELECT order_id FROM touched))"
    )
    shipped = _day_upsert(
        f"WITH touched AS ({touched}) "
        f"SELECT o.tenant_id, o.store_id, p.ship_date, 0, 0, SUM(p.sign) FROM ("
        f"SELECT DISTINCT order_id, ship_date, 1 AS sign FROM {after} a WHERE state IN {ACTIVE} UNION ALL "
        f"SELECT DISTINCT order_id, ship_date, -1 FROM {before} b WHERE state IN {ACTIVE}) p "
        f"JOIN {ORDERS} o ON o.id = p.order_id GROUP BY o.tenant_id, o.store_id, p.ship_date "
        f"HAVING SUM(p.sign) <> 0 ORDER BY 1, 2, 3"
    )
    pairs = (
        f"(SELECT COALESCE(a.order_id, b.order_id) AS order_id, a.first AS after_first, b.first AS before_first "
        f"FROM (SELECT order_id, MIN(created_at) AS first FROM {after} x WHERE state IN {ACTIVE} GROUP BY order_id) a "
        f"FULL JOIN (SELECT order_id, MIN(created_at) AS first FROM {before} y WHERE state IN {ACTIVE} "
        f"GROUP BY order_id) b ON b.order_id = a.order_id WHERE a.first IS DISTINCT FROM b.first)"
    )
    times = _time_upsert(
        f"WITH touched AS ({touched}), pairs AS {pairs} "
        f"SELECT o.tenant_id, o.store_id, {d.day('m.first')}, {d.tenths('m.first', 'o.order_date')}, SUM(m.sign) "
        f"FROM (SELECT order_id, after_first AS first, 1 AS sign FROM pairs WHERE after_first IS NOT NULL "
        f"UNION ALL SELECT order_id, before_first, -1 FROM pairs WHERE before_first IS NOT NULL) m "
        f"JOIN {ORDERS} o ON o.id = m.order_id GROUP BY 1, 2, 3, 4 HAVING SUM(m.sign) <> 0 ORDER BY 1, 2, 3, 4"
    )
    return [shipped, times]


def _pg_install_sql() -> list[str]:
    out = []
    for name, (table, event, _when, _statements) in trigger_bodies("postgresql").items():
        empty = _EMPTY.format(table=table)
        old = "old_rows" if event in ("UPDATE", "DELETE") else empty
        new = "new_rows" if event in ("UPDATE", "INSERT") else empty
        if table == ORDERS:
            statements = _pg_order_statements(old, new, update=event == "UPDATE")
            if event == "INSERT":
                statements = statements[:1]  # a new order has no shipments yet
        elif table == LABELS:
            d = Dialect("postgresql")
            statements = [
                _spend_upsert(f"{_spend_rows(d, f'{old} r', '-1')} UNION ALL {_spend_rows(d, f'{new} r', '1')}")
            ]
        else:
            statements = _pg_shipment_statements(old, new, update=event == "UPDATE")
        # EXECUTE: each statement planned at each firing, with the transition tables' real sizes. A plan cached
        # by PL/pgSQL from a one-row statement (a nested loop joining old_rows to new_rows) took minutes for a
        # later 60,000-row UPDATE in the same session; planned each time it takes well under a second.
        assert all("$tally$" not in statement for statement in statements)
        body = ";\n".join(f"EXECUTE $tally${statement}$tally$" for statement in statements)
        out.append(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{body};\nRETURN NULL;\nEND $$"
        )
        out.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        referencing = " ".join(
            part
            for part, used in (
                ("OLD TABLE AS old_rows", old == "old_rows"),
                ("NEW TABLE AS new_rows", new == "new_rows"),
            )
            if used
        )
        out.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    return out


def install_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return _pg_install_sql()
    out = []
    for name, (table, event, when, statements) in trigger_bodies(vendor).items():
        body = ";\n".join(statements)
        condition = f" WHEN {when}" if when else ""
        out.append(f"DROP TRIGGER IF EXISTS {name}")
        out.append(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{condition}\nBEGIN\n{body};\nEND")
    return out


def uninstall_sql(vendor: str) -> list[str]:
    out = []
    for name, (table, _event, _when, _statements) in trigger_bodies(vendor).items():
        if vendor == "postgresql":
            out += [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()"]
        else:
            out.append(f"DROP TRIGGER IF EXISTS {name}")
    return out


def rebuild_sql(vendor: str) -> list[str]:
    """Recount both tables from the orders and shipments (all tenants), in one statement each."""
    d = Dialect(vendor)
    received = (
        f"SELECT o.tenant_id, o.store_id, {d.day('o.order_date')} AS day, COUNT(*) AS received, "
        f"SUM(CASE WHEN o.status = {AWAITING} THEN 1 ELSE 0 END) AS awaiting, 0 AS shipped "
        f"FROM {ORDERS} o GROUP BY 1, 2, 3"
    )
    shipped = (
        f"SELECT o.tenant_id, o.store_id, s.ship_date AS day, 0, 0, COUNT(DISTINCT o.id) "
        f"FROM {ORDERS} o JOIN {SHIPMENTS} s ON s.order_id = o.id WHERE s.state IN {ACTIVE} GROUP BY 1, 2, 3"
    )
    firsts = (
        f"SELECT o.tenant_id, o.store_id, o.order_date, MIN(s.created_at) AS first FROM {ORDERS} o "
        f"JOIN {SHIPMENTS} s ON s.order_id = o.id WHERE s.state IN {ACTIVE} "
        f"GROUP BY o.id, o.tenant_id, o.store_id, o.order_date"
    )
    return [
        f"DELETE FROM {DAYS}",
        f"DELETE FROM {TIMES}",
        f"DELETE FROM {SPEND}",
        _spend_upsert(_spend_rows(d, f"{LABELS} r", "1")),
        f"INSERT INTO {DAYS} (tenant_id, store_id, day, received, awaiting, shipped) "
        f"SELECT tenant_id, store_id, day, SUM(received), SUM(awaiting), SUM(shipped) "
        f"FROM ({received} UNION ALL {shipped}) t GROUP BY tenant_id, store_id, day",
        f"INSERT INTO {TIMES} (tenant_id, store_id, day, tenths, orders) "
        f"SELECT f.tenant_id, f.store_id, {d.day('f.first')}, {d.tenths('f.first', 'f.order_date')}, COUNT(*) "
        f"FROM ({firsts}) f GROUP BY 1, 2, 3, 4",
    ]


def _execute(connection, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install(connection) -> None:
    _execute(connection, install_sql(connection.vendor))


def uninstall(connection) -> None:
    _execute(connection, uninstall_sql(connection.vendor))


def rebuild(connection) -> None:
    """Recount the tallies from scratch (in a transaction: a reader sees the old or the new counts)."""
    from django.db import transaction

    with transaction.atomic(using=connection.alias):
        _execute(connection, rebuild_sql(connection.vendor))


def installed(connection) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT COUNT(*) FROM pg_trigger WHERE tgname = ANY(%s)", [list(TRIGGERS)])
        else:
            marks = ", ".join(["%s"] * len(TRIGGERS))
            cursor.execute(f"SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})", TRIGGERS)  # noqa: S608
        return cursor.fetchone()[0] == len(TRIGGERS)


def suspect(connection) -> bool:
    """Counts that cannot be right: a negative one, or tallies without a single order (after a flush that
    emptied the orders after the tallies, or a table rebuilt without its triggers)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM {DAYS} WHERE received < 0 OR awaiting < 0 OR shipped < 0 "
            f"LIMIT 1) a) + (SELECT COUNT(*) FROM (SELECT 1 FROM {TIMES} WHERE orders < 0 LIMIT 1) b) "
            f"+ (SELECT COUNT(*) FROM (SELECT 1 FROM {SPEND} WHERE labels < 0 OR voided_labels < 0 LIMIT 1) e), "
            f"(SELECT COUNT(*) FROM (SELECT 1 FROM {ORDERS} LIMIT 1) c), "
            f"(SELECT COUNT(*) FROM (SELECT 1 FROM {DAYS} WHERE received <> 0 OR shipped <> 0 LIMIT 1) d) "
            f"+ (SELECT COUNT(*) FROM (SELECT 1 FROM {SPEND} WHERE labels <> 0 OR voided_labels <> 0 LIMIT 1) f)"
        )
        negative, any_order, any_tally = cursor.fetchone()
    return bool(negative) or (not any_order and bool(any_tally))


def ensure(connection) -> bool:
    """After `migrate` or `flush` (post_migrate): triggers present and counts sane; True when it had to
    repair them (then recounted)."""
    if installed(connection) and not suspect(connection):
        return False
    install(connection)
    rebuild(connection)
    return True


class TallyQuerySet(models.QuerySet):
    def for_tenant(self, tenant):
        tenant_id = getattr(tenant, "pk", tenant)
        if tenant_id is None:
            return self.none()
        return self.filter(tenant_id=tenant_id)
