"""The REST road's write-back (a mixin of RestConnector, connector.py): a shipment as POST /order_shipments,
then the order's status set to its storefront's shipped status (docs/americommerce-rest.md#shipments)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..errors import StoreRejected
from ..types import ShipNotice, ShipNotifyResult
from . import mapping


class ShipNotifyMixin:
    """Needs the connector's _list, _call, statuses, storefronts and _shipped_by_storefront."""

    def _shipped_status_id(self, store_id: Any) -> tuple[int, str]:
        """The status the order's storefront gives shipped orders: the one the merchant recorded for the
        storefront, else the store's status named "Shipped", else its first status flagged is_shipped."""
        from stores.statuses import normalize_status

        by_name = {normalize_status(str(s.get("name", ""))): s for s in self.statuses()}
        front = next((str(s.get("name", "")) for s in self.storefronts() if s.get("id") == store_id), "")
        recorded = self._shipped_by_storefront().get(front, "")
        chosen = by_name.get(normalize_status(recorded)) if recorded else None
        chosen = chosen or by_name.get(normalize_status("Shipped"))
        chosen = chosen or next((s for s in self.statuses() if s.get("is_shipped")), None)
        if chosen is None or not isinstance(chosen.get("id"), int):
            raise StoreRejected(
                "The store has no order status for shipped orders (none is named Shipped or "
                "flagged as shipped): record the storefront's shipped status in Outbound."
            )
        return chosen["id"], str(chosen.get("name", ""))

    def ship_notify(self, notice: ShipNotice) -> ShipNotifyResult:
        order_id = notice.order_id or notice.order_number
        payload = self._list("orders", {"id": str(order_id), "expand": "shipments"})
        rows = [r for r in payload.get("orders", []) if isinstance(r, dict) and str(r.get("id")) == str(order_id)]
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
            body: dict[str, Any] = {
                "order_id": int(row["id"]),
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
            shipment = self._call("POST", "order_shipments", body=body)
            done = f"shipment {shipment.get('id') if isinstance(shipment, dict) else ''} recorded"
        else:
            done = f"shipment {existing.get('id')} already there"
        status_id, status_name = self._shipped_status_id(row.get("store_id"))
        if row.get("order_status_id") != status_id:
            self._call("PUT", f"orders/{row['id']}/status", body={"order_status_id": status_id})
            done += f"; status set to {status_name}"
        return ShipNotifyResult(status_code=200, body_excerpt=done)
