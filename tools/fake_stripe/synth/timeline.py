"""Time in the synthetic account: its span, "now", and billing periods."""

from __future__ import annotations

import datetime as dt

DAY = 86_400
HISTORY_DAYS = 900
EVENT_WINDOW = 30 * DAY
DEFAULT_NOW = "2026-11-01T00:00:00Z"


def parse_now(text: str) -> int:
    if text.lstrip("-").isdigit():
        return int(text)
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return int(parsed.timestamp())


def add_months(ts: int, months: int) -> int:
    """Stripe's monthly step: same day of month, clamped to the month's end."""
    moment = dt.datetime.fromtimestamp(ts, dt.UTC)
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    for day in (moment.day, 30, 29, 28):
        try:
            return int(moment.replace(year=year, month=month, day=day).timestamp())
        except ValueError:
            continue
    raise AssertionError("unreachable")


def next_period(start: int, interval: str, count: int) -> int:
    if interval == "month":
        return add_months(start, count)
    if interval == "year":
        return add_months(start, 12 * count)
    if interval == "week":
        return start + 7 * DAY * count
    return start + DAY * count


def format_day(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%d %b %Y")
