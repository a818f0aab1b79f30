"""Order history as data: events keep a kind and parameters and are worded in the reader's language."""

from django.utils import translation

from orders.events import describe, render
from orders.models import OrderEvent
from portal.labels import event_code_label, event_text
from shipments.services import shipment_create, shipment_void
from tests.factories import make_detailed_order


def history(order, language):
    with translation.override(language):
        return [event_text(e) for e in order.events.order_by("created_at", "id")]


def test_service_events_carry_parameters_and_read_in_french(store_a, alice):
    order = make_detailed_order(store_a, number="A-1")
    line = order.lines.get(line_key="1")
    shipment = shipment_create(
        order=order, carrier="Other", service="Courier", tracking_number="T1", user=alice, lines={line.pk: 2}
    )
    shipment_void(shipment=shipment, user=alice)

    created = order.events.get(kind="shipment_created")
    assert created.params == {
        "shipment_id": shipment.pk,
        "summary": "2 × MUG-RED",
        "carrier": "Other",
        "tracking_number": "T1",
    }
    assert created.message == f"Shipment {shipment.pk} created: 2 × MUG-RED via Other T1."  # English, for the admin
    french = "\n".join(history(order, "fr"))
    assert f"Expédition {shipment.pk} créée : 2 × MUG-RED par Autre T1." in french
    assert f"Expédition {shipment.pk} annulée." in french
    assert "Statut En attente d'expédition → Expédiée : toutes les unités à expédier sont expédiées." in french
    assert (
        "Statut Expédiée → En attente d'expédition : toutes les expéditions ont été annulées ; la boutique "
        "affiche encore l’ancienne expédition et son suivi"
    ) in french
    english = "\n".join(history(order, "en"))
    assert f"Shipment {shipment.pk} voided." in english and "Annul" not in english


def test_events_stored_before_parameters_read_in_french_too(store_a):
    order = make_detailed_order(store_a, number="A-2")
    order.events.all().delete()
    old = [
        (
            "imported",
            {"store_status": "New", "status": "awaiting_shipment"},
            "Imported from the store with status “New”.",
        ),
        ("status", {"from": "awaiting_shipment", "to": "on_hold"}, "Status Awaiting Shipment → On Hold: put on hold"),
        (
            "shipment_created",
            {"shipment_id": 7, "lines": {"1": 1}},
            "Shipment 7 created: 1 × MUG-RED via DHL Express 123.",
        ),
        ("store_notified", {"shipment_id": 7, "message_id": 3}, "Store notified of shipment 7 (HTTP 200)."),
        (
            "email_sent",
            {"shipment_id": 7, "email": "shipment_confirmation"},
            "Shipment confirmation e-mailed for shipment 7: sent to jane@example.com",
        ),
        ("mystery", {}, "Something only the message says."),
    ]
    for kind, data, message in old:
        OrderEvent.objects.create(order=order, kind=kind, data=data, message=message)
    assert history(order, "fr") == [
        "Importée depuis la boutique avec le statut « New ».",
        "Statut En attente d'expédition → En suspens : mise en suspens.",
        "Expédition 7 créée : 1 × MUG-RED par DHL Express 123.",
        "Boutique informée de l'expédition 7 (HTTP 200).",
        "Courriel « Confirmation d'expédition » envoyé à jane@example.com pour l'expédition 7.",
        "Something only the message says.",  # an unknown kind: the stored words
    ]


def test_missing_parameters_fall_back_to_the_stored_message():
    event = OrderEvent(kind="shipment_voided", params={}, data={}, message="Shipment 9 voided.")
    with translation.override("fr"):
        assert render(event, label=event_code_label) == "Shipment 9 voided."
        assert describe("shipment_voided", {"shipment_id": 9}) == "Expédition 9 annulée."


def test_an_imported_line_says_what_the_rules_chose_in_the_readers_language():
    """A new order's one history line at import holds the rules' choices (orders.importing.rules), worded
    when read; a product's default preset is named as that, not as a rule."""
    params = {
        "store_status": "New",
        "status": "awaiting_shipment",
        "rules": [
            ["preset", "Small USPS", "Light Outlet"],
            ["tag_added", "gift", "Gifts"],
            ["preset_product", "Mug box", "MUG"],
        ],
    }
    assert describe("imported", params, language="en") == (
        "Imported from the store with status “New”. Shipping preset “Small USPS” chosen by rule “Light Outlet”. "
        "Tag “gift” added by rule “Gifts”. Shipping preset “Mug box”: the default of product MUG."
    )
    french = describe("imported", params, language="fr")
    assert french.startswith("Importée depuis la boutique avec le statut « New ».")
    assert "« Light Outlet »" in french and "produit MUG" in french
    skipped = {"store_status": "New", "status": "awaiting_shipment", "rules_skipped": "rule “W” tests weight"}
    assert describe("imported", skipped, language="en").endswith(
        "The automation rules skipped this order: rule “W” tests weight."
    )
