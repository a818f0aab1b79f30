"""A local carrier sandbox: the UPS and USPS tracking APIs as karrio's extensions call them.

    CarrierSandbox(...).start()      a ThreadingHTTPServer on 127.0.0.1 (port 0 = a free one)
      POST /security/v1/oauth/token             UPS OAuth (Basic client_id:client_secret)
      GET  /api/track/v1/details/<number>       UPS Track API answer (trackResponse.shipment[0].package[0])
      POST /oauth2/v3/token                     USPS OAuth (form client_id, client_secret)
      GET  /tracking/v3/tracking/<number>       USPS Tracking v3 answer (expand=DETAIL)
      POST /_sandbox/advance {"hours": n}       moves the sandbox's clock
      POST /_sandbox/faults {...}               error_rate / status / timeout_rate / delay

Each tracking number starts its story the first time the sandbox hears of it (or when registered) and
moves with the sandbox's own clock: label created → in transit → out for delivery → delivered. A number
containing "EXC" goes through an address exception before it is delivered; one containing "RTS" is
returned to the sender and never delivered; one containing "GARBLED" is answered with a page that is
not JSON (which fails karrio's reading of the whole request it is part of). Karrio's real request,
mapping and parsing code runs against it: the tracking app builds karrio's settings with the account's
server URL pointing here.
"""

from .server import CarrierSandbox, run_carrier_sandbox  # noqa: F401
