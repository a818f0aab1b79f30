"""Server-rendered SVG charts for the dashboard's picture of the day: geometry only, no JavaScript.

Each chart is drawn in a fixed viewBox that scales to its card; the template draws the bars and prints
the same numbers as a table for screen readers and anyone who wants the figures.
"""

from __future__ import annotations

import math

from django.utils import formats
from django.utils.translation import gettext as _

from orders.insights import Insights

# Each viewBox is about the size the chart is drawn at on a desktop, so its text reads at its font size.
WIDTH = 560
HEIGHT = 290
SMALL_WIDTH = 320
SMALL_HEIGHT = 170
LEFT = 34  # room for the y-axis labels
BOTTOM = 22  # room for the x-axis labels
TOP = 14


def _nice_max(value: float) -> float:
    """A round top for the y axis (1, 2, 5 × 10^n) at or above `value`."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _ticks(top: float, height: int = HEIGHT) -> list[dict]:
    plot = height - BOTTOM - TOP
    values = [top * i / 2 for i in range(3)]
    return [
        {
            "y": round(height - BOTTOM - plot * i / 2, 1),
            "label": formats.number_format(v, 0 if v == int(v) else 1, use_l10n=True),
        }
        for i, v in enumerate(values)
    ]


def day_chart(data: Insights) -> dict:
    """Received and shipped per day: two bars a day, the last 30 days."""
    top = _nice_max(max([max(d.received, d.shipped) for d in data.days] + [1]))
    plot_h = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / len(data.days)
    bar = max(slot / 2 - 1, 1)
    bars = []
    for i, d in enumerate(data.days):
        x = LEFT + i * slot
        rh = plot_h * d.received / top
        sh = plot_h * d.shipped / top
        label = None
        if i % 7 == (len(data.days) - 1) % 7:  # a label a week, ending on today
            label = formats.date_format(d.day, "MONTH_DAY_FORMAT")
        bars.append(
            {
                "day": d.day,
                "received": d.received,
                "shipped": d.shipped,
                "rx": round(x + 0.5, 1),
                "ry": round(HEIGHT - BOTTOM - rh, 1),
                "rh": round(rh, 1),
                "sx": round(x + 0.5 + bar, 1),
                "sy": round(HEIGHT - BOTTOM - sh, 1),
                "sh": round(sh, 1),
                "w": round(bar, 1),
                "label": label,
                "lx": round(x + slot / 2, 1),
            }
        )
    return {
        "bars": bars,
        "ticks": _ticks(top),
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "base": HEIGHT - BOTTOM,
        "label_y": HEIGHT - 6,
    }


def waiting_chart(data: Insights) -> dict:
    """Orders waiting to ship by age: three horizontal bars, the late one in red."""
    rows = [
        ("today", _("Today"), data.waiting.today, False),
        ("recent", _("1–2 days"), data.waiting.one_to_two_days, False),
        ("late", _("Late: 3 days or more"), data.waiting.three_days_or_more, True),
    ]
    top = max(max(n for _k, _l, n, _late in rows), 1)
    label_w, row_h, width = 150, 34, SMALL_WIDTH
    bar_room = width - label_w - 44
    return {
        "rows": [
            {
                "key": key,
                "label": label,
                "n": n,
                "late": late and n > 0,
                "y": 6 + i * row_h,
                "ty": 6 + i * row_h + 17,
                "w": round(bar_room * n / top, 1) if n else 0,
                "nx": round(label_w + (bar_room * n / top if n else 0) + 8, 1),
            }
            for i, (key, label, n, late) in enumerate(rows)
        ],
        "width": width,
        "height": 6 + len(rows) * row_h,
        "label_w": label_w,
        "bar_h": 24,
        "total": data.waiting.total,
    }


def ship_time_chart(data: Insights) -> dict:
    """The median ship time (hours) per week, the last 8 weeks."""
    width, height = SMALL_WIDTH, SMALL_HEIGHT
    values = [w.median_hours or 0 for w in data.weeks]
    top = _nice_max(max(values + [1]))
    plot_h = height - BOTTOM - TOP
    slot = (width - LEFT) / len(data.weeks)
    bars = []
    for i, w in enumerate(data.weeks):
        h = plot_h * (w.median_hours or 0) / top
        x = LEFT + i * slot
        bars.append(
            {
                "week": w.week_start,
                "orders": w.orders,
                "median": w.median_hours,
                "x": round(x + slot * 0.18, 1),
                "y": round(height - BOTTOM - h, 1),
                "h": round(h, 1),
                "w": round(slot * 0.64, 1),
                "lx": round(x + slot / 2, 1),
                "ty": round(height - BOTTOM - h - 4, 1),
                # A label every other week, ending on this one, so they do not run into each other.
                "label": formats.date_format(w.week_start, "MONTH_DAY_FORMAT")
                if (len(data.weeks) - 1 - i) % 2 == 0
                else None,
            }
        )
    return {
        "empty": not any(w.orders for w in data.weeks),  # drawn as words, not as an empty frame
        "bars": bars,
        "ticks": _ticks(top, height),
        "width": width,
        "height": height,
        "left": LEFT,
        "base": height - BOTTOM,
        "label_y": height - 6,
    }


def spend_chart(data: Insights, store_names: dict) -> dict:
    """Label spend per day, the last 30 days, in the currency most spent in (the tables give every
    currency); plus the spend per carrier and per store."""
    spend = data.spend
    totals = sorted(spend.totals, key=lambda s: s.amount, reverse=True)
    currency = totals[0].currency if totals else ""
    per_day = {s.key: s for s in spend.per_day if s.currency == currency}
    amounts = [float(per_day[d.day].amount) if d.day in per_day else 0.0 for d in data.days]
    top = _nice_max(max(amounts + [1]))
    width, height = WIDTH, SMALL_HEIGHT
    plot_h = height - BOTTOM - TOP
    slot = (width - LEFT) / len(data.days)
    bars = []
    for i, (d, amount) in enumerate(zip(data.days, amounts, strict=True)):
        h = plot_h * amount / top
        x = LEFT + i * slot
        bars.append(
            {
                "day": d.day,
                "amount": amount,
                "x": round(x + slot * 0.15, 1),
                "y": round(height - BOTTOM - h, 1),
                "h": round(h, 1),
                "w": round(slot * 0.7, 1),
                "lx": round(x + slot / 2, 1),
                "label": formats.date_format(d.day, "MONTH_DAY_FORMAT") if i % 7 == (len(data.days) - 1) % 7 else None,
            }
        )
    return {
        "empty": not spend.rows,
        "currency": currency,
        "totals": totals,
        "per_carrier": spend.per_carrier,
        "per_store": [(store_names.get(s.key, f"#{s.key}"), s) for s in spend.per_store],
        "per_day": [s for s in reversed(spend.per_day)],  # newest first, every currency
        "bars": bars,
        "ticks": _ticks(top, height),
        "width": width,
        "height": height,
        "left": LEFT,
        "base": height - BOTTOM,
        "label_y": height - 6,
    }
