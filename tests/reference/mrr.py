"""Reference MRR: docs/metrics.md applied to the generator's ground truth.

Reads only `_truth/subscriptions.jsonl` (one timeline per subscription, see
tools/fake_stripe/synth/subscription_truth.py and docs/testing.md) and
seeds/currencies.csv; shares no code with the SQL nor with the generator.

A month's MRR is the MRR at the month's last instant: the month's end, or
the "as of" instant (the load) for the month still running. With integer
seconds, the last instant before `measured_at` is `measured_at - 1`, so an
interval [from, until) counts when from < measured_at <= until.

MRR of a subscription at an instant: zero unless its status is active or
past_due; else the sum over its licensed item segments in force of

    value(price, quantity) × factor(interval) / interval_count

with value per unit or through the tiers (graduated: every tier's units at
its unit amount plus the flat amount of each tier reached; volume: the tier
holding the quantity, for every unit, plus its flat amount), less the
inclusive tax (amount − round_half_up(amount × rate / (100 + rate)), the
tax a full-period line states), then reduced by the forever discounts in
force (percent off: every item; amount off: normalized by the
subscription's billing interval, shared among the items by their value,
never below zero, and net of the item's inclusive tax like its amount).
Metered items, once and repeating discounts, and prorations count zero.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]
COUNTING = frozenset(("active", "past_due"))
FACTOR = {"month": 1.0, "year": 1 / 12, "week": 52 / 12, "day": 365 / 12}


@dataclass(frozen=True)
class MonthFigure:
    subscription: str
    customer: str
    currency: str
    month: dt.date
    mrr: float  # major unit
    unobservable: str | None  # the cause, when Stripe's objects cannot tell
    features: tuple[str, ...] = ()  # what the month exercises, to explain a gap


def exponents(path: Path = ROOT / "seeds" / "currencies.csv") -> dict[str, int]:
    with path.open(newline="") as handle:
        return {
            row["currency_code"]: int(row["exponent"]) for row in csv.DictReader(handle)
        }


def read_truth(directory: Path) -> Iterator[dict]:
    """The timelines of a snapshot directory (or a truth file itself)."""
    path = Path(directory)
    if path.is_dir():
        plain = path / "_truth" / "subscriptions.jsonl"
        path = plain if plain.exists() else plain.with_suffix(".jsonl.gz")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        for line in handle:
            if line.strip():
                yield orjson.loads(line)


# -- instants ---------------------------------------------------------------


def month_of(ts: int) -> dt.date:
    moment = dt.datetime.fromtimestamp(ts, dt.UTC)
    return dt.date(moment.year, moment.month, 1)


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def epoch(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def measured_months(first: int, as_of: int) -> list[tuple[dt.date, int]]:
    """(month, the instant it is measured at), from the month of `first` to
    the month of the last instant before `as_of`."""
    months = []
    month, last = month_of(first), month_of(as_of - 1)
    while month <= last:
        months.append((month, min(epoch(next_month(month)), as_of)))
        month = next_month(month)
    return months


def in_force(entry: dict, measured_at: int, start="from", end="until") -> bool:
    until = entry[end]
    return entry[start] < measured_at and (until is None or until >= measured_at)


# -- valuation --------------------------------------------------------------


def half_up(value: float) -> int:
    return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def period_amount(segment: dict) -> float:
    """One billing period of the segment's quantity, in minor units, before
    tax and discounts."""
    quantity = segment["quantity"] or 0
    if segment["billing_scheme"] != "tiered":
        return segment["unit_amount"] * quantity
    tiers = segment["tiers"]
    if segment["tiers_mode"] == "volume":
        for tier in tiers:
            if tier["up_to"] is None or quantity <= tier["up_to"]:
                return (tier["unit_amount"] or 0) * quantity + (
                    tier["flat_amount"] or 0
                )
        raise ValueError(f"no tier holds {quantity}: {tiers}")
    total, floor = 0, 0
    for tier in tiers:  # graduated
        if quantity <= floor:
            break
        ceiling = quantity if tier["up_to"] is None else min(quantity, tier["up_to"])
        total += (tier["unit_amount"] or 0) * (ceiling - floor) + (
            tier["flat_amount"] or 0
        )
        floor = ceiling
    return total


def net_of_inclusive_tax(amount: float, segment: dict) -> float:
    rate = segment.get("tax_rate")
    if segment.get("tax_behavior") != "inclusive" or not rate:
        return amount
    return amount - half_up(amount * rate / (100 + rate))


def monthly(amount: float, interval: str, interval_count: int) -> float:
    return amount * FACTOR[interval] / interval_count


def mrr_at(timeline: dict, measured_at: int) -> float:
    """The subscription's MRR in minor units at the last instant before
    `measured_at`."""
    status = next(
        (s["status"] for s in timeline["statuses"] if in_force(s, measured_at)), None
    )
    if status not in COUNTING:
        return 0.0
    items = [
        s
        for s in timeline["items"]
        if s["usage_type"] == "licensed" and in_force(s, measured_at)
    ]
    # (gross a month, the share of it that is not inclusive tax)
    valued = []
    for s in items:
        gross = period_amount(s)
        ratio = net_of_inclusive_tax(gross, s) / gross if gross else 1.0
        valued.append((monthly(gross, s["interval"], s["interval_count"]), ratio))
    for discount in timeline["discounts"]:
        coupon = discount["coupon"]
        if coupon["duration"] != "forever":
            continue
        if not in_force(discount, measured_at, "start", "end"):
            continue
        if coupon["percent_off"]:
            keep = 1 - coupon["percent_off"] / 100
            valued = [(gross * keep, ratio) for gross, ratio in valued]
        elif coupon["amount_off"] and items:
            # Normalized like a price, by the subscription's billing
            # interval, and shared among the items by their value.
            off = monthly(
                coupon["amount_off"], items[0]["interval"], items[0]["interval_count"]
            )
            whole = sum(gross for gross, _ in valued)
            if whole > 0:
                valued = [
                    (max(0.0, gross - off * gross / whole), ratio)
                    for gross, ratio in valued
                ]
    total = sum(gross * ratio for gross, ratio in valued)
    return total


def unobservable_cause(timeline: dict, measured_at: int) -> str | None:
    for span in timeline.get("unobservable", ()):
        if in_force(span, measured_at):
            return span["cause"]
    return None


MONTH = 31 * 86_400


def features_at(timeline: dict, measured_at: int) -> tuple[str, ...]:
    """What the figure at `measured_at` rests on, most specific first: a
    recent change and how it was prorated, a recent status change, an item
    removed, a forever discount, tiers, inclusive tax."""
    recent = measured_at - MONTH
    found: list[str] = []
    for s in timeline["statuses"]:
        if recent < s["from"] < measured_at and s is not timeline["statuses"][0]:
            found.append(f"status change to {s['status']} in the month")
    for s in timeline["items"]:
        if recent < s["from"] < measured_at and s["proration_behavior"]:
            found.append(f"item change in the month ({s['proration_behavior']})")
        replaced = any(
            o["item"] == s["item"] and o["from"] == s["until"]
            for o in timeline["items"]
        )
        if (
            s["until"] is not None
            and recent < s["until"] < measured_at
            and not replaced
        ):
            found.append("item removed in the month")
    live = [s for s in timeline["items"] if in_force(s, measured_at)]
    for d in timeline["discounts"]:
        if d["coupon"]["duration"] == "forever" and in_force(
            d, measured_at, "start", "end"
        ):
            kind = "percent" if d["coupon"]["percent_off"] else "amount"
            deleted = ", coupon deleted" if d["coupon"].get("deleted") else ""
            found.append(f"forever {kind}-off discount{deleted}")
    found += sorted({f"tiered {s['tiers_mode']}" for s in live if s["tiers"]})
    if any(s["tax_behavior"] == "inclusive" and s["tax_rate"] for s in live):
        found.append("tax-inclusive price")
    if any(s["usage_type"] == "metered" for s in live):
        found.append("metered item")
    if any(s["interval"] != "month" or s["interval_count"] != 1 for s in live):
        found.append("non-monthly interval")
    return tuple(found)


def subscription_months(
    timeline: dict, as_of: int | None = None, exponent: dict[str, int] | None = None
) -> list[MonthFigure]:
    """Every month from the subscription's creation to the month of `as_of`
    (default: the snapshot's "now"), in the currency's major unit."""
    as_of = timeline["now"] if as_of is None else as_of
    exponent = exponents() if exponent is None else exponent
    scale = 10 ** exponent[timeline["currency"]]
    return [
        MonthFigure(
            timeline["subscription"],
            timeline["customer"],
            timeline["currency"],
            month,
            mrr_at(timeline, measured_at) / scale,
            unobservable_cause(timeline, measured_at),
            features_at(timeline, measured_at),
        )
        for month, measured_at in measured_months(timeline["created"], as_of)
    ]


def reference_mrr(
    timelines: Iterable[dict], as_of: int | None = None
) -> dict[tuple[str, dt.date], MonthFigure]:
    """(subscription, month) -> its figure, for every timeline."""
    exponent = exponents()
    figures = {}
    for timeline in timelines:
        for figure in subscription_months(timeline, as_of, exponent):
            figures[(figure.subscription, figure.month)] = figure
    return figures
