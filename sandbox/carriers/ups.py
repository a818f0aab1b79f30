"""UPS's face, as karrio-ups calls it (OAuth, Rating v2409 "Shop", Shipping v2409, Void, Track v1).

    POST   /security/v1/oauth/token                  OAuth (Basic client_id:client_secret)
    POST   /api/rating/<version>/Shop|Rate           RateResponse.RatedShipment[], with TimeInTransit
    POST   /api/shipments/<version>/ship             ShipmentResponse.ShipmentResults: the label as a PNG/GIF
                                                     image (karrio turns it into a PDF) or ZPL
    DELETE /api/shipments/<version>/void/cancel/<id> VoidShipmentResponse
    GET    /api/track/v1/details/<number>            trackResponse.shipment[0].package[0]
    GET    /api/track/v1/reference/details/<ref>     reference tracking (karrio does not call it): the
                                                     packages sold with this ReferenceNumber

Errors in UPS's shape: {"response": {"errors": [{"code", "message"}]}}.
"""

from __future__ import annotations

import base64
import time
from datetime import UTC, date, datetime
from urllib.parse import unquote

from . import pricing
from .base import Call, Reply, as_list, business_days_after, dig, track_one

CARRIER = "ups"

# UPS activity status (type, code) per stage: karrio-ups reads the type first; UPS reports its
# out-for-delivery scans as type I with code OT.
UPS_STATUS = {
    "label": ("M", "MP"),
    "in_transit": ("I", "DP"),
    "out_for_delivery": ("I", "OT"),
    "delivered": ("D", "KB"),
    "exception": ("X", "XA"),
    "returned": ("X", "RS"),
}


def error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"response": {"errors": [{"code": code, "message": message}]}})


def busy(status: int) -> Reply:
    return error(status, str(status), "The carrier's server is busy; try again later.")


def unauthorized() -> Reply:
    return error(401, "250002", "Invalid Authentication Information.")


def _money(value: float) -> dict:
    return {"CurrencyCode": "USD", "MonetaryValue": f"{value:.2f}"}


def _weight(shipment: dict) -> float:
    total = 0.0
    for package in as_list(shipment.get("Package")):
        weight = package.get("PackageWeight") or {}
        total += pricing.to_pounds(weight.get("Weight"), dig(weight, "UnitOfMeasurement", "Code"))
    return total


def _address_lines(party: dict) -> list[str]:
    address = party.get("Address") or {}
    place = (address.get("City"), address.get("StateProvinceCode"), address.get("PostalCode"))
    city = " ".join(str(x) for x in place if x)
    fields = (party.get("Name"), party.get("AttentionName"), *as_list(address.get("AddressLine")), city)
    return [str(x) for x in fields if x]


def _refused(call: Call, ship_to: dict) -> Reply | None:
    postal = dig(ship_to, "Address", "PostalCode", default="")
    if call.sandbox.refuses_address(postal, _address_lines(ship_to)):
        return error(400, "120202", f"Missing or invalid ship to address: the postal code {postal} is not valid.")
    return None


def rate(call: Call) -> Reply:
    shipment = dig(call.json(), "RateRequest", "Shipment") or {}
    refused = _refused(call, shipment.get("ShipTo") or {})
    if refused:
        return refused
    origin = dig(shipment, "Shipper", "Address", "PostalCode")
    destination = dig(shipment, "ShipTo", "Address", "PostalCode")
    zone, weight = pricing.zone(origin, destination), _weight(shipment)
    pounds = pricing.billable_pounds(weight)
    today = date.today()
    rated = []
    for service in pricing.SERVICES[CARRIER]:
        price = service.price(zone, weight)
        arrival = business_days_after(today, service.transit_days(zone))
        rated.append(
            {
                "Service": {"Code": service.code, "Description": ""},
                "Zone": str(zone),
                "BillingWeight": {
                    "UnitOfMeasurement": {"Code": "LBS", "Description": "Pounds"},
                    "Weight": f"{pounds:.1f}",
                },
                "TransportationCharges": _money(price),
                "BaseServiceCharge": _money(price),
                "ServiceOptionsCharges": _money(0),
                "ItemizedCharges": [],
                "TotalCharges": _money(price),
                "RatedPackage": [{"Weight": f"{weight:.1f}", "BillingWeight": {"Weight": f"{pounds:.1f}"}}],
                "TimeInTransit": {
                    "PickupDate": today.strftime("%Y%m%d"),
                    "ServiceSummary": {
                        "Service": {"Description": service.name},
                        "EstimatedArrival": {
                            "Arrival": {"Date": arrival.strftime("%Y%m%d"), "Time": "230000"},
                            "BusinessDaysInTransit": str(service.transit_days(zone)),
                            "DayOfWeek": arrival.strftime("%a").upper(),
                        },
                        "SaturdayDelivery": "0",
                    },
                },
            }
        )
    return Reply(
        200,
        {
            "RateResponse": {
                "Response": {
                    "ResponseStatus": {"Code": "1", "Description": "Success"},
                    "TransactionReference": dig(call.json(), "RateRequest", "Request", "TransactionReference") or {},
                },
                "RatedShipment": rated,
            }
        },
    )


def ship(call: Call) -> Reply:
    body = call.json() or {}
    request = body.get("ShipmentRequest") or {}
    shipment = request.get("Shipment") or {}
    ship_to = shipment.get("ShipTo") or {}
    refused = _refused(call, ship_to)
    if refused:
        return refused
    code = dig(shipment, "Service", "Code")
    service = pricing.service(CARRIER, code)
    if service is None:
        return error(400, "120823", f"The requested service {code} is invalid for the sandbox.")
    fmt = (dig(request, "LabelSpecification", "LabelImageFormat", "Code") or "GIF").upper()
    fmt = "ZPL" if "ZPL" in fmt else ("PNG" if fmt == "PNG" else "GIF")
    weight = _weight(shipment)
    zone = pricing.zone(dig(shipment, "Shipper", "Address", "PostalCode"), dig(ship_to, "Address", "PostalCode"))
    numbers = [
        ref.get("Value")
        for ref in [*as_list(shipment.get("ReferenceNumber"))]
        + [r for package in as_list(shipment.get("Package")) for r in as_list(package.get("ReferenceNumber"))]
        if ref.get("Value")
    ]
    context = dig(request, "Request", "TransactionReference", "CustomerContext", default="")
    reference = context if context != "generate label" else (numbers[0] if numbers else "")
    label, document = call.sandbox.sell(
        call,
        CARRIER,
        service,
        zone=zone,
        weight_lb=weight,
        ship_to=_address_lines(ship_to),
        ship_from=_address_lines(shipment.get("ShipFrom") or shipment.get("Shipper") or {}),
        ship_to_postal_code=dig(ship_to, "Address", "PostalCode", default=""),
        reference=reference,
        lookup_references=numbers,
        account_number=dig(shipment, "Shipper", "ShipperNumber", default=""),
        label_format=fmt,
        ship_date=_iso_date(shipment.get("ShipmentDate")),
    )
    charges = _money(label.price)
    return Reply(
        200,
        {
            "ShipmentResponse": {
                "Response": {
                    "ResponseStatus": {"Code": "1", "Description": "Success"},
                    "TransactionReference": dig(request, "Request", "TransactionReference") or {},
                },
                "ShipmentResults": {
                    "ShipmentCharges": {
                        "TransportationCharges": charges,
                        "ServiceOptionsCharges": _money(0),
                        "TotalCharges": charges,
                    },
                    "BillingWeight": {
                        "UnitOfMeasurement": {"Code": "LBS", "Description": "Pounds"},
                        "Weight": f"{pricing.billable_pounds(weight):.1f}",
                    },
                    "ShipmentIdentificationNumber": label.tracking_number,
                    "PackageResults": [
                        {
                            "TrackingNumber": label.tracking_number,
                            "ServiceOptionsCharges": _money(0),
                            "ShippingLabel": {
                                "ImageFormat": {"Code": fmt, "Description": fmt},
                                "GraphicImage": base64.b64encode(document).decode(),
                            },
                        }
                    ],
                },
            }
        },
        tracking_number=label.tracking_number,
    )


def void(call: Call) -> Reply:
    number = unquote(call.match.group("number"))
    outcome, _ = call.sandbox.void(CARRIER, number)
    if outcome == "unknown":
        return error(400, "190102", f"No shipment found within the allowed void period: {number}.")
    if outcome == "refused_voided":
        return error(400, "190117", f"The shipment {number} has already been voided.")
    if outcome == "refused_scanned":
        return error(400, "190103", f"The shipment {number} cannot be voided: UPS has already scanned the package.")
    return Reply(
        200,
        {
            "VoidShipmentResponse": {
                "Response": {"ResponseStatus": {"Code": "1", "Description": "Success"}},
                "SummaryResult": {"Status": {"Code": "1", "Description": "Voided"}},
            }
        },
        tracking_number=number,
    )


def track_answer(sandbox, number: str) -> dict:
    activity = []
    for step, at in reversed(sandbox.steps_so_far(number)):  # newest first, as UPS sends them
        when = datetime.fromtimestamp(at, UTC)
        kind, code = UPS_STATUS[step.stage]
        activity.append(
            {
                "location": {
                    "address": {
                        "city": step.city,
                        "stateProvince": step.state,
                        "postalCode": step.zip,
                        "country": "US",
                    }
                },
                "status": {"type": kind, "description": step.text, "code": code, "statusCode": code},
                "date": when.strftime("%Y%m%d"),
                "time": when.strftime("%H%M%S"),
            }
        )
    delivered = activity and activity[0]["status"]["type"] == "D"
    package = {
        "trackingNumber": number,
        "deliveryDate": [{"type": "DEL", "date": activity[0]["date"]}] if delivered else [],
        "activity": activity,
        "packageAddress": [
            {"type": "ORIGIN", "address": {"city": "Austin", "country": "US"}},
            {"type": "DESTINATION", "address": {"city": "Chicago", "country": "US"}},
        ],
        "service": {"code": "003", "description": "UPS Ground"},
        "weight": {"unitOfMeasurement": "LBS", "weight": "2.00"},
    }
    return {"trackResponse": {"shipment": [{"inquiryNumber": number, "package": [package]}]}}


def track(call: Call) -> Reply:
    return track_one(call, track_answer)


def track_by_reference(call: Call) -> Reply:
    """UPS's reference tracking (not called by karrio): the packages whose ReferenceNumber is this one."""
    reference = unquote(call.match.group("reference"))
    found = call.sandbox.truth.carrier_lookup(CARRIER, reference)
    if not found:
        return error(404, "TW0001", "Tracking Information Not Found")
    packages = [
        track_answer(call.sandbox, label.tracking_number)["trackResponse"]["shipment"][0]["package"][0]
        for label in found
    ]
    return Reply(200, {"trackResponse": {"shipment": [{"inquiryNumber": reference, "package": packages}]}})


def token(call: Call) -> Reply:
    sandbox = call.sandbox
    header = call.headers.get("Authorization") or ""
    try:
        pair = base64.b64decode(header.removeprefix("Basic ")).decode()
    except ValueError:
        pair = ""
    if pair != f"{sandbox.client_id}:{sandbox.client_secret}":
        quoted = f" ({pair}, {header})" if sandbox.echo else ""
        return error(401, "250003", f"Invalid Authentication Information.{quoted}")
    return Reply(
        200,
        {
            "token_type": "Bearer",
            "issued_at": str(int(time.time() * 1000)),
            "access_token": sandbox.issue_token(sandbox.client_id),
            "expires_in": "14399",
            "status": "approved",
        },
    )


ROUTES = [
    ("POST", r"/security/v1/oauth/token", "token", token),
    ("POST", r"/api/rating/[^/]+/(Shop|Rate)(timeintransit)?", "rate", rate),
    ("POST", r"/api/shipments/[^/]+/ship", "ship", ship),
    ("DELETE", r"/api/shipments/[^/]+/void/cancel/(?P<number>[^/]+)", "void", void),
    ("GET", r"/api/track/v1/details/(?P<number>[^/]+)", "track", track),
    ("GET", r"/api/track/v1/reference/details/(?P<reference>[^/]+)", "track", track_by_reference),
]


def _iso_date(raw) -> str:
    """UPS's ShipmentDate as an ISO date ("" when absent or unreadable): YYYYMMDD in UPS's documentation;
    karrio-ups sends YYYY-MM-DD (its fdate's output format)."""
    text = str(raw or "").replace("-", "")
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if len(text) == 8 and text.isdigit() else ""
