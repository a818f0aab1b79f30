"""Packing slips and pick lists as PDF documents (WeasyPrint), for a batch of orders.

    packing_slips_pdf(orders) -> bytes   one slip per order (a new page each), in the store's branding
    pick_list_pdf(orders) -> bytes       the orders' items to pick, by SKU and options, in location order

`orders` is a tenant-scoped queryset (or a list of orders) the caller selected; the documents show what is
STILL TO SHIP (the lines' quantities less Outbound's shipments that are not voided). Reading a batch costs
the same few queries for 5 orders or 500 (`load_orders`): the orders with their store, its settings and the
storefront; their lines; their shipped quantities; the products (current warehouse locations).

Images (logos, products) are fetched before rendering, through the guard of shipments/print_images.py; the
renderer reaches neither the network nor the file system. Templates: templates/print/. The documents are
in the active language (the portal's request language).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, Sum
from django.template.loader import render_to_string
from django.utils import timezone, translation

from orders.actions import order_actions
from orders.models import Order, OrderLine, Product

from .barcodes import code128_svg
from .models import ShipmentLine, ShipmentState
from .print_images import fetch_images, image_fetcher, image_key
from .selectors import is_shippable
from .services import store_settings_for

# A batch bigger than this is refused by the portal. A packing slip costs WeasyPrint about 0.12 s of CPU
# (bench/print_bench.py): beyond settings.PRINT_INLINE_MAX_ORDERS the PDF is made by a worker
# (shipments/print_jobs.py), never within the web request.
MAX_PRINT_ORDERS = 250
# Slips rendered per WeasyPrint document (see _render).
SLIPS_PER_DOCUMENT = 10
DEFAULT_ACCENT = "#1f6feb"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_DIGITS = re.compile(r"(\d+)")


# --- reading the batch ------------------------------------------------------------------------------------


@dataclass
class PrintLine:
    line: OrderLine
    to_ship: int
    location: str
    image_url: str
    options: list[tuple[str, str]]
    image: str = ""  # the key the document shows its image under ("" without one)

    @property
    def line_total(self) -> Decimal:
        return self.line.unit_price * self.to_ship


@dataclass
class PrintOrder:
    order: Order
    lines: list[PrintLine]  # shippable lines with units still to ship (or, if none has any, all of them)
    not_in_package: list[OrderLine]  # electronic / does-not-ship lines
    shipped_earlier: int  # units Outbound already shipped
    nothing_left: bool  # every shippable unit has shipped: the slip lists the whole order
    branding: dict = field(default_factory=dict)

    @property
    def has_images(self) -> bool:
        return any(line.image for line in self.lines)

    @property
    def units(self) -> int:
        return sum(p.to_ship for p in self.lines)

    @property
    def barcode(self) -> str:
        """The order number as a Code 128 barcode (inline SVG; "" when it cannot be drawn): the pack station
        scans it to open the order."""
        return code128_svg(self.order.number)


def _options(line: OrderLine) -> list[tuple[str, str]]:
    pairs = []
    for option in line.options or []:
        if isinstance(option, dict):
            name, value = str(option.get("name") or "").strip(), str(option.get("value") or "").strip()
            if name or value:
                pairs.append((name, value))
    return pairs


def load_orders(orders) -> list[Order]:
    """The orders with their store (and settings), storefront and lines (by position), in 2 queries."""
    lines = Prefetch("lines", queryset=OrderLine.objects.order_by("position", "pk"))
    if isinstance(orders, QuerySet):
        return list(orders.select_related("store", "store__settings", "storefront").prefetch_related(lines))
    orders = list(orders)
    from django.db.models import prefetch_related_objects

    prefetch_related_objects(orders, "store__settings", "storefront", lines)
    return orders


def _shipped(order_ids) -> dict[int, int]:
    rows = (
        ShipmentLine.objects.filter(shipment__order_id__in=order_ids)
        .exclude(shipment__state=ShipmentState.VOIDED)
        .values("order_line_id")
        .annotate(total=Sum("quantity"))
    )
    return {row["order_line_id"]: row["total"] for row in rows}


def _products(orders: list[Order]) -> dict[tuple[int, str], Product]:
    skus = {line.sku for order in orders for line in order.lines.all() if line.sku}
    if not skus:
        return {}
    products = Product.objects.filter(store_id__in={o.store_id for o in orders}, sku__in=skus)
    return {(p.store_id, p.sku): p for p in products}


def _branding(order: Order) -> dict:
    settings = store_settings_for(order)
    accent = settings.accent_colour if _HEX.match(settings.accent_colour or "") else DEFAULT_ACCENT
    return {
        "name": settings.display_name,
        "logo_url": settings.logo_url,
        "accent": accent,
        "website": settings.website,
        "phone": settings.phone,
    }


def print_orders(orders) -> list[PrintOrder]:
    """Each order with what its documents show: the lines still to ship, with current locations and images."""
    loaded = load_orders(orders)
    shipped = _shipped([o.pk for o in loaded])
    products = _products(loaded)
    result = []
    for order in loaded:
        shippable, other = [], []
        for line in order.lines.all():
            if line.is_adjustment:
                continue
            (shippable if is_shippable(line) else other).append(line)
        entries = []
        for line in shippable:
            product = products.get((order.store_id, line.sku))
            entries.append(
                PrintLine(
                    line=line,
                    to_ship=max(0, line.quantity - shipped.get(line.pk, 0)),
                    # The product's location is the current one (it may have been set in Outbound since the import).
                    location=(
                        product.warehouse_location
                        if product and product.warehouse_location
                        else line.warehouse_location
                    ).strip(),
                    image_url=line.image_url or (product.image_url if product else ""),
                    options=_options(line),
                )
            )
        left = [e for e in entries if e.to_ship > 0]
        nothing_left = bool(entries) and not left
        if nothing_left:
            for entry in entries:
                entry.to_ship = entry.line.quantity
            left = entries
        result.append(
            PrintOrder(
                order=order,
                lines=left,
                not_in_package=other,
                nothing_left=nothing_left,
                shipped_earlier=sum(min(shipped.get(line.pk, 0), line.quantity) for line in shippable),
                branding=_branding(order),
            )
        )
    return result


# --- the pick list ----------------------------------------------------------------------------------------


@dataclass
class PickRow:
    location: str
    sku: str
    name: str
    options: list[tuple[str, str]]
    image_url: str
    quantity: int = 0
    orders: dict[str, int] = field(default_factory=dict)  # order number -> units
    image: str = ""

    @property
    def order_list(self) -> list[tuple[str, int]]:
        return list(self.orders.items())


def location_key(location: str) -> tuple:
    """Natural order of warehouse locations ("A-2" before "A-10"); no location sorts last."""
    if not location:
        return (1, ())
    parts = _DIGITS.split(location.casefold())
    return (0, tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p != ""))


@dataclass
class PickList:
    rows: list[PickRow]
    orders: int
    units: int
    cancelled: list[str]  # order numbers left out: cancelled
    nothing_to_ship: list[str]  # order numbers left out: everything shipped

    picked: list[str] = field(default_factory=list)  # order numbers on the list, in the order read

    @property
    def has_images(self) -> bool:
        return any(row.image for row in self.rows)

    @property
    def barcodes(self) -> list[tuple[str, str]]:
        """(number, Code 128 SVG) of each order on the list: the pack station scans them."""
        return [(number, code128_svg(number, height_mm=9.0)) for number in self.picked]


def pick_list(orders) -> PickList:
    """The selected orders' units still to ship, added up by location, SKU (the name without one) and
    options, sorted by warehouse location (naturally), then SKU."""
    rows: dict[tuple, PickRow] = {}
    cancelled, nothing, counted, picked = [], [], 0, []
    for entry in print_orders(orders):
        order = entry.order
        # What the order allows (orders.actions): a cancelled order or one with nothing left is not picked; an
        # order on hold or awaiting payment is, as it may ship once released (a paper, not a shipment).
        refusal = order_actions(order, disconnected=False).ship_refusal
        if refusal == "cancelled":
            cancelled.append(order.number)
            continue
        if refusal == "already_shipped" or entry.nothing_left or not entry.lines:
            nothing.append(order.number)
            continue
        counted += 1
        picked.append(order.number)
        for item in entry.lines:
            line = item.line
            key = (item.location, line.sku or "", "" if line.sku else line.name, tuple(sorted(item.options)))
            row = rows.get(key)
            if row is None:
                row = rows[key] = PickRow(
                    location=item.location, sku=line.sku, name=line.name, options=item.options, image_url=item.image_url
                )
            row.image_url = row.image_url or item.image_url
            row.quantity += item.to_ship
            row.orders[order.number] = row.orders.get(order.number, 0) + item.to_ship
    ordered = sorted(
        rows.values(), key=lambda r: (location_key(r.location), r.sku.casefold(), r.name.casefold(), r.options)
    )
    return PickList(
        rows=ordered,
        orders=counted,
        units=sum(r.quantity for r in ordered),
        cancelled=cancelled,
        nothing_to_ship=nothing,
        picked=picked,
    )


# --- rendering --------------------------------------------------------------------------------------------


def _images(urls) -> tuple[dict[str, str], dict]:
    """(URL -> opaque key for the template, key -> image for the renderer) of the images that could be had."""
    fetched = fetch_images(urls)
    keys, served = {}, {}
    for number, (url, image) in enumerate(fetched.items()):
        keys[url] = image_key(number)
        served[keys[url]] = image
    return keys, served


Progress = Callable[[int], None]  # called with the orders rendered so far, after each chunk


def _render(
    template: str,
    contexts: list[dict],
    served: dict,
    language: str | None,
    *,
    orders: list[int],
    progress: Progress | None = None,
) -> bytes:
    """One PDF of the documents `template` renders for each context, in order. Rendered as separate
    documents whose pages are then put together: WeasyPrint lays out each page of a document from the top
    of it, so one 200-page document costs far more than 20 ten-page ones. `orders[i]` is how many orders
    the i-th document covers: `progress` hears the running total after each."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    stylesheet = CSS(string=render_to_string("print/print.css"), font_config=fonts)
    fetcher = image_fetcher(served)
    documents, rendered = [], 0
    with translation.override(language or translation.get_language()):
        for context, covered in zip(contexts, orders, strict=True):
            html = render_to_string(template, context)
            documents.append(
                HTML(string=html, base_url=None, url_fetcher=fetcher).render(
                    stylesheets=[stylesheet], font_config=fonts
                )
            )
            rendered += covered
            if progress is not None:
                progress(rendered)
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf()


def packing_slips_pdf(orders, *, language: str | None = None, progress: Progress | None = None) -> bytes:
    """One packing slip per order (each starting on a new page), in the order given; `progress` hears
    the slips rendered so far after each SLIPS_PER_DOCUMENT."""
    entries = print_orders(orders)
    keys, served = _images(
        [e.branding["logo_url"] for e in entries] + [line.image_url for e in entries for line in e.lines]
    )
    for entry in entries:
        entry.branding["logo"] = keys.get(entry.branding["logo_url"], "")
        for line in entry.lines:
            line.image = keys.get(line.image_url, "")
    now = timezone.now()
    chunks = [entries[i : i + SLIPS_PER_DOCUMENT] for i in range(0, len(entries), SLIPS_PER_DOCUMENT)] or [[]]
    return _render(
        "print/packing_slips.html",
        [{"slips": chunk, "now": now} for chunk in chunks],
        served,
        language,
        orders=[len(chunk) for chunk in chunks],
        progress=progress,
    )


def pick_list_pdf(orders, *, language: str | None = None, progress: Progress | None = None) -> bytes:
    """The pick list of the orders: one row per location, SKU and options, in location order (one
    document: `progress` hears all the orders once it is laid out)."""
    picks = pick_list(orders)
    keys, served = _images([row.image_url for row in picks.rows])
    for row in picks.rows:
        row.image = keys.get(row.image_url, "")
    covered = picks.orders + len(picks.cancelled) + len(picks.nothing_to_ship)  # every order read
    context = {"picks": picks, "now": timezone.now()}
    return _render("print/pick_list.html", [context], served, language, orders=[covered], progress=progress)


def packing_slips_filename(orders: list) -> str:
    """packing-slips-<number>.pdf for one order, packing-slips-<date>-<n>-orders.pdf for several."""
    return _filename("packing-slips", orders)


def pick_list_filename(orders: list) -> str:
    return _filename("pick-list", orders)


def _filename(stem: str, orders: list) -> str:
    if len(orders) == 1:
        number = re.sub(r"[^A-Za-z0-9._-]+", "-", orders[0].number).strip("-") or str(orders[0].pk)
        return f"{stem}-{number}.pdf"
    return f"{stem}-{timezone.localdate():%Y-%m-%d}-{len(orders)}-orders.pdf"
