"""The AmeriCommerce sandbox store: an AmeriCommerce site with its ShipStation add-on switched on.

A self-contained HTTP server (standard library only, no Django) used by the tests, the demo and the
benchmarks. It is meant to be faithful, not convenient.

The site (all of it a pure function of `seed`, `orders` and the clock's start)
- three storefronts, each with its own "order status for shipped orders" (the add-on setting):
  1 "Main Store" -> "Shipped", 2 "Wholesale" -> "Shipped", 3 "Outlet" -> "Completed, Shipped".
  An order's storefront reaches a client only through `<Source>` (= the storefront name).
- users: `shipstation-admin` (Administrator, seeded password), `owner` (Administrator), `cs-agent`
  (Customer Service) and `warehouse` (Fulfillment). Only Administrators may use the endpoint (403).
- AmeriCommerce's 13 default order statuses plus "Approved, Pending Shipping", "Awaiting Pickup, Local",
  "Gift Wrap Queue" and "Completed, Shipped"; every status occurs among the first 17 orders.
- ~80-120 products: physical ones (weights in Lbs, Oz, Grams or Kg; Kg is exported as Grams x1000),
  e-products (`e_product_type` Download/Link/SerialNumber/GiftCertificate) and "this item does not ship"
  items (`is_non_shipping_item`); the custom product field `ShipStationWarehouseLocation` feeds the
  item `<Location>` (empty when unset).
- orders: ids 100001.., numbers "AC-10001".., placed over the 60 days before the clock's start, 1-5
  lines, options (some with weight), coupons and discounts as `<Adjustment>true</Adjustment>` lines
  with a negative UnitPrice (SKU = coupon code or empty; CustomField1 = coupon code), gifts, notes,
  order activity as InternalNotes, PO numbers in CustomField2, campaigns in CustomField3.
  OrderTotal = lines (adjustments included) + ShippingAmount + TaxAmount.
  About 6% have no ship-to address (e-product-only and local-pickup orders): their `<Customer>` has
  no `<ShipTo>` element at all, and truth has `"ShipTo": null`.

The endpoint (`ENDPOINT_PATH`, ShipStation Custom Store v1): see `sandbox.server`. Export windows are
on LastModified, UTC, both ends inclusive, sorted by (LastModified, OrderID), no snapshot between pages.
Three behaviours (`sandbox.store.BEHAVIOURS`, first value the default) make it act like the stores of
docs/custom-store-v1.md#dates and #paging-hazard: `window_precision` minute (LastModified compared by minute, so
end_date 22:40 includes 22:40:21) or exact (LastModified with its seconds against the minute bounds: 22:40 means
22:40:00); `sort` asc or desc; `change_during_paging` to_end (an order changed or placed after page 1 of
a window was served stays in that window, at its newest end) or out (it leaves that window, shifting
the later pages). Orders changed while no walk of a window is under way follow their LastModified.
Shipnotify records the shipment, ignores an exact repeat (same order,
tracking number and carrier, case-insensitive) and applies the storefront's shipped status.

Assumption, flagged: items of e-products carry an extra `<EProductType>` element and "does not ship"
items an extra `<IsNonShippingItem>true</IsNonShippingItem>`. No source says the real add-on does this.

The REST face (`sandbox.rest`, under `/api/v1`): the same store as AmeriCommerce's REST API, token auth
(`server.rest_token`, and `rest_limited_token` with read_orders only), the query syntax on updated_at,
expand, paging with next_page, statuses, storefronts, products, addresses, customers, order_shipments and
order status writes recorded in the truth, X-AC-Call-Limit and 429 (`set_call_limit(n)`, default 50 per
10 s; "rest" in the truth counts the calls and the 429s). See sandbox/rest/__init__.py.

Webhooks (`sandbox.rest.webhooks`, `sandbox.rest.webhook_delivery`): subscriptions at `/api/v1/webhooks`
(scope system); the store POSTs the vendor's order events (NewOrder, OrderUpdated, OrderStatusChanged,
OrderCanceled, OrderShipped) for every order created or changed (control `mutate`, shipnotify, REST writes)
to the subscriptions of that event and the order's storefront, from a background sender, with seeded
faults `set_webhook_faults(loss, delay, duplicate, reorder)` (control key "webhooks"; CLI --webhook-loss,
--webhook-delay S|MIN..MAX, --webhook-duplicate, --webhook-reorder). `truth()["webhooks"]`:
{subscriptions, faults, counts, deliveries[{event, order_id, webhook_id, url, state, http_status, error,
planned_at, due_at, sent_at, ...}]}.

Faults (`sandbox.faults`) are picked per request before authentication. 429/500/503/down reject without
processing; drop/truncate/malformed/bomb process first (a shipnotify is recorded) and then spoil the
answer, so a client's retry becomes an exact repeat.

Truth (`GET /_sandbox/truth`, `store.truth()`): {seed, clock{start, now}, page_size,
behaviour{window_precision, sort, change_during_paging}, order_count,
storefronts[{id, name, domain, shipped_status, currency}], statuses[{id, name, is_custom, is_open,
is_shipped, ...}], users[{username, role, email}], products[{id, item_number, item_name, price, weight,
weight_unit, kind, e_product_type, is_non_shipping_item, upc, custom_fields{ShipStationWarehouseLocation},
...}], shipnotify_log{received, recorded, duplicates_ignored, rejected}, faults{...}, requests{...},
orders[{OrderID, OrderNumber, OrderDate, OrderStatus, LastModified (ISO 8601 UTC, seconds), ...every
export field..., Storefront{id, name}, Customer{CustomerCode, BillTo{..., Email}, ShipTo{...}|null},
Items[{LineItemID, SKU, ..., Adjustment, Options[{Name, Value, Weight|null}], ProductID, ProductKind
(physical/eproduct/non_shipping/adjustment), EProductType, IsNonShippingItem}], Shipments[{ShipmentID,
Carrier, Service, TrackingNumber, ShippingCost, NotesToCustomer, InternalNotes, NotifyCustomer,
LabelCreateDate, ShipDate, Items[{LineItemID, SKU, Name, Quantity}], ReceivedAt}]}]}.
Money and weights are strings with two decimals, exactly as exported.

Knobs: `SandboxStore(orders=500, seed=1, page_size=100, now=None, frozen_clock=False,
username="shipstation-admin", password=None, window_precision="minute", sort="asc",
change_during_paging="to_end")`; `run_sandbox(host, port, faults={...}, verbose, no_delay, **store)`;
`mutate(change, add, order_ids)`, `hide_orders(order_ids, requests=1)` (leave orders out of the next
export requests, as a store that loses them from a walk; `hidden` in the truth), `advance(seconds)`,
`set_faults(sequence, rate, kinds, actions, retry_after, down)` (see `sandbox.faults`), `reset_faults()`,
`set_page_size(n)`, `set_behaviour(window_precision, sort, change_during_paging)`, `truth()`; the same
through `POST /_sandbox/control` ({"behaviour": {"sort": "desc"}, "hide": ...}) and `GET /_sandbox/truth`;
and `manage.py sandbox_store --window-precision exact --sort desc --change-during-paging out`.
"""

from .faults import DEFAULT_KINDS
from .server import (
    CONTROL_PATH,
    ENDPOINT_PATH,
    FLEET_PATH,
    TRUTH_PATH,
    SandboxServer,
    fleet_credentials,
    fleet_path,
    parse_window_date,
    run_sandbox,
)
from .store import BEHAVIOURS, SandboxStore, ShipNotifyError

__all__ = [
    "BEHAVIOURS",
    "CONTROL_PATH",
    "DEFAULT_KINDS",
    "ENDPOINT_PATH",
    "FLEET_PATH",
    "TRUTH_PATH",
    "SandboxServer",
    "SandboxStore",
    "ShipNotifyError",
    "fleet_credentials",
    "fleet_path",
    "parse_window_date",
    "run_sandbox",
]
