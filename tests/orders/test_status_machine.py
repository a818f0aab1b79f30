"""The status machine, table-driven: every (current status × shipment situation × store's mapped status).

Each cell of TABLE reads `current>result:reason` (`!` = the order is flagged for attention; `cancel_*`
are the cancellations after Outbound shipped part, all, or the store marked it shipped). Rows are
the status the store's mapping gives (`--` = the store's status is in no mapping list), columns the
order's current status. The rules (docs/importing.md#status-machine): Outbound is the authority on what it
shipped, the store on payment, hold and cancellation.
"""

import pytest

from orders.models import (
    STATUS_MOVES,
    UNMAPPED,
    OrderStatus,
    Shipping,
    Situation,
    shipment_situation,
    status_history_line,
    status_transition,
)

CODES = {
    "AP": OrderStatus.AWAITING_PAYMENT,
    "AS": OrderStatus.AWAITING_SHIPMENT,
    "OH": OrderStatus.ON_HOLD,
    "SH": OrderStatus.SHIPPED,
    "CA": OrderStatus.CANCELLED,
    "--": UNMAPPED,
}
CURRENT = ["AP", "AS", "OH", "SH", "CA"]
SHORT = {
    "cancel_part": "cancelled_after_partial",
    "cancel_full": "cancelled_after_full",
    "cancel_out": "cancelled_after_outside",
}

TABLE = {
    Situation.NOTHING: """
AP  AP>AP:store  AS>AP:store  OH>AP:store  SH>SH:not_allowed  CA>AP:store
AS  AP>AS:store  AS>AS:store  OH>AS:store  SH>AS:store  CA>AS:store
OH  AP>OH:store  AS>OH:store  OH>OH:store  SH>SH:not_allowed  CA>OH:store
SH  AP>SH:shipped_outside  AS>SH:shipped_outside  OH>SH:shipped_outside  SH>SH:shipped_outside  CA>SH:shipped_outside
CA  AP>CA:store  AS>CA:store  OH>CA:store  SH>SH:cancel_out!  CA>CA:store
--  AP>AP:unmapped  AS>AS:unmapped  OH>OH:unmapped  SH>SH:unmapped  CA>CA:unmapped
""",
    Situation.PARTIAL: """
AP  AP>AP:store  AS>AP:store  OH>AP:store  SH>SH:not_allowed  CA>AP:store
AS  AP>AS:store  AS>AS:store  OH>AS:store  SH>AS:store  CA>AS:store
OH  AP>OH:store  AS>OH:store  OH>OH:store  SH>SH:not_allowed  CA>OH:store
SH  AP>AP:partial_echo  AS>AS:partial_echo  OH>OH:partial_echo  SH>AS:partial_echo  CA>AS:partial_echo
CA  AP>AP:cancel_part!  AS>AS:cancel_part!  OH>OH:cancel_part!  SH>AS:cancel_part!  CA>CA:store
--  AP>AP:unmapped  AS>AS:unmapped  OH>OH:unmapped  SH>SH:unmapped  CA>CA:unmapped
""",
    Situation.FULL: """
AP  AP>SH:fully_shipped  AS>SH:fully_shipped  OH>SH:fully_shipped  SH>SH:fully_shipped  CA>SH:fully_shipped
AS  AP>SH:fully_shipped  AS>SH:fully_shipped  OH>SH:fully_shipped  SH>SH:fully_shipped  CA>SH:fully_shipped
OH  AP>SH:fully_shipped  AS>SH:fully_shipped  OH>SH:fully_shipped  SH>SH:fully_shipped  CA>SH:fully_shipped
SH  AP>SH:store  AS>SH:store  OH>SH:store  SH>SH:store  CA>SH:store
CA  AP>SH:cancel_full!  AS>SH:cancel_full!  OH>SH:cancel_full!  SH>SH:cancel_full!  CA>SH:cancel_full!
--  AP>AP:unmapped  AS>AS:unmapped  OH>OH:unmapped  SH>SH:unmapped  CA>CA:unmapped
""",
    Situation.VOIDED: """
AP  AP>AP:store  AS>AP:store  OH>AP:store  SH>SH:not_allowed  CA>AP:store
AS  AP>AS:store  AS>AS:store  OH>AS:store  SH>AS:store  CA>AS:store
OH  AP>OH:store  AS>OH:store  OH>OH:store  SH>SH:not_allowed  CA>OH:store
SH  AP>AP:void_echo  AS>AS:void_echo  OH>OH:void_echo  SH>AS:void_echo  CA>CA:void_echo
CA  AP>CA:store  AS>CA:store  OH>CA:store  SH>SH:cancel_out!  CA>CA:store
--  AP>AP:unmapped  AS>AS:unmapped  OH>OH:unmapped  SH>SH:unmapped  CA>CA:unmapped
""",
    Situation.OUTSIDE: """
AP  AP>AP:store  AS>AP:store  OH>AP:store  SH>SH:not_allowed  CA>AP:store
AS  AP>AS:store  AS>AS:store  OH>AS:store  SH>AS:store  CA>AS:store
OH  AP>OH:store  AS>OH:store  OH>OH:store  SH>SH:not_allowed  CA>OH:store
SH  AP>SH:store  AS>SH:store  OH>SH:store  SH>SH:store  CA>SH:store
CA  AP>CA:store  AS>CA:store  OH>CA:store  SH>SH:cancel_out!  CA>CA:store
--  AP>AP:unmapped  AS>AS:unmapped  OH>OH:unmapped  SH>SH:unmapped  CA>CA:unmapped
""",
}

# What the history line must say for each reason (beside the move itself).
WORDS = {
    "store": "the store says",
    "unmapped": "not in any mapping list",
    "shipped_outside": "shipped outside Outbound",
    "partial_echo": "units are still to ship (partially shipped)",
    "void_echo": "the store still shows the old shipment and tracking (a void cannot be sent to it); "
    "the re-shipment will send the new tracking",
    "fully_shipped": "Outbound shipped every unit",
    "cancelled_after_partial": "cancelled the order after Outbound shipped part of it; flagged for attention",
    "cancelled_after_full": "cancelled the order after Outbound shipped all of it; flagged for attention",
    "cancelled_after_outside": "cancelled an order it had marked shipped; flagged for attention",
    "not_allowed": "cannot move an order from",
}


def cases():
    for situation, grid in TABLE.items():
        for line in grid.strip().splitlines():
            store, *cells = line.split()
            assert len(cells) == len(CURRENT), line
            for current, cell in zip(CURRENT, cells, strict=True):
                move, code = cell.split(":")
                flagged, code = code.endswith("!"), code.rstrip("!")
                start, result = move.split(">")
                assert start == current, cell
                yield pytest.param(
                    CODES[current],
                    situation,
                    CODES[store],
                    CODES[result],
                    SHORT.get(code, code),
                    flagged,
                    id=f"{situation}-{store}-{cell}",
                )


def test_the_table_covers_every_combination():
    seen = {(p.values[0], p.values[1], p.values[2]) for p in cases()}
    assert len(seen) == 5 * len(Situation.ALL) * 6


@pytest.mark.parametrize("current, situation, store, expected, code, attention", list(cases()))
def test_store_status_on_an_order_we_hold(current, situation, store, expected, code, attention):
    decision = status_transition(current, situation, store=store)
    assert (decision.status, decision.code) == (expected, code)
    assert decision.partially_shipped is (situation == Situation.PARTIAL)
    assert bool(decision.attention) is attention
    assert expected == current or expected in STATUS_MOVES[current]  # never a move the table forbids
    line = status_history_line(current, decision)
    if expected == current and code == "store":
        assert line == ""  # the store said what the order already is: nothing to tell
        return
    before, after = OrderStatus(current).label, OrderStatus(expected).label
    prefix = f"Status stays {before}: " if expected == current else f"Status {before} → {after}: "
    assert line.startswith(prefix) and line.endswith(".")
    assert WORDS[code] in line


def test_a_new_order_takes_the_store_status():
    for status in OrderStatus.values:
        decision = status_transition(None, Situation.NOTHING, store=status)
        assert (decision.status, decision.code, decision.partially_shipped) == (status, "imported", False)
        assert status_history_line(None, decision) == ""  # the "imported" event says it


@pytest.mark.parametrize("store", [OrderStatus.AWAITING_SHIPMENT, OrderStatus.AWAITING_PAYMENT])
def test_an_outbound_hold_outlives_the_store_s_ordinary_updates(store):
    decision = status_transition(OrderStatus.ON_HOLD, Situation.NOTHING, store=store, outbound_hold=True)
    assert (decision.status, decision.code) == (OrderStatus.ON_HOLD, "outbound_hold")
    assert "held in Outbound" in status_history_line(OrderStatus.ON_HOLD, decision)
    # the store's cancellation still applies to a held order
    cancelled = status_transition(
        OrderStatus.ON_HOLD, Situation.NOTHING, store=OrderStatus.CANCELLED, outbound_hold=True
    )
    assert cancelled.status == OrderStatus.CANCELLED


@pytest.mark.parametrize(
    "current, situation, expected, words",
    [
        ("awaiting_shipment", Situation.FULL, "shipped", "every shippable unit is shipped"),
        ("on_hold", Situation.FULL, "shipped", "every shippable unit is shipped"),  # an operator's override
        ("cancelled", Situation.FULL, "shipped", "every shippable unit is shipped"),
        ("awaiting_shipment", Situation.PARTIAL, "awaiting_shipment", ""),
        ("shipped", Situation.PARTIAL, "awaiting_shipment", "a shipment was voided and units are left to ship"),
        (
            "shipped",
            Situation.VOIDED,
            "awaiting_shipment",
            "the store still shows the old shipment and tracking until the re-shipment sends the new tracking",
        ),
        ("awaiting_shipment", Situation.VOIDED, "awaiting_shipment", ""),
        ("shipped", Situation.OUTSIDE, "shipped", ""),
    ],
)
def test_the_status_follows_the_shipments(current, situation, expected, words):
    decision = status_transition(current, situation)
    assert decision.status == expected
    assert expected == current or expected in STATUS_MOVES[current]
    line = status_history_line(current, decision)
    assert (words in line) if words else line == ""


@pytest.mark.parametrize(
    "current, situation, requested, expected, refused",
    [
        ("awaiting_shipment", Situation.NOTHING, "on_hold", "on_hold", False),
        ("awaiting_shipment", Situation.PARTIAL, "on_hold", "on_hold", False),  # the rest is held
        ("on_hold", Situation.NOTHING, "awaiting_shipment", "awaiting_shipment", False),
        ("shipped", Situation.FULL, "on_hold", "shipped", True),  # not in STATUS_MOVES
        ("awaiting_shipment", Situation.PARTIAL, "shipped", "awaiting_shipment", True),  # units left to ship
        ("awaiting_shipment", Situation.FULL, "cancelled", "awaiting_shipment", True),  # contradicts the shipments
    ],
)
def test_moves_asked_for_in_outbound(current, situation, requested, expected, refused):
    decision = status_transition(current, situation, requested=requested, note="fraud check")
    assert (decision.status, decision.refused) == (expected, refused)
    if not refused:
        assert status_history_line(current, decision).endswith(": fraud check.")


def test_situation_from_the_order():
    assert shipment_situation(Shipping.NONE, "awaiting_shipment") == Situation.NOTHING
    assert shipment_situation(Shipping.NONE, "shipped") == Situation.OUTSIDE
    assert shipment_situation(Shipping.PARTIAL, "awaiting_shipment") == Situation.PARTIAL
    assert shipment_situation(Shipping.FULL, "shipped") == Situation.FULL
    assert shipment_situation(Shipping.VOIDED, "shipped") == Situation.VOIDED
