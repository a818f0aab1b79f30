"""Issue 25 item 2: one rule for a tracking number wherever it enters (shipments/tracking_numbers.py): the
spaces and dashes carriers print are removed, anything else refused with the same words."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from shipments.models import Shipment
from shipments.tracking_numbers import tracking_number_clean
from tests.factories import make_order, make_shipment

from .test_batch import _key, _open_ship_form, _ship
from .test_csv import _upload

WORDS = "Tracking number “1Z 12,3”: only letters and digits (spaces and dashes are removed)."


def test_the_cleaner_removes_printed_spaces_and_dashes_and_refuses_the_rest():
    assert tracking_number_clean("9400 1000 0000 0000 0000 01") == "9400100000000000000001"
    assert tracking_number_clean("1Z-999-AA1\u00a001") == "1Z999AA101"
    assert tracking_number_clean("") == ""
    with pytest.raises(ValidationError) as refused:
        tracking_number_clean("1Z 12,3")
    assert refused.value.messages == [WORDS]
    with pytest.raises(ValidationError):
        tracking_number_clean("9" * 51)
    assert tracking_number_clean(" ".join(["9" * 5] * 10)) == "9" * 50  # 59 typed, 50 once cleaned


def test_the_service_stores_the_cleaned_number(store_a):
    shipment = make_shipment(make_order(store_a), tracking_number="9400 1000 0000 0000 0000 01")
    assert shipment.tracking_number == "9400100000000000000001"
    assert shipment.tracking_url.endswith("=9400100000000000000001")
    with pytest.raises(ValidationError) as refused:
        make_shipment(make_order(store_a), tracking_number="1Z 12,3")
    assert refused.value.message_dict == {"tracking_number": [WORDS]}


def _ship_data(order, tracking):
    line = order.lines.get()
    return {
        "carrier": "USPS",
        "service": "Priority",
        "tracking_number": tracking,
        "ship_date": timezone.localdate().isoformat(),
        "carrier_fee": "0",
        f"qty_{line.pk}": str(line.quantity),
    }


def test_the_single_ship_form_cleans_and_refuses_with_the_words(alice_client, store_a):
    order = make_order(store_a)
    url = reverse("portal:order_ship", args=[order.pk])
    refused = alice_client.post(url, _ship_data(order, "1Z 12,3"))
    assert refused.status_code == 200 and WORDS in refused.content.decode().replace("&ldquo;", "“")
    assert not Shipment.objects.exists()
    alice_client.post(url, _ship_data(order, "9400 1000 0000 0000 0000 01"))
    assert Shipment.objects.get().tracking_number == "9400100000000000000001"


def test_the_batch_form_and_its_paste_clean_the_same_way(alice_client, store_a):
    orders = [make_order(store_a) for _ in range(3)]
    key = _key(_open_ship_form(alice_client, orders))
    done = _ship(alice_client, orders, key, ["1Z 999 AA1", "", "1Z 12,3"], tracking_paste="9400 1000-02\n")
    assert dict(Shipment.objects.values_list("order_id", "tracking_number")) == {
        orders[0].pk: "1Z999AA1",
        orders[1].pk: "9400100002",
    }
    page = alice_client.get(done["Location"]).content.decode()
    assert "only letters and digits (spaces and dashes are removed)" in page


def test_the_batch_sees_a_spaced_and_a_plain_number_as_the_same(alice_client, store_a):
    orders = [make_order(store_a) for _ in range(2)]
    key = _key(_open_ship_form(alice_client, orders))
    _ship(alice_client, orders, key, ["1Z 999 AA1", "1Z999AA1"])
    assert Shipment.objects.count() == 1


def test_the_csv_import_cleans_the_same_way_and_a_reimport_ships_nothing(alice_client, store_a):
    make_order(store_a, number="S-1")
    make_order(store_a, number="S-2")
    content = b'order,carrier,tracking\nS-1,USPS,9400 1000 0000 0000 0000 01\nS-2,UPS,"1Z 12,3"\n'
    uploaded = _upload(alice_client, content)
    preview = alice_client.get(uploaded["Location"])
    assert preview.context["will_ship"] == 1
    assert WORDS in preview.content.decode()  # the same words as the forms and the API, the cell as typed
    alice_client.post(uploaded["Location"], {"action": "confirm"})
    assert Shipment.objects.get().tracking_number == "9400100000000000000001"
    again = _upload(alice_client, content)
    assert alice_client.get(again["Location"]).context["already"] == 1
