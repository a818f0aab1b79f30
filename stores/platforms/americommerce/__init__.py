"""AmeriCommerce, as Outbound reaches it (stores.platforms):

    connection.py  its two connection types in the registry, with their abilities: `americommerce` (the
                   ShipStation add-on's XML page) and `americommerce_rest` (its REST API, with real time
                   and the OAuth app flow)
    rest/          the REST API's connector: client, JSON mapping, pacing, write-back, webhook subscriptions
    oauth.py       the OAuth app flow (consent, code exchange, refresh before expiry)

See docs/americommerce-rest.md for the protocol facts and docs/stores.md#connectors for how a platform plugs in.
"""
