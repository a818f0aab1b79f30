"""Issue 25 item 20: one date format and one date-and-time format per page and language; the order page
showed "Dec. 7, 2026" beside "12/07/2026 3:05 a.m."."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from outbox.models import OutboxMessage, OutboxState
from shipments.models import shipment_ref
from tests.factories import make_detailed_order, make_shipment

pytestmark = pytest.mark.django_db

# Every date the page prints, numeric or with a month's name, with its time when it has one.
NUMERIC = re.compile(r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}\b")
EN_DATE = r"(?:Jan\.|Feb\.|March|April|May|June|July|Aug\.|Sept\.|Oct\.|Nov\.|Dec\.) \d{1,2}, \d{4}"
FR_DATE = r"\d{1,2} (?:janv\.|févr\.|mars|avr\.|mai|juin|juil\.|août|sept\.|oct\.|nov\.|déc\.) \d{4}"
FORMS = {
    # language: (one date, the date and time that goes with it)
    "en": (EN_DATE, EN_DATE + r", (?:\d{1,2}(?::\d{2})? [ap]\.m\.|noon|midnight)"),
    "fr": (FR_DATE, FR_DATE + r" à \d{2}:\d{2}"),
}


def _text(page: str) -> str:
    body = page.split("<main", 1)[-1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r'\s(?:datetime|value|href|action|src|id|name|for|aria-[a-z]+|data-[a-z-]+)="[^"]*"', " ", body)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_order_page_prints_one_date_and_one_date_time_format(alice_client, store_a, language):
    order = make_detailed_order(store_a, order_date=timezone.now() - dt.timedelta(days=2, hours=3))
    shipment = make_shipment(order, tracking_number="1ZDATES", ship_date=timezone.localdate())
    # A store update waiting for its next try: the page prints when.
    OutboxMessage.objects.filter(ref=shipment_ref(shipment.pk)).update(
        state=OutboxState.PENDING, attempts=1, next_attempt_at=timezone.now() + dt.timedelta(hours=1)
    )
    page = alice_client.get(
        reverse("portal:order_detail", args=[order.pk]), headers={"accept-language": language}
    ).content.decode()
    text = _text(page)
    assert not NUMERIC.findall(text), NUMERIC.findall(text)
    date, date_time = FORMS[language]
    stamps = re.findall(date_time, text)
    assert len(stamps) >= 3, text  # the order's date, its history, the store update's next try
    dates = re.findall(date, re.sub(date_time, " ", text))
    assert dates, text  # the ship date
    other = FORMS["fr" if language == "en" else "en"]
    assert not re.findall(other[0], text)
