"""USPS's face (the REST APIs v3), as karrio-usps calls it.

    POST   /oauth2/v3/token                       OAuth (form client_id, client_secret)
    POST   /payments/v3/payment-authorization     the payment token labels and voids carry
    POST   /shipments/v3/options/search           one call per package: pricingOptions[].shippingOptions[]…
    POST   /labels/v3/label                       multipart/form-data: labelMetadata (JSON), then labelImage
                                                  (base64 PDF, or ZPL when imageType is ZPL203DPI)
    DELETE /labels/v3/label/<trackingNumber>      {"trackingNumber", "status": "CANCELED"}
    POST   /scan-forms/v3/scan-form               a SCAN form (PS Form 5630) of live labels not yet on one:
                                                  {"SCANFormMetadata": {…, "manifestNumber",
                                                  "trackingNumbers"}, "SCANFormImage": base64 PDF}
    GET    /tracking/v3/tracking/<number>         Tracking v3 answer (expand=DETAIL)

Errors in USPS's shape: {"apiVersion", "error": {"code", "message", "errors": [{"status", "code",
"title", "detail"}]}}.
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, date, datetime
from urllib.parse import unquote

from . import labels, pricing
from .base import NORMAL, Call, Reply, business_days_after, story_for, track_one

CARRIER = "usps"

# USPS eventType / status words karrio-usps matches (lower-cased substrings).
USPS_STATUS = {
    "label": ("Shipping Label Created, USPS Awaiting Item", "Pre-Shipment", "MA"),
    "in_transit": ("In Transit to Next Facility", "In Transit", "10"),
    "out_for_delivery": ("Out for Delivery", "Out for Delivery", "OF"),
    "delivered": ("Delivered, Front Door/Porch", "Delivered", "01"),
    "exception": ("Delivery Failed - Addressee Unknown", "Alert", "21"),
    "returned": ("Delivery Failed - Return to Sender", "Alert", "09"),
}
NUMBER_PREFIX = {"USPS_GROUND_ADVANTAGE": "9400", "PRIORITY_MAIL": "9405", "PRIORITY_MAIL_EXPRESS": "9470"}


def error(status: int, code: str, title: str, detail: str, api: str = "/labels/v3") -> Reply:
    return Reply(
        status,
        {
            "apiVersion": api,
            "error": {
                "code": str(status),
                "message": title,
                "errors": [{"status": str(status), "code": code, "title": title, "detail": detail}],
            },
        },
    )


def busy(status: int) -> Reply:
    return error(status, str(status), "Service unavailable", "The carrier's server is busy; try again later.")


def unauthorized() -> Reply:
    return Reply(401, {"error": {"code": "401", "message": "Unauthorized"}})


def _lines(address: dict) -> list[str]:
    name = " ".join(str(x) for x in (address.get("firstName"), address.get("lastName")) if x)
    city = " ".join(str(x) for x in (address.get("city"), address.get("state"), address.get("ZIPCode")) if x)
    fields = (name, address.get("firm"), address.get("streetAddress"), address.get("secondaryAddress"), city)
    return [str(x) for x in fields if x]


def rate(call: Call) -> Reply:
    body = call.json() or {}
    destination = str(body.get("destinationZIPCode") or "")
    if call.sandbox.refuses_address(destination, []):
        return error(
            400, "010005", "Address Not Found", f"The destination ZIP Code {destination} is not valid.", "/prices/v3"
        )
    package = body.get("packageDescription") or {}
    weight = pricing.to_pounds(package.get("weight"), "LB")
    zone = pricing.zone(body.get("originZIPCode"), destination)
    wanted = package.get("mailClass") or "ALL"
    today = date.today()
    options = []
    for service in pricing.SERVICES[CARRIER]:
        if wanted not in ("ALL", service.code):
            continue
        price, days = service.price(zone, weight), service.transit_days(zone)
        options.append(
            {
                "mailClass": service.code,
                "rateOptions": [
                    {
                        "commitment": {
                            "name": f"{days} Day{'s' if days > 1 else ''}",
                            "scheduleDeliveryDate": business_days_after(today, days).isoformat(),
                            "guaranteedDelivery": service.code == "PRIORITY_MAIL_EXPRESS",
                        },
                        "totalPrice": price,
                        "totalBasePrice": price,
                        "rates": [
                            {
                                "SKU": f"SBX{service.code[:4]}{zone:02d}",
                                "description": f"{service.name} Nonmachinable Single-piece",
                                "priceType": "RETAIL",
                                "price": price,
                                "weight": pricing.billable_pounds(weight),
                                "dimWeight": 0,
                                "fees": [],
                                "mailClass": service.code,
                                "zone": f"{zone:02d}",
                                "productName": service.name,
                                "processingCategory": "NON_MACHINABLE",
                                "rateIndicator": "SP",
                            }
                        ],
                        "extraServices": [],
                    }
                ],
            }
        )
    return Reply(
        200,
        {
            "originZIPCode": body.get("originZIPCode"),
            "destinationZIPCode": destination,
            "pricingOptions": [{"priceType": "RETAIL", "shippingOptions": options}],
        },
    )


def ship(call: Call) -> Reply:
    body = call.json() or {}
    to, sender = body.get("toAddress") or {}, body.get("fromAddress") or {}
    package = body.get("packageDescription") or {}
    postal = str(to.get("ZIPCode") or "")
    if call.sandbox.refuses_address(postal, _lines(to)):
        return error(400, "010005", "Address Not Found", f"The destination address ({postal}) is not valid.")
    service = pricing.service(CARRIER, package.get("mailClass"))
    if service is None:
        return error(400, "020001", "Invalid mail class", f"The mail class {package.get('mailClass')} is not offered.")
    image_type = str((body.get("imageInfo") or {}).get("imageType") or "PDF").upper()
    fmt = "ZPL" if image_type.startswith("ZPL") else "PDF"
    weight = pricing.to_pounds(package.get("weight"), package.get("weightUOM") or "LB")
    zone = pricing.zone(sender.get("ZIPCode"), postal)
    references = [r.get("referenceNumber") for r in package.get("customerReference") or [] if r.get("referenceNumber")]
    label, document = call.sandbox.sell(
        call,
        CARRIER,
        service,
        zone=zone,
        weight_lb=weight,
        ship_to=_lines(to),
        ship_from=_lines(sender),
        ship_to_postal_code=postal,
        reference=references[0] if references else "",
        account_number=call.sandbox.payment_accounts.get(call.headers.get("X-Payment-Authorization-Token") or "", ""),
        label_format=fmt,
        number_prefix=NUMBER_PREFIX[service.code],
        ship_date=str(package.get("mailingDate") or ""),
    )
    days = service.transit_days(zone)
    metadata = {
        "labelAddress": to,
        "routingInformation": f"420{postal[:5]}",
        "trackingNumber": label.tracking_number,
        "constructCode": "C01",
        "SKU": f"SBX{service.code[:4]}{zone:02d}",
        "postage": label.price,
        "extraServices": [],
        "zone": f"{zone:02d}",
        "commitment": {
            "name": f"{days} Day{'s' if days > 1 else ''}",
            "scheduleDeliveryDate": business_days_after(date.today(), days).isoformat(),
        },
        "weightUOM": "lb",
        "weight": pricing.billable_pounds(weight),
        "fees": [],
    }
    return _multipart(metadata, document, fmt, label.tracking_number)


def _multipart(metadata: dict, document: bytes, fmt: str, number: str) -> Reply:
    """USPS answers a label as multipart/form-data: the labelMetadata JSON part, then the labelImage part
    (base64 text)."""
    boundary = secrets.token_hex(12)
    kind, suffix = ("application/zpl", "zpl") if fmt == "ZPL" else ("application/pdf", "pdf")
    body = (
        f"--{boundary}\r\n"
        "Content-Type: application/json\r\n"
        'Content-Disposition: form-data; name="labelMetadata"\r\n\r\n'
        f"{json.dumps(metadata)}\r\n"
        f"--{boundary}\r\n"
        f"Content-Type: {kind}\r\n"
        f'Content-Disposition: form-data; filename="labelImage.{suffix}"; name="labelImage"\r\n\r\n'
        f"{base64.b64encode(document).decode()}\r\n"
        f"--{boundary}--\r\n"
    )
    return Reply(200, body, f"multipart/form-data; boundary={boundary}", tracking_number=number)


def void(call: Call) -> Reply:
    number = unquote(call.match.group("number"))
    outcome, _ = call.sandbox.void(CARRIER, number)
    if outcome == "unknown":
        return error(404, "040404", "Label not found", f"No label {number} was found for this account.")
    if outcome == "refused_voided":
        return error(400, "040400", "Label already canceled", f"The label {number} has already been canceled.")
    if outcome == "refused_scanned":
        return error(
            400,
            "040401",
            "Label cannot be canceled",
            f"The package {number} has been scanned by USPS; it cannot be refunded.",
        )
    return Reply(200, {"trackingNumber": number, "status": "CANCELED"}, tracking_number=number)


def expected_delivery(sandbox, number: str, steps) -> str | None:
    """USPS's expectedDeliveryTimeStamp (by the sandbox's clock): the normal story's delivery until an exception
    is scanned, then the story's own, later one (the estimate moves: issue 33's "estimated delivery changed");
    none once the parcel is delivered or on its way back."""
    if steps[-1][0].stage in ("delivered", "returned"):
        return None
    story = sandbox.stories.get(number) or story_for(number)
    planned = NORMAL
    if any(step.stage == "exception" for step, _ in steps):
        planned = story
    hours = next((step.hours for step in planned if step.stage == "delivered"), None)
    if hours is None:
        return None
    return datetime.fromtimestamp(sandbox.first_seen[number] + hours * 3600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def scan_form(call: Call) -> Reply:
    """A SCAN form of the request's tracking numbers, in karrio-usps's shapes (ScanFormRequestType in,
    ScanFormResponseType out): every number a live USPS label of the sandbox not yet on a SCAN form, else
    USPS's error shape and nothing is made. The form is a real PDF listing the numbers; the truth keeps it."""
    body = call.json() or {}
    numbers = [str(n) for n in ((body.get("shipment") or {}).get("trackingNumbers") or []) if n]
    if not numbers:
        return error(400, "050001", "No packages", "A SCAN form needs at least one tracking number.", "/scan-forms/v3")
    if len(set(numbers)) != len(numbers):
        return error(400, "050002", "Duplicate packages", "A tracking number is listed twice.", "/scan-forms/v3")
    sender = body.get("fromAddress") or {}
    mailing_date = str(body.get("mailingDate") or date.today().isoformat())
    entry_zip = str(body.get("entryFacilityZIPCode") or sender.get("ZIPCode") or "")
    number = f"9275{next(call.sandbox._serial) % 10**18:018d}"
    record, refused = call.sandbox.truth.manifest(
        CARRIER, number, numbers, mailing_date=mailing_date, entry_zip=entry_zip, client_id=call.client_id
    )
    if record is None:
        words = {"unknown": "not a USPS label", "voided": "canceled", "manifested": "already on a SCAN form"}
        details = "; ".join(
            f"{', '.join(v[:5])}{' …' if len(v) > 5 else ''}: {words[k]}" for k, v in refused.items() if v
        )
        return error(400, "050003", "Packages refused", details, "/scan-forms/v3")
    header = [
        f"SCAN form {number} - PS Form 5630, shipment confirmation acceptance notice",
        f"Mailing date: {mailing_date}    Entry facility ZIP Code: {entry_zip}",
        "From: " + " / ".join(_lines(sender)),
        f"Packages: {len(numbers)}",
    ]
    document = labels.manifest_pdf("USPS SCAN FORM", header, numbers)
    metadata = {
        "form": body.get("form") or "5630",
        "imageType": "PDF",
        "labelType": body.get("labelType") or "8.5x11LABEL",
        "mailingDate": mailing_date,
        "overwriteMailingDate": bool(body.get("overwriteMailingDate")),
        "entryFacilityZIPCode": entry_zip,
        "destinationEntryFacilityType": body.get("destinationEntryFacilityType") or "NONE",
        "shipment": {},  # as karrio-usps's recorded answer (its ShipmentType reads no fields back)
        "manifestNumber": number,
        "trackingNumbers": numbers,
        "fromAddress": sender,
    }
    return Reply(200, {"SCANFormMetadata": metadata, "SCANFormImage": base64.b64encode(document).decode()})


def track_answer(sandbox, number: str) -> dict:
    events = []
    steps = sandbox.steps_so_far(number)
    for step, at in reversed(steps):
        event_type, _, code = USPS_STATUS[step.stage]
        events.append(
            {
                "eventType": event_type,
                "eventCode": code,
                "eventTimestamp": datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "eventCity": step.city.upper(),
                "eventState": step.state,
                "eventZIP": step.zip,
                "eventCountry": "US",
            }
        )
    latest = steps[-1][0].stage
    expected = expected_delivery(sandbox, number, steps)
    return {
        **({"expectedDeliveryTimeStamp": expected} if expected else {}),
        "trackingNumber": number,
        "mailClass": "PRIORITY_MAIL",
        "originZIP": "78701",
        "destinationZIP": "60614",
        "destinationCountryCode": "US",
        "status": USPS_STATUS[latest][1] if latest != "exception" else USPS_STATUS[latest][0],
        "statusCategory": USPS_STATUS[latest][1],
        "trackingEvents": events,
    }


def track(call: Call) -> Reply:
    return track_one(call, track_answer)


def token(call: Call) -> Reply:
    sandbox = call.sandbox
    ok, quoted, form = call.form_credentials()
    if not ok:
        return Reply(
            401, {"error": "invalid_client", "error_description": f"The client credentials are invalid.{quoted}"}
        )
    return Reply(
        200,
        {
            "access_token": sandbox.issue_token(sandbox.client_id),
            "token_type": "Bearer",
            "expires_in": 28799,
            "scope": form.get("scope", ""),
        },
    )


def payment_authorization(call: Call) -> Reply:
    if not call.client_id:
        return unauthorized()
    roles = (call.json() or {}).get("roles") or []
    account = next((str(r.get("accountNumber") or "") for r in roles if r.get("roleName") == "PAYER"), "")
    payment_token = call.sandbox.issue_token(call.client_id)
    with call.sandbox.lock:
        call.sandbox.payment_accounts[payment_token] = account
    return Reply(200, {"paymentAuthorizationToken": payment_token, "roles": roles})


ROUTES = [
    ("POST", r"/oauth2/v3/token", "token", token),
    ("POST", r"/payments/v3/payment-authorization", "token", payment_authorization),
    ("POST", r"/shipments/v3/options/search", "rate", rate),
    ("POST", r"/labels/v3/label", "ship", ship),
    ("DELETE", r"/labels/v3/label/(?P<number>[^/]+)", "void", void),
    ("GET", r"/tracking/v3/tracking/(?P<number>[^/]+)", "track", track),
    ("POST", r"/scan-forms/v3/scan-form", "manifest", scan_form),
]
