"""A store connection test as the portal tells it: the outcome in plain words per road, and the test itself."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from stores.connector import ConnectionOutcome
from stores.models import RestAuth, Road
from stores.services import store_connection_test


def rest_outcome_text(outcome: ConnectionOutcome, store, missing_scope: str = "") -> tuple[str, str] | None:
    """The REST road's own words: a token, not a username and password; the API, not the add-on's page."""
    if store.rest_auth == RestAuth.OAUTH:
        refused = (
            _("The store refused Outbound's OAuth access"),
            _("The grant may have been withdrawn in AmeriCommerce. Connect with AmeriCommerce again."),
        )
    else:
        refused = (
            _("The store refused the API token"),
            _(
                "Copy the token again from Tools › Apps & Addons › API Apps & Integrations › Tokens (the "
                "magnifying glass next to it), or make a new one there."
            ),
        )
    return {
        ConnectionOutcome.OK: (_("Connected"), _("The store's API answered. Continue to the status mapping.")),
        ConnectionOutcome.UNREACHABLE: (
            _("We could not reach your store"),
            _(
                "Check the store URL (it is the address of your shop, e.g. https://shop.example.com) and that the "
                "site is online, then try again."
            ),
        ),
        ConnectionOutcome.NOT_AN_ENDPOINT: (
            _("Your store answered, but not as AmeriCommerce's API does"),
            _(
                "Check the store URL: it must be your AmeriCommerce site's own address (Outbound adds /api/v1). "
                "Another cart has no such API: connect it through the ShipStation add-on instead."
            ),
        ),
        ConnectionOutcome.BAD_CREDENTIALS: refused,
        ConnectionOutcome.NOT_ADMIN: (
            _("The token lacks a permission Outbound needs"),
            _(
                "A token's scopes are fixed when it is made. Make a new token with the scopes read_orders, orders, "
                "system, read_catalog and read_people, and enter it here."
            ),
        ),
        ConnectionOutcome.MISSING_SCOPE: (
            _("The token lacks the scope “%(scope)s”") % {"scope": missing_scope or "?"},
            _(
                "A token's scopes are fixed when it is made. Make a new token with the scopes read_orders, orders, "
                "system, read_catalog and read_people, and enter it here."
            ),
        ),
    }.get(outcome)


def outcome_text(outcome: ConnectionOutcome, store=None, missing_scope: str = "") -> tuple[str, str]:
    """(title, what to do) for each connection-test outcome, in plain words. A store whose platform has
    no endpoint-path convention (any cart) gets advice worded with its platform's name, not AmeriCommerce's;
    a store on the REST road gets the API's words (rest_outcome_text)."""
    if store is not None and store.road == Road.REST:
        words = rest_outcome_text(outcome, store, missing_scope)
        if words is not None:
            return words
    if store is not None and store.connection.endpoint_path is None:
        advice = {
            ConnectionOutcome.NOT_AN_ENDPOINT: _(
                "Check the endpoint URL: it must be the full address of the ShipStation Custom Store page your "
                "cart serves (%(platform)s)."
            ),
            ConnectionOutcome.NOT_ADMIN: _(
                "The user can sign in but may not read orders. Give it the right to export orders in your "
                "cart's admin (%(platform)s)."
            ),
        }
        if outcome in advice:
            title = outcome_text(outcome)[0]
            return title, advice[outcome] % {"platform": store.platform_name}
    return {
        ConnectionOutcome.OK: (
            _("Connected"),
            _("Your store answered with its orders. Continue to the status mapping."),
        ),
        ConnectionOutcome.UNREACHABLE: (
            _("We could not reach your store"),
            _(
                "Check the store URL (it is the address of your shop, e.g. https://shop.example.com) and that the "
                "site is online, then try again."
            ),
        ),
        ConnectionOutcome.NOT_AN_ENDPOINT: (
            _("Your store answered, but not as the ShipStation add-on does"),
            _(
                "Switch the ShipStation add-on on in AmeriCommerce (Tools › Apps & Add-ons › ShipStation). If your "
                "store serves it at another address, change the XML endpoint path under “Advanced”."
            ),
        ),
        ConnectionOutcome.BAD_CREDENTIALS: (
            _("The username or password is wrong"),
            _(
                "The store refused them. Type the username and password of the administrator user you created in "
                "step 3 again."
            ),
        ),
        ConnectionOutcome.NOT_ADMIN: (
            _("This user is not an administrator"),
            _(
                "The user can sign in but may not read orders. In AmeriCommerce open Settings › Security › Users and "
                "give it the Administrator role."
            ),
        ),
    }[outcome]


# The connector's errors serve imports too, which do try again; a connection test saves nothing and
# never retries, so that promise is taken off what the merchant reads, in English as in the reader's
# language (the transport's translated messages end with the same sentence).
RETRY_PROMISE = gettext_noop("Outbound will try again later.")


def result_context(result, store=None) -> dict:
    """What a page shows about a connection test: title, advice, and the detail (the store's own words
    only when the store answered; "unreachable" means it said nothing)."""
    title, advice = outcome_text(result.outcome, store, getattr(result, "missing_scope", ""))
    detail = result.message
    for promise in dict.fromkeys((RETRY_PROMISE, _(RETRY_PROMISE))):
        detail = detail.replace(promise, "")
    detail = detail.strip()
    return {
        "result": result,
        "result_title": title,
        "result_help": advice,
        "result_detail": detail,
        "store_answered": result.outcome is not ConnectionOutcome.UNREACHABLE,
    }


def test_store_connection(store):
    """The store's connection test (stores.services.store_connection_test, which the admin uses too)."""
    return store_connection_test(store=store)
