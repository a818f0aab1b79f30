"""Writes of the end of day: making a carrier's manifest of a ship-from's labels, and letting the labels of
one whose outcome is unknown go after a person checked (docs/end-of-day.md#making).

manifest_create
  ├─ Manifest "calling", its labels attached    committed BEFORE the carrier is called: a label is on one
  │                                              manifest at most, so a double click makes one
  ├─ karrio Manifest.create                     the carrier's answer:
  │    ├─ a manifest                            → "made": its document (USPS: the SCAN form PDF), its number
  │    ├─ a refusal                             → "failed": its labels let go for the next end of day
  │    └─ no answer (timeout, 5xx, dropped)     → "uncertain", never sent again by itself: a person checks
  │                                               with the carrier, then manifest_release lets the labels go
  └─ a carrier without a manifest call          says so, and nothing is recorded
"""

from __future__ import annotations

import base64
import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from carriers.capabilities import capabilities_of
from carriers.gateway import gateway_for, is_transient, mask, message_text, plain_error, secrets_of
from carriers.models import CarrierAccount, CarrierCode, ShipFrom
from carriers.parcels import karrio_address, party_of_ship_from

from ..models import LabelPurchase, Manifest, ManifestState
from ..services import stale_after
from .selectors import pending_labels

# The carrier's words for "the answer was lost" (as labels.services reads a purchase's).
LOST_CODES = {"SHIPPING_SDK_INTERNAL_ERROR"}


class NoManifestCall(ValidationError):
    def __init__(self, carrier: str):
        name = dict(CarrierCode.choices).get(carrier, carrier)
        super().__init__(
            gettext(
                "%(carrier)s has no manifest call: there is no end-of-day form to make, the driver scans each label."
            )
            % {"carrier": name},
            code="no_manifest",
        )


class NothingWaiting(ValidationError):
    def __init__(self):
        super().__init__(
            gettext("No label is waiting for an end of day here: every one is on a manifest already."),
            code="nothing_waiting",
        )


def _save(manifest: Manifest, **fields) -> None:
    for name, value in fields.items():
        setattr(manifest, name, value)
    manifest.updated_at = timezone.now()
    manifest.save(update_fields=[*fields, "updated_at"])


def _account(tenant_id: int, carrier: str) -> CarrierAccount:
    account = CarrierAccount.objects.for_tenant(tenant_id).filter(carrier=carrier, is_active=True).first()
    if account is None or not account.has_credentials:
        raise ValidationError(
            gettext("No active %(carrier)s account: add one to make its manifest.") % {"carrier": carrier}
        )
    return account


def manifest_create(
    *,
    tenant,
    ship_from: ShipFrom,
    carrier: str,
    ship_date: dt.date,
    user=None,
    created_by_label: str = "",
) -> Manifest:
    """The end of day of `ship_from`'s `carrier` labels shipping on `ship_date`: one manifest of every such
    label not on one yet. Answers the manifest (its state says what happened); raises ValidationError
    before anything is recorded when the carrier has no manifest call or no label waits. Must not run
    inside a transaction of the caller's: the manifest and its labels are committed before the carrier is
    called."""
    tenant_id = getattr(tenant, "pk", tenant)
    caps = capabilities_of(carrier)
    if caps is None or caps.manifest is not True:
        raise NoManifestCall(carrier)
    if ship_from.tenant_id != tenant_id:
        raise ValidationError(gettext("No such ship-from location."))
    account = _account(tenant_id, carrier)
    now = timezone.now()
    with transaction.atomic():
        rows = pending_labels(tenant=tenant_id, ship_from=ship_from, carrier=carrier, ship_date=ship_date)
        ids = list(rows.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True))
        if not ids:
            raise NothingWaiting()
        manifest = Manifest.objects.create(
            tenant_id=tenant_id,
            ship_from=ship_from,
            account=account,
            carrier=carrier,
            ship_date=ship_date,
            created_by=user,
            created_by_label=(user.get_username() if user is not None else created_by_label or "system"),
            created_at=now,
            updated_at=now,
        )
        # Only labels still on no manifest: a concurrent end of day that took some first keeps them.
        LabelPurchase.objects.filter(pk__in=ids, manifest__isnull=True).update(manifest=manifest, updated_at=now)
        numbers = list(
            LabelPurchase.objects.filter(manifest=manifest).order_by("pk").values_list("tracking_number", flat=True)
        )
        if not numbers:
            raise NothingWaiting()
        _save(manifest, tracking_numbers=numbers, label_count=len(numbers))
    # Committed: a worker killed from here on leaves a "calling" manifest whose labels go on no other.
    return _call_carrier(manifest, account, ship_from, numbers)


def _call_carrier(manifest: Manifest, account: CarrierAccount, ship_from: ShipFrom, numbers: list[str]) -> Manifest:
    import karrio.sdk as sdk
    from karrio.core.models import ManifestRequest

    request = ManifestRequest(
        shipment_identifiers=numbers,
        address=karrio_address(party_of_ship_from(ship_from)),
        options={"shipment_date": manifest.ship_date.isoformat()},
        reference=f"M{manifest.pk}",
    )
    try:
        details, messages = sdk.Manifest.create(request).from_(gateway_for(account)).parse()
    except Exception as exc:  # noqa: BLE001 - an answer we could not read may still be a manifest made
        details, messages, failure = None, [], plain_error(exc)
    else:
        failure = ""
    document = getattr(getattr(details, "doc", None), "manifest", None) if details is not None else None
    if document:
        meta = details.meta or {}
        _save(
            manifest,
            state=ManifestState.MADE,
            document=base64.b64decode(document),
            carrier_number=str(meta.get("manifestNumber") or "")[:100],
            error="",
        )
        return manifest
    texts = [mask(message_text(m), secrets_of(account)) for m in messages]
    lost = failure or any(
        m.code in LOST_CODES or is_transient(t) or "timed out" in t for m, t in zip(messages, texts, strict=True)
    )
    words = (failure or "; ".join(texts))[:500] or gettext("The carrier answered without a manifest.")
    if lost:
        _save(
            manifest,
            state=ManifestState.UNCERTAIN,
            error=gettext("No answer from the carrier (%(why)s): check with it before releasing the labels.")
            % {"why": words},
        )
        return manifest
    with transaction.atomic():
        _save(manifest, state=ManifestState.FAILED, error=gettext("The carrier refused: %(words)s") % {"words": words})
        LabelPurchase.objects.filter(manifest=manifest).update(manifest=None, updated_at=timezone.now())
    return manifest


def manifest_release(*, manifest: Manifest, user=None, actor: str = "") -> Manifest:
    """A manifest whose outcome is unknown (or left calling by a killed worker), after a person checked with
    the carrier that it was not made: its labels go back to waiting for the next end of day."""
    if manifest.state not in (ManifestState.UNCERTAIN, ManifestState.CALLING):
        raise ValidationError(gettext("Only a manifest whose outcome is unknown can be released."))
    if manifest.state == ManifestState.CALLING and manifest.updated_at > timezone.now() - stale_after():
        raise ValidationError(gettext("This manifest is being made right now: wait for the carrier's answer."))
    who = user.get_username() if user is not None else (actor or "system")
    with transaction.atomic():
        _save(
            manifest,
            state=ManifestState.RELEASED,
            error=gettext("Released by %(who)s after checking with the carrier.") % {"who": who},
        )
        LabelPurchase.objects.filter(manifest=manifest).update(manifest=None, updated_at=timezone.now())
    return manifest
