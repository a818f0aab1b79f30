"""Ship dates: the day a label's parcel leaves, by the ship-from's clock (docs/end-of-day.md#ship-dates).

    ship_date_for(now_utc, ship_from) → date

A ship-from has a time zone (IANA, e.g. America/Chicago), a daily cutoff time (local) and its working days
(ISO weekdays, 1 = Monday … 7 = Sunday, written as digits: "12345"). A label bought on a working day before
the cutoff ships that day; at or after the cutoff, or on a closed day, it ships on the next working day.
The local day and time come from the ship-from's time zone, so a daylight-saving change moves the cutoff
with the clock on the wall, not with UTC.

No database, no clock: `now_utc` is passed in, and `ship_from` is anything with `time_zone`, `cutoff_time`
and `working_days` (a ShipFrom row, or the table test's stand-in). Table-tested in
tests/carriers/test_shipdates.py, like orders/status_machine.py.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DEFAULT_TIME_ZONE = "America/New_York"
DEFAULT_CUTOFF = dt.time(17, 0)
DEFAULT_WORKING_DAYS = "12345"
WEEKDAYS = "1234567"


@cache
def time_zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValidationError(_("“%(name)s” is not a time zone (e.g. America/Chicago).") % {"name": name}) from exc


def validate_time_zone(name: str) -> None:
    if name not in time_zone_names():
        raise ValidationError(_("“%(name)s” is not a time zone (e.g. America/Chicago).") % {"name": name})


def validate_working_days(days: str) -> None:
    if not days:
        raise ValidationError(_("Choose at least one working day."))
    if any(d not in WEEKDAYS for d in days) or len(set(days)) != len(days):
        raise ValidationError(_("Working days are ISO weekday digits, 1 (Monday) to 7 (Sunday), e.g. 12345."))


def normal_days(days) -> str:
    """Working days, as digits in order: from "531", [5, 3, 1] or ["1", "3"]."""
    if isinstance(days, str):
        items = list(days.replace(",", "").replace(" ", ""))
    else:
        items = [str(d) for d in days]
    return "".join(sorted(set(items)))


def next_working_day(day: dt.date, working_days: str) -> dt.date:
    """The first working day after `day` (a week at most; no working day at all: the next day)."""
    for step in range(1, 8):
        candidate = day + dt.timedelta(days=step)
        if str(candidate.isoweekday()) in working_days:
            return candidate
    return day + dt.timedelta(days=1)


def local_now(now_utc: dt.datetime, ship_from) -> dt.datetime:
    if now_utc.tzinfo is None:
        raise ValueError("now_utc must be aware")
    return now_utc.astimezone(zone(ship_from.time_zone))


def ship_date_for(now_utc: dt.datetime, ship_from) -> dt.date:
    """The ship date of a label bought at `now_utc` at `ship_from` (its zone, cutoff, working days)."""
    local = local_now(now_utc, ship_from)
    today = local.date()
    days = ship_from.working_days or DEFAULT_WORKING_DAYS
    cutoff = ship_from.cutoff_time or DEFAULT_CUTOFF
    if str(today.isoweekday()) in days and local.time() < cutoff:
        return today
    return next_working_day(today, days)
