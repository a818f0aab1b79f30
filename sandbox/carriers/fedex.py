"""FedEx's face (the REST APIs), as karrio-fedex calls it.

    POST /oauth/token                    OAuth (form grant_type, client_id, client_secret); karrio asks one
                                         token for rate/ship/cancel (api_key, secret_key) and one for
                                         tracking (track_api_key, track_secret_key): both are the sandbox's
                                         client id and secret
    POST /rate/v1/rates/quotes           output.rateReplyDetails[] (commitDate gives karrio the days)
    POST /ship/v1/shipments              output.transactionShipments[0]: the label as base64 PDF or ZPLII
    PUT  /ship/v1/shipments/cancel       output.cancelledShipment
    POST /track/v1/trackingnumbers       output.completeTrackResults[]
    POST /track/v1/trackingdocuments     proof of delivery: not kept by the sandbox (an error karrio ignores)
    POST /track/v1/referencenumbers      Track by References (karrio does not call it): the shipments sold
                                         with this CUSTOMER_REFERENCE ({"referencesInformation": {"value"}})

Errors in FedEx's shape: {"transactionId", "errors": [{"code", "message"}]}.
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, date, datetime

from . import pricing
from .base import Call, Reply, as_list, business_days_after, dig, garbled

CARRIER = "fedex"

# FedEx scan event type per stage, read by karrio-fedex's TrackingStatus.
FEDEX_STATUS = {
    "label": ("OC", "Shipment information sent to FedEx"),
    "in_transit": ("IT", "In transit"),
    "out_for_delivery": ("OD", "On FedEx vehicle for delivery"),
    "delivered": ("DL", "Delivered"),
    "exception": ("DE", "Delivery exception"),
    "returned": ("RS", "Returning package to shipper"),
}
TRANSIT_TIME = {1: "ONE_DAY", 2: "TWO_DAYS", 3: "THREE_DAYS", 4: "FOUR_DAYS", 5: "FIVE_DAYS"}


def error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"transactionId": str(uuid.uuid4()), "errors": [{"code": code, "message": message}]})


def busy(status: int) -> Reply:
    code = "TOO.MANY.REQUESTS" if status == 429 else "SERVICE.UNAVAILABLE.ERROR"
    return error(status, code, "The carrier's server is busy; try again later.")


def unauthorized() -> Reply:
    return error(401, "NOT.AUTHORIZED.ERROR", "Access token expired. Please modify your request and try again.")


def _weight(shipment: dict) -> float:
    return sum(
        pricing.to_pounds(dig(item, "weight", "value"), dig(item, "weight", "units"))
        for item in as_list(shipment.get("requestedPackageLineItems"))
    )


def _lines(party: dict) -> list[str]:
    address, contact = party.get("address") or {}, party.get("contact") or {}
    city = " ".join(
        str(x) for x in (address.get("city"), address.get("stateOrProvinceCode"), address.get("postalCode")) if x
    )
    fields = (contact.get("personName"), contact.get("companyName"), *as_list(address.get("streetLines")), city)
    return [str(x) for x in fields if x]


def _ship_date(shipment: dict) -> date:
    raw = shipment.get("shipDateStamp") or shipment.get("shipDatestamp")
    try:
        return date.fromisoformat(str(raw)[:10])
    except ValueError:
        return date.today()


def _recipient(shipment: dict) -> dict:
    return shipment.get("recipient") or (as_list(shipment.get("recipients")) or [{}])[0]


def _refused(call: Call, recipient: dict) -> Reply | None:
    postal = dig(recipient, "address", "postalCode", default="")
    if call.sandbox.refuses_address(postal, _lines(recipient)):
        return error(400, "RECIPIENT.POSTALCODE.INVALID", f"The recipient postal code {postal} is not valid.")
    return None


def rate(call: Call) -> Reply:
    shipment = (call.json() or {}).get("requestedShipment") or {}
    recipient = _recipient(shipment)
    refused = _refused(call, recipient)
    if refused:
        return refused
    zone = pricing.zone(dig(shipment, "shipper", "address", "postalCode"), dig(recipient, "address", "postalCode"))
    weight = _weight(shipment)
    shipped = _ship_date(shipment)
    wanted = shipment.get("serviceType")
    details = []
    for service in pricing.SERVICES[CARRIER]:
        if wanted and wanted != service.code:
            continue
        price, days = service.price(zone, weight), service.transit_days(zone)
        details.append(
            {
                "serviceType": service.code,
                "serviceName": service.name,
                "packagingType": "YOUR_PACKAGING",
                "ratedShipmentDetails": [
                    {
                        "rateType": "ACCOUNT",
                        "ratedWeightMethod": "ACTUAL",
                        "totalDiscounts": 0.0,
                        "totalBaseCharge": price,
                        "totalNetCharge": price,
                        "totalNetFedExCharge": price,
                        "shipmentRateDetail": {
                            "rateZone": f"{zone:02d}",
                            "totalBillingWeight": {"units": "LB", "value": pricing.billable_pounds(weight)},
                            "surCharges": [],
                            "taxes": [],
                            "currency": "USD",
                        },
                        "currency": "USD",
                    }
                ],
                "operationalDetail": {
                    "commitDate": f"{business_days_after(shipped, days).isoformat()}T17:00:00",
                    "transitTime": TRANSIT_TIME.get(days, "FIVE_DAYS"),
                },
            }
        )
    return Reply(
        200,
        {
            "transactionId": str(uuid.uuid4()),
            "output": {"rateReplyDetails": details, "quoteDate": shipped.isoformat(), "encoded": False},
        },
    )


def ship(call: Call) -> Reply:
    body = call.json() or {}
    shipment = body.get("requestedShipment") or {}
    recipient = _recipient(shipment)
    refused = _refused(call, recipient)
    if refused:
        return refused
    code = shipment.get("serviceType")
    service = pricing.service(CARRIER, code)
    if service is None:
        return error(400, "SERVICE.TYPE.INVALID", f"The service type {code} is not offered by the sandbox.")
    image_type = str(dig(shipment, "labelSpecification", "imageType", default="PDF")).upper()
    fmt = "ZPL" if image_type.startswith("ZPL") else "PDF"
    weight = _weight(shipment)
    zone = pricing.zone(dig(shipment, "shipper", "address", "postalCode"), dig(recipient, "address", "postalCode"))
    references = [
        ref.get("value")
        for item in as_list(shipment.get("requestedPackageLineItems"))
        for ref in as_list(item.get("customerReferences"))
        if ref.get("customerReferenceType") == "CUSTOMER_REFERENCE" and ref.get("value")
    ]
    label, document = call.sandbox.sell(
        call,
        CARRIER,
        service,
        zone=zone,
        weight_lb=weight,
        ship_to=_lines(recipient),
        ship_from=_lines(shipment.get("shipper") or {}),
        ship_to_postal_code=dig(recipient, "address", "postalCode", default=""),
        reference=references[0] if references else "",
        lookup_references=references,
        account_number=str(dig(body, "accountNumber", "value", default="")),
        label_format=fmt,
        ship_date=_ship_date(shipment).isoformat(),
    )
    number = label.tracking_number
    doc_type = "ZPLII" if fmt == "ZPL" else "PDF"
    carrier_code = "FDXG" if service.code == "FEDEX_GROUND" else "FDXE"
    return Reply(
        200,
        {
            "transactionId": str(uuid.uuid4()),
            "output": {
                "transactionShipments": [
                    {
                        "masterTrackingNumber": number,
                        "serviceType": service.code,
                        "serviceName": service.name,
                        "serviceCategory": "GROUND" if carrier_code == "FDXG" else "EXPRESS",
                        "shipDatestamp": _ship_date(shipment).isoformat(),
                        "shipmentDocuments": [],
                        "pieceResponses": [
                            {
                                "masterTrackingNumber": number,
                                "trackingNumber": number,
                                "trackingIdType": "FEDEX",
                                "serviceCategory": "GROUND" if carrier_code == "FDXG" else "EXPRESS",
                                "netChargeAmount": label.price,
                                "baseRateAmount": label.price,
                                "currency": "USD",
                                "customerReferences": [
                                    {"customerReferenceType": "CUSTOMER_REFERENCE", "value": label.reference}
                                ]
                                if label.reference
                                else [],
                                "packageDocuments": [
                                    {
                                        "contentType": "LABEL",
                                        "copiesToPrint": 1,
                                        "encodedLabel": base64.b64encode(document).decode(),
                                        "docType": doc_type,
                                    }
                                ],
                            }
                        ],
                        "completedShipmentDetail": {
                            "carrierCode": carrier_code,
                            "shipmentRating": {
                                "actualRateType": "PAYOR_ACCOUNT_PACKAGE",
                                "shipmentRateDetails": [
                                    {
                                        "rateType": "PAYOR_ACCOUNT_PACKAGE",
                                        "rateZone": f"{zone:02d}",
                                        "totalBaseCharge": label.price,
                                        "totalNetCharge": label.price,
                                        "currency": "USD",
                                    }
                                ],
                            },
                        },
                    }
                ]
            },
        },
        tracking_number=number,
    )


def void(call: Call) -> Reply:
    number = str((call.json() or {}).get("trackingNumber") or "")
    outcome, _ = call.sandbox.void(CARRIER, number)
    if outcome == "unknown":
        return error(404, "TRACKING.TRACKINGNUMBER.NOTFOUND", f"The tracking number {number} was not found.")
    if outcome == "refused_voided":
        return error(400, "SHIPMENT.ALREADY.CANCELLED", f"The shipment {number} has already been cancelled.")
    if outcome == "refused_scanned":
        return error(
            400,
            "SHIPMENT.CANCEL.NOTALLOWED",
            f"The shipment {number} cannot be cancelled: FedEx has scanned the package.",
        )
    return Reply(
        200,
        {
            "transactionId": str(uuid.uuid4()),
            "output": {"cancelledShipment": True, "cancelledHistory": True, "successMessage": "Success"},
        },
        tracking_number=number,
    )


def _result(sandbox, number: str) -> dict:
    steps = sandbox.steps_so_far(number)
    events = []
    for step, at in reversed(steps):
        code, words = FEDEX_STATUS[step.stage]
        events.append(
            {
                "date": datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                "eventType": code,
                "eventDescription": words,
                "exceptionCode": "",
                "exceptionDescription": step.text if step.stage in ("exception", "returned") else "",
                "scanLocation": {
                    "city": step.city,
                    "stateOrProvinceCode": step.state,
                    "postalCode": step.zip,
                    "countryCode": "US",
                },
                "derivedStatusCode": code,
                "derivedStatus": words,
            }
        )
    latest_code, latest_words = FEDEX_STATUS[steps[-1][0].stage]
    return {
        "trackingNumber": number,
        "trackResults": [
            {
                "trackingNumberInfo": {"trackingNumber": number, "carrierCode": "FDXE"},
                "latestStatusDetail": {
                    "code": latest_code,
                    "derivedCode": latest_code,
                    "statusByLocale": latest_words,
                    "description": latest_words,
                },
                "scanEvents": events,
                "serviceDetail": {"description": "FedEx Ground", "type": "FEDEX_GROUND"},
                "originLocation": {
                    "locationContactAndAddress": {"address": {"postalCode": "78701", "countryCode": "US"}}
                },
                "destinationLocation": {
                    "locationContactAndAddress": {"address": {"postalCode": "60614", "countryCode": "US"}}
                },
            }
        ],
    }


def track_answer(sandbox, numbers: list[str]) -> dict:
    return {
        "transactionId": str(uuid.uuid4()),
        "output": {"completeTrackResults": [_result(sandbox, number) for number in numbers]},
    }


def track(call: Call) -> Reply:
    numbers = [
        str(dig(info, "trackingNumberInfo", "trackingNumber", default=""))
        for info in as_list((call.json() or {}).get("trackingInfo"))
    ]
    if any("GARBLED" in number.upper() for number in numbers):
        return garbled()
    return Reply(200, track_answer(call.sandbox, [n for n in numbers if n]))


def track_by_reference(call: Call) -> Reply:
    """FedEx's Track by References (not called by karrio): the shipments with this CUSTOMER_REFERENCE."""
    reference = str(dig(call.json() or {}, "referencesInformation", "value", default=""))
    found = call.sandbox.truth.carrier_lookup(CARRIER, reference)
    if not found:
        return error(404, "TRACKING.REFERENCENUMBER.NOTFOUND", f"No shipment was found for the reference {reference}.")
    return Reply(200, track_answer(call.sandbox, [label.tracking_number for label in found]))


def tracking_documents(call: Call) -> Reply:
    return error(404, "TRACKING.DOCUMENT.NOTFOUND", "The sandbox keeps no proof of delivery.")


def token(call: Call) -> Reply:
    sandbox = call.sandbox
    ok, quoted, _ = call.form_credentials()
    if not ok:
        return error(
            401,
            "NOT.AUTHORIZED.ERROR",
            f"The given client credentials were not valid. Please modify your request and try again.{quoted}",
        )
    return Reply(
        200,
        {
            "access_token": sandbox.issue_token(sandbox.client_id),
            "token_type": "bearer",
            "expires_in": 3599,
            "scope": "CXS-TP",
        },
    )


ROUTES = [
    ("POST", r"/oauth/token", "token", token),
    ("POST", r"/rate/v1/rates/quotes", "rate", rate),
    ("POST", r"/ship/v1/shipments", "ship", ship),
    ("PUT", r"/ship/v1/shipments/cancel", "void", void),
    ("POST", r"/track/v1/trackingnumbers", "track", track),
    ("POST", r"/track/v1/trackingdocuments", "track", tracking_documents),
    ("POST", r"/track/v1/referencenumbers", "track", track_by_reference),
]
