import pytest
from django.core.exceptions import ValidationError

from stores import statuses
from stores.forms import StatusMappingForm
from stores.models import StatusMapping


def lookup(**lists):
    return statuses.build_lookup(lists)


def test_matching_ignores_case():
    assert statuses.map_status(lookup(shipped="Shipped"), "SHIPPED") == "shipped"
    assert statuses.map_status(lookup(shipped="shipped"), "Shipped") == "shipped"


def test_status_with_a_comma_is_typed_without_it():
    table = lookup(awaiting_shipment="Approved Pending Shipping, Processing")
    assert statuses.map_status(table, "Approved, Pending Shipping") == "awaiting_shipment"
    assert statuses.map_status(table, "Processing") == "awaiting_shipment"


def test_white_space_is_collapsed_on_both_sides():
    table = lookup(on_hold="  On    Hold ,Pending  Review")
    assert statuses.map_status(table, "on hold") == "on_hold"
    assert statuses.map_status(table, " Pending\tReview ") == "on_hold"


def test_unknown_status_maps_to_none():
    assert statuses.map_status(lookup(shipped="Shipped"), "Gift Wrap Queue") is None
    assert statuses.map_status(lookup(shipped="Shipped"), "") is None


def test_empty_items_in_a_list_are_ignored():
    assert statuses.parse_status_list("Shipped,, ,Completed,") == ["shipped", "completed"]


@pytest.mark.django_db
def test_defaults_are_americommerce_statuses(store_a):
    mapping = store_a.status_mapping
    assert mapping.map("Pending Processing") == "awaiting_shipment"
    assert mapping.map("Shipped") == "shipped"
    assert mapping.map("Cancelled") == "cancelled"
    assert mapping.map("On Hold") == "on_hold"
    assert mapping.map("Pending Payment") == "awaiting_payment"
    assert all(mapping.lists().values())


def test_a_status_in_two_lists_is_refused_with_a_clear_message():
    form = StatusMappingForm(data={**statuses.DEFAULT_MAPPING, "on_hold": "On Hold, shipped"}, instance=StatusMapping())
    assert not form.is_valid()
    message = " ".join(form.errors["on_hold"])
    assert "“shipped” is in both Shipped and On Hold" in message
    assert "one list only" in message


def test_conflict_detected_across_case_and_commas():
    conflicts = statuses.find_conflicts(
        {"awaiting_shipment": "Approved Pending Shipping", "on_hold": "APPROVED  pending shipping"}
    )
    assert conflicts == {"approved pending shipping": ["awaiting_shipment", "on_hold"]}


@pytest.mark.django_db
def test_add_status_appends_the_typed_form(store_a):
    mapping = store_a.status_mapping
    mapping.add_status("awaiting_shipment", "Approved, Pending Shipping")
    assert mapping.awaiting_shipment.endswith(", Approved Pending Shipping")
    assert mapping.map("APPROVED, PENDING SHIPPING") == "awaiting_shipment"


@pytest.mark.django_db
def test_add_status_refuses_a_status_already_mapped_elsewhere(store_a):
    with pytest.raises(ValidationError):
        store_a.status_mapping.add_status("on_hold", "Shipped")


def test_a_mapping_is_proposed_from_the_statuses_a_store_lists():
    # Issue 25 item 13: names first (case-insensitively, commas removed), then the store's own flags.
    from stores.connector.types import StoreStatus
    from stores.statuses import DEFAULT_MAPPING, propose_mapping

    listed = [
        StoreStatus("new", is_open=True),
        StoreStatus("Approved, Pending Shipping", is_open=True),
        StoreStatus("awaiting shipment"),
        StoreStatus("Completed, Shipped", is_open=False, is_shipped=True),
        StoreStatus("Voided by bank", is_open=False, is_cancelled=True),
        StoreStatus("Archived", is_open=False, is_shipped=False, is_cancelled=False),
        StoreStatus("ON HOLD", is_open=True),
    ]
    lists, left_out = propose_mapping(listed, DEFAULT_MAPPING)
    assert lists == {
        "awaiting_payment": "",
        "awaiting_shipment": "new, Approved Pending Shipping, awaiting shipment",
        "shipped": "Completed Shipped",
        "cancelled": "Voided by bank",
        "on_hold": "ON HOLD",
    }
    assert left_out == ["Archived"]


def test_line_breaks_separate_entries_like_commas():
    # The mapping fields are text boxes (a proposed list is long): a line break never joins two statuses.
    table = lookup(awaiting_shipment="New\r\nApproved Pending Shipping,\nProcessing")
    assert statuses.map_status(table, "Approved, Pending Shipping") == "awaiting_shipment"
    assert statuses.map_status(table, "New") == "awaiting_shipment"
    assert statuses.tidy_status_list("New\r\nProcessing,\n Processing") == "New, Processing"
