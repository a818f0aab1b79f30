"""A ship-from's time zone, cutoff and working days as people set them: the portal's form (check boxes; none
ticked is an error), the API (`cutoff_time` as HH:MM, `working_days` as digits), refusals in words."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from carriers.models import ShipFrom

pytestmark = pytest.mark.django_db

PLACE = {"name": "Dock", "street1": "2 Elm Street", "city": "Austin", "state": "TX", "postal_code": "78701"}


def test_the_portal_form_sets_the_hours_and_refuses_no_working_day(alice_client, tenant_a):
    url = reverse("portal:ship_from_index")
    form = {f"new-{k}": v for k, v in {**PLACE, "country": "US"}.items()}
    hours = {"new-time_zone": "America/Chicago", "new-cutoff_time": "15:30", "new-working_days_shown": "1"}
    refused = alice_client.post(url, {**form, **hours})
    assert refused.status_code == 400 and "Choose at least one working day." in refused.content.decode()
    assert alice_client.post(url, {**form, **hours, "new-working_days": ["6", "2", "4"]}).status_code == 302
    dock = ShipFrom.objects.get(tenant=tenant_a)
    assert (dock.time_zone, dock.cutoff_time, dock.working_days) == ("America/Chicago", dt.time(15, 30), "246")
    edit = alice_client.get(reverse("portal:ship_from_edit", args=[dock.pk])).content.decode()
    assert 'value="15:30"' in edit and 'value="America/Chicago" selected' in edit
    ticked = {
        m.group(1)
        for m in re.finditer(r'<input type="checkbox" name="edit-working_days" value="(\d)"[^>]*checked', edit)
    }
    assert ticked == {"2", "4", "6"}


def test_the_api_sets_and_shows_the_hours(api_a, tenant_a):
    body = {**PLACE, "time_zone": "Europe/Paris", "cutoff_time": "16:45", "working_days": "531"}
    made = api_a.post("/api/v1/ship-from/", body, format="json")
    assert made.status_code == 201, made.content
    assert (made.json()["time_zone"], made.json()["cutoff_time"], made.json()["working_days"]) == (
        "Europe/Paris",
        "16:45",
        "135",
    )
    plain = api_a.post("/api/v1/ship-from/", {**PLACE, "name": "Plain"}, format="json").json()
    assert (plain["time_zone"], plain["cutoff_time"], plain["working_days"]) == ("America/New_York", "17:00", "12345")
    for field, value in (("time_zone", "Mars/Olympus"), ("cutoff_time", "25:00"), ("working_days", "089")):
        refused = api_a.post("/api/v1/ship-from/", {**PLACE, "name": f"Bad {field}", field: value}, format="json")
        assert refused.status_code == 400 and field in refused.content.decode()
    assert ShipFrom.objects.filter(tenant=tenant_a).count() == 2
