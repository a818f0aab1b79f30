"""English: one date and one date-and-time format on every page (the short formats are the same), so a
page never shows "Dec. 7, 2026" beside "12/07/2026 3:05 a.m."."""

DATE_FORMAT = "N j, Y"  # Dec. 7, 2026
SHORT_DATE_FORMAT = DATE_FORMAT
DATETIME_FORMAT = "N j, Y, P"  # Dec. 7, 2026, 3:05 a.m.
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
MONTH_DAY_FORMAT = "N j"  # Dec. 7 (chart labels)
