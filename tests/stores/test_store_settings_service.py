"""Issue 28, part 4: the store settings are written through one service (store_settings_update), whose
update has the shared shape of core.services.model_update: what changed, checked once, one save of those
columns only."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.services import model_update
from stores.models import StoreSettings
from stores.services import STORE_SETTINGS_FIELDS, store_settings_update
from tests.portal.conftest import signed_in


def _updates(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]


def test_model_update_saves_only_what_changed(store_a):
    row = StoreSettings.objects.get(store=store_a)
    with CaptureQueriesContext(connection) as queries:
        _, changed = model_update(instance=row, fields=STORE_SETTINGS_FIELDS, data={"phone": "555", "currency": ""})
    assert changed == ["phone"]  # the currency was "" already
    [update] = _updates(queries)
    assert '"phone"' in update and '"updated_at"' in update and '"company_name"' not in update
    with CaptureQueriesContext(connection) as queries:
        assert model_update(instance=row, fields=STORE_SETTINGS_FIELDS, data={"phone": "555"})[1] == []
    assert len(queries) == 0


def test_model_update_refuses_a_field_the_service_does_not_offer_and_a_bad_value(store_a):
    row = StoreSettings.objects.get(store=store_a)
    with pytest.raises(TypeError, match="store"):
        model_update(instance=row, fields=STORE_SETTINGS_FIELDS, data={"store": None})
    with pytest.raises(ValidationError) as refused:
        store_settings_update(store=store_a, accent_colour="red", phone="555")
    assert "accent_colour" in refused.value.message_dict
    assert StoreSettings.objects.get(store=store_a).phone == ""  # nothing of a refused update is saved


def test_a_store_without_settings_gets_them_on_first_edit(store_a):
    StoreSettings.objects.filter(store=store_a).delete()
    saved = store_settings_update(store=store_a, send_delivery_notice=False)
    assert saved.company_name == store_a.name and not saved.send_delivery_notice


def test_a_portal_section_saves_through_the_service(alice, store_a, monkeypatch):
    import portal.views.stores as views

    calls = []
    real = views.store_settings_update
    monkeypatch.setattr(views, "store_settings_update", lambda **kw: calls.append(kw) or real(**kw))
    client = signed_in(alice)
    data = {f"notifications-{name}": "on" for name in ("send_shipment_confirmation", "send_out_for_delivery")}
    client.post(reverse("portal:store_settings", args=[store_a.pk]), {"section": "notifications", **data})
    row = StoreSettings.objects.get(store=store_a)
    assert row.send_out_for_delivery and not row.send_delivery_notice
    assert [sorted(call) for call in calls] == [
        [
            "buyer_language",
            "copy_to_merchant",
            "send_delivery_notice",
            "send_estimated_delivery",
            "send_out_for_delivery",
            "send_shipment_confirmation",
            "store",
        ]
    ]
