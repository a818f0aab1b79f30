"""The one rule for a tracking number, wherever it enters (ship form, batch form and paste, CSV import, API,
shipment_create itself, and the tracking poll for numbers stored before the rule).

Carriers print their numbers in groups ("9400 1000 0000 0000 0000 00", "1Z 999 AA1 01 2345 6784") and
some labels hyphenate them: those spaces and dashes are removed. Anything else that is not a letter or a
digit (a comma, a quote, a slash pasted from a spreadsheet) is a mistake, refused with the same words
everywhere: a carrier asked about such a number fails the whole request it is part of.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Shipment

TRACKING_MAX = Shipment._meta.get_field("tracking_number").max_length  # 50, as PROBLEM_TEXT says
# What a form or the API accepts as typed, its spaces and dashes included (the cleaned number is checked
# against TRACKING_MAX).
TRACKING_INPUT_MAX = 100

# White space of any kind (a non-breaking space from a web page included) and the dashes a label or a
# word processor prints: hyphen-minus, hyphen, non-breaking hyphen, figure dash, en and em dash, minus.
_PRINTED_SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u2012\u2013\u2014\u2212]+")
_ALLOWED = re.compile(r"[A-Za-z0-9]*")

PROBLEM_TEXT = {
    "characters": _("only letters and digits (spaces and dashes are removed)"),
    "too_long": _("longer than 50 characters"),
}


def tracking_number_tidy(value: str | None) -> str:
    """The number without the spaces and dashes carriers print (nothing else changed)."""
    return _PRINTED_SEPARATORS.sub("", value or "")


def tracking_number_problem(value: str | None) -> str:
    """ "" for a usable number (once tidied), else why not: "characters" or "too_long"."""
    tidy = tracking_number_tidy(value)
    if not _ALLOWED.fullmatch(tidy):
        return "characters"
    if len(tidy) > TRACKING_MAX:
        return "too_long"
    return ""


def tracking_number_message(value: str | None, problem: str) -> str:
    """The words for a refused number, the same in every form, the CSV import and the API."""
    return gettext("Tracking number “%(value)s”: %(problem)s.") % {
        "value": (value or "").strip()[:80],
        "problem": PROBLEM_TEXT.get(problem, problem),
    }


def tracking_number_clean(value: str | None) -> str:
    """The number as stored and sent to carriers ("" stays ""), or ValidationError with the words."""
    problem = tracking_number_problem(value)
    if problem:
        raise ValidationError(tracking_number_message(value, problem), code=f"tracking_{problem}")
    return tracking_number_tidy(value)
