"""Orders of the sandbox site: the data model, the deterministic generator and the back-office edits.

Order number `i` (0-based) is a pure function of `(seed, i, clock start)`: it is rebuilt on demand from
its own RNG (`Random(f"{seed}:order:{i}")`), so a store of 100,000 orders only keeps a small index in
memory. Orders that change (mutations, shipments, new orders) are kept as materialised objects.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from .catalog import (
    NEW_ORDER_STATUSES,
    OPTION_PRICE_CENTS,
    OPTION_VALUES,
    OPTION_WEIGHT_LBS,
    STATUS_MOVES,
    STATUS_NAMES,
    STATUS_WEIGHTS,
    STOREFRONTS,
    WEIGHT_UNITS,
    Product,
    Storefront,
    lbs_to,
)

FIRST_ORDER_ID = 100001
FIRST_ORDER_NUMBER = 10001
ORDER_NUMBER_PREFIX = "AC-"
HISTORY_SECONDS = 60 * 24 * 3600  # orders were placed over the 60 days before the clock's start
NOTES_MAX = 1000


@dataclass(slots=True)
class Address:
    name: str
    company: str
    address1: str
    address2: str
    city: str
    state: str
    postal_code: str
    country: str
    phone: str
    email: str = ""


@dataclass(slots=True)
class Option:
    name: str
    value: str
    weight: float | None  # extra weight per unit, in the item's WeightUnits


@dataclass(slots=True)
class Item:
    line_item_id: int
    sku: str
    name: str
    image_url: str
    weight: float
    weight_units: str  # ShipStation units: Pounds / Ounces / Grams
    quantity: int
    unit_price_cents: int
    upc: str
    location: str
    adjustment: bool
    options: list[Option]
    product_id: int | None
    kind: str  # physical / eproduct / non_shipping / adjustment
    e_product_type: str
    is_non_shipping_item: bool


@dataclass(slots=True)
class Order:
    index: int
    order_id: int
    order_number: str
    storefront_id: int
    order_date: int  # epoch seconds, UTC
    last_modified: int
    status: str
    shipping_method: str
    payment_method: str
    currency: str
    shipping_cents: int
    tax_rate_bp: int  # tax rate in basis points of the taxable subtotal
    tax_cents: int
    customer_notes: str
    internal_notes: str
    gift: bool
    gift_message: str
    custom_field1: str
    custom_field2: str
    custom_field3: str
    requested_warehouse: str
    customer_code: str
    bill_to: Address
    ship_to: Address | None
    items: list[Item]
    shipments: list[dict[str, Any]] = field(default_factory=list)

    @property
    def lines_cents(self) -> int:
        return sum(i.unit_price_cents * i.quantity for i in self.items)

    @property
    def total_cents(self) -> int:
        return self.lines_cents + self.shipping_cents + self.tax_cents

    def recompute_tax(self) -> None:
        taxable = sum(i.unit_price_cents * i.quantity for i in self.items if i.kind != "eproduct")
        self.tax_cents = max(0, round(taxable * self.tax_rate_bp / 10000))


def order_id_for(index: int) -> int:
    return FIRST_ORDER_ID + index


def order_number_for(index: int) -> str:
    return f"{ORDER_NUMBER_PREFIX}{FIRST_ORDER_NUMBER + index}"


def index_for_number(number: str) -> int | None:
    if not number.startswith(ORDER_NUMBER_PREFIX) or not number[len(ORDER_NUMBER_PREFIX) :].isdigit():
        return None
    index = int(number[len(ORDER_NUMBER_PREFIX) :]) - FIRST_ORDER_NUMBER
    return index if index >= 0 and order_number_for(index) == number else None


def index_for_id(order_id: str) -> int | None:
    if not order_id.isdigit():
        return None
    index = int(order_id) - FIRST_ORDER_ID
    return index if index >= 0 and str(order_id_for(index)) == order_id else None


# --- people and places --------------------------------------------------------------------------

_FIRST = (
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Elijah",
    "Sophia",
    "Mateo",
    "Isabella",
    "Lucas",
    "Mia",
    "Amelia",
    "Ethan",
    "Harper",
    "Zoë",
    "José",
    "Aiyana",
    "Chen",
    "Priya",
    "Siobhán",
    "Kwame",
    "Renée",
    "Björn",
    "Fatima",
    "Hiroshi",
    "Maya",
    "Declan",
    "Grace",
    "Omar",
    "Lena",
)
_LAST = (
    "Smith",
    "Johnson",
    "Garcia",
    "Nguyen",
    "O'Brien",
    "Martinez",
    "Kowalski",
    "Okafor",
    "Müller",
    "Rossi",
    "Patel",
    "Kim",
    "Lefèvre",
    "Anderson",
    "Thompson",
    "Silva",
    "MacLeod",
    "Novak",
    "Haddad",
    "Yamamoto",
    "Brooks",
    "Delgado",
    "St. Clair",
    "Van der Berg",
    "Ellis",
)
_COMPANIES = (
    "Seaside Provisions LLC",
    "North Fork Outfitters",
    "Blue Heron Gift Shop",
    "Granite State Mercantile",
    "Lighthouse Café & Co.",
    "Pacific Rim Trading Co.",
    "Old Port General Store",
    "Tidewater Goods Inc.",
)
_STREETS = (
    "Main St",
    "Ocean Ave",
    "Harbor Rd",
    "Pine St",
    "Elm Ct",
    "Commercial St",
    "Maple Dr",
    "Lakeview Blvd",
    "Cedar Ln",
    "Mill Rd",
    "Fore St",
    "Congress St",
    "Broadway",
    "Wharf Way",
)
_US_PLACES = (
    ("Portland", "ME", "041"),
    ("Austin", "TX", "787"),
    ("Seattle", "WA", "981"),
    ("Brooklyn", "NY", "112"),
    ("Denver", "CO", "802"),
    ("Chicago", "IL", "606"),
    ("Beaumont", "TX", "777"),
    ("San Diego", "CA", "921"),
    ("Asheville", "NC", "288"),
    ("Boise", "ID", "837"),
    ("Burlington", "VT", "054"),
    ("Honolulu", "HI", "968"),
    ("Anchorage", "AK", "995"),
    ("Miami", "FL", "331"),
    ("Madison", "WI", "537"),
)
_CA_PLACES = (
    ("Halifax", "NS", "B3H 4R2"),
    ("Toronto", "ON", "M5V 2T6"),
    ("Vancouver", "BC", "V6B 1A1"),
    ("Montréal", "QC", "H2X 1Y4"),
)
_GB_PLACES = (
    ("London", "Greater London", "SW1A 1AA"),
    ("Edinburgh", "Midlothian", "EH1 1YZ"),
    ("Bristol", "Avon", "BS1 4DJ"),
)
_AU_PLACES = (("Sydney", "NSW", "2000"), ("Melbourne", "VIC", "3000"))
_ADDRESS2 = ("Apt 4B", "Suite 210", "Unit 7", "Floor 3", "PO Box 118", "Bldg C")
_EMAIL_DOMAINS = ("example.com", "mail.example", "example.org", "inbox.example")


def _phone(rng: random.Random, country: str) -> str:
    if rng.random() < 0.12:
        return ""
    if country == "US" or country == "CA":
        fmt = rng.choice(("({a}) 555-{b}", "{a}-555-{b}", "{a}.555.{b}", "+1 {a} 555 {b}"))
        return fmt.format(a=rng.randint(201, 989), b=f"{rng.randint(100, 199):04d}")
    if country == "GB":
        return f"+44 20 7946 {rng.randint(0, 999):04d}"
    return f"+61 2 5550 {rng.randint(0, 9999):04d}"


def _address(rng: random.Random, name: str, company: str, country: str | None = None) -> Address:
    country = country or rng.choices(("US", "CA", "GB", "AU"), weights=(86, 6, 5, 3))[0]
    number = rng.randint(1, 9899)
    street = f"{number} {rng.choice(_STREETS)}"
    address2 = rng.choice(_ADDRESS2) if rng.random() < 0.2 else ""
    if country == "US":
        city, state, prefix = rng.choice(_US_PLACES)
        postal = f"{prefix}{rng.randint(0, 99):02d}" + (f"-{rng.randint(0, 9999):04d}" if rng.random() < 0.2 else "")
    elif country == "CA":
        city, state, postal = rng.choice(_CA_PLACES)
    elif country == "GB":
        city, state, postal = rng.choice(_GB_PLACES)
        street = f"{number % 200 + 1} {rng.choice(('High Street', 'Baker Street', 'Royal Mile', 'Park Lane'))}"
    else:
        city, state, postal = rng.choice(_AU_PLACES)
    return Address(name, company, street, address2, city, state, postal, country, _phone(rng, country))


@dataclass(slots=True)
class Customer:
    code: str
    first: str
    last: str
    email: str
    company: str
    address: Address


def make_customer(seed: int, number: int, wholesale: bool) -> Customer:
    rng = random.Random(f"{seed}:customer:{number}:{int(wholesale)}")
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
    local = local.encode("ascii", "ignore").decode() or "customer"
    email = f"{local}{rng.randint(1, 99) if rng.random() < 0.4 else ''}@{rng.choice(_EMAIL_DOMAINS)}"
    company = rng.choice(_COMPANIES) if wholesale else ("" if rng.random() < 0.9 else rng.choice(_COMPANIES))
    address = _address(rng, f"{first} {last}", company)
    address.email = email
    return Customer(email, first, last, email, company, address)


# --- order generation ---------------------------------------------------------------------------

_SHIPPING_METHODS: dict[int, tuple[tuple[str, int, int, int], ...]] = {
    # storefront -> (method, weight, min cents, max cents)
    1: (
        ("UPS Ground", 22, 895, 1495),
        ("USPS Priority Mail", 22, 795, 1250),
        ("FedEx 2Day", 10, 1995, 3495),
        ("USPS First Class Package", 10, 450, 695),
        ("Free Shipping", 20, 0, 0),
        ("UPS Next Day Air", 4, 3995, 5995),
        ("FedEx Standard Overnight", 4, 3995, 5995),
    ),
    2: (
        ("UPS Ground", 40, 1495, 4995),
        ("Freight (LTL)", 20, 12500, 35000),
        ("FedEx Ground", 30, 1495, 3995),
        ("Customer Pickup", 10, 0, 0),
    ),
    3: (
        ("Canada Post Expedited Parcel", 40, 1295, 2495),
        ("UPS Standard to Canada", 30, 1595, 2995),
        ("Free Shipping", 30, 0, 0),
    ),
}
_INTL_METHODS = (
    ("USPS Priority Mail International", 1995, 5495),
    ("UPS Worldwide Saver", 4995, 8995),
    ("FedEx International Economy", 3995, 7995),
)
_PAYMENTS = (
    ("Credit Card", 58),
    ("PayPal", 20),
    ("Amazon Pay", 5),
    ("Check", 4),
    ("Money Order", 2),
    ("Gift Certificate", 3),
    ("Purchase Order", 2),
    ("Apple Pay", 6),
)
_CARDS = ("Visa ending 4242", "Mastercard ending 5454", "Amex ending 0005", "Discover ending 1117")
_COUPONS = (("SPRING10", 10), ("WELCOME15", 15), ("VIP20", 20), ("OUTLET5", 5), ("HARBOR25", 25))
_CUSTOMER_NOTES = (
    "Please leave the package at the back door.",
    "Gate code is #4512.",
    "Can you ship in plain packaging? It's a surprise.",
    "Need this by Friday for a wedding — thank you!",
    "Deliver to the front desk, ask for Maria.",
    "No signature required.",
    "Please include a gift receipt.",
    "If backordered, ship what you have now & the rest later.",
    "Leave with neighbor at #12 if no one's home.",
)
_EDGE_NOTE = 'Write "<b>Handle with care</b>" & don\'t bend ]]> thanks! Ünïcödé ✓'
_GIFT_MESSAGES = (
    "Happy birthday, Sam! Love, Mum & Dad",
    "Congratulations on the new place!",
    "Merry Christmas from all of us at the shop.",
    "Thinking of you. — J.",
    "Happy anniversary <3 Here's to 10 more years.",
    "For the best captain on the seven seas ⚓",
)
_CAMPAIGNS = ("GOOGLE-SHOP", "NEWSLETTER-0524", "FB-SPRING", "AFFILIATE-117", "PODCAST-HARBOR")
_ACTIVITY = (
    "Fraud check passed (score {n}).",
    "Customer called to confirm the shipping address.",
    "Inventory reserved from {loc}.",
    "Order e-mail confirmation sent.",
    "Address verified by UPS validation.",
    "Customer asked to combine with order AC-{n}.",
)

# Forced features for the first orders, so even a 20-order store has every case in it.
_FORCED: dict[int, str] = {
    0: "digital",
    1: "gift",
    2: "coupon",
    3: "non_shipping",
    4: "edge_notes",
    5: "international",
    6: "auto_discount",
    7: "pickup",
    8: "heavy",
    9: "digital",
    10: "freeship",
    11: "gift",
}


def _weighted(rng: random.Random, table: dict[str, int]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


def order_head(rng: random.Random, index: int, start: int) -> tuple[str, int, int]:
    """The first draws of an order's RNG: (status, order date, last modified)."""
    if index < len(STATUS_NAMES):
        status = STATUS_NAMES[(index * 7) % len(STATUS_NAMES)]  # every status among the first 17
    else:
        status = _weighted(rng, STATUS_WEIGHTS)
    order_date = start - rng.randint(120, HISTORY_SECONDS)
    if status in ("New", "Pending Payment", "Pending Review") and rng.random() < 0.6:
        last_modified = order_date  # never touched since checkout
    else:
        delta = rng.randint(30, 6 * 24 * 3600)
        # An order touched "after" the clock's start was really touched at some point before it: spread
        # those over the time since checkout rather than stacking them all on the start minute.
        room = start - order_date - 60
        last_modified = order_date + delta if order_date + delta <= start else order_date + delta % max(room, 1)
    return status, order_date, last_modified


def _storefront(rng: random.Random) -> Storefront:
    return rng.choices(STOREFRONTS, weights=[s.share for s in STOREFRONTS])[0]


def _options(rng: random.Random, product: Product, units: str) -> tuple[list[Option], int]:
    options: list[Option] = []
    extra = 0
    for group in product.option_groups:
        value = rng.choice(OPTION_VALUES[group])
        extra += OPTION_PRICE_CENTS.get((group, value), OPTION_PRICE_CENTS.get((group, "*"), 0))
        lbs = OPTION_WEIGHT_LBS.get((group, value))
        options.append(Option(group, value, lbs_to(units, lbs) if lbs is not None else None))
    return options, extra


def _item(rng: random.Random, line_id: int, product: Product, quantity: int) -> Item:
    units, factor = WEIGHT_UNITS[product.weight_unit]
    options, extra = _options(rng, product, units) if product.kind == "physical" else ([], 0)
    return Item(
        line_item_id=line_id,
        sku=product.sku,
        name=product.name,
        image_url=product.image_url,
        weight=round(product.weight * factor, 2),
        weight_units=units,
        quantity=quantity,
        unit_price_cents=product.price_cents + extra,
        upc=product.upc,
        location=product.warehouse_location,
        adjustment=False,
        options=options,
        product_id=product.id,
        kind=product.kind,
        e_product_type=product.e_product_type,
        is_non_shipping_item=product.is_non_shipping_item,
    )


def _adjustment(line_id: int, sku: str, name: str, amount_cents: int) -> Item:
    return Item(
        line_id,
        sku,
        name,
        "",
        0.0,
        "Pounds",
        1,
        -amount_cents,
        "",
        "",
        True,
        [],
        None,
        "adjustment",
        "NotAnEProduct",
        False,
    )


def _stamp(ts: int) -> str:
    return time.strftime("%m/%d %H:%M", time.gmtime(ts))


def append_note(order: Order, ts: int, text: str) -> None:
    """Order activity, newest last; the add-on keeps the newest lines within ShipStation's 1000 chars."""
    line = f"{_stamp(ts)} {text}"
    notes = f"{order.internal_notes}\n{line}" if order.internal_notes else line
    while len(notes) > NOTES_MAX and "\n" in notes:
        notes = notes.split("\n", 1)[1]
    order.internal_notes = notes[:NOTES_MAX]


def generate_order(
    seed: int, index: int, start: int, products: tuple[Product, ...], customer_pool: int, placed_at: int | None = None
) -> Order:
    """Build order `index`. `placed_at` makes a brand-new order (added by `mutate`) placed at that time."""
    rng = random.Random(f"{seed}:order:{index}")
    status, order_date, last_modified = order_head(rng, index, start)
    if placed_at is not None:
        status = _weighted(rng, NEW_ORDER_STATUSES)
        order_date = last_modified = placed_at
    feature = _FORCED.get(index, "")
    if status == "Awaiting Pickup, Local":
        feature = "pickup"
    storefront = _storefront(rng)
    if feature in ("international", "heavy"):
        storefront = STOREFRONTS[0]
    wholesale = storefront.id == 2
    customer = make_customer(seed, rng.randrange(customer_pool), wholesale)
    roll = rng.random()
    if not feature:
        feature = (
            "digital"
            if roll < 0.04
            else "gift"
            if roll < 0.12
            else "coupon"
            if roll < 0.26
            else "freeship"
            if roll < 0.30
            else "auto_discount"
            if wholesale and roll < 0.45
            else ""
        )

    physical = [p for p in products if p.kind == "physical"]
    eproducts = [p for p in products if p.kind == "eproduct"]
    others = [p for p in products if p.kind == "non_shipping"]
    line_id = order_id_for(index) * 100
    items: list[Item] = []
    if feature == "digital":
        chosen = rng.sample(eproducts, rng.randint(1, 2))
    else:
        count = rng.choices((1, 2, 3, 4, 5), weights=(15, 22, 28, 20, 15))[0]
        pool = [p for p in physical if p.weight_unit == "Kg"] if feature == "heavy" else physical
        chosen = rng.sample(pool, min(count, len(pool)))
        if feature == "non_shipping" or rng.random() < 0.05:
            chosen[-1:] = [rng.choice(others)]
        elif rng.random() < 0.04:
            chosen.append(rng.choice(eproducts))
    for product in chosen:
        line_id += 1
        qty = rng.randint(6, 48) if wholesale and product.kind == "physical" else rng.choices((1, 2, 3), (80, 15, 5))[0]
        items.append(_item(rng, line_id, product, qty))

    subtotal = sum(i.unit_price_cents * i.quantity for i in items)
    coupon = ""
    if feature == "coupon" or (storefront.id == 3 and rng.random() < 0.3):
        coupon, pct = rng.choice(_COUPONS)
        line_id += 1
        # The add-on names coupon lines after the code; half the time it leaves SKU empty.
        sku = coupon if rng.random() < 0.5 else ""
        items.append(_adjustment(line_id, sku, f"Coupon {coupon} ({pct}% off)", subtotal * pct // 100))
    elif feature == "auto_discount":
        line_id += 1
        items.append(
            _adjustment(
                line_id,
                "",
                "$10 OFF" if not wholesale else "Volume discount (5%)",
                1000 if not wholesale else subtotal * 5 // 100,
            )
        )
    if feature == "freeship":
        coupon = "FREESHIP"

    ship_to: Address | None
    has_physical = any(i.kind == "physical" for i in items)
    if feature == "digital" or feature == "pickup" or not has_physical:
        ship_to = None
    elif feature == "gift" or rng.random() < 0.2:
        recipient = make_customer(seed, rng.randrange(customer_pool) + 10_000_000, False)
        country = "GB" if feature == "international" else None
        ship_to = _address(rng, f"{recipient.first} {recipient.last}", recipient.company, country)
    else:
        a = customer.address
        ship_to = Address(a.name, a.company, a.address1, a.address2, a.city, a.state, a.postal_code, a.country, a.phone)
        if feature == "international":
            ship_to = _address(rng, a.name, a.company, "GB")

    if ship_to is None:
        method, shipping = ("Local Pickup", 0) if feature == "pickup" else ("", 0)
    elif ship_to.country not in ("US", "CA") or (storefront.id != 3 and ship_to.country == "CA"):
        method, lo, hi = rng.choice(_INTL_METHODS)
        shipping = rng.randint(lo // 5, hi // 5) * 5
    else:
        methods = _SHIPPING_METHODS[storefront.id]
        method, _, lo, hi = rng.choices(methods, weights=[m[1] for m in methods])[0]
        shipping = rng.randint(lo // 5, hi // 5) * 5
    if coupon == "FREESHIP" and ship_to is not None:
        method, shipping = "Free Shipping", 0

    payment = (
        "Purchase Order"
        if wholesale and rng.random() < 0.6
        else rng.choices([p for p, _ in _PAYMENTS], weights=[w for _, w in _PAYMENTS])[0]
    )
    taxed = not wholesale and (ship_to or customer.address).country in ("US", "CA")
    tax_bp = rng.choice((0, 625, 700, 825, 888, 950, 1300 if storefront.id == 3 else 600)) if taxed else 0

    notes = ""
    if feature == "edge_notes":
        notes = _EDGE_NOTE
    elif rng.random() < 0.25:
        notes = rng.choice(_CUSTOMER_NOTES)
    gift = feature == "gift"
    gift_message = rng.choice(_GIFT_MESSAGES) if gift and rng.random() < 0.9 else ""

    order = Order(
        index=index,
        order_id=order_id_for(index),
        order_number=order_number_for(index),
        storefront_id=storefront.id,
        order_date=order_date,
        last_modified=last_modified,
        status=status,
        shipping_method=method,
        payment_method=payment,
        currency=storefront.currency,
        shipping_cents=shipping,
        tax_rate_bp=tax_bp,
        tax_cents=0,
        customer_notes=notes,
        internal_notes="",
        gift=gift,
        gift_message=gift_message,
        custom_field1=coupon,
        custom_field2=f"PO-{rng.randint(10000, 99999)}" if payment == "Purchase Order" else "",
        custom_field3=rng.choice(_CAMPAIGNS) if rng.random() < 0.3 else "",
        requested_warehouse="Dallas DC" if wholesale else "",
        customer_code=customer.code,
        bill_to=Address(
            customer.address.name,
            customer.company,
            customer.address.address1,
            customer.address.address2,
            customer.address.city,
            customer.address.state,
            customer.address.postal_code,
            customer.address.country,
            customer.address.phone,
            customer.email,
        ),
        ship_to=ship_to,
        items=items,
    )
    order.recompute_tax()
    payment_note = f"Payment authorized: {rng.choice(_CARDS)}." if payment == "Credit Card" else f"Payment: {payment}."
    append_note(order, order_date, f"Order placed on {storefront.name}. {payment_note}")
    if feature == "edge_notes":
        append_note(order, order_date, "Staff: pack <fragile> items & double-box ]]> per customer.")
    if last_modified > order_date:
        for _ in range(rng.randint(0, 2)):
            loc = rng.choice([i.location for i in items if i.location] or ["MAIN"])
            append_note(order, last_modified, rng.choice(_ACTIVITY).format(n=rng.randint(1, 99), loc=loc))
        if status != "New":
            append_note(order, last_modified, f"Status changed to {status} by owner.")
    return order


# --- back-office edits (mutate) -----------------------------------------------------------------

MUTATION_KINDS = ("status", "note", "quantity", "address")


def apply_mutation(order: Order, rng: random.Random, now: int) -> str:
    """Edit one order the way a merchant would and say what changed (the caller bumps LastModified)."""
    kind = rng.choices(MUTATION_KINDS, weights=(45, 25, 15, 15))[0]
    goods = [i for i in order.items if not i.adjustment]
    if kind == "address" and order.ship_to is None:
        kind = "note"
    if kind == "quantity" and not goods:
        kind = "note"
    if kind == "status":
        new = rng.choice(STATUS_MOVES[order.status])
        append_note(order, now, f"Status changed from {order.status} to {new} by owner.")
        order.status = new
    elif kind == "note":
        append_note(order, now, rng.choice(_ACTIVITY).format(n=rng.randint(1, 99), loc="MAIN"))
    elif kind == "quantity":
        item = rng.choice(goods)
        new_qty = item.quantity - 1 if item.quantity > 1 and rng.random() < 0.5 else item.quantity + 1
        append_note(order, now, f"Quantity of {item.sku} changed from {item.quantity} to {new_qty} by owner.")
        item.quantity = new_qty
        positive = sum(i.unit_price_cents * i.quantity for i in goods)
        for adj in (i for i in order.items if i.adjustment):
            adj.unit_price_cents = max(adj.unit_price_cents, -(positive // 2))
        order.recompute_tax()
    else:
        assert order.ship_to is not None
        if rng.random() < 0.5 or not order.ship_to.phone:
            order.ship_to.address2 = rng.choice(("Suite 300", "Apt 12", "Rear entrance", "Dock 4"))
        else:
            order.ship_to.phone = _phone(rng, order.ship_to.country) or "(207) 555-0100"
        append_note(order, now, "Shipping address edited by owner at customer's request.")
    return kind
