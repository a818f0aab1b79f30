"""What an order allows: ship it (and why not), hold it, release it, void one of its shipments, and what is
left to ship on each line. One pure function, the one place that decides (STYLE.md, "One place decides what
an object allows"): the single ship form, the batch, the CSV import, the API, printing and the portal's
buttons all ask `order_actions` and only word its answer, in the same words.

Pure like the status machine beside it: no queries. The caller hands over what it holds (the order, its
lines and the quantities shipped, its shipments); `order.store.is_disconnected` is read from the order
unless `disconnected` is given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .status_machine import OrderStatus, Shipping

# Why an order cannot be shipped: one sentence per reason, the same from every entry point (a batch or a CSV
# import keeps the code and words it when shown, in the reader's language).
SHIP_REFUSALS = {
    "store_disconnected": gettext_lazy(
        "Order %(number)s cannot be shipped: its store is disconnected and its orders are kept read only."
    ),
    "cancelled": gettext_lazy("Order %(number)s cannot be shipped: it is cancelled."),
    "on_hold": gettext_lazy("Order %(number)s cannot be shipped: it is on hold."),
    "awaiting_payment": gettext_lazy("Order %(number)s cannot be shipped: it is awaiting payment."),
    "already_shipped": gettext_lazy("Order %(number)s cannot be shipped: it is already shipped."),
    "nothing_to_ship": gettext_lazy("Order %(number)s cannot be shipped: nothing on it is left to ship."),
}
# The refusals an operator may override (a status the store owns), unless nothing is left to ship.
OVERRIDABLE = {"cancelled", "on_hold", "awaiting_payment", "already_shipped"}
# Ship refusals by status (checked in this order after the store's connection).
_STATUS_REFUSALS = {
    OrderStatus.CANCELLED: "cancelled",
    OrderStatus.ON_HOLD: "on_hold",
    OrderStatus.AWAITING_PAYMENT: "awaiting_payment",
    OrderStatus.SHIPPED: "already_shipped",
}

HOLD_REFUSALS = {
    "store_disconnected": gettext_lazy(
        "Order %(number)s cannot be changed: its store is disconnected and its orders are kept read only."
    ),
    "not_holdable": gettext_lazy("Only an order awaiting payment or shipment can be put on hold."),
    "not_on_hold": gettext_lazy("This order is not on hold."),
}
HOLDABLE = (OrderStatus.AWAITING_PAYMENT, OrderStatus.AWAITING_SHIPMENT)

VOID_REFUSALS = {
    "store_disconnected": HOLD_REFUSALS["store_disconnected"],
    "voided": gettext_lazy("Shipment %(shipment)s is already voided."),
}


def ship_refusal_text(code: str, number: str) -> str:
    """The words for a ship refusal code, in the active language ("" for none)."""
    return str(SHIP_REFUSALS[code]) % {"number": number} if code else ""


def line_ships(line) -> bool:
    """Whether a line needs a shipment: electronic, does-not-ship and adjustment lines never do."""
    return line.is_shippable and not line.is_adjustment


def left_to_ship(lines: Iterable, shipped: Mapping[int, int]) -> dict[int, int]:
    """Quantity left to ship per shippable line id (`lines`: any of the order's lines, only the shippable ones
    count; `shipped`: quantity shipped per line id by shipments that are not voided)."""
    return {line.pk: max(0, line.quantity - shipped.get(line.pk, 0)) for line in lines if line_ships(line)}


class NotShippable(ValidationError):
    """An order refused shipping, in its words; `reason` keeps the code (a batch stores it, words it later)."""

    def __init__(self, actions: OrderActions):
        super().__init__(actions.ship_why_not, code="not_shippable")
        self.reason = actions.ship_refusal


@dataclass(frozen=True)
class OrderActions:
    """What one order allows now. `*_refusal` is a reason code ("" when allowed); `*_why_not` its words."""

    number: str
    ship_refusal: str
    hold_refusal: str
    release_refusal: str
    left: dict[int, int] | None  # per shippable line id; None when the caller gave no lines
    override: bool = False  # an operator asked to override the order's status, and the refusal allows it
    void_refusals: dict[int, str] = field(default_factory=dict)  # shipment id -> reason code ("" = voidable)

    @property
    def can_ship(self) -> bool:
        return not self.ship_refusal or self.override

    @property
    def overridden(self) -> bool:
        """Shipping is allowed only because an operator overrides the order's status."""
        return bool(self.ship_refusal) and self.can_ship

    @property
    def ship_why_not(self) -> str:
        return "" if self.can_ship else ship_refusal_text(self.ship_refusal, self.number)

    @property
    def can_hold(self) -> bool:
        return not self.hold_refusal

    @property
    def hold_why_not(self) -> str:
        return self._hold_words(self.hold_refusal)

    @property
    def can_release(self) -> bool:
        return not self.release_refusal

    @property
    def release_why_not(self) -> str:
        return self._hold_words(self.release_refusal)

    def _hold_words(self, code: str) -> str:
        return str(HOLD_REFUSALS[code]) % {"number": self.number} if code else ""

    def can_void(self, shipment_id: int) -> bool:
        return self.void_refusals.get(shipment_id) == ""

    def void_why_not(self, shipment_id: int) -> str:
        code = self.void_refusals.get(shipment_id)
        if code is None:
            return _("Shipment %(shipment)s is not on this order.") % {"shipment": shipment_id}
        return str(VOID_REFUSALS[code]) % {"number": self.number, "shipment": shipment_id} if code else ""

    @property
    def voidable(self) -> set[int]:
        return {pk for pk, code in self.void_refusals.items() if not code}

    @property
    def left_total(self) -> int | None:
        return None if self.left is None else sum(self.left.values())


def order_actions(
    order,
    *,
    lines: Iterable | None = None,
    shipped: Mapping[int, int] | None = None,
    shipments: Iterable = (),
    override: bool = False,
    disconnected: bool | None = None,
) -> OrderActions:
    """What `order` allows now.

    `lines` and `shipped` (quantity shipped per line id, voided shipments left out): give them to know what is
    left to ship per line and to refuse an order with nothing left; without them only the order's status and
    shipping summary decide. `shipments`: the order's shipments (anything with `pk` and `state`), for voids.
    `override`: an operator asks to ship whatever the store's status says (the caller checks who may).
    """
    if disconnected is None:
        disconnected = order.store.is_disconnected
    left = None if lines is None else left_to_ship(lines, shipped or {})
    if disconnected:
        ship = hold = release = "store_disconnected"
        override = False
    else:
        ship = _STATUS_REFUSALS.get(order.status, "")
        nothing_left = order.shipping == Shipping.FULL or (left is not None and not any(left.values()))
        if nothing_left and ship in ("", "already_shipped"):
            shipped_all = order.status == OrderStatus.SHIPPED or order.shipping == Shipping.FULL
            ship = "already_shipped" if shipped_all else "nothing_to_ship"
        # An operator may ship past a status the store set, never past what is left to ship.
        override = override and ship in OVERRIDABLE and not nothing_left
        hold = "" if order.status in HOLDABLE else "not_holdable"
        release = "" if order.status == OrderStatus.ON_HOLD else "not_on_hold"
    voids = {}
    for shipment in shipments:
        if disconnected:
            voids[shipment.pk] = "store_disconnected"
        elif shipment.state == "voided":  # a delivered one may be voided (a parcel marked delivered by mistake)
            voids[shipment.pk] = "voided"
        else:
            voids[shipment.pk] = ""
    return OrderActions(
        number=order.number,
        ship_refusal=ship,
        hold_refusal=hold,
        release_refusal=release,
        left=left,
        override=override,
        void_refusals=voids,
    )
