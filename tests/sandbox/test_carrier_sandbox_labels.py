"""Issue 29 part 9: the carrier sandbox sells. karrio's real UPS, USPS and FedEx connectors rate, buy, void
and track against it over loopback HTTP; its truth is what was "paid"; its faults behave."""

from __future__ import annotations

import base64
import functools
import importlib
import io
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from sandbox.carriers import run_carrier_sandbox
from sandbox.carriers.server import CLIENT_ID, CLIENT_SECRET

from .code128 import decode_image

CARRIERS = ("ups", "usps", "fedex")
GROUND = {"ups": "ups_ground", "usps": "usps_ground_advantage", "fedex": "fedex_ground"}
GROUND_CODE = {"ups": "03", "usps": "USPS_GROUND_ADVANTAGE", "fedex": "FEDEX_GROUND"}
SERVICES = {
    "ups": {"ups_ground", "ups_2nd_day_air", "ups_next_day_air"},
    "usps": {"usps_ground_advantage", "usps_priority_mail", "usps_priority_mail_express"},
    "fedex": {"fedex_ground", "fedex_2_day", "fedex_standard_overnight"},
}
NUMBER_FORMAT = {"ups": r"1Z[A-Z0-9]{16}", "usps": r"94\d{20}", "fedex": r"\d{12}"}
SHIPPER = {
    "person_name": "Outbound Shop",
    "company_name": "Outbound Shop Inc",
    "address_line1": "2 Elm Street",
    "city": "Austin",
    "state_code": "TX",
    "postal_code": "78701",
    "country_code": "US",
    "phone_number": "5125550100",
}
RECIPIENT = {
    "person_name": "Jane Doe",
    "address_line1": "1 Main Street",
    "city": "Chicago",
    "state_code": "IL",
    "postal_code": "60614",
    "country_code": "US",
    "phone_number": "3125550100",
}
PARCEL = {"weight": 2.5, "weight_unit": "LB", "length": 10, "width": 8, "height": 4, "dimension_unit": "IN"}


def _quiet_karrio() -> None:
    from loguru import logger

    logger.disable("karrio")


@functools.cache
def _settings_class(extension: str):
    """karrio's Settings of the extension, its `server_url` the sandbox's (the extensions hard-code theirs)."""
    import attr

    base = importlib.import_module(f"karrio.mappers.{extension}.settings").Settings

    @attr.s(auto_attribs=True)
    class SandboxSettings(base):
        sandbox_url: str = None

        @property
        def server_url(self):
            return self.sandbox_url

    return SandboxSettings


def gateway(extension: str, url: str, secret: str = CLIENT_SECRET):
    import karrio.lib as lib
    import karrio.sdk as sdk

    _quiet_karrio()
    if extension == "fedex":
        creds = {
            "api_key": CLIENT_ID,
            "secret_key": secret,
            "track_api_key": CLIENT_ID,
            "track_secret_key": secret,
        }
    else:
        creds = {"client_id": CLIENT_ID, "client_secret": secret}
    settings = _settings_class(extension)(**creds, account_number="ACCT-7", test_mode=True, sandbox_url=url)
    return sdk.gateway[extension].create(settings, cache=lib.Cache())


@pytest.fixture
def sandbox(carrier_sandbox):
    return carrier_sandbox  # (this module's sandbox is the carrier one, not the store)


@pytest.fixture
def gateways(sandbox):
    return {carrier: gateway(carrier, sandbox.base_url) for carrier in CARRIERS}


def rate(gateways, *carriers, recipient=RECIPIENT, parcel=PARCEL):
    import karrio.sdk as sdk
    from karrio.core.models import RateRequest

    request = RateRequest(shipper=SHIPPER, recipient=recipient, parcels=[parcel])
    return sdk.Rating.fetch(request).from_(*(gateways[c] for c in carriers or CARRIERS)).parse()


def buy(
    gateways, carrier, *, service=None, label_type="PDF", reference="ORDER-1001", recipient=RECIPIENT, parcel=PARCEL
):
    import karrio.sdk as sdk
    from karrio.core.models import ShipmentRequest

    request = ShipmentRequest(
        shipper=SHIPPER,
        recipient=recipient,
        parcels=[parcel],
        service=service or GROUND[carrier],
        label_type=label_type,
        reference=reference,
        payment={"paid_by": "sender"},  # karrio-fedex reads it without a default
    )
    return sdk.Shipment.create(request).from_(gateways[carrier]).parse()


def void(gateways, carrier, number):
    import karrio.sdk as sdk
    from karrio.core.models import ShipmentCancelRequest

    return sdk.Shipment.cancel(ShipmentCancelRequest(shipment_identifier=number)).from_(gateways[carrier]).parse()


def track(gateways, carrier, number):
    import karrio.sdk as sdk
    from karrio.core.models import TrackingRequest

    return sdk.Tracking.fetch(TrackingRequest(tracking_numbers=[number])).from_(gateways[carrier]).parse()


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        return json.load(response)


def post_json(url: str, payload: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


# --- rating -------------------------------------------------------------------------------------------------
def test_rates_of_three_carriers_at_once_from_the_price_tables(sandbox, gateways):
    rates, messages = rate(gateways)
    assert messages == []
    by_carrier = {c: {r.service: r for r in rates if r.carrier_name == c} for c in CARRIERS}
    for carrier in CARRIERS:
        assert set(by_carrier[carrier]) == SERVICES[carrier]
        for detail in by_carrier[carrier].values():
            assert detail.currency == "USD" and detail.total_charge > 0 and detail.transit_days >= 1
    ground, overnight = by_carrier["ups"]["ups_ground"], by_carrier["ups"]["ups_next_day_air"]
    assert ground.total_charge < overnight.total_charge and overnight.transit_days == 1
    # 2.5 lb is billed as 3 lb; Austin 787 → Chicago 606 is zone 3: the table's own figures.
    assert ground.total_charge == round(11.02 + 2 * 0.95, 2)
    assert by_carrier["usps"]["usps_priority_mail"].total_charge == round(9.80 + 2 * 1.32, 2)
    assert by_carrier["fedex"]["fedex_2_day"].total_charge == round(24.10 + 2 * 2.84, 2)
    assert by_carrier["fedex"]["fedex_2_day"].transit_days == 2  # karrio counts it from the commit date
    # Deterministic: the same request, the same prices; a heavier parcel or a farther ship-to costs more.
    again, _ = rate(gateways)
    assert [(r.service, r.total_charge) for r in again] == [(r.service, r.total_charge) for r in rates]
    heavier, _ = rate(gateways, "ups", parcel={**PARCEL, "weight": 7})
    farther, _ = rate(gateways, "ups", recipient={**RECIPIENT, "postal_code": "10001", "city": "New York"})
    cost = {r.service: r.total_charge for r in rates if r.carrier_name == "ups"}
    assert all(r.total_charge > cost[r.service] for r in heavier + farther)
    assert sandbox.rate_requests("ups") == 4 and sandbox.rate_requests("usps") == 2
    assert sandbox.rate_requests("fedex") == 2 and sandbox.labels_sold() == []


def test_a_failing_carrier_shows_its_error_beside_the_others_rates(sandbox, gateways):
    sandbox.set_faults("rate", "fedex", error_rate=1.0)
    rates, messages = rate(gateways)
    assert {r.carrier_name for r in rates} == {"ups", "usps"} and len(rates) == 6
    assert [(m.carrier_name, m.code) for m in messages] == [("fedex", "SERVICE.UNAVAILABLE.ERROR")]
    assert "busy" in messages[0].message
    sandbox.set_faults("rate", "fedex")  # cleared
    rates, messages = rate(gateways, "fedex")
    assert len(rates) == 3 and messages == []


@pytest.mark.parametrize("ship_to", [{"postal_code": "00000"}, {"address_line2": "UNDELIVERABLE"}])
def test_an_address_the_carrier_refuses(sandbox, gateways, ship_to):
    recipient = {**RECIPIENT, **ship_to}
    rates, messages = rate(gateways, recipient=recipient)
    # USPS prices by ZIP Code alone: the marker in an address line is refused only when the label is bought.
    assert {r.carrier_name for r in rates} == (set() if "postal_code" in ship_to else {"usps"})
    # karrio-usps reads its rate errors off the list of answers and finds none: USPS says nothing here.
    assert {m.carrier_name: m.code for m in messages} == {"ups": "120202", "fedex": "RECIPIENT.POSTALCODE.INVALID"}
    for carrier, code in (("ups", "120202"), ("usps", "010005"), ("fedex", "RECIPIENT.POSTALCODE.INVALID")):
        shipment, messages = buy(gateways, carrier, recipient=recipient)
        assert shipment is None and [m.code for m in messages] == [code]
        assert "not valid" in messages[0].message
    assert sandbox.labels_sold() == []


def test_refused_credentials_in_each_carrier_s_words(sandbox):
    wrong = {carrier: gateway(carrier, sandbox.base_url, secret="not-the-secret") for carrier in CARRIERS}
    rates, messages = rate(wrong)
    assert rates == []
    assert {m.carrier_name: m.code for m in messages} == {
        "ups": "250003",
        "usps": "invalid_client",
        "fedex": "NOT.AUTHORIZED.ERROR",
    }
    assert sandbox.rate_requests() == 0  # refused at the token: no rate was asked


# --- buying -------------------------------------------------------------------------------------------------
def _pdf_page(data: bytes):
    import pypdf
    import pypdfium2

    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    text = reader.pages[0].extract_text()
    image = pypdfium2.PdfDocument(data)[0].render(scale=4).to_pil()
    return (round(float(box.width)), round(float(box.height))), text, image


@pytest.mark.parametrize("carrier", CARRIERS)
def test_a_label_bought_is_a_4x6_pdf_with_the_number_as_barcode(sandbox, gateways, carrier):
    quoted = {r.service: r.total_charge for r in rate(gateways, carrier)[0]}
    shipment, messages = buy(gateways, carrier)
    assert messages == []
    number = shipment.tracking_number
    assert re.fullmatch(NUMBER_FORMAT[carrier], number), number
    assert shipment.label_type == "PDF"
    data = base64.b64decode(shipment.docs.label)
    assert data.startswith(b"%PDF")
    size, text, image = _pdf_page(data)
    assert size == (288, 432)  # 4 × 6 in
    assert decode_image(image) == number
    if carrier != "ups":  # UPS sends an image of its label; karrio wraps it into a PDF (no text layer)
        assert number in text and "ORDER-1001" in text and "Jane Doe" in text
    [sold] = sandbox.labels_sold()
    assert (sold.carrier, sold.tracking_number, sold.service) == (carrier, number, GROUND_CODE[carrier])
    assert sold.price == quoted[GROUND[carrier]] and sold.currency == "USD"
    assert (sold.reference, sold.client_id, sold.voided, sold.answer_lost) == ("ORDER-1001", CLIENT_ID, False, False)
    assert sold.label_format == ("PNG" if carrier == "ups" else "PDF")
    if carrier == "usps":  # USPS gives the postage back; karrio keeps it as the selected rate
        assert shipment.selected_rate.total_charge == sold.price


@pytest.mark.parametrize("carrier", CARRIERS)
def test_zpl_when_the_request_asks_for_it(sandbox, gateways, carrier):
    shipment, messages = buy(gateways, carrier, label_type="ZPL")
    assert messages == []
    zpl = base64.b64decode(shipment.docs.label).decode()
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    assert f"^BCN,220,N,N,N^FD{shipment.tracking_number}^FS" in zpl
    assert sandbox.labels_sold()[0].label_format == "ZPL"


def test_the_sold_label_s_service_and_account(sandbox, gateways):
    shipment, _ = buy(gateways, "fedex", service="fedex_standard_overnight")
    [sold] = sandbox.labels_sold("fedex")
    assert (sold.service, sold.service_name, sold.account_number) == (
        "STANDARD_OVERNIGHT",
        "FedEx Standard Overnight",
        "ACCT-7",
    )
    buy(gateways, "ups", service="ups_2nd_day_air")
    assert sandbox.labels_sold("ups")[0].service == "02"
    shipment, _ = buy(gateways, "usps", service="usps_priority_mail_express")
    assert shipment.tracking_number.startswith("9470")


# --- voiding ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("carrier", CARRIERS)
def test_void_refunds_a_label_and_refuses_a_scanned_or_unknown_one(sandbox, gateways, carrier):
    first, _ = buy(gateways, carrier, reference="ORDER-1")
    confirmation, messages = void(gateways, carrier, first.tracking_number)
    assert confirmation.success and messages == []
    [sold] = sandbox.labels_sold()
    assert (sold.voided, sold.refund_status, sold.refund_amount) == (True, "refunded", sold.price)
    assert sandbox.labels_sold(live_only=True) == []

    confirmation, messages = void(gateways, carrier, first.tracking_number)
    assert confirmation is None and "already" in messages[0].message

    second, _ = buy(gateways, carrier, reference="ORDER-2")
    sandbox.advance(4)  # the origin scan
    confirmation, messages = void(gateways, carrier, second.tracking_number)
    assert confirmation is None and "scanned" in messages[0].message
    assert not sandbox.labels_sold()[1].voided

    unknown = {"ups": "1ZSBX0010399999990", "usps": "9400199999999999999990", "fedex": "799999999990"}[carrier]
    confirmation, messages = void(gateways, carrier, unknown)
    assert confirmation is None and unknown in messages[0].message
    outcomes = [(v.tracking_number, v.outcome) for v in sandbox.voids()]
    assert outcomes == [
        (first.tracking_number, "voided"),
        (first.tracking_number, "refused_voided"),
        (second.tracking_number, "refused_scanned"),
        (unknown, "unknown"),
    ]


# --- tracking -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("carrier", CARRIERS)
def test_tracking_follows_a_sold_number_to_delivered(sandbox, gateways, carrier):
    shipment, _ = buy(gateways, carrier)
    number = shipment.tracking_number
    [details], messages = track(gateways, carrier, number)
    assert messages == [] and details.tracking_number == number and not details.delivered
    sandbox.advance(20)
    [details], _ = track(gateways, carrier, number)
    assert details.status == "in_transit" and len(details.events) == 3
    sandbox.advance(30)
    [details], _ = track(gateways, carrier, number)
    assert details.delivered and details.status == "delivered" and len(details.events) == 6


def test_a_voided_label_never_moves_and_a_marked_ship_to_has_its_story(sandbox, gateways):
    voided, _ = buy(gateways, "fedex")
    void(gateways, "fedex", voided.tracking_number)
    returned, _ = buy(gateways, "fedex", recipient={**RECIPIENT, "address_line2": "#RTS"})
    sandbox.advance(80)
    [details], _ = track(gateways, "fedex", voided.tracking_number)
    assert len(details.events) == 1 and not details.delivered
    [details], _ = track(gateways, "fedex", returned.tracking_number)
    assert details.status == "return_to_sender" and not details.delivered


# --- the truth ----------------------------------------------------------------------------------------------
def test_the_truth_over_http(sandbox, gateways):
    for carrier in CARRIERS:
        buy(gateways, carrier, reference=f"REF-{carrier}")
    number = sandbox.labels_sold("usps")[0].tracking_number
    void(gateways, "usps", number)
    rate(gateways, "ups")
    truth = get_json(f"{sandbox.base_url}/_sandbox/truth")
    assert [(label["carrier"], label["reference"]) for label in truth["labels"]] == [
        ("ups", "REF-ups"),
        ("usps", "REF-usps"),
        ("fedex", "REF-fedex"),
    ]
    assert truth["totals"]["labels_sold"] == 3 and truth["totals"]["labels_live"] == 2
    prices = {label["carrier"]: label["price"] for label in truth["labels"]}
    assert truth["totals"]["spent"] == round(prices["ups"] + prices["fedex"], 2)
    assert truth["totals"]["refunded"] == prices["usps"]
    assert truth["voids"][0]["tracking_number"] == number and truth["voids"][0]["outcome"] == "voided"
    assert truth["rate_requests"] == {"ups": 1} and truth["calls"]["fedex.ship"] == 1
    found = get_json(f"{sandbox.base_url}/_sandbox/truth?reference=REF-fedex")
    assert [label["carrier"] for label in found["labels"]] == ["fedex"]
    assert [label.carrier for label in sandbox.label_by_reference("REF-ups")] == ["ups"]


# --- faults and latency -------------------------------------------------------------------------------------
@pytest.mark.parametrize("carrier", CARRIERS)
def test_a_500_on_shipping_sells_nothing(sandbox, gateways, carrier):
    sandbox.set_faults("ship", error_rate=1.0)
    shipment, messages = buy(gateways, carrier)
    assert shipment is None and messages and "busy" in messages[0].message
    assert sandbox.labels_sold() == [] and sandbox.calls(carrier, "ship") == 1


@pytest.mark.parametrize("carrier", CARRIERS)
def test_a_lost_answer_is_a_label_sold_all_the_same(sandbox, gateways, carrier):
    sandbox.set_faults("ship", carrier, lose_rate=1.0)
    shipment, messages = buy(gateways, carrier, reference="ORDER-LOST")
    # karrio turns the dropped connection into a message, never an exception.
    assert shipment is None
    assert [(m.code, m.message) for m in messages] == [
        ("SHIPPING_SDK_INTERNAL_ERROR", "Remote end closed connection without response")
    ]
    [sold] = sandbox.labels_sold()
    assert sold.answer_lost and sold.reference == "ORDER-LOST" and not sold.voided
    assert sandbox.label_by_reference("ORDER-LOST") == [sold]
    sandbox.set_faults("ship", carrier)
    again, _ = buy(gateways, carrier, reference="ORDER-LOST")  # a blind retry pays a second time
    assert len(sandbox.label_by_reference("ORDER-LOST")) == 2 and again.tracking_number != sold.tracking_number


def _token(sandbox, carrier: str) -> str:
    if carrier == "ups":
        pair = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        request = urllib.request.Request(
            f"{sandbox.base_url}/security/v1/oauth/token",
            data=b"grant_type=client_credentials",
            headers={"Authorization": f"Basic {pair}"},
        )
    else:
        form = f"grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}"
        request = urllib.request.Request(f"{sandbox.base_url}/oauth/token", data=form.encode())
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return json.load(response)["access_token"]


def test_a_lost_label_is_found_by_the_carrier_s_reference_tracking(sandbox, gateways):
    """UPS and FedEx track by reference (APIs karrio does not call); USPS cannot: there, only the truth."""
    sandbox.set_faults("ship", lose_rate=1.0)
    buy(gateways, "fedex", reference="ORDER-77")
    buy(gateways, "ups", reference="ORDER-77", parcel={**PARCEL, "reference_number": "ORDER-77"})
    buy(gateways, "usps", reference="ORDER-77")
    fedex_label, ups_label, usps_label = sandbox.labels_sold()
    assert all(label.answer_lost for label in (fedex_label, ups_label, usps_label))

    query = {"referencesInformation": {"type": "CUSTOMER_REFERENCE", "value": "ORDER-77"}}
    request = urllib.request.Request(
        f"{sandbox.base_url}/track/v1/referencenumbers",
        data=json.dumps(query).encode(),
        headers={"Authorization": f"Bearer {_token(sandbox, 'fedex')}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        found = json.load(response)["output"]["completeTrackResults"]
    assert [r["trackingNumber"] for r in found] == [fedex_label.tracking_number]

    request = urllib.request.Request(
        f"{sandbox.base_url}/api/track/v1/reference/details/ORDER-77",
        headers={"Authorization": f"Bearer {_token(sandbox, 'ups')}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        packages = json.load(response)["trackResponse"]["shipment"][0]["package"]
    assert [p["trackingNumber"] for p in packages] == [ups_label.tracking_number]
    # Without the parcel's reference_number, karrio-ups puts a US→US reference only in CustomerContext,
    # which UPS does not index.
    sandbox.set_faults("ship")
    buy(gateways, "ups", reference="ORDER-78")
    request = urllib.request.Request(
        f"{sandbox.base_url}/api/track/v1/reference/details/ORDER-78",
        headers={"Authorization": f"Bearer {_token(sandbox, 'ups')}"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310 - loopback
    assert refused.value.code == 404
    assert [label.carrier for label in sandbox.label_by_reference("ORDER-77")] == ["fedex", "ups", "usps"]


def _failures(seed: int, calls: int = 100) -> list[bool]:
    server = run_carrier_sandbox(latency=0)
    try:
        server.set_faults("rate", "ups", error_rate=0.2, seed=seed)
        gateways = {"ups": gateway("ups", server.base_url)}
        return [bool(rate(gateways, "ups")[1]) for _ in range(calls)]
    finally:
        server.stop()


def test_a_share_of_calls_fails_the_same_way_with_the_same_seed():
    first = _failures(seed=7)
    assert 10 <= sum(first) <= 30  # 20 % of 100, roughly
    assert _failures(seed=7) == first
    assert _failures(seed=8) != first


def test_a_timeout_hangs_past_the_client_s_deadline_and_sells_later(sandbox, gateways):
    """The client gives up (karrio's urlopen without a timeout gets one from the process's opener, as
    Outbound installs it); the slow carrier still sells the label."""

    class Deadline(urllib.request.HTTPHandler):
        def http_open(self, req):
            req.timeout = 0.5 if req.timeout is None else req.timeout
            return super().http_open(req)

    sandbox.set_faults("ship", "ups", timeout_rate=1.0, delay=1.5)
    urllib.request.install_opener(urllib.request.build_opener(Deadline))
    try:
        shipment, messages = buy(gateways, "ups")
    finally:
        urllib.request.install_opener(None)
    assert shipment is None and "timed out" in messages[0].message
    for _ in range(200):  # until the slow carrier has finished (a condition, not a pause)
        if sandbox.labels_sold():
            break
        time.sleep(0.05)
    assert len(sandbox.labels_sold("ups")) == 1 and not sandbox.labels_sold()[0].answer_lost


def test_latency_defaults_and_is_used_per_operation(gateways):
    server = run_carrier_sandbox()
    try:
        assert server.latency == {"token": 0.0, "rate": 0.3, "ship": 0.3, "void": 0.3, "track": 0.0, "manifest": 0.0}
        waits: list[float] = []
        server.sleep = waits.append  # the waits it makes, not the time they take
        ups = {"ups": gateway("ups", server.base_url)}
        rate(ups, "ups")
        shipment, _ = buy(ups, "ups")
        track(ups, "ups", shipment.tracking_number)
        void(ups, "ups", shipment.tracking_number)
        assert waits == [0.3, 0.3, 0.3]  # rate, ship, void; no wait for the token or tracking
        status, answer = post_json(f"{server.base_url}/_sandbox/latency", {"seconds": 0.05, "track": 0.01})
        assert status == 200 and answer["latency"]["ship"] == 0.05 and answer["latency"]["track"] == 0.01
        waits.clear()
        rate(ups, "ups")
        track(ups, "ups", shipment.tracking_number)
        assert waits == [0.05, 0.01]
    finally:
        server.stop()


def test_faults_over_the_control_endpoint(sandbox, gateways):
    status, answer = post_json(
        f"{sandbox.base_url}/_sandbox/faults", {"operation": "ship", "carrier": "usps", "lose_rate": 1, "seed": 3}
    )
    assert status == 200 and answer["faults"]["lose_rate"] == 1
    shipment, _ = buy(gateways, "usps")
    assert shipment is None and sandbox.labels_sold()[0].answer_lost
    status, answer = post_json(f"{sandbox.base_url}/_sandbox/faults", {"operation": "sell"})
    assert status == 400 and "sell" in answer["error"]
    status, _ = post_json(f"{sandbox.base_url}/_sandbox/faults", {"operation": "ship", "carrier": "usps"})
    assert status == 200
    shipment, _ = buy(gateways, "usps")
    assert shipment is not None and len(sandbox.labels_sold()) == 2


def test_the_command_line_starts_it_with_its_truth():
    process = subprocess.Popen(  # noqa: S603 - our own module
        [sys.executable, "-m", "sandbox.carriers", "--port", "0", "--latency", "0", "--seed", "5"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        url = re.search(r"(http://\S+)", line).group(1)
        assert f"client_id={CLIENT_ID}" in line
        ups = {"ups": gateway("ups", url)}
        shipment, _ = buy(ups, "ups")
        truth = get_json(f"{url}/_sandbox/truth")
        assert [label["tracking_number"] for label in truth["labels"]] == [shipment.tracking_number]
    finally:
        process.terminate()
        process.wait(timeout=10)
