"""The order status machine: Outbound's five statuses, how shipping moves between them, and why.

Pure: no queries and no models beyond the choices, so the whole machine is unit-testable on its own.
`orders.models` re-exports its names (the models' fields take their choices from here).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from django.db import models

from stores import statuses


class OrderStatus(models.TextChoices):
    AWAITING_PAYMENT = statuses.AWAITING_PAYMENT, "Awaiting Payment"
    AWAITING_SHIPMENT = statuses.AWAITING_SHIPMENT, "Awaiting Shipment"
    ON_HOLD = statuses.ON_HOLD, "On Hold"
    SHIPPED = statuses.SHIPPED, "Shipped"
    CANCELLED = statuses.CANCELLED, "Cancelled"


# The order status machine: which moves are allowed. Every write of Order.status goes through
# status_transition below (order_set_status, the importer's bulk rows, the shipment services), which
# never returns a move this table leaves out.
STATUS_MOVES: dict[str, set[str]] = {
    OrderStatus.AWAITING_PAYMENT: {
        OrderStatus.AWAITING_SHIPMENT,
        OrderStatus.ON_HOLD,
        OrderStatus.CANCELLED,
        OrderStatus.SHIPPED,
    },
    OrderStatus.AWAITING_SHIPMENT: {
        OrderStatus.AWAITING_PAYMENT,
        OrderStatus.ON_HOLD,
        OrderStatus.CANCELLED,
        OrderStatus.SHIPPED,
    },
    OrderStatus.ON_HOLD: {
        OrderStatus.AWAITING_PAYMENT,
        OrderStatus.AWAITING_SHIPMENT,
        OrderStatus.CANCELLED,
        OrderStatus.SHIPPED,
    },
    OrderStatus.SHIPPED: {OrderStatus.AWAITING_SHIPMENT},  # only when the shipments say units are left to ship
    # → shipped: an operator's override shipment, or a store that reinstates and ships it outside Outbound.
    OrderStatus.CANCELLED: {
        OrderStatus.AWAITING_PAYMENT,
        OrderStatus.AWAITING_SHIPMENT,
        OrderStatus.ON_HOLD,
        OrderStatus.SHIPPED,
    },
}


class Shipping(models.TextChoices):
    """What Outbound's own shipments of an order add up to (kept on the order by the shipment services)."""

    NONE = "none", "Nothing shipped"
    PARTIAL = "partial", "Partly shipped"
    FULL = "full", "Fully shipped"
    VOIDED = "voided", "Every shipment voided"


class Situation:
    """The shipment situation the status machine reads: Outbound's shipments, plus "shipped outside
    Outbound" (the order is Shipped and Outbound never shipped any of it)."""

    NOTHING = "nothing_shipped"
    PARTIAL = "partly_shipped"
    FULL = "fully_shipped"
    VOIDED = "all_voided"
    OUTSIDE = "shipped_outside"
    ALL = (NOTHING, PARTIAL, FULL, VOIDED, OUTSIDE)


def shipment_situation(shipping: str, status: str | None) -> str:
    if shipping == Shipping.PARTIAL:
        return Situation.PARTIAL
    if shipping == Shipping.FULL:
        return Situation.FULL
    if shipping == Shipping.VOIDED:
        return Situation.VOIDED
    return Situation.OUTSIDE if status == OrderStatus.SHIPPED else Situation.NOTHING


UNMAPPED = ""  # status_transition(store=UNMAPPED): the store sent a status no mapping list names

# Why a status moved or stayed: the reason codes and their sentences live in orders.events (STATUS_REASONS),
# so the history renders them in the reader's language; a decision keeps the code and its parameters.
ATTENTION = {
    "cancelled_after_partial": "The store cancelled this order after Outbound shipped part of it.",
    "cancelled_after_full": "The store cancelled this order after Outbound shipped it.",
    "cancelled_after_outside": "The store cancelled this order after marking it shipped.",
}


@dataclass(frozen=True)
class StatusDecision:
    """What status_transition decided: the status to hold, why, and what goes with it."""

    status: str
    code: str
    params: dict = field(default_factory=dict)
    partially_shipped: bool = False
    refused: bool = False  # an Outbound request the machine does not allow (the caller raises)

    @property
    def reason(self) -> str:
        """The reason in plain words, in the active language."""
        from .events import reason_text

        return reason_text(self.code, self.params)

    @property
    def attention(self) -> str:
        """Why a person should look at the order ("" when nobody needs to)."""
        return ATTENTION.get(self.code, "")


def status_transition(
    current: str | None,
    situation: str,
    *,
    store: str | None = None,
    requested: str | None = None,
    note: str = "",
    outbound_hold: bool = False,
) -> StatusDecision:
    """The order status machine, as one pure function.

    `current`: the order's status (None for an order the store sends for the first time).
    `situation`: what Outbound knows of its shipments (a Situation value).
    `store`: the Outbound status the store's status maps to (an import), UNMAPPED when it maps to none.
    `requested`: a move asked for in Outbound (hold, release), with `note` as its reason.
    Neither: the shipments changed (a shipment recorded or voided) and the status follows them.
    `outbound_hold`: the order was put on hold in Outbound (its hold outlives the store's ordinary updates).

    Outbound is the authority on what it shipped; the store on payment, hold and cancellation.
    """
    partial = situation == Situation.PARTIAL

    def decide(status: str, code: str, **params) -> StatusDecision:
        return StatusDecision(status=status, code=code, params=params, partially_shipped=partial)

    if current is None:
        return decide(store, "imported")
    if requested is not None:
        return _requested(current, situation, requested, note, decide)
    if store is None:
        return _shipments_changed(current, situation, decide)
    if store == UNMAPPED:
        return decide(current, "unmapped")
    target, code = _store_target(current, situation, store, outbound_hold)
    params = {"store": store}
    if target != current and target not in STATUS_MOVES[current]:
        if store == OrderStatus.CANCELLED and current == OrderStatus.SHIPPED:
            return decide(current, "cancelled_after_outside")
        return decide(current, "not_allowed", store=store, current=current, target=target)
    return decide(target, code, **params)


def _store_target(current: str, situation: str, store: str, outbound_hold: bool) -> tuple[str, str]:
    """(status, reason code) for a store status on an order we already hold."""
    open_statuses = (OrderStatus.AWAITING_SHIPMENT, OrderStatus.ON_HOLD, OrderStatus.AWAITING_PAYMENT)
    if situation == Situation.FULL:
        if store == OrderStatus.SHIPPED:
            return OrderStatus.SHIPPED, "store"
        if store == OrderStatus.CANCELLED:
            return OrderStatus.SHIPPED, "cancelled_after_full"
        return OrderStatus.SHIPPED, "fully_shipped"
    if situation == Situation.PARTIAL:
        still_open = current if current in open_statuses else OrderStatus.AWAITING_SHIPMENT
        if store == OrderStatus.SHIPPED:
            return still_open, "partial_echo"
        if store == OrderStatus.CANCELLED:
            if current == OrderStatus.CANCELLED:
                return current, "store"
            return still_open, "cancelled_after_partial"
    if situation == Situation.VOIDED and store == OrderStatus.SHIPPED:
        return (current if current != OrderStatus.SHIPPED else OrderStatus.AWAITING_SHIPMENT), "void_echo"
    if situation == Situation.NOTHING and store == OrderStatus.SHIPPED:
        return OrderStatus.SHIPPED, "shipped_outside"
    if (
        outbound_hold
        and current == OrderStatus.ON_HOLD
        and store in (OrderStatus.AWAITING_SHIPMENT, OrderStatus.AWAITING_PAYMENT)
    ):
        return current, "outbound_hold"
    return store, "store"


def _shipments_changed(current: str, situation: str, decide) -> StatusDecision:
    if situation == Situation.FULL:
        return decide(OrderStatus.SHIPPED, "all_shipped")
    if current == OrderStatus.SHIPPED and situation == Situation.PARTIAL:
        return decide(OrderStatus.AWAITING_SHIPMENT, "reopened")
    if current == OrderStatus.SHIPPED and situation == Situation.VOIDED:
        return decide(OrderStatus.AWAITING_SHIPMENT, "all_voided")
    return decide(current, "shipments")


def _requested(current: str, situation: str, requested: str, note: str, decide) -> StatusDecision:
    if requested == current:
        return decide(current, "requested", note=note or "unchanged")
    if requested not in STATUS_MOVES[current]:
        return replace(decide(current, "refused", current=current, target=requested), refused=True)
    if (requested == OrderStatus.SHIPPED) != (situation in (Situation.FULL, Situation.OUTSIDE)):
        return replace(decide(current, "contradicts_shipments", target=requested), refused=True)
    return decide(requested, "requested", note=note or "changed in Outbound")


def status_history_line(current: str | None, decision: StatusDecision) -> str:
    """The order history's English words for a status decision ("" when there is nothing to say). The
    sentence itself is orders.events' "status" event, the one place the status-change text is built."""
    if current is None or (decision.status == current and decision.code in ("store", "shipments")):
        return ""
    from .events import describe

    return describe("status", status_event_params(current, decision), language="en")


def status_event_params(previous: str | None, decision: StatusDecision) -> dict:
    """The history event's parameters for a status decision: the move, and its reason as code + parameters."""
    return {"from": previous, "to": decision.status, "reason": {"code": decision.code, "params": decision.params}}


def status_event_data(previous: str | None, decision: StatusDecision) -> dict:
    """The history event's data for a status decision: the move, and its reason as code + parameters."""
    return {"from": previous, "to": decision.status, "reason": decision.code, "params": decision.params}
