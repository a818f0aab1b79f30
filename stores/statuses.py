"""Status mapping (brief row S4).

Five Outbound statuses, each fed by a comma-separated list of store status names. As the brief says
for AmeriCommerce, matching ignores case, and a store status that itself contains a comma is typed
without it: "Approved, Pending Shipping" in the store is `Approved Pending Shipping` in the list.
Both sides go through `normalize_status`, so the comma is dropped on the store's side too.
"""

import re
from collections.abc import Mapping

AWAITING_PAYMENT = "awaiting_payment"
AWAITING_SHIPMENT = "awaiting_shipment"
SHIPPED = "shipped"
CANCELLED = "cancelled"
ON_HOLD = "on_hold"

OUTBOUND_STATUSES: list[tuple[str, str]] = [
    (AWAITING_PAYMENT, "Awaiting Payment"),
    (AWAITING_SHIPMENT, "Awaiting Shipment"),
    (SHIPPED, "Shipped"),
    (CANCELLED, "Cancelled"),
    (ON_HOLD, "On Hold"),
]

# AmeriCommerce's out-of-the-box order statuses (Settings > Order Statuses on a new store), grouped
# the way ShipStation's AmeriCommerce connector pre-fills its five fields.
DEFAULT_MAPPING: dict[str, str] = {
    AWAITING_PAYMENT: "Pending Payment, Pending Review",
    AWAITING_SHIPMENT: "New, Pending Processing, Processing, Ready To Ship, Backordered, Partially Shipped",
    SHIPPED: "Shipped",
    CANCELLED: "Cancelled, Declined, Refunded",
    ON_HOLD: "On Hold",
}

_SPACES = re.compile(r"\s+")


def normalize_status(name: str) -> str:
    """The matching key of a status name: no commas, white space collapsed, case folded."""
    return _SPACES.sub(" ", (name or "").replace(",", " ")).strip().casefold()


def parse_status_list(text: str) -> list[str]:
    """The normalised names in one comma-separated mapping field, in order, without blanks."""
    return [key for key in (normalize_status(part) for part in (text or "").split(",")) if key]


def tidy_status_list(text: str) -> str:
    """A mapping field as it is stored: entries as typed (case kept), spaces collapsed, blanks and
    repeats (by matching key) dropped, joined by ", " — `"  on hold ,, "` is stored as `on hold`."""
    entries: dict[str, str] = {}
    for part in (text or "").split(","):
        typed = _SPACES.sub(" ", part).strip()
        if typed:
            entries.setdefault(normalize_status(typed), typed)
    return ", ".join(entries.values())


def find_conflicts(lists: Mapping[str, str]) -> dict[str, list[str]]:
    """Normalised names that sit in more than one list: {name: [outbound statuses]}."""
    seen: dict[str, list[str]] = {}
    for outbound_status, text in lists.items():
        for key in dict.fromkeys(parse_status_list(text)):
            seen.setdefault(key, []).append(outbound_status)
    return {key: where for key, where in seen.items() if len(where) > 1}


def build_lookup(lists: Mapping[str, str]) -> dict[str, str]:
    """{normalised store status: outbound status} for fast per-order mapping."""
    lookup: dict[str, str] = {}
    for outbound_status, text in lists.items():
        for key in parse_status_list(text):
            lookup.setdefault(key, outbound_status)
    return lookup


def map_status(lookup: Mapping[str, str], store_status: str) -> str | None:
    """Which Outbound status this store status is, or None when no list names it."""
    return lookup.get(normalize_status(store_status))


def label(outbound_status: str) -> str:
    return dict(OUTBOUND_STATUSES).get(outbound_status, outbound_status)
