"""Finding a label by the shipper's reference, after the carrier's answer to a purchase was lost.

karrio does not call these APIs; they use karrio's own OAuth token (the gateway's proxy) and the account's
server. UPS: `GET /api/track/v1/reference/details/<reference>` (the package's ReferenceNumber, which
karrio-ups sends from the parcel's `reference_number`); FedEx: Track by References,
`POST /track/v1/referencenumbers` (CUSTOMER_REFERENCE). USPS offers no such lookup.

    labels_by_reference(account, reference)  → list of tracking numbers ([] : the carrier has none),
                                               or None when the carrier offers no lookup
    LookupFailed                              the carrier could not be asked (words in the message)
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings

from .gateway import gateway_for, plain_error
from .models import CarrierAccount, CarrierCode

CARRIERS_WITH_LOOKUP = (CarrierCode.UPS, CarrierCode.FEDEX)


class LookupFailed(Exception):
    pass


def _token(gateway, carrier: str) -> str:
    import karrio.lib as lib

    if carrier == CarrierCode.FEDEX:
        token = gateway.proxy.authenticate(lib.Serializable({}, ctx={"auth_type": "track_auth"})).deserialize()
    else:
        token = gateway.proxy.authenticate().deserialize()
    return token.get("access_token") if isinstance(token, dict) else str(token)


def labels_by_reference(account: CarrierAccount, reference: str) -> list[str] | None:
    if account.carrier not in CARRIERS_WITH_LOOKUP:
        return None
    try:
        gateway = gateway_for(account)
        server = gateway.settings.server_url
        headers = {"Authorization": f"Bearer {_token(gateway, account.carrier)}", "Content-Type": "application/json"}
        if account.carrier == CarrierCode.UPS:
            request = urllib.request.Request(  # noqa: S310 - the account's own server
                f"{server}/api/track/v1/reference/details/{urllib.parse.quote(reference, safe='')}", headers=headers
            )
        else:
            query = {"referencesInformation": {"type": "CUSTOMER_REFERENCE", "value": reference}}
            request = urllib.request.Request(  # noqa: S310 - the account's own server
                f"{server}/track/v1/referencenumbers", data=json.dumps(query).encode(), headers=headers
            )
        with urllib.request.urlopen(request, timeout=settings.CARRIER_REQUEST_TIMEOUT) as response:  # noqa: S310
            answer = json.load(response)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return []
        raise LookupFailed(f"The carrier's reference lookup answered HTTP {exc.code}.") from None
    except Exception as exc:  # noqa: BLE001 - every failure becomes a sentence
        raise LookupFailed(plain_error(exc)) from None
    if account.carrier == CarrierCode.UPS:
        shipments = (answer.get("trackResponse") or {}).get("shipment") or []
        return [p["trackingNumber"] for s in shipments for p in s.get("package") or [] if p.get("trackingNumber")]
    results = (answer.get("output") or {}).get("completeTrackResults") or []
    return [r["trackingNumber"] for r in results if r.get("trackingNumber")]
