"""The REST road's write-back (a mixin of RestConnector, connector.py): a shipment as POST /order_shipments,
then the order's status set to its storefront's shipped status (docs/americommerce-rest.md#shipments)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from stores.connector.errors import StoreDocumentError, StoreRejected
from stores.connector.types import ShipNotice, ShipNotifyResult

from . import mapping

# Seconds the store's statuses and storefronts are reused by the write-back (and the webhooks' fetches)
# without asking again, shared by every worker through the store's call budget (pacing.py): a status or
# storefront the merchant adds is seen within this; a status the merchant records for a storefront at once.
STATUSES_TTL = 300
STOREFRONTS_TTL = 300
_SHARED_TTL = {"order_statuses": STATUSES_TTL, "stores": STOREFRONTS_TTL}


class ShipNotifyMixin:
    """Needs the connector's _list, _call, _all, tokens, pacer, storefronts and _shipped_by_storefront."""

    def _shipped_status_id(self, store_id: Any = None, *, front: str | None = None) -> tuple[int, str]:
        """The status the order's storefront gives shipped orders: the one the merchant recorded for the
        storefront, else the store's status named "Shipped", else its first status flagged is_shipped.
        The storefront by its name when the caller knows it, else by the order's `store_id`. The store's
        statuses come from a short-lived cache shared by the store's workers (they change seldom; a
        recorded status the cached list lacks is looked up afresh)."""
        from stores.statuses import normalize_status

        if front is None:
            front = next((str(s.get("name", "")) for s in self._shared("stores") if s.get("id") == store_id), "")
        recorded = normalize_status(self._shipped_by_storefront().get(front, ""))
        statuses = self._shared("order_statuses")
        if recorded and recorded not in {normalize_status(str(s.get("name", ""))) for s in statuses}:
            statuses = self._shared("order_statuses", fresh=True)
        by_name = {normalize_status(str(s.get("name", ""))): s for s in statuses}
        chosen = by_name.get(recorded) if recorded else None
        chosen = chosen or by_name.get(normalize_status("Shipped"))
        chosen = chosen or next((s for s in statuses if s.get("is_shipped")), None)
        if chosen is None or not isinstance(chosen.get("id"), int):
            raise StoreRejected(
                "The store has no order status for shipped orders (none is named Shipped or "
                "flagged as shipped): record the storefront's shipped status in Outbound."
            )
        return chosen["id"], str(chosen.get("name", ""))

    def _shared(self, resource: str, *, fresh: bool = False) -> list[dict[str, Any]]:
        """The store's statuses (`order_statuses`) or storefronts (`stores`), from the facts its workers share
        (per store and token, _SHARED_TTL seconds), read from the store when none are remembered or `fresh`."""
        name = f"{resource}:{hashlib.sha256(self.tokens.token().encode()).hexdigest()[:16]}"
        held = "_statuses" if resource == "order_statuses" else "_stores"
        cached = None if fresh else self.pacer.recall(name)
        if cached is None:
            if fresh or getattr(self, held) is None:
                setattr(self, held, self._all(resource))
            cached = getattr(self, held)
            self.pacer.remember(name, cached, _SHARED_TTL[resource])
        return cached

    def ship_notify(self, notice: ShipNotice) -> ShipNotifyResult:
        order_id = str(notice.order_id or notice.order_number)
        if notice.first_try and notice.storefront is not None and order_id.isdigit():
            return self._ship_notify_first(notice, int(order_id))
        payload = self._list("orders", {"id": order_id, "expand": "shipments"})
        rows = [r for r in payload.get("orders", []) if isinstance(r, dict) and str(r.get("id")) == order_id]
        if not rows:
            raise StoreRejected(f"The store has no order {order_id}: it cannot take the shipment.")
        row = rows[0]
        tracking = notice.tracking_number.strip()
        existing = next(
            (
                s
                for s in row.get("shipments") or []
                if isinstance(s, dict)
                and tracking
                and str(s.get("tracking_numbers") or "").strip().lower() == tracking.lower()
            ),
            None,
        )
        if existing is None:
            shipment = self._call("POST", "order_shipments", body=_shipment_body(notice, int(row["id"])))
            done = f"shipment {shipment.get('id') if isinstance(shipment, dict) else ''} recorded"
        else:
            done = f"shipment {existing.get('id')} already there"
        status_id, status_name = self._shipped_status_id(row.get("store_id"))
        changed = row if existing is not None else {}
        if row.get("order_status_id") != status_id:
            changed = self._call("PUT", f"orders/{row['id']}/status", body={"order_status_id": status_id})
            done += f"; status set to {status_name}"
        return ShipNotifyResult(status_code=200, body_excerpt=done, order_updated_at=_updated_at(changed))

    def _ship_notify_first(self, notice: ShipNotice, order_id: int) -> ShipNotifyResult:
        """The first try of an update: two calls, the shipment and the status (the statuses list is cached
        per store). Nothing can be at the store yet, so the order is not read for an earlier copy, and a
        repeat would be harmless anyway: the store updates the shipment of the same shipment_name instead
        of adding one. A later try (an answer lost, a worker killed) takes the reading path above, which
        also leaves a status already set alone."""
        shipment = self._call("POST", "order_shipments", body=_shipment_body(notice, order_id))
        done = f"shipment {shipment.get('id') if isinstance(shipment, dict) else ''} recorded"
        status_id, status_name = self._shipped_status_id(front=notice.storefront)
        changed = self._call("PUT", f"orders/{order_id}/status", body={"order_status_id": status_id})
        return ShipNotifyResult(
            status_code=200, body_excerpt=f"{done}; status set to {status_name}", order_updated_at=_updated_at(changed)
        )


def _updated_at(order: Any) -> dt.datetime | None:
    """The order's updated_at in the store's answer to our last write (the order as PUT …/status answers it),
    or None when there is none or it cannot be read: then no webhook is taken for an echo of this write."""
    value = order.get("updated_at") if isinstance(order, dict) else None
    if not isinstance(value, str) or not value:
        return None
    try:
        return mapping.parse_datetime(value, "the store's answer")
    except StoreDocumentError:
        return None


def _shipment_body(notice: ShipNotice, order_id: int) -> dict[str, Any]:
    tracking = notice.tracking_number.strip()
    body: dict[str, Any] = {
        "order_id": order_id,
        "shipped_at": (
            dt.datetime.combine(notice.ship_date, dt.time(), dt.UTC).isoformat()
            if notice.ship_date
            else mapping.format_datetime(dt.datetime.now(dt.UTC))
        ),
        "tracking_numbers": tracking,
        "tracking_url": notice.tracking_url,
        "shipping_method": notice.service,
        "shipping_provider_name": notice.carrier,
        "shipping_comment": notice.notes_to_customer,
        "private_comment": notice.internal_notes,
        "shipment_name": tracking or f"Outbound {notice.order_number}",
        "email_sent": False,
        "items": [
            {"id": int(i.line_item_id), "quantity_shipped": i.quantity}
            for i in notice.items
            if i.line_item_id.isdigit()
        ],
    }
    if notice.package_count is not None:
        body["number_of_packages"] = notice.package_count
    if notice.shipping_cost is not None:
        body["provider_total_shipping_cost"] = float(notice.shipping_cost)
    return body
