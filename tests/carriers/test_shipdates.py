"""Ship dates (carriers.shipdates.ship_date_for) as a table: the moment a label is bought (UTC) and the
ship-from's time zone, cutoff and working days → the day its parcel leaves. A label bought at or after the
cutoff, or on a closed day, ships on the next working day, by the ship-from's clock: across weekends and
daylight-saving changes (where a fixed UTC offset would be an hour wrong)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError

from carriers.shipdates import (
    next_working_day,
    normal_days,
    ship_date_for,
    validate_time_zone,
    validate_working_days,
)


@dataclass(frozen=True)
class Place:
    time_zone: str = "America/New_York"
    cutoff_time: dt.time = dt.time(17, 0)
    working_days: str = "12345"


NY = Place()
PARIS = Place(time_zone="Europe/Paris")
# Tuesday to Saturday, cutoff 14:00, Pacific time.
LA_TUE_SAT = Place(time_zone="America/Los_Angeles", cutoff_time=dt.time(14, 0), working_days="23456")


def utc(y, m, d, hh, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=dt.UTC)


D = dt.date
# (case, bought at (UTC), place) → ship date
CASES = [
    ("Monday 16:59 EST: before the cutoff, today", utc(2026, 12, 7, 21, 59), NY, D(2026, 12, 7)),
    ("Monday 17:05 EST: after the cutoff, Tuesday", utc(2026, 12, 7, 22, 5), NY, D(2026, 12, 8)),
    ("Monday 17:00 EST exactly: at the cutoff, Tuesday", utc(2026, 12, 7, 22, 0), NY, D(2026, 12, 8)),
    ("Friday 17:05 EST: across the weekend, Monday", utc(2026, 12, 11, 22, 5), NY, D(2026, 12, 14)),
    ("Saturday 10:00: a closed day, Monday", utc(2026, 12, 12, 15, 0), NY, D(2026, 12, 14)),
    ("Sunday 23:59 EST (Monday in UTC): Monday", utc(2026, 12, 14, 4, 59), NY, D(2026, 12, 14)),
    ("Monday 22:00 EST is Tuesday 03:00 UTC: the local day counts", utc(2026, 12, 8, 3, 0), NY, D(2026, 12, 8)),
    ("Thursday 23:00 EST is Friday in UTC: Friday", utc(2026, 12, 11, 4, 0), NY, D(2026, 12, 11)),
    # US daylight saving starts Sunday 8 March 2026: EST (UTC-5) before, EDT (UTC-4) after.
    ("Friday 6 March 17:05 EST: across the weekend and the change, Monday", utc(2026, 3, 6, 22, 5), NY, D(2026, 3, 9)),
    ("Friday 6 March 21:30 UTC is 16:30 EST: today", utc(2026, 3, 6, 21, 30), NY, D(2026, 3, 6)),
    ("Monday 9 March 21:30 UTC is 17:30 EDT: Tuesday", utc(2026, 3, 9, 21, 30), NY, D(2026, 3, 10)),
    ("Monday 9 March 20:55 UTC is 16:55 EDT: today", utc(2026, 3, 9, 20, 55), NY, D(2026, 3, 9)),
    # US daylight saving ends Sunday 1 November 2026: EDT before, EST after.
    ("Friday 30 October 17:05 EDT: Monday 2 November", utc(2026, 10, 30, 21, 5), NY, D(2026, 11, 2)),
    ("Monday 2 November 21:30 UTC is 16:30 EST: today", utc(2026, 11, 2, 21, 30), NY, D(2026, 11, 2)),
    ("Friday 30 October 20:30 UTC is 16:30 EDT: today", utc(2026, 10, 30, 20, 30), NY, D(2026, 10, 30)),
    # Europe's change is on Sunday 29 March 2026: CET (UTC+1) before, CEST (UTC+2) after.
    ("Paris, Friday 27 March 17:05 CET: Monday 30", utc(2026, 3, 27, 16, 5), PARIS, D(2026, 3, 30)),
    ("Paris, Monday 30 March 15:30 UTC is 17:30 CEST: Tuesday", utc(2026, 3, 30, 15, 30), PARIS, D(2026, 3, 31)),
    ("Paris, Monday 30 March 14:30 UTC is 16:30 CEST: today", utc(2026, 3, 30, 14, 30), PARIS, D(2026, 3, 30)),
    # Working days Tuesday to Saturday.
    ("Tue–Sat, Saturday 13:00 PST: before the cutoff, today", utc(2026, 12, 12, 21, 0), LA_TUE_SAT, D(2026, 12, 12)),
    ("Tue–Sat, Saturday 14:30 PST: Tuesday", utc(2026, 12, 12, 22, 30), LA_TUE_SAT, D(2026, 12, 15)),
    ("Tue–Sat, Monday 09:00 PST: a closed day, Tuesday", utc(2026, 12, 14, 17, 0), LA_TUE_SAT, D(2026, 12, 15)),
]


@pytest.mark.parametrize("case,bought_at,place,expected", CASES, ids=[c[0] for c in CASES])
def test_ship_date(case, bought_at, place, expected):
    assert ship_date_for(bought_at, place) == expected


def test_a_fixed_offset_would_be_wrong_across_the_change():
    """The same UTC time of day, a week apart across the spring change: one before the cutoff, one after."""
    before = ship_date_for(utc(2026, 3, 6, 21, 30), NY)  # 16:30 EST
    after = ship_date_for(utc(2026, 3, 13, 21, 30), NY)  # 17:30 EDT
    assert (before, after) == (D(2026, 3, 6), D(2026, 3, 16))


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError):
        ship_date_for(dt.datetime(2026, 12, 7, 12, 0), NY)


def test_next_working_day_and_days_written_any_way():
    assert next_working_day(D(2026, 12, 11), "12345") == D(2026, 12, 14)
    assert next_working_day(D(2026, 12, 11), "6") == D(2026, 12, 12)
    assert normal_days("531") == normal_days([5, 3, 1]) == normal_days(["1", "3", "5"]) == "135"


@pytest.mark.parametrize(
    "name,ok", [("America/Chicago", True), ("Europe/Paris", True), ("Mars/Olympus", False), ("", False)]
)
def test_time_zone_is_checked(name, ok):
    if ok:
        validate_time_zone(name)
    else:
        with pytest.raises(ValidationError):
            validate_time_zone(name)


@pytest.mark.parametrize("days,ok", [("12345", True), ("7", True), ("", False), ("118", False), ("08", False)])
def test_working_days_are_checked(days, ok):
    if ok:
        validate_working_days(days)
    else:
        with pytest.raises(ValidationError):
            validate_working_days(days)
