"""End of day: each ship-from's labels of one carrier on the carrier's manifest (USPS: a SCAN form), made
through karrio (docs/end-of-day.md). `selectors` reads what waits; `services` makes and releases manifests."""
