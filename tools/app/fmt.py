"""Numbers as the app shows them."""

from __future__ import annotations

import math
from decimal import Decimal

import pandas as pd

SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "inr": "₹"}
ZERO_DECIMAL = {"jpy", "krw", "vnd", "clp", "isk", "huf", "twd", "ugx"}


def _number(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return float(value)


def money(value, currency: str) -> str:
    """1234.5, 'usd' -> '$1,234.50'; unknown symbols keep the code."""
    number = _number(value)
    if number is None:
        return "–"
    code = currency.lower()
    digits = 0 if code in ZERO_DECIMAL else 2
    text = f"{abs(number):,.{digits}f}"
    sign = "-" if number < 0 else ""
    if code in SYMBOLS:
        return f"{sign}{SYMBOLS[code]}{text}"
    return f"{sign}{text} {code.upper()}"


def count(value) -> str:
    number = _number(value)
    return "–" if number is None else f"{number:,.0f}"


def percent(value, digits: int = 1) -> str:
    """0.0523 -> '5.2%'."""
    number = _number(value)
    return "–" if number is None else f"{number * 100:.{digits}f}%"


def change(current, previous) -> float | None:
    """Relative change, None when there is nothing to compare with."""
    now, before = _number(current), _number(previous)
    if now is None or before is None or before == 0:
        return None
    return (now - before) / abs(before)


def delta_percent(current, previous, against: str = "MoM") -> str | None:
    """'+5.2% MoM' for st.metric's delta, None when not comparable."""
    relative = change(current, previous)
    return None if relative is None else f"{relative * 100:+.1f}% {against}"


def delta_points(current, previous) -> str | None:
    """Change of a rate in percentage points: '+0.4 pp MoM'."""
    now, before = _number(current), _number(previous)
    if now is None or before is None:
        return None
    return f"{(now - before) * 100:+.1f} pp MoM"


def cents(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame's decimal columns rounded to two places, for tables."""
    floats = frame.select_dtypes("float").columns
    return frame.round({column: 2 for column in floats})
