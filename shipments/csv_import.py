"""Tracking numbers from a CSV file: upload, preview (columns mapped, every row checked), confirm.

    csv_import_create   the file is read (UTF-8, or Latin-1 as the spreadsheets of old write it) and kept
    preview             check_rows: each row's order, carrier, date, fee and tracking number, in a few
                        queries whatever the number of rows; nothing is written
    csv_import_apply    each valid row becomes a shipment through shipments.batch (the same services as a
                        single shipment), one transaction per row

A row whose order already holds a shipment with the same tracking number is "already imported": importing
the same file again ships nothing. Errors are codes with parameters, worded (and translated) by the portal.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone

from orders.models import Order
from stores.models import Tenant

from . import batch as batches
from .models import Batch, BatchKind, CsvImport, Shipment, ShipmentState, carrier_code
from .tracking_numbers import tracking_number_tidy

# The columns a file can give, in the order the preview shows them. The first three are required.
FIELDS = ("order_number", "carrier", "service", "tracking_number", "ship_date", "fee")
REQUIRED = ("order_number", "carrier", "tracking_number")
MAX_BYTES = 2_000_000
MAX_ROWS = 5_000

# Header words that name each field (compared lower-case, without spaces, dots, "#", "_" and "-").
_GUESSES = {
    "order_number": ("ordernumber", "order", "orderno", "ordernum", "orderid", "number", "reference", "ref"),
    "carrier": ("carrier", "carriername", "shippingcarrier", "provider"),
    "service": ("service", "servicename", "shippingservice", "servicelevel", "method", "shippingmethod"),
    "tracking_number": ("trackingnumber", "tracking", "trackingno", "trackingid", "trackingcode", "awb"),
    "ship_date": ("shipdate", "date", "shippeddate", "shipped", "dateshipped", "shippingdate"),
    "fee": ("fee", "cost", "shippingcost", "carrierfee", "postage", "labelcost", "price", "amount"),
}
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d", "%m/%d/%y", "%d.%m.%Y")


def _norm(header: str) -> str:
    return "".join(ch for ch in header.lower() if ch.isalnum())


def guess_mapping(headers: list[str]) -> dict[str, int | None]:
    """{field: column index or None}, from the header names; a column serves one field at most."""
    taken: set[int] = set()
    mapping: dict[str, int | None] = {}
    normalised = [_norm(h) for h in headers]
    for name in FIELDS:
        mapping[name] = None
        for guess in _GUESSES[name]:
            for index, header in enumerate(normalised):
                if index not in taken and header == guess:
                    mapping[name] = index
                    taken.add(index)
                    break
            if mapping[name] is not None:
                break
    return mapping


def decode(raw: bytes) -> str:
    if len(raw) > MAX_BYTES:
        raise ValidationError(f"The file is larger than {MAX_BYTES // 1_000_000} MB; split it.", code="too_big")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def read_csv(content: str) -> tuple[list[str], list[list[str]]]:
    """(headers, rows) of the file; the delimiter (comma, semicolon or tab) is sniffed. Empty lines are
    dropped."""
    sample = content[:10_000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(content), dialect)
    try:
        lines = [row for row in reader if any(cell.strip() for cell in row)]
    except csv.Error:
        raise ValidationError("The file cannot be read as CSV.", code="unreadable") from None
    if not lines:
        raise ValidationError("The file is empty.", code="empty")
    if len(lines) - 1 > MAX_ROWS:
        raise ValidationError(f"The file has more than {MAX_ROWS:,} rows; split it.", code="too_many_rows")
    return [h.strip() for h in lines[0]], [[cell.strip() for cell in row] for row in lines[1:]]


def csv_import_create(*, tenant: Tenant, raw: bytes, filename: str = "", user=None) -> CsvImport:
    """Keep an uploaded file for its preview (refused in words when it cannot be read)."""
    content = decode(raw)
    headers, rows = read_csv(content)
    if not rows:
        raise ValidationError("The file has a header line but no rows.", code="no_rows")
    record = CsvImport(
        tenant=tenant,
        filename=filename[:200],
        content=content,
        sha256=hashlib.sha256(raw).hexdigest(),
        mapping=guess_mapping(headers),
        created_by_user=user,
    )
    record.full_clean(exclude=["tenant", "created_by_user", "batch"])
    record.save()
    return record


def csv_import_set_mapping(*, csv_import: CsvImport, mapping: dict[str, int | None]) -> CsvImport:
    headers, _ = read_csv(csv_import.content)
    clean = {}
    for name in FIELDS:
        index = mapping.get(name)
        clean[name] = index if isinstance(index, int) and 0 <= index < len(headers) else None
    csv_import.mapping = clean
    csv_import.save(update_fields=["mapping"])
    return csv_import


def csv_import_get(*, tenant: Tenant, pk) -> CsvImport:
    from django.http import Http404

    try:
        return CsvImport.objects.for_tenant(tenant).get(pk=pk)
    except (CsvImport.DoesNotExist, ValueError, TypeError):
        raise Http404("No such import.")


# --- the preview's checks ------------------------------------------------------------------------------


@dataclass
class RowCheck:
    line: int  # the row's line in the file (the header is line 1)
    values: dict[str, str]
    order: Order | None = None
    carrier: str = ""
    ship_date: dt.date | None = None
    fee: Decimal | None = None
    errors: list[tuple[str, dict]] = field(default_factory=list)
    already_imported: bool = False

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def will_ship(self) -> bool:
        return self.valid and not self.already_imported


def mapping_problems(mapping: dict[str, int | None]) -> list[str]:
    """The required fields no column is mapped to, and fields sharing one column."""
    missing = [name for name in REQUIRED if mapping.get(name) is None]
    used = [index for index in mapping.values() if index is not None]
    return missing + (["duplicate"] if len(used) != len(set(used)) else [])


def _date(value: str) -> dt.date | None:
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def check_rows(*, tenant: Tenant, csv_import: CsvImport) -> tuple[list[str], list[RowCheck]]:
    """(headers, every row checked); three queries whatever the number of rows."""
    headers, rows = read_csv(csv_import.content)
    mapping = csv_import.mapping or {}
    checks = []
    for offset, row in enumerate(rows):
        values = {
            name: (row[index] if index is not None and index < len(row) else "")
            for name, index in ((n, mapping.get(n)) for n in FIELDS)
        }
        checks.append(RowCheck(line=offset + 2, values=values))
    numbers = {c.values["order_number"].lstrip("#") for c in checks} - {""}
    by_number: dict[str, list[Order]] = {}
    for order in Order.objects.for_tenant(tenant).filter(number__in=numbers).select_related("store"):
        by_number.setdefault(order.number, []).append(order)
    order_ids = [o.pk for found in by_number.values() for o in found]
    existing = set(
        Shipment.objects.for_tenant(tenant)
        .filter(order_id__in=order_ids)
        .exclude(state=ShipmentState.VOIDED)
        .values_list("order_id", "tracking_number")
    )
    seen: dict[tuple[int, str], int] = {}
    today = timezone.localdate()
    for check in checks:
        _check(check, by_number, existing, seen, today)
    return headers, checks


def _check(check: RowCheck, by_number, existing, seen, today) -> None:
    values, errors = check.values, check.errors
    number = values["order_number"].lstrip("#")
    if not number:
        errors.append(("no_order_number", {}))
    else:
        found = by_number.get(number, [])
        if not found:
            errors.append(("unknown_order", {"number": number}))
        elif len(found) > 1:
            errors.append(("ambiguous_order", {"number": number, "stores": len(found)}))
        else:
            check.order = found[0]
    check.carrier = carrier_code(values["carrier"]) or ""
    if not values["carrier"]:
        errors.append(("no_carrier", {}))
    elif not check.carrier:
        errors.append(("unknown_carrier", {"value": values["carrier"]}))
    tracking = values["tracking_number"] = tracking_number_tidy(values["tracking_number"])
    if not tracking:
        errors.append(("no_tracking", {}))
    elif problem := batches.tracking_problem(tracking):
        errors.append(("bad_tracking", {"value": tracking, "problem": problem}))
    if len(values["service"]) > Shipment._meta.get_field("service").max_length:
        errors.append(("service_too_long", {}))
    if values["ship_date"]:
        check.ship_date = _date(values["ship_date"])
        if check.ship_date is None:
            errors.append(("bad_date", {"value": values["ship_date"]}))
        elif check.ship_date > today + dt.timedelta(days=30):
            errors.append(("future_date", {"value": values["ship_date"]}))
    if values["fee"]:
        try:
            check.fee = Decimal(values["fee"].replace("$", "").replace(",", ".").strip())
            if not check.fee.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            errors.append(("bad_fee", {"value": values["fee"]}))
        else:
            if check.fee < 0:
                errors.append(("negative_fee", {"value": values["fee"]}))
            elif check.fee >= 10_000_000:
                errors.append(("bad_fee", {"value": values["fee"]}))
    order = check.order
    if order is None or not tracking:
        return
    key = (order.pk, tracking)
    if key in existing:
        check.already_imported = True
        return
    if key in seen:
        errors.append(("duplicate_row", {"line": seen[key]}))
        return
    seen[key] = check.line
    try:
        batches.check_can_ship(order)
    except batches.Refused as refusal:
        errors.append((refusal.outcome, {"status": refusal.detail}))


def csv_import_apply(*, tenant: Tenant, csv_import: CsvImport, user=None) -> Batch:
    """Queue the shipments of every valid row not imported before (shipments.batch.batch_submit); a second
    confirmation of the same import finds its batch."""
    if csv_import.tenant_id != tenant.pk:
        raise ValidationError("No such import.")
    if mapping_problems(csv_import.mapping or {}):
        raise ValidationError("Map the order number, carrier and tracking number columns first.")
    batch = batches.batch_submit(
        tenant=tenant,
        key=f"csv:{csv_import.pk}",
        kind=BatchKind.CSV_IMPORT,
        plan={"csv_import_id": csv_import.pk},
        user=user,
    )
    if csv_import.batch_id is None:
        csv_import.batch = batch
        csv_import.save(update_fields=["batch"])
    return batch


def csv_import_run(*, batch: Batch, user=None) -> None:
    """The worker's part: check the rows again (the orders may have changed since the preview) and ship
    each valid one, one transaction per row."""
    csv_import = CsvImport.objects.get(pk=batch.plan["csv_import_id"], tenant_id=batch.tenant_id)
    _, checks = check_rows(tenant=batch.tenant, csv_import=csv_import)
    for position, check in enumerate(checks):
        if not check.will_ship:
            continue
        row = batches.ShipRow(
            order=check.order,
            carrier=check.carrier,
            service=check.values["service"],
            tracking_number=check.values["tracking_number"],
            ship_date=check.ship_date,
            carrier_fee=check.fee,
        )
        batches.apply_item(
            batch,
            ref=f"row:{check.line}",
            position=position,
            order=check.order,
            order_number=check.order.number,
            action=_ship_unless_imported(row, user),
        )


def _ship_unless_imported(row: batches.ShipRow, user):
    ship = batches._ship(row, notify_buyer=True, user=user, duplicate=False)

    def action():
        # Under the order's lock: a file imported twice at once still ships each row once.
        order = Order.objects.select_for_update().get(pk=row.order.pk)
        if (
            Shipment.objects.filter(order=order, tracking_number=row.tracking_number)
            .exclude(state=ShipmentState.VOIDED)
            .exists()
        ):
            raise batches.Refused(batches.Outcome.ALREADY_IMPORTED)
        return ship()

    return action
