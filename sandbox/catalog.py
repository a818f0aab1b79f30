"""The sandbox site's fixed setup: storefronts, admin users, order statuses, and the product catalogue.

Everything here is a pure function of the seed, so two stores built with the same seed agree byte for
byte. Names and flags follow AmeriCommerce's REST model (`stores`, `users`, `order_statuses`,
`products` with `e_product_type`, `is_non_shipping_item`, `weight_unit`, and the custom product field
`ShipStationWarehouseLocation` that the ShipStation add-on copies into the item `<Location>`).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

WAREHOUSE_LOCATION_FIELD = "ShipStationWarehouseLocation"


@dataclass(frozen=True, slots=True)
class Storefront:
    id: int
    name: str
    domain: str
    shipped_status: str  # "order status for shipped orders", set per storefront in the add-on
    currency: str
    share: float  # fraction of orders placed on this storefront


@dataclass(frozen=True, slots=True)
class User:
    username: str
    password: str
    role: str
    email: str

    @property
    def is_admin(self) -> bool:
        return self.role == "Administrator"


@dataclass(frozen=True, slots=True)
class OrderStatus:
    id: int
    name: str
    is_custom: bool = False
    is_open: bool = True
    is_shipped: bool = False
    is_partially_shipped: bool = False
    is_cancelled: bool = False
    is_declined: bool = False
    is_fully_refunded: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "is_custom": self.is_custom,
            "is_open": self.is_open,
            "is_shipped": self.is_shipped,
            "is_partially_shipped": self.is_partially_shipped,
            "is_cancelled": self.is_cancelled,
            "is_declined": self.is_declined,
            "is_fully_refunded": self.is_fully_refunded,
        }


@dataclass(frozen=True, slots=True)
class Product:
    id: int
    sku: str
    name: str
    price_cents: int
    weight: float  # in `weight_unit`, as AmeriCommerce stores it per product
    weight_unit: str  # AmeriCommerce units: "Lbs", "Oz", "Grams", "Kg"
    image_url: str
    kind: str  # "physical", "eproduct" or "non_shipping"
    e_product_type: str  # "NotAnEProduct" for anything that is not an e-product
    is_non_shipping_item: bool
    upc: str
    warehouse_location: str  # the ShipStationWarehouseLocation custom field ("" when unset)
    option_groups: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "item_number": self.sku,
            "item_name": self.name,
            "price": f"{self.price_cents / 100:.2f}",
            "weight": self.weight,
            "weight_unit": self.weight_unit,
            "image_url": self.image_url,
            "kind": self.kind,
            "e_product_type": self.e_product_type,
            "is_non_shipping_item": self.is_non_shipping_item,
            "upc": self.upc,
            "custom_fields": {WAREHOUSE_LOCATION_FIELD: self.warehouse_location},
            "option_groups": list(self.option_groups),
        }


SITE_DOMAIN = "www.harborandpine.example"
# Where the catalogue's product pictures live: the running sandbox answers every document with this
# replaced by its own address (server.IMAGE_PATH), and serves the pictures itself (product_png).
IMAGE_BASE = f"https://{SITE_DOMAIN}/images/products/"

STOREFRONTS: tuple[Storefront, ...] = (
    Storefront(1, "Main Store", "www.harborandpine.example", "Shipped", "USD", 0.62),
    Storefront(2, "Wholesale", "wholesale.harborandpine.example", "Shipped", "USD", 0.23),
    Storefront(3, "Outlet", "outlet.harborandpine.example", "Completed, Shipped", "CAD", 0.15),
)

# AmeriCommerce's default statuses, then this merchant's custom ones (two contain a comma, which is
# why the ShipStation connection form asks for them without it).
STATUSES: tuple[OrderStatus, ...] = (
    OrderStatus(1, "New"),
    OrderStatus(2, "Pending Processing"),
    OrderStatus(3, "Processing"),
    OrderStatus(4, "Ready To Ship"),
    OrderStatus(5, "Backordered"),
    OrderStatus(6, "Partially Shipped", is_partially_shipped=True),
    OrderStatus(7, "Shipped", is_open=False, is_shipped=True),
    OrderStatus(8, "Cancelled", is_open=False, is_cancelled=True),
    OrderStatus(9, "Declined", is_open=False, is_declined=True),
    OrderStatus(10, "Refunded", is_open=False, is_fully_refunded=True),
    OrderStatus(11, "Pending Payment"),
    OrderStatus(12, "Pending Review"),
    OrderStatus(13, "On Hold"),
    OrderStatus(101, "Approved, Pending Shipping", is_custom=True),
    OrderStatus(102, "Awaiting Pickup, Local", is_custom=True),
    OrderStatus(103, "Gift Wrap Queue", is_custom=True),
    OrderStatus(104, "Completed, Shipped", is_custom=True, is_open=False, is_shipped=True),
)
STATUS_NAMES: tuple[str, ...] = tuple(s.name for s in STATUSES)

# Mostly orders waiting to ship, a few of every other kind.
STATUS_WEIGHTS: dict[str, int] = {
    "New": 10,
    "Pending Processing": 10,
    "Processing": 9,
    "Ready To Ship": 16,
    "Approved, Pending Shipping": 9,
    "Gift Wrap Queue": 3,
    "Backordered": 3,
    "Partially Shipped": 2,
    "Awaiting Pickup, Local": 2,
    "Pending Payment": 5,
    "Pending Review": 3,
    "On Hold": 3,
    "Shipped": 12,
    "Completed, Shipped": 4,
    "Cancelled": 4,
    "Declined": 2,
    "Refunded": 2,
}

# Moves a merchant makes in the back office; `mutate()` picks from these.
STATUS_MOVES: dict[str, tuple[str, ...]] = {
    "New": ("Pending Processing", "Processing", "On Hold", "Cancelled"),
    "Pending Payment": ("New", "Processing", "Declined", "Cancelled"),
    "Pending Review": ("Approved, Pending Shipping", "On Hold", "Declined"),
    "Pending Processing": ("Processing", "Ready To Ship", "Backordered"),
    "Processing": ("Ready To Ship", "Gift Wrap Queue", "Backordered", "On Hold"),
    "Ready To Ship": ("Partially Shipped", "On Hold", "Cancelled", "Processing"),
    "Approved, Pending Shipping": ("Ready To Ship", "Processing"),
    "Gift Wrap Queue": ("Ready To Ship",),
    "Backordered": ("Ready To Ship", "Partially Shipped", "Cancelled"),
    "Partially Shipped": ("Shipped", "On Hold"),
    "Awaiting Pickup, Local": ("Completed, Shipped", "Cancelled"),
    "On Hold": ("Processing", "Ready To Ship", "Cancelled"),
    "Shipped": ("Refunded",),
    "Completed, Shipped": ("Refunded",),
    "Cancelled": ("Refunded",),
    "Declined": ("Pending Payment",),
    "Refunded": ("Cancelled",),
}

# Statuses an order placed just now can have.
NEW_ORDER_STATUSES: dict[str, int] = {
    "New": 5,
    "Pending Processing": 3,
    "Pending Payment": 2,
    "Pending Review": 1,
    "Approved, Pending Shipping": 2,
}


def make_users(
    seed: int, admin_username: str = "shipstation-admin", admin_password: str | None = None
) -> tuple[User, ...]:
    rng = random.Random(f"{seed}:users")
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

    def secret() -> str:
        return "".join(rng.choice(alphabet) for _ in range(16))

    admin_pw = secret()
    owner_pw = secret()
    cs_pw = secret()
    wh_pw = secret()
    return (
        User(admin_username, admin_password or admin_pw, "Administrator", "shipping@harborandpine.example"),
        User("owner", owner_pw, "Administrator", "owner@harborandpine.example"),
        User("cs-agent", cs_pw, "Customer Service", "support@harborandpine.example"),
        User("warehouse", wh_pw, "Fulfillment", "warehouse@harborandpine.example"),
    )


# --- products -----------------------------------------------------------------------------------

# (category code, names, AmeriCommerce weight unit, weight range, price range in dollars, options)
_PHYSICAL_LINES: tuple[tuple[str, tuple[str, ...], str, tuple[float, float], tuple[int, int], tuple[str, ...]], ...] = (
    (
        "APP",
        (
            "Harbor Crew Tee",
            "Pine Ridge Hoodie",
            "Deckhand Flannel Shirt",
            "Fog Line Rain Shell",
            "Wool Watch Cap",
            "Trail Socks (3-Pack)",
            "Canvas Work Apron",
            "Merino Base Layer",
        ),
        "Oz",
        (3.0, 28.0),
        (18, 129),
        ("Size", "Color"),
    ),
    (
        "DRK",
        (
            "Café au Lait Mug",
            "Enamel Camp Cup",
            "Insulated Growler 64 oz",
            "Stoneware Pour-Over Set",
            "Tide Pool Tumbler",
            "Copper Moscow Mule Mug",
        ),
        "Oz",
        (6.0, 48.0),
        (14, 79),
        ("Color",),
    ),
    (
        "KIT",
        (
            "Salt & Pepper Mill Set",
            'Cast Iron Skillet 10"',
            "Crème Brûlée Torch",
            "Maple Cutting Board",
            "Chef's Knife 8\"",
            "Dutch Oven 5 qt",
            "Olive Wood Spoon Set",
        ),
        "Lbs",
        (0.4, 14.0),
        (19, 249),
        ("Color", "Gift Wrap"),
    ),
    (
        "JWL",
        ("Anchor Pendant", "Compass Cufflinks", "Signet Ring", "Sea Glass Bracelet", "Knot Earrings"),
        "Grams",
        (4.0, 85.0),
        (39, 420),
        ("Metal", "Engraving", "Gift Wrap"),
    ),
    (
        "OUT",
        (
            "Dry Bag 20L",
            "Camp Lantern",
            "Folding Camp Chair",
            "Hammock & Straps",
            "Trekking Poles (Pair)",
            "Backpacking Stove",
            "Solar Charger Panel",
        ),
        "Lbs",
        (0.5, 22.0),
        (24, 299),
        ("Color",),
    ),
    (
        "HOM",
        ("Cedar Adirondack Chair", "Teak Side Table", "Ship Lap Bookshelf", "Nautical Floor Lamp"),
        "Kg",
        (4.0, 38.0),
        (149, 899),
        ("Finish",),
    ),
    (
        "GFT",
        (
            "Harbor & Pine Gift Box — Deluxe Edition with Hand-Poured Candle, Cedar Soap, Linen Tea Towel "
            "and a Handwritten Card from the Makers in Portland, Maine",
            "Keepsake Photo Frame",
            "Letterpress Card Set",
        ),
        "Oz",
        (2.0, 60.0),
        (9, 119),
        ("Monogram", "Gift Wrap"),
    ),
)

_EPRODUCTS: tuple[tuple[str, str, int, str], ...] = (
    ("EGC-25", "E-Gift Card $25", 2500, "GiftCertificate"),
    ("EGC-50", "E-Gift Card $50", 5000, "GiftCertificate"),
    ("EGC-100", "E-Gift Card $100", 10000, "GiftCertificate"),
    ("EBK-CAMP", "Camp Kitchen Cookbook (PDF)", 1499, "Download"),
    ("EBK-KNOT", "Field Guide to Sailor's Knots (eBook)", 999, "Download"),
    ("CLS-KNIFE", "Online Class: Knife Skills 101", 4900, "Link"),
    ("SW-TIDES", "Tide Tables App — 1-Year License", 1999, "SerialNumber"),
)

_NON_SHIPPING: tuple[tuple[str, str, int], ...] = (
    ("WAR-2Y", "Extended Warranty (2 Years)", 2999),
    ("SVC-ASSEMBLY", "White-Glove Assembly Service", 7900),
    ("DON-PARKS", "Donation: Maine Coast Trails ($5)", 500),
    ("SVC-ENGRAVE", "Hand Engraving Service", 1500),
    ("MEM-CLUB", "Harbor Club Membership (Annual)", 3900),
)

OPTION_VALUES: dict[str, tuple[str, ...]] = {
    "Size": ("XS", "S", "M", "L", "XL", "XXL"),
    "Color": ("Black", "Navy", "Heather Grey", "Forest Green", "Harbor Red", "Natural"),
    "Metal": ("Sterling Silver", "14k Gold", "Rose Gold"),
    "Engraving": ("J & M — 06/2024", "Always", "For Dad <3", "S.T.L.", "Fair winds & following seas"),
    "Gift Wrap": ("Yes", "No"),
    "Finish": ("Natural Teak", "Weathered Grey", "Ebony"),
    "Monogram": ("ABC", "JRM", "KLT", "Ø"),
}

# Extra per-unit price and weight for some option values (weight in pounds, converted per item).
OPTION_PRICE_CENTS: dict[tuple[str, str], int] = {
    ("Size", "XXL"): 300,
    ("Metal", "14k Gold"): 12000,
    ("Metal", "Rose Gold"): 9000,
    ("Gift Wrap", "Yes"): 495,
    ("Engraving", "*"): 1200,
    ("Monogram", "*"): 800,
}
OPTION_WEIGHT_LBS: dict[tuple[str, str], float] = {("Size", "XXL"): 0.06, ("Gift Wrap", "Yes"): 0.25}

# AmeriCommerce unit -> (ShipStation WeightUnits, factor). ShipStation has no kilograms, so the add-on
# sends grams (x1000), as the Magento and WooCommerce connectors do.
WEIGHT_UNITS: dict[str, tuple[str, float]] = {
    "Lbs": ("Pounds", 1.0),
    "Oz": ("Ounces", 1.0),
    "Grams": ("Grams", 1.0),
    "Kg": ("Grams", 1000.0),
}
_LBS_PER: dict[str, float] = {"Pounds": 1.0, "Ounces": 1 / 16, "Grams": 1 / 453.59237}


def lbs_to(unit: str, lbs: float) -> float:
    return round(lbs / _LBS_PER[unit], 2)


def _upc(rng: random.Random) -> str:
    digits = [rng.randrange(10) for _ in range(11)]
    odd = sum(digits[0::2])
    even = sum(digits[1::2])
    check = (10 - (odd * 3 + even) % 10) % 10
    return "".join(map(str, digits)) + str(check)


def _location(rng: random.Random) -> str:
    return f"{rng.choice('ABCDEF')}-{rng.randint(1, 24):02d}-{rng.randint(1, 8):02d}"


def make_products(seed: int) -> tuple[Product, ...]:
    """A catalogue of ~80-120 products: mostly physical, some e-products and non-shipping items."""
    rng = random.Random(f"{seed}:catalog")
    products: list[Product] = []
    target_physical = rng.randint(70, 105)
    lines = list(_PHYSICAL_LINES)
    n = 0
    while n < target_physical:
        code, names, unit, (wlo, whi), (plo, phi), groups = lines[n % len(lines)]
        base = names[(n // len(lines)) % len(names)]
        variant = n // (len(lines) * len(names))
        name = base if variant == 0 else f"{base} — Series {variant + 1}"
        sku = f"{code}-{1000 + n}"
        weight = round(rng.uniform(wlo, whi), 2)
        image = "" if rng.random() < 0.06 else f"{IMAGE_BASE}{sku.lower()}.png"
        products.append(
            Product(
                id=n + 1,
                sku=sku,
                name=name,
                price_cents=rng.randint(plo, phi) * 100 + rng.choice((0, 0, 50, 95, 99)),
                weight=weight,
                weight_unit=unit,
                image_url=image,
                kind="physical",
                e_product_type="NotAnEProduct",
                is_non_shipping_item=False,
                upc=_upc(rng) if rng.random() < 0.45 else "",
                warehouse_location=_location(rng) if rng.random() < 0.8 else "",
                option_groups=tuple(g for g in groups if rng.random() < 0.75),
            )
        )
        n += 1
    for sku, name, price, etype in _EPRODUCTS:
        products.append(
            Product(
                id=len(products) + 1,
                sku=sku,
                name=name,
                price_cents=price,
                weight=0.0,
                weight_unit="Lbs",
                image_url=f"{IMAGE_BASE}{sku.lower()}.png",
                kind="eproduct",
                e_product_type=etype,
                is_non_shipping_item=False,
                upc="",
                warehouse_location="",
            )
        )
    for sku, name, price in _NON_SHIPPING:
        products.append(
            Product(
                id=len(products) + 1,
                sku=sku,
                name=name,
                price_cents=price,
                weight=0.0,
                weight_unit="Lbs",
                image_url="",
                kind="non_shipping",
                e_product_type="NotAnEProduct",
                is_non_shipping_item=True,
                upc="",
                warehouse_location="",
            )
        )
    return tuple(products)


def product_png(name: str, size: int = 64) -> bytes:
    """A real, small PNG for a product picture: a square in a colour of its own, with a lighter band."""
    import struct
    import zlib

    digest = hashlib.sha256(name.encode()).digest()
    colour, light = digest[:3], bytes(min(255, c + 90) for c in digest[:3])
    rows = b"".join(b"\x00" + (light if size // 3 <= y < 2 * size // 3 else colour) * size for y in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
