"""A local carrier sandbox: UPS, USPS and FedEx as karrio's extensions call them, for rates, labels, voids,
tracking and USPS's end-of-day SCAN forms.

    CarrierSandbox(...).start()      a ThreadingHTTPServer on 127.0.0.1 (port 0 = a free one)

Each carrier's face is its own module, with the exact paths it answers: `ups` (OAuth, Rating "Shop",
Shipping, Void, Track), `usps` (OAuth, payment authorization, prices, labels, cancel, tracking v3, SCAN forms),
`fedex` (OAuth, rate quotes, ship, cancel, track). Karrio's real request, mapping and parsing code runs
against it: a karrio Settings subclass whose `server_url` is the sandbox's `base_url` (every carrier's
client id and secret: CLIENT_ID, CLIENT_SECRET; FedEx's api_key/secret_key and track_api_key/
track_secret_key are the same pair).

Selling (`pricing`, `labels`): rates from the sandbox's own zone × weight × service tables, three
services a carrier, with delivery days; a label sold gets a tracking number in the carrier's format, a 4×6
label (PDF, UPS's PNG/GIF image, or ZPL when asked) with the number as text and as a Code 128 barcode,
and its parcel's story starts. A ship-to with postal code 00000 or the word UNDELIVERABLE is refused in
the carrier's error shape. A void is refused once the parcel has been scanned (its story is past the
label stage), for an unknown number and for one voided before. A USPS SCAN form (karrio-usps's
Manifest.create) lists live USPS labels on no SCAN form yet, as a real PDF (`labels.manifest_pdf`); any
other number makes it refuse, in USPS's error shape, naming them (docs/end-of-day.md#sandbox).

The truth (`truth`): every label sold (carrier, client, account, number, service, price, reference, time,
the ship date its request carried, voided, refund, the SCAN form it is on), every void, every manifest
(number, tracking numbers, mailing date), every rate request: `sandbox.labels_sold()`, `.voids()`,
`.rate_requests()`, `.label_by_reference()`, `.truth_dict()`, or `GET /_sandbox/truth[?reference=…]`.

Latency (default 0.3 s for rating, shipping and voiding, none for tokens and tracking): the constructor's
`latency` and `tracking_latency`, `sandbox.set_latency(...)`, `POST /_sandbox/latency {"seconds": s}` or
`{"<operation>": s}`.

Faults: every request (`sandbox.faults`, `POST /_sandbox/faults {"error_rate", "status",
"timeout_rate", "delay", "pattern"}`), or one operation of one carrier or all, in the carrier's own shape
(`sandbox.set_faults("ship", "ups", error_rate=0.2, seed=7)`, `POST /_sandbox/faults {"operation": "ship",
"carrier": "ups", ...}`): error_rate (HTTP `status`, 500 by default), timeout_rate (hang `delay` seconds,
then do the work), lose_rate (do the work, a label sold, then drop the connection: karrio answers
"Remote end closed connection without response"), all drawn from a seeded generator.

Tracking: each number starts its story the first time the sandbox hears of it (or when sold or
registered) and moves with the sandbox's own clock: label created → in transit → out for delivery →
delivered. A number containing "EXC" (or a label sold to a ship-to marked "#EXC") goes through an address
exception before it is delivered; "RTS" ("#RTS") is returned to the sender and never delivered; a voided
label never leaves its first step; a number containing "GARBLED" is answered with a page that is not JSON.

    POST /_sandbox/advance {"hours": n}       moves the sandbox's clock
    POST /_sandbox/register {"tracking_number"}
"""

from .server import CarrierSandbox, run_carrier_sandbox  # noqa: F401
