"""Status mapping: how store status names become Outbound statuses.

Five Outbound statuses, each fed by a comma-separated list of store status names. A store status that
itself contains a comma is typed without it: "Approved, Pending Shipping" in the store is
`Approved Pending Shipping` in the list. Both sides go through one *matching key*, so the comma is
dropped on the store's side too.

The matching key is a property of the store's platform (its connection type in
`stores.connector.registry`): AmeriCommerce's connector ignores case (`normalize_status`), ShipStation's
generic Custom Store matches case-sensitively (`exact_status`: only commas and runs of white space are
evened out, never case). Every function here takes that key; the default is the case-insensitive one.
"""

import re
from collections.abc import Callable, Iterable, Mapping

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
_SEPARATORS = re.compile(r"[,\r\n]")


def normalize_status(name: str) -> str:
    """The case-insensitive matching key of a status name: no commas, white space collapsed, case folded."""
    return _SPACES.sub(" ", (name or "").replace(",", " ")).strip().casefold()


def exact_status(name: str) -> str:
    """The case-sensitive matching key: no commas, white space collapsed, case kept (`Shipped` is not
    `shipped`)."""
    return _SPACES.sub(" ", (name or "").replace(",", " ")).strip()


StatusKey = Callable[[str], str]


def is_case_sensitive(key: StatusKey) -> bool:
    """Whether a matching key tells `Shipped` from `shipped`."""
    return key("Shipped") != key("shipped")


class StatusLookup(dict):
    """{matching key: outbound status}, remembering the key it was built with, so `map_status` matches
    a store's status by the same rule."""

    def __init__(self, entries=(), *, key: StatusKey = normalize_status):
        super().__init__(entries)
        self.key = key


def _entries(text: str) -> list[str]:
    """The entries of a mapping field as typed: separated by commas, or by line breaks (the field is a
    text box a long list wraps in)."""
    return _SEPARATORS.split(text or "")


def parse_status_list(text: str, key: StatusKey = normalize_status) -> list[str]:
    """The matching keys in one comma-separated mapping field, in order, without blanks."""
    return [k for k in (key(part) for part in _entries(text)) if k]


def tidy_status_list(text: str, key: StatusKey = normalize_status) -> str:
    """A mapping field as it is stored: entries as typed (case kept), spaces collapsed, blanks and
    repeats (by matching key) dropped, joined by ", " — `"  on hold ,, "` is stored as `on hold`."""
    entries: dict[str, str] = {}
    for part in _entries(text):
        typed = _SPACES.sub(" ", part).strip()
        if typed:
            entries.setdefault(key(typed), typed)
    return ", ".join(entries.values())


def find_conflicts(lists: Mapping[str, str], key: StatusKey = normalize_status) -> dict[str, list[str]]:
    """Matching keys that sit in more than one list: {name: [outbound statuses]}."""
    seen: dict[str, list[str]] = {}
    for outbound_status, text in lists.items():
        for name in dict.fromkeys(parse_status_list(text, key)):
            seen.setdefault(name, []).append(outbound_status)
    return {name: where for name, where in seen.items() if len(where) > 1}


def build_lookup(lists: Mapping[str, str], key: StatusKey = normalize_status) -> StatusLookup:
    """{matching key: outbound status} for fast per-order mapping."""
    lookup = StatusLookup(key=key)
    for outbound_status, text in lists.items():
        for name in parse_status_list(text, key):
            lookup.setdefault(name, outbound_status)
    return lookup


def map_status(lookup: Mapping[str, str], store_status: str) -> str | None:
    """Which Outbound status this store status is, or None when no list names it (matched by the key
    the lookup was built with; a plain dict is matched case-insensitively)."""
    return lookup.get(getattr(lookup, "key", normalize_status)(store_status))


def label(outbound_status: str) -> str:
    return dict(OUTBOUND_STATUSES).get(outbound_status, outbound_status)


def propose_mapping(
    statuses: Iterable, defaults: Mapping[str, str], key: StatusKey = normalize_status
) -> tuple[dict[str, str], list[str]]:
    """The five lists proposed from the statuses a store lists (`StoreStatus`-like: name and the flags
    is_shipped, is_cancelled, is_open, None when unknown), with the store's names left out of them.

    A status is placed by its name first, matched by `key` to the defaults' names and to the five Outbound
    statuses' own labels ("Awaiting Shipment"); a name that matches neither by its flags: shipped, then
    cancelled, then open (an order still to ship: Awaiting Shipment). Names are written as the lists hold
    them, without commas ("Approved, Pending Shipping" -> `Approved Pending Shipping`). A status that is
    none of these (closed, neither shipped nor cancelled) is left out for the merchant to place."""
    known = build_lookup(dict(OUTBOUND_STATUSES), key)
    known.update(build_lookup(defaults, key))
    lists: dict[str, list[str]] = {code: [] for code, _label in OUTBOUND_STATUSES}
    left_out: list[str] = []
    for status in statuses:
        typed = exact_status(status.name)
        if not typed:
            continue
        code = known.get(key(typed))
        if code is None:
            if status.is_shipped:
                code = SHIPPED
            elif status.is_cancelled:
                code = CANCELLED
            elif status.is_open:
                code = AWAITING_SHIPMENT
        if code is None:
            left_out.append(status.name)
        else:
            lists[code].append(typed)
    return {code: tidy_status_list(", ".join(names), key) for code, names in lists.items()}, left_out
