"""French: one date and one date-and-time format on every page (the short formats are the same)."""

DATE_FORMAT = "j N Y"  # 7 déc. 2026
SHORT_DATE_FORMAT = DATE_FORMAT
DATETIME_FORMAT = r"j N Y \à H:i"  # 7 déc. 2026 à 15:05
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
MONTH_DAY_FORMAT = "j N"  # 7 déc. (chart labels)
