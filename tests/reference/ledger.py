"""The two money views of docs/metrics.md ("Revenue and the balance
ledger"), computed straight from a snapshot's JSONL files.

    rows = revenue_daily(snapshot_dir)   # {(day, currency): RevenueDay}
    rows = balance_daily(snapshot_dir)   # {(day, currency): BalanceDay}

Amounts stay in Stripe's integer minor units, so a comparison with the
warehouse is exact to the minor unit; `major()` converts with the
exponent the seed `currencies` gives each currency. Written from the rules,
not from the models: a second, independent reading of them.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

SEED = Path(__file__).resolve().parents[2] / "seeds" / "currencies.csv"

CLASS_OF_CATEGORY = {
    "charge": "sales",
    "refund": "refunds",
    "refund_failure": "refunds",
    "dispute": "disputes",
    "dispute_reversal": "disputes",
    "payout": "payouts",
    "payout_reversal": "payouts",
}
CLASSES = ("sales", "refunds", "disputes", "other", "payouts")


def objects(directory: Path, resource: str) -> Iterator[dict]:
    """The objects of one resource file (.jsonl, .jsonl.gz or a list
    envelope .json); none when the snapshot has no such file."""
    for name, opener in ((".jsonl", open), (".jsonl.gz", gzip.open)):
        path = directory / f"{resource}{name}"
        if path.exists():
            with opener(path, "rt", encoding="utf-8") as handle:
                for line in handle:
                    if line.strip():
                        yield json.loads(line)
            return
    envelope = directory / f"{resource}.json"
    if envelope.exists():
        yield from json.loads(envelope.read_text())["data"]


def utc_day(epoch: int) -> date:
    return datetime.fromtimestamp(epoch, UTC).date()


def exponents() -> dict[str, int]:
    with SEED.open(newline="") as handle:
        return {
            row["currency_code"]: int(row["exponent"]) for row in csv.DictReader(handle)
        }


def major(cents: int, currency: str, exponent_of: dict[str, int]) -> Decimal:
    return Decimal(cents).scaleb(-exponent_of[currency])


@dataclass
class RevenueDay:
    gross_captured: int = 0
    refunded: int = 0
    disputes_lost: int = 0
    charge_count: int = 0
    succeeded_charge_count: int = 0
    failed_charge_count: int = 0
    refund_count: int = 0
    dispute_count: int = 0

    @property
    def net_sales(self) -> int:
        return self.gross_captured - self.refunded - self.disputes_lost


def captured(charge: dict) -> int:
    """amount_captured; a shape without it: the amount if captured."""
    if charge.get("amount_captured") is not None:
        return charge["amount_captured"]
    return charge["amount"] if charge.get("captured") else 0


def revenue_daily(directory: Path) -> dict[tuple[date, str], RevenueDay]:
    """What customers paid, per UTC day and presentment currency."""
    days: dict[tuple[date, str], RevenueDay] = {}

    def day_of(obj: dict) -> RevenueDay:
        key = (utc_day(obj["created"]), obj["currency"].lower())
        return days.setdefault(key, RevenueDay())

    for charge in objects(directory, "charges"):
        day = day_of(charge)
        day.charge_count += 1
        if charge["status"] == "succeeded":
            day.succeeded_charge_count += 1
            day.gross_captured += captured(charge)
        elif charge["status"] == "failed":
            day.failed_charge_count += 1
    for refund in objects(directory, "refunds"):
        day = day_of(refund)
        day.refund_count += 1
        if refund["status"] == "succeeded":
            day.refunded += refund["amount"]
    for dispute in objects(directory, "disputes"):
        day = day_of(dispute)
        day.dispute_count += 1
        if dispute["status"] == "lost":
            day.disputes_lost += dispute["amount"]
    return days


@dataclass
class BalanceDay:
    amount: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))
    count: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))
    fee: int = 0
    payout_fee: int = 0
    net_activity: int = 0
    net: int = 0
    balance: int = 0

    @property
    def transaction_count(self) -> int:
        return sum(self.count.values())


def balance_daily(directory: Path) -> dict[tuple[date, str], BalanceDay]:
    """What reached the balance, per UTC day and settlement currency, every
    day from the currency's first transaction to the ledger's last day."""
    days: dict[tuple[date, str], BalanceDay] = {}
    for bt in objects(directory, "balance_transactions"):
        key = (utc_day(bt["created"]), bt["currency"].lower())
        day = days.setdefault(key, BalanceDay())
        kind = CLASS_OF_CATEGORY.get(bt.get("reporting_category"), "other")
        day.amount[kind] += bt["amount"]
        day.count[kind] += 1
        day.net += bt["net"]
        if kind == "payouts":
            day.payout_fee += bt["fee"]
        else:
            day.fee += bt["fee"]
            day.net_activity += bt["net"]
    if not days:
        return {}
    last = max(day for day, _ in days)
    filled: dict[tuple[date, str], BalanceDay] = {}
    for currency in sorted({currency for _, currency in days}):
        first = min(day for day, cur in days if cur == currency)
        balance, day = 0, first
        while day <= last:
            row = days.get((day, currency), BalanceDay())
            balance += row.net
            row.balance = balance
            filled[day, currency] = row
            day += timedelta(days=1)
    return filled
