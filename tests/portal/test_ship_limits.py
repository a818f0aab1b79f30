"""The ship form and shipment_create refuse what the columns cannot hold (issue 14): a form error, not a 500
on PostgreSQL."""

from decimal import Decimal

import pytest
from django.urls import reverse

from .test_orders import _ship_data


@pytest.mark.parametrize(
    ("field", "value"), [("tracking_number", "1Z" + "9" * 98), ("service", "S" * 51), ("carrier_fee", "10000000")]
)
def test_ship_form_refuses_what_the_columns_cannot_hold(alice_client, order_a, field, value):
    # Issue 14: on PostgreSQL these were a 500 (the form allowed more than the columns hold).
    response = alice_client.post(reverse("portal:order_ship", args=[order_a.pk]), _ship_data(order_a, **{field: value}))
    assert response.status_code == 200 and not order_a.shipments.exists()
    assert response.context["form"].errors.get(field)


@pytest.mark.parametrize(
    ("field", "value"),
    [("tracking_number", "1Z" + "9" * 98), ("service", "S" * 51), ("carrier_fee", Decimal("10000000"))],
)
def test_shipment_create_refuses_what_the_columns_cannot_hold(order_a, field, value):
    from django.core.exceptions import ValidationError

    from shipments.services import shipment_create

    with pytest.raises(ValidationError) as caught:
        shipment_create(order=order_a, carrier="UPS", **{field: value})
    assert field in caught.value.message_dict and not order_a.shipments.exists()
