"""What each carrier can do through Outbound, like karrio's own carrier metadata: one row per carrier.

    carrier  karrio extension  rates  labels  void  tracking  manifest
    UPS      ups               yes    yes     yes   yes       no
    USPS     usps              yes    yes     yes   yes       yes (SCAN forms, karrio's Manifest.create)
    FedEx    fedex             yes    yes     yes   yes       no

Tracking follows the carriers whose row says `tracking`; rates and labels (issue 29's later parts) ask
`rates`/`labels`/`void`; the end of day asks `manifest` (karrio-ups and karrio-fedex have no manifest
call, docs/end-of-day.md#carriers). A carrier is added here, with its karrio extension in pyproject.toml and a
Settings subclass in carriers.gateway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .models import CarrierCode


@dataclass(frozen=True)
class Capabilities:
    extension: str  # karrio's name for the carrier (karrio.sdk.gateway[extension])
    rates: bool
    labels: bool
    void: bool
    tracking: bool
    # False, or "later": the carrier has end-of-day manifests that Outbound does not make yet.
    manifest: bool | Literal["later"] = False


CAPABILITIES: dict[str, Capabilities] = {
    CarrierCode.UPS: Capabilities("ups", rates=True, labels=True, void=True, tracking=True),
    CarrierCode.USPS: Capabilities("usps", rates=True, labels=True, void=True, tracking=True, manifest=True),
    CarrierCode.FEDEX: Capabilities("fedex", rates=True, labels=True, void=True, tracking=True),
}


def capabilities_of(carrier: str) -> Capabilities | None:
    return CAPABILITIES.get(carrier)


def carriers_that(ability: str) -> list[str]:
    """The carrier codes able to do `ability` ("rates", "labels", "void", "tracking", "manifest")."""
    return [code for code, c in CAPABILITIES.items() if getattr(c, ability) is True]


def extension_of(carrier: str) -> str:
    return CAPABILITIES[carrier].extension
