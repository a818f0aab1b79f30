"""Words for the batch outcomes and the CSV import's row errors (stored as codes, shown translated)."""

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from orders.actions import SHIP_REFUSALS, ship_refusal_text
from shipments.tracking_numbers import PROBLEM_TEXT, tracking_number_message

OUTCOME_LABELS = {
    "shipped": gettext_lazy("Shipped"),
    "delivered": gettext_lazy("Marked delivered"),
    "resent": gettext_lazy("Store update sent again"),
    "already_shipped": gettext_lazy("Not shipped: already shipped"),
    "already_imported": gettext_lazy("Nothing to do: already imported"),
    "already_delivered": gettext_lazy("Nothing to do: already delivered"),
    "not_shipped": gettext_lazy("Not delivered: nothing shipped yet"),
    "nothing_to_resend": gettext_lazy("Nothing to send again: the store has every update"),
    "blocked": gettext_lazy("Not shipped: blocked by its status"),
    "invalid_tracking": gettext_lazy("Not shipped: invalid tracking number"),
    "invalid": gettext_lazy("Not done"),
}

DONE = {"shipped", "delivered", "resent"}


def tracking_problem_text(problem: str) -> str:
    if problem in PROBLEM_TEXT:
        return str(PROBLEM_TEXT[problem])  # the words of shipments/tracking_numbers.py, as everywhere
    return {
        "duplicate": _("the same number is on another order of this batch"),
    }.get(problem, problem)


def outcome_detail(outcome: str, detail: str, number: str = "") -> str:
    """The reason after the outcome's label, in words (a ship refusal: orders.actions' words, as everywhere)."""
    if outcome in ("blocked", "already_shipped") and detail in SHIP_REFUSALS:
        return ship_refusal_text(detail, number)
    if outcome == "invalid_tracking":
        return tracking_problem_text(detail)
    if outcome in ("delivered", "resent"):
        return ""
    return detail


def row_error_text(code: str, params: dict) -> str:
    params = dict(params)
    if code == "not_shippable":
        return ship_refusal_text(params["reason"], params["number"])
    if code == "bad_tracking":
        return tracking_number_message(params.get("value", ""), params.get("problem", ""))
    texts = {
        "no_order_number": _("No order number."),
        "unknown_order": _("No order %(number)s in this workspace."),
        "ambiguous_order": _(
            "Order number %(number)s is used in %(stores)s stores: add a store column to the file, or ship it from "
            "its page."
        ),
        "unknown_store": _("No store named “%(store)s” in this workspace."),
        "unknown_order_in_store": _("No order %(number)s in the store “%(store)s”."),
        "no_carrier": _("No carrier."),
        "unknown_carrier": _("“%(value)s” is not a carrier Outbound knows (write “Other” for any other)."),
        "no_tracking": _("No tracking number."),
        "service_too_long": _("The service is longer than 50 characters."),
        "bad_date": _("“%(value)s” is not a date in the format chosen (write 2026-11-30, or as chosen above)."),
        "future_date": _("The ship date %(value)s is more than 30 days ahead."),
        "bad_fee": _("“%(value)s” is not an amount."),
        "negative_fee": _("The fee cannot be negative (%(value)s)."),
        "duplicate_row": _("The same order and tracking number as line %(line)s."),
    }
    text = texts.get(code)
    return text % params if text else code


FIELD_LABELS = {
    "order_number": gettext_lazy("Order number"),
    "carrier": gettext_lazy("Carrier"),
    "service": gettext_lazy("Service"),
    "tracking_number": gettext_lazy("Tracking number"),
    "ship_date": gettext_lazy("Ship date"),
    "fee": gettext_lazy("Fee"),
    "store": gettext_lazy("Store"),
}


def row_warning_text(code: str, params: dict) -> str:
    """A row that ships but deserves a look: its ship date is ahead of today, or before its order."""
    if code == "ship_date_ahead":
        return _("The ship date is after today.")
    if code == "ship_date_before_order":
        return _("The ship date is before the order date (%(date)s).") % {"date": file_date(params["order_date"])}
    return code


def file_date(value) -> str:
    """A date read from a file, written so it cannot be misread: "6 Dec 2026", "6 déc. 2026"."""
    return date_format(value, pgettext("a date read from a file: day, short month, year", "j M Y")) if value else ""
