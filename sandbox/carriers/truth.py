"""What the carrier sandbox has "charged": every label sold and voided, every void asked for, every rate
request, per carrier. Tests and benchmarks compare Outbound's records with it, in the process
(`CarrierSandbox.labels_sold()`, `.voids()`, `.rate_requests()`, `.truth()`) or from another one
(`GET /_sandbox/truth`, `GET /_sandbox/truth?reference=…`).

Finding a label by the shipper's reference: none of the three label APIs takes an idempotency key, and
karrio calls no lookup. UPS and FedEx have reference *tracking* APIs (outside karrio), and the sandbox
answers them: UPS `GET /api/track/v1/reference/details/<reference>` (ReferenceNumber values only: for
US→US karrio-ups sends the parcels' `reference_number`, never the shipment's `reference`, which goes to
TransactionReference.CustomerContext), FedEx `POST /track/v1/referencenumbers` (CUSTOMER_REFERENCE, which
karrio-fedex sends from `reference`). USPS has none. For USPS, and for tests and benchmarks, the truth is
the test-only view: `label_by_reference()` / `GET /_sandbox/truth?reference=…` (any reference the
request carried).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class SoldLabel:
    carrier: str  # ups | usps | fedex
    tracking_number: str
    service: str  # the carrier's service code
    service_name: str
    price: float
    currency: str = "USD"
    client_id: str = ""  # the OAuth client that bought it
    account_number: str = ""  # the shipper / payer account named in the request, if any
    reference: str = ""  # the shipper's reference as the request carried it
    # The references the carrier indexes for its own reference tracking (UPS: ReferenceNumber values,
    # which karrio-ups sends from parcels' reference_number for US→US; FedEx: CUSTOMER_REFERENCE; USPS: none).
    lookup_references: list[str] = field(default_factory=list)
    idempotency_key: str = ""  # an Idempotency-Key header, had the client sent one (karrio sends none)
    label_format: str = "PDF"  # PDF | PNG | GIF | ZPL
    ship_to_postal_code: str = ""
    weight_lb: float = 0.0
    sold_at: str = field(default_factory=_now)
    answer_lost: bool = False  # sold, and the answer was never sent (the "lost answer" fault)
    voided: bool = False
    voided_at: str | None = None
    refund_status: str = ""  # "" while live; "refunded" once voided
    refund_amount: float = 0.0
    ship_date: str = ""  # the ship (mailing) date the request carried, ISO, if any
    manifest: str = ""  # the number of the manifest (USPS SCAN form) the label is on


@dataclass
class ManifestRecord:
    """One manifest made (USPS: a SCAN form, PS Form 5630): its number and the labels it lists."""

    carrier: str
    number: str
    tracking_numbers: list[str]
    mailing_date: str = ""
    entry_zip: str = ""
    client_id: str = ""
    at: str = field(default_factory=_now)


@dataclass
class VoidRecord:
    carrier: str
    tracking_number: str
    outcome: str  # voided | refused_scanned | refused_voided | unknown
    at: str = field(default_factory=_now)
    answer_lost: bool = False


class Truth:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.labels: dict[str, SoldLabel] = {}  # by tracking number, in the order sold
        self.void_log: list[VoidRecord] = []
        self.manifests: list[ManifestRecord] = []
        self.rates: Counter[str] = Counter()  # rate requests (HTTP calls) per carrier
        self.calls: Counter[tuple[str, str]] = Counter()  # (carrier, operation) → HTTP calls answered or not

    def sold(self, label: SoldLabel) -> SoldLabel:
        with self.lock:
            self.labels[label.tracking_number] = label
        return label

    def void(self, carrier: str, number: str, scanned: bool) -> tuple[str, SoldLabel | None]:
        """Cancel a sold label: (outcome, the label). Refused when unknown to this carrier, already voided, or
        scanned by the carrier (its story is past the label stage)."""
        with self.lock:
            label = self.labels.get(number)
            if label is None or label.carrier != carrier:
                outcome, label = "unknown", None
            elif label.voided:
                outcome = "refused_voided"
            elif scanned:
                outcome = "refused_scanned"
            else:
                outcome = "voided"
                label.voided, label.voided_at = True, _now()
                label.refund_status, label.refund_amount = "refunded", label.price
            self.void_log.append(VoidRecord(carrier, number, outcome))
        return outcome, label

    def manifest(
        self, carrier: str, number: str, tracking_numbers: list[str], **details: str
    ) -> tuple[ManifestRecord | None, dict[str, list[str]]]:
        """Put labels on a new manifest: every number must be a live label of this carrier not yet on a
        manifest, else nothing is made and the refusals are answered ({"unknown": […], "voided": […],
        "manifested": […]})."""
        refused: dict[str, list[str]] = {"unknown": [], "voided": [], "manifested": []}
        with self.lock:
            for n in tracking_numbers:
                label = self.labels.get(n)
                if label is None or label.carrier != carrier:
                    refused["unknown"].append(n)
                elif label.voided:
                    refused["voided"].append(n)
                elif label.manifest:
                    refused["manifested"].append(n)
            if any(refused.values()) or not tracking_numbers:
                return None, refused
            record = ManifestRecord(carrier, number, list(tracking_numbers), **details)
            for n in tracking_numbers:
                self.labels[n].manifest = number
            self.manifests.append(record)
        return record, refused

    def mark_lost(self, carrier: str, operation: str, number: str | None) -> None:
        with self.lock:
            if operation == "ship" and number in self.labels:
                self.labels[number].answer_lost = True
            if operation == "void":
                for record in reversed(self.void_log):
                    if record.tracking_number == number and record.carrier == carrier:
                        record.answer_lost = True
                        break

    def count(self, carrier: str, operation: str) -> None:
        with self.lock:
            self.calls[(carrier, operation)] += 1
            if operation == "rate":
                self.rates[carrier] += 1

    # --- reading --------------------------------------------------------------------------------------
    def labels_sold(self, carrier: str | None = None, *, live_only: bool = False) -> list[SoldLabel]:
        with self.lock:
            labels = list(self.labels.values())
        return [
            label
            for label in labels
            if (carrier is None or label.carrier == carrier) and not (live_only and label.voided)
        ]

    def by_reference(self, reference: str) -> list[SoldLabel]:
        return [
            label
            for label in self.labels_sold()
            if label.reference == reference or reference in label.lookup_references
        ]

    def carrier_lookup(self, carrier: str, reference: str) -> list[SoldLabel]:
        """What the carrier's own reference tracking finds."""
        return [label for label in self.labels_sold(carrier) if reference in label.lookup_references]

    def as_dict(self, reference: str | None = None) -> dict:
        labels = self.labels_sold() if reference is None else self.by_reference(reference)
        with self.lock:
            voids = [asdict(v) for v in self.void_log]
            manifests = [asdict(m) for m in self.manifests]
            rates = dict(self.rates)
            calls = {f"{carrier}.{operation}": n for (carrier, operation), n in sorted(self.calls.items())}
        return {
            "labels": [asdict(label) for label in labels],
            "voids": voids,
            "manifests": manifests,
            "rate_requests": rates,
            "calls": calls,
            "totals": {
                "labels_sold": len(labels),
                "labels_live": sum(1 for label in labels if not label.voided),
                "labels_voided": sum(1 for label in labels if label.voided),
                "spent": round(sum(label.price for label in labels if not label.voided), 2),
                "refunded": round(sum(label.refund_amount for label in labels), 2),
                "manifests": len(manifests),
            },
        }


OPERATIONS = ("token", "rate", "ship", "void", "track", "manifest")


@dataclass
class OperationFaults:
    """Faults of one operation (of one carrier, or of every carrier): each call draws one number from its
    own seeded generator: below `error_rate` the carrier answers `status` in its own error shape; then,
    below `+ timeout_rate`, it hangs `delay` seconds (past the client's timeout) and then does the work
    anyway (a slow carrier still sells the label); then, below `+ lose_rate`, it does the work (the label
    is sold, the void is made) and drops the connection without an answer. Same seed, same calls in the
    same order: the same faults."""

    error_rate: float = 0.0
    status: int = 500
    timeout_rate: float = 0.0
    delay: float = 30.0  # past Outbound's CARRIER_REQUEST_TIMEOUT (20 s by default)
    lose_rate: float = 0.0
    seed: int = 1
    drawn: int = 0
    _rng: random.Random = field(default_factory=lambda: random.Random(1))  # noqa: S311 - not crypto
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)  # noqa: S311

    def draw(self) -> str | None:
        with self._lock:
            self.drawn += 1
            roll = self._rng.random()
        if roll < self.error_rate:
            return "error"
        if roll < self.error_rate + self.timeout_rate:
            return "timeout"
        if roll < self.error_rate + self.timeout_rate + self.lose_rate:
            return "lose"
        return None

    def public(self) -> dict:
        return {
            name: getattr(self, name)
            for name in ("error_rate", "status", "timeout_rate", "delay", "lose_rate", "seed", "drawn")
        }
