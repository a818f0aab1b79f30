"""Tracking numbers from a CSV file: upload, preview (columns mapped, every row checked), confirm.

    csv_import_create   the file is decoded by its byte-order mark (UTF-8, UTF-16 LE/BE; without one UTF-8, or
                        Latin-1 as the spreadsheets of old write it; NUL bytes are refused) and kept, with the
                        columns mapped as the last file with the same header line was, else guessed
    preview             check_rows: each row's order (told apart by a store column when two stores share its
                        number), carrier, date, fee and tracking number, in a few queries whatever the number
                        of rows; nothing is written. Dates are read in the order chosen, or the one the file
                        shows; a file whose dates read both ways is asked about (date_question), never guessed
    csv_import_apply    each valid row becomes a shipment through shipments.batch (the same services as a
                        single shipment), one transaction per row

A row whose order already holds a shipment with the same tracking number is "already imported": importing
the same file again ships nothing. Errors are codes with parameters, worded (and translated) by the portal.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone

from orders.models import Order
from stores.models import Store, Tenant

from . import batch as batches
from .models import Batch, BatchKind, CsvImport, Shipment, ShipmentState, carrier_code
from .selectors import shipped_quantities_for
from .tracking_numbers import tracking_number_tidy

# The columns a file can give, in the order the preview shows them. The first three are required; "store"
# tells apart two stores' orders with the same number.
FIELDS = ("order_number", "carrier", "service", "tracking_number", "ship_date", "fee", "store")
REQUIRED = ("order_number", "carrier", "tracking_number")
MAX_BYTES = 2_000_000
MAX_ROWS = 5_000
# The mapping also holds how the ship dates are written, under this key: "dmy" (day first), "mdy" (month
# first), or absent / "" (detected from the file; a file that does not tell is asked about).
DATE_ORDER = "date_order"
DATE_ORDERS = ("dmy", "mdy")

# Header words that name each field, compared without accents, case, spaces and punctuation (so "N° de
# suivi" is "ndesuivi", "Tracking #" is "tracking"): English, French and carrier software's own exports.
_GUESSES = {
    "order_number": (
        "ordernumber",
        "order",
        "orderno",
        "ordernum",
        "orderid",
        "number",
        "reference",
        "ref",
        "reference1",
        "commande",
        "ncommande",
        "ndecommande",
        "numerodecommande",
        "numerocommande",
        "referencecommande",
    ),
    "carrier": ("carrier", "carriername", "shippingcarrier", "provider", "transporteur", "transporteurs"),
    "service": (
        "service",
        "servicename",
        "shippingservice",
        "servicelevel",
        "mailclass",
        "method",
        "shippingmethod",
        "servicedelivraison",
        "modedelivraison",
        "modedexpedition",
    ),
    "tracking_number": (
        "trackingnumber",
        "tracking",
        "trackingno",
        "trackingid",
        "trackingcode",
        "awb",
        "ndesuivi",
        "numerodesuivi",
        "nsuivi",
        "suivi",
        "codedesuivi",
        "numerodetracking",
    ),
    "ship_date": (
        "shipdate",
        "date",
        "shippeddate",
        "shipped",
        "dateshipped",
        "shippingdate",
        "dateexpedition",
        "datedexpedition",
        "dateenvoi",
        "datedenvoi",
        "expedition",
        "expediele",
    ),
    "fee": (
        "fee",
        "cost",
        "shippingcost",
        "carrierfee",
        "postage",
        "labelcost",
        "price",
        "amount",
        "frais",
        "fraisdeport",
        "cout",
        "coutetiquette",
        "montant",
        "affranchissement",
    ),
    "store": ("store", "storename", "shop", "boutique", "magasin", "site"),
}


# Header words only a French file uses: its dates are offered day first when they read two ways.
_FRENCH_WORDS = frozenset(
    (
        "commande", "ncommande", "ndecommande", "numerodecommande", "numerocommande", "referencecommande",
        "transporteur", "transporteurs", "ndesuivi", "numerodesuivi", "nsuivi", "suivi", "codedesuivi",
        "numerodetracking", "dateexpedition", "datedexpedition", "dateenvoi", "datedenvoi", "expedition",
        "expediele", "frais", "fraisdeport", "cout", "coutetiquette", "montant", "affranchissement",
        "boutique", "magasin", "servicedelivraison", "modedelivraison", "modedexpedition",
    )
)  # fmt: skip


def headers_are_french(headers: list[str]) -> bool:
    return any(_norm(header) in _FRENCH_WORDS for header in headers)


def _norm(header: str) -> str:
    plain = unicodedata.normalize("NFKD", header.lower())
    return "".join(ch for ch in plain if ch.isascii() and ch.isalnum())


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


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode(raw: bytes) -> str:
    """The file's text: by its byte-order mark (UTF-8, UTF-16 LE or BE); without one UTF-8, else Latin-1.
    NUL bytes (a binary file, or UTF-16 without its mark) are refused in words, never stored."""
    if len(raw) > MAX_BYTES:
        raise ValidationError(f"The file is larger than {MAX_BYTES // 1_000_000} MB; split it.", code="too_big")
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                raise ValidationError("The file is not valid text in its encoding.", code="bad_encoding") from None
            break
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
    if "\x00" in text:
        raise ValidationError("The file holds NUL bytes: it is not a CSV text file.", code="nul")
    return text


def _header_line(content: str) -> str:
    return re.match(r"[^\r\n]*", content.lstrip("\r\n")).group(0)


def read_csv(content: str) -> tuple[list[str], list[list[str]]]:
    """(headers, rows) of the file; the delimiter (comma, semicolon or tab) is the one the header line uses
    most (a French "7,50" in the rows cannot fool it). Line ends are CRLF, LF or CR. Empty lines are dropped."""
    header = _header_line(content)
    counts = {delimiter: header.count(delimiter) for delimiter in ",;\t"}
    delimiter = max(counts, key=counts.get) if any(counts.values()) else ","
    reader = csv.reader(io.StringIO(content, newline=""), csv.excel, delimiter=delimiter)
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
        mapping=_mapping_of_last_same_file(tenant, content, headers) or guess_mapping(headers),
        created_by_user=user,
    )
    record.full_clean(exclude=["tenant", "created_by_user", "batch"])
    record.save()
    return record


def _mapping_of_last_same_file(tenant: Tenant, content: str, headers: list[str]) -> dict | None:
    """The columns as chosen for the tenant's last file with the same header line (the same software's
    export, uploaded again): choices made once are not asked again."""
    from django.db.models import Q

    line = _header_line(content)
    last = (
        CsvImport.objects.for_tenant(tenant)
        .filter(Q(content__startswith=line + "\n") | Q(content__startswith=line + "\r"))
        .only("mapping")
        .first()
    )
    return _clean_mapping(last.mapping, headers) if last is not None and last.mapping else None


def _clean_mapping(mapping: dict, headers: list[str]) -> dict:
    clean: dict = {}
    for name in FIELDS:
        index = mapping.get(name)
        clean[name] = index if isinstance(index, int) and 0 <= index < len(headers) else None
    if mapping.get(DATE_ORDER) in DATE_ORDERS:
        clean[DATE_ORDER] = mapping[DATE_ORDER]
    return clean


def csv_import_set_mapping(*, csv_import: CsvImport, mapping: dict) -> CsvImport:
    """Which column holds each field, and (DATE_ORDER) how the ship dates are written."""
    headers, _ = read_csv(csv_import.content)
    clean = _clean_mapping(mapping, headers)
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
    tracking_number: str = ""  # as shipped: tracking_number_tidy(the cell)
    ship_date: dt.date | None = None
    fee: Decimal | None = None
    errors: list[tuple[str, dict]] = field(default_factory=list)
    warnings: list[tuple[str, dict]] = field(default_factory=list)  # shown; the row still ships
    already_imported: bool = False

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def will_ship(self) -> bool:
        return self.valid and not self.already_imported


def mapping_problems(mapping: dict, rows: list[list[str]] | None = None) -> list[str]:
    """The required fields no column is mapped to, fields sharing one column, and (given the file's rows)
    "date_order" when the ship dates can be read two ways and nobody said which."""
    missing = [name for name in REQUIRED if mapping.get(name) is None]
    used = [index for index in (mapping.get(name) for name in FIELDS) if index is not None]
    problems = missing + (["duplicate"] if len(used) != len(set(used)) else [])
    if rows is not None and date_question(mapping, rows)[0]:
        problems.append(DATE_ORDER)
    return problems


# --- ship dates: read by an explicit or detected order, never guessed ---------------------------------

_YEAR_FIRST = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_YEAR_LAST = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})$")


def _make_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _readings(value: str) -> dict[str, dt.date]:
    """What a cell can mean: {"ymd": date} for a year-first date (2026-12-06, 2026/12/06); for a year-last
    one its valid readings, {"dmy": …, "mdy": …}. A time after the date is ignored ("06/12/2026 14:05",
    "2026-12-06T14:05:00Z"). Dotted dates (30.11.2026) are day first, as everywhere they are written."""
    text = re.split(r"[T\s]", value.strip(), maxsplit=1)[0]
    if match := _YEAR_FIRST.match(text):
        date = _make_date(int(match[1]), int(match[2]), int(match[3]))
        return {"ymd": date} if date else {}
    if match := _YEAR_LAST.match(text):
        first, second, year = int(match[1]), int(match[3]), int(match[4])
        year += 2000 if len(match[4]) == 2 else 0
        readings = {"dmy": _make_date(year, second, first), "mdy": _make_date(year, first, second)}
        if match[2] == "." and readings["dmy"]:
            readings.pop("mdy")
        return {order: date for order, date in readings.items() if date}
    return {}


def _detected_date_order(values) -> tuple[str | None, str, str]:
    """(order, question, example) of a ship date column: the order when a date in it can only be read one
    way (13/12/2026 is day first); else no order and why it must be asked: "ambiguous" (every date reads
    both ways, 06/12/2026) or "mixed" (some only day first, some only month first); ("", "", "") when no
    date needs an order."""
    proofs: dict[str, str] = {}
    ambiguous = ""
    for value in values:
        orders = set(_readings(value)) - {"ymd"}
        if len(orders) == 1:
            proofs.setdefault(orders.pop(), value)
        elif orders:
            ambiguous = ambiguous or value
    if len(proofs) == 2:
        return None, "mixed", f"{proofs['dmy']}, {proofs['mdy']}"
    if proofs:
        return next(iter(proofs)), "", ""
    return (None, "ambiguous", ambiguous) if ambiguous else ("", "", "")


def _date_values(mapping: dict, rows: list[list[str]]) -> list[str]:
    index = mapping.get("ship_date")
    return [] if index is None else [row[index] for row in rows if index < len(row) and row[index]]


def date_question(mapping: dict, rows: list[list[str]]) -> tuple[str, str]:
    """("", "") when the file's ship dates can be read (an order chosen, or detected); else ("ambiguous" or
    "mixed", an example) and the user is asked to choose."""
    if mapping.get(DATE_ORDER) in DATE_ORDERS:
        return "", ""
    _, question, example = _detected_date_order(_date_values(mapping, rows))
    return question, example


def detected_date_order(mapping: dict, rows: list[list[str]]) -> str:
    """The order the file's dates show ("dmy", "mdy"), or "" when they do not tell."""
    return _detected_date_order(_date_values(mapping, rows))[0] or ""


def read_date(value: str, order: str | None) -> dt.date | None:
    readings = _readings(value)
    if "ymd" in readings:
        return readings["ymd"]
    return readings.get(order) if order else None


def check_rows(*, tenant: Tenant, csv_import: CsvImport) -> tuple[list[str], list[RowCheck]]:
    """(headers, every row checked); four queries whatever the number of rows."""
    headers, rows = read_csv(csv_import.content)
    mapping = csv_import.mapping or {}
    date_order = mapping.get(DATE_ORDER) if mapping.get(DATE_ORDER) in DATE_ORDERS else None
    date_order = date_order or _detected_date_order(_date_values(mapping, rows))[0]
    checks = []
    for offset, row in enumerate(rows):
        values = {
            name: (row[index] if index is not None and index < len(row) else "")
            for name, index in ((n, mapping.get(n)) for n in FIELDS)
        }
        checks.append(
            RowCheck(line=offset + 2, values=values, tracking_number=tracking_number_tidy(values["tracking_number"]))
        )
    numbers = {c.values["order_number"].lstrip("#") for c in checks} - {""}
    by_number: dict[str, list[Order]] = {}
    found_orders = Order.objects.for_tenant(tenant).filter(number__in=numbers).select_related("store")
    for order in found_orders.prefetch_related("lines"):
        by_number.setdefault(order.number, []).append(order)
    order_ids = [o.pk for found in by_number.values() for o in found]
    shipped = shipped_quantities_for(order_ids)  # what orders.actions needs to say "nothing left to ship"
    existing = set(
        Shipment.objects.for_tenant(tenant)
        .filter(order_id__in=order_ids)
        .exclude(state=ShipmentState.VOIDED)
        .values_list("order_id", "tracking_number")
    )
    stores = (
        {_store_key(name) for name in Store.objects.for_tenant(tenant).values_list("name", flat=True)}
        if mapping.get("store") is not None
        else set()
    )
    seen: dict[tuple[int, str], int] = {}
    today = timezone.localdate()
    for check in checks:
        _check(check, by_number, existing, seen, today, date_order, stores, shipped)
    return headers, checks


def _store_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _find_order(check: RowCheck, by_number, stores) -> None:
    values, errors = check.values, check.errors
    number = values["order_number"].lstrip("#")
    if not number:
        errors.append(("no_order_number", {}))
        return
    found = by_number.get(number, [])
    store = values["store"]
    if store:
        if _store_key(store) not in stores:
            errors.append(("unknown_store", {"store": store}))
            return
        found = [order for order in found if _store_key(order.store.name) == _store_key(store)]
        if not found:
            errors.append(("unknown_order_in_store", {"number": number, "store": store}))
            return
    if not found:
        errors.append(("unknown_order", {"number": number}))
    elif len(found) > 1:
        errors.append(("ambiguous_order", {"number": number, "stores": len(found)}))
    else:
        check.order = found[0]


def _check(check: RowCheck, by_number, existing, seen, today, date_order, stores, shipped) -> None:
    values, errors = check.values, check.errors
    _find_order(check, by_number, stores)
    check.carrier = carrier_code(values["carrier"]) or ""
    if not values["carrier"]:
        errors.append(("no_carrier", {}))
    elif not check.carrier:
        errors.append(("unknown_carrier", {"value": values["carrier"]}))
    tracking = check.tracking_number
    if not tracking:
        errors.append(("no_tracking", {}))
    elif problem := batches.tracking_problem(tracking):
        errors.append(("bad_tracking", {"value": values["tracking_number"], "problem": problem}))
    if len(values["service"]) > Shipment._meta.get_field("service").max_length:
        errors.append(("service_too_long", {}))
    if values["ship_date"]:
        check.ship_date = read_date(values["ship_date"], date_order)
        if check.ship_date is None:
            errors.append(("bad_date", {"value": values["ship_date"]}))
        elif check.ship_date > today + dt.timedelta(days=30):
            errors.append(("future_date", {"value": values["ship_date"]}))
        elif check.ship_date > today:
            check.warnings.append(("ship_date_ahead", {"date": check.ship_date}))
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
    ordered = timezone.localtime(order.order_date).date()
    if check.ship_date and check.ship_date < ordered:
        check.warnings.append(("ship_date_before_order", {"date": check.ship_date, "order_date": ordered}))
    key = (order.pk, tracking)
    if key in existing:
        check.already_imported = True
        return
    if key in seen:
        errors.append(("duplicate_row", {"line": seen[key]}))
        return
    seen[key] = check.line
    try:
        batches.check_can_ship(order, lines=order.lines.all(), shipped=shipped)
    except batches.Refused as refusal:
        errors.append(("not_shippable", {"reason": refusal.detail, "number": order.number}))


def csv_import_apply(*, tenant: Tenant, csv_import: CsvImport, user=None) -> Batch:
    """Queue the shipments of every valid row not imported before (shipments.batch.batch_submit); a second
    confirmation of the same import finds its batch."""
    if csv_import.tenant_id != tenant.pk:
        raise ValidationError("No such import.")
    if mapping_problems(csv_import.mapping or {}, read_csv(csv_import.content)[1]):
        raise ValidationError("Map the order number, carrier and tracking number columns first.")
    batch = batches.batch_submit(
        tenant=tenant,
        key=f"{batches.CSV_KEY_SPACE}{csv_import.pk}",
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
            tracking_number=check.tracking_number,
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
