"""What an order allows (orders.actions.order_actions), table-driven: status × what is shipped × who asks.

Pure: the orders here are plain objects, nothing is read from a database. Each row reads
`status shipping left override disconnected | ship hold release`, where `left` is the units left to ship
per line ("-" = no lines given, "0,0" = two lines, both shipped), `ship` is the refusal code ("ok" = it
may ship; "ok*" = only because an operator overrides), `hold` and `release` are y/n.
"""

from types import SimpleNamespace

import pytest
from django.utils import translation

from orders.actions import SHIP_REFUSALS, order_actions
from orders.models import OrderStatus, Shipping

STATUS = {
    "AP": OrderStatus.AWAITING_PAYMENT,
    "AS": OrderStatus.AWAITING_SHIPMENT,
    "OH": OrderStatus.ON_HOLD,
    "SH": OrderStatus.SHIPPED,
    "CA": OrderStatus.CANCELLED,
}
SHIPPING = {"none": Shipping.NONE, "part": Shipping.PARTIAL, "full": Shipping.FULL, "void": Shipping.VOIDED}

TABLE = """
AS none -    . . | ok               y n
AS none 2,1  . . | ok               y n
AS part 0,1  . . | ok               y n
AS void 2,1  . . | ok               y n
AS none 0,0  . . | nothing_to_ship  y n
AS none ()   . . | nothing_to_ship  y n
AS full -    . . | already_shipped  y n
AP none 2,1  . . | awaiting_payment y n
AP none 2,1  o . | ok*              y n
OH none 2,1  . . | on_hold          n y
OH none 2,1  o . | ok*              n y
OH part 0,1  . . | on_hold          n y
CA none 2,1  . . | cancelled        n n
CA none 2,1  o . | ok*              n n
CA full 0,0  o . | cancelled        n n
SH full 0,0  . . | already_shipped  n n
SH full -    . . | already_shipped  n n
SH full 0,0  o . | already_shipped  n n
SH none 2,1  . . | already_shipped  n n
SH none 2,1  o . | ok*              n n
AS none 2,1  . d | store_disconnected n n
OH none 2,1  o d | store_disconnected n n
"""


def _rows():
    for text in TABLE.strip().splitlines():
        given, expected = text.split("|")
        status, shipping, left, override, disconnected = given.split()
        ship, hold, release = expected.split()
        yield pytest.param(status, shipping, left, override == "o", disconnected == "d", ship, hold, release, id=text)


def _lines(left: str):
    """Order lines with `left` units still to ship each (shipped: 5 less that), plus one that never ships."""
    if left == "-":
        return None, None
    counts = [int(n) for n in left.strip("()").split(",") if n]
    lines = [SimpleNamespace(pk=i, quantity=5, is_shippable=True, is_adjustment=False) for i in range(len(counts))]
    lines.append(SimpleNamespace(pk=99, quantity=1, is_shippable=False, is_adjustment=False))  # an e-product
    return lines, {i: 5 - n for i, n in enumerate(counts)}


@pytest.mark.parametrize("status, shipping, left, override, disconnected, ship, hold, release", list(_rows()))
def test_what_an_order_allows(status, shipping, left, override, disconnected, ship, hold, release):
    order = SimpleNamespace(number="1001", status=STATUS[status], shipping=SHIPPING[shipping])
    lines, shipped = _lines(left)
    actions = order_actions(order, lines=lines, shipped=shipped, override=override, disconnected=disconnected)
    assert (actions.can_ship, actions.overridden) == (ship.startswith("ok"), ship == "ok*")
    assert actions.ship_refusal == ("" if ship == "ok" else actions.ship_refusal)
    if not ship.startswith("ok"):
        assert actions.ship_refusal == ship
        assert actions.ship_why_not == str(SHIP_REFUSALS[ship]) % {"number": "1001"}
    assert (actions.can_hold, actions.can_release) == (hold == "y", release == "y")
    if lines is not None:
        assert actions.left == {i: int(n) for i, n in enumerate(n for n in left.strip("()").split(",") if n)}


def test_what_is_left_to_ship_counts_only_shippable_lines():
    order = SimpleNamespace(number="7", status=OrderStatus.AWAITING_SHIPMENT, shipping=Shipping.PARTIAL)
    lines = [
        SimpleNamespace(pk=1, quantity=3, is_shippable=True, is_adjustment=False),
        SimpleNamespace(pk=2, quantity=1, is_shippable=False, is_adjustment=False),
        SimpleNamespace(pk=3, quantity=1, is_shippable=True, is_adjustment=True),
    ]
    actions = order_actions(order, lines=lines, shipped={1: 4}, disconnected=False)  # more than ordered: 0 left
    assert actions.left == {1: 0} and actions.left_total == 0 and actions.ship_refusal == "nothing_to_ship"


@pytest.mark.parametrize(
    "state, disconnected, voidable, words",
    [
        ("shipped", False, True, ""),
        ("delivered", False, True, ""),
        ("voided", False, False, "Shipment 5 is already voided."),
        ("shipped", True, False, "Order 1001 cannot be changed: its store is disconnected"),
    ],
)
def test_which_shipments_may_be_voided(state, disconnected, voidable, words):
    order = SimpleNamespace(number="1001", status=OrderStatus.AWAITING_SHIPMENT, shipping=Shipping.PARTIAL)
    actions = order_actions(order, shipments=[SimpleNamespace(pk=5, state=state)], disconnected=disconnected)
    assert actions.can_void(5) is voidable and actions.voidable == ({5} if voidable else set())
    assert actions.void_why_not(5).startswith(words)
    assert not actions.can_void(6) and "not on this order" in actions.void_why_not(6)


def test_the_words_are_in_the_readers_language():
    order = SimpleNamespace(number="1001", status=OrderStatus.ON_HOLD, shipping=Shipping.NONE)
    with translation.override("fr"):
        assert order_actions(order, disconnected=False).ship_why_not == (
            "La commande 1001 ne peut pas être expédiée : elle est en suspens."
        )
