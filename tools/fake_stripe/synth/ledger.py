"""The account's settlement: currencies, exchange rates, fees and payouts.

The account is a US one settling in usd, with a second bank account in eur:
a share of the eur-paying customers settle in eur without conversion, every
other charge is converted to usd at the day's rate (`exchange_rate` on its
balance transaction). Fees follow Stripe's US card pricing. Payouts are
automatic (usd daily, eur weekly on Mondays) of the available balance, plus
an occasional Instant Payout in usd that carries a fee.

Balance transactions of the customers are rendered in blocks before the
payouts are known, so the parent keeps them aside (`PaidOutLedger`) and
writes them at the end with the id of the payout that paid each out, under
the top-level key `payout` (the key the extractor adds; replay serves
`?payout=` from it and strips it from what it serves).
"""

from __future__ import annotations

import random
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tools.fake_stripe import objects as obj
from tools.fake_stripe.synth.ids import Ids
from tools.fake_stripe.synth.timeline import DAY

ACCOUNT_COUNTRY = "US"
SETTLEMENT = "usd"  # the account's default settlement currency
SETTLEMENT_CURRENCIES = ("usd", "eur")
EUR_SETTLED_SHARE = 60  # percent of eur-paying customers settled in eur
BANKS = {"usd": "ba_1SynthBankAccount00000", "eur": "ba_1SynthBankAccountEUR00"}
# Settlement-currency units per presentment unit (major units), around which
# the daily rate moves.
BASE_RATES = {"eur": 1.08, "gbp": 1.27, "jpy": 0.0067}
DECIMALS = {"usd": 2, "eur": 2, "gbp": 2, "jpy": 0}
# Stripe's US card pricing, in basis points and settlement minor units.
CARD_BPS, INTERNATIONAL_BPS, CONVERSION_BPS = 290, 150, 100
FIXED_FEE = {"usd": 30, "eur": 25}
DISPUTE_FEE = {"usd": 1500, "eur": 1500}
INSTANT_BPS, INSTANT_MINIMUM = 150, 50  # Instant Payouts: 1.5 %, at least $0.50
INSTANT_SHARE = 0.04  # of days with an Instant Payout in usd
PAYOUT_WEEKDAY = {"usd": None, "eur": 0}  # None: daily; 0: Mondays


def settlement_currency(customer_id: str, currency: str) -> str:
    """eur for a fixed share of eur customers (by id, not the random
    stream, so the rest of the account is drawn as before), else usd."""
    if currency == "eur" and zlib.crc32(customer_id.encode()) % 100 < EUR_SETTLED_SHARE:
        return "eur"
    return SETTLEMENT


def exchange_rate(presentment: str, settlement: str, at: int) -> float | None:
    """The day's rate, a pure function of (currency, day); None: no conversion.

    A slow triangle wave (±3 % over a year) and a daily wobble (±0.5 %) from
    a checksum: integer arithmetic and one rounding, so every platform
    agrees to the digit.
    """
    if presentment == settlement:
        return None
    day = at // DAY
    phase = (day + zlib.crc32(presentment.encode()) % 365) % 360
    wave = (abs(phase - 180) / 180 - 0.5) * 0.06
    wobble = (zlib.crc32(f"{presentment}/{day}".encode()) % 1001 - 500) / 100_000
    return float(f"{BASE_RATES[presentment] * (1 + wave + wobble):.6g}")


def convert(amount: int, presentment: str, settlement: str, rate: float | None) -> int:
    """Minor units of the presentment currency into the settlement's."""
    if rate is None:
        return amount
    shift = DECIMALS[settlement] - DECIMALS[presentment]
    return round(amount * rate * 10**shift)


def card_fee(settled: int, settlement: str, card_country: str, converted: bool) -> int:
    """2.9 % + 30 cents; +1.5 % for a card from abroad; +1 % to convert."""
    bps = CARD_BPS
    if card_country != ACCOUNT_COUNTRY:
        bps += INTERNATIONAL_BPS
    if converted:
        bps += CONVERSION_BPS
    return round(settled * bps / 10_000) + FIXED_FEE[settlement]


@dataclass
class PayoutPlan:
    """Who paid out what: (currency, available_on) -> payout id for the
    customers' transactions, and the payouts' own rendered transactions."""

    paid_by: dict[tuple[str, int], str] = field(default_factory=dict)
    transactions: list[dict] = field(default_factory=list)
    payouts: list[tuple[dict, bool]] = field(default_factory=list)  # (payout, paid)


def plan_payouts(
    available: dict[tuple[str, int], int], ids: Ids, seed: int, now: int
) -> PayoutPlan:
    """Automatic payouts of the available balance per settlement currency.

    A payout on day D covers every transaction available by D not yet paid
    out; when that sums to zero or less nothing is paid and it carries on.
    Transactions becoming available later (or after the last payout day)
    are not paid out yet: their `payout` stays null.
    """
    plan = PayoutPlan()
    rng = random.Random(f"{seed}/payouts")
    for currency in SETTLEMENT_CURRENCIES:
        days = sorted(day for cur, day in available if cur == currency)
        if not days:
            continue
        waiting: list[tuple[str, int] | dict] = []
        carried, position = 0, 0
        for day in range(days[0], now + 1, DAY):
            while position < len(days) and days[position] <= day:
                key = (currency, days[position])
                waiting.append(key)
                carried += available[key]
                position += 1
            weekday = PAYOUT_WEEKDAY[currency]
            # 1970-01-01 was a Thursday (weekday 3): Monday is day % 7 == 4.
            on_schedule = weekday is None or (day // DAY) % 7 == (weekday - 3) % 7
            if on_schedule and carried > 0:
                payout_id = _payout(plan, ids, currency, day, carried, 0, now)
                for entry in waiting:
                    if isinstance(entry, dict):
                        entry["payout"] = payout_id
                    else:
                        plan.paid_by[entry] = payout_id
                waiting, carried = [], 0
            tomorrow = available.get((currency, day + DAY), 0)
            if (
                currency == SETTLEMENT
                and rng.random() < INSTANT_SHARE
                and day + DAY // 2 <= now
                and tomorrow > 10_000
            ):
                # Part of what becomes available tomorrow, now, for a fee; the
                # next automatic payout covers its transaction.
                amount = tomorrow * 3 // 10
                fee = max(INSTANT_MINIMUM, round(amount * INSTANT_BPS / 10_000))
                _payout(plan, ids, currency, day + DAY // 2, amount, fee, now)
                waiting.append(plan.transactions[-1])
                carried -= amount + fee
    return plan


def _payout(
    plan: PayoutPlan, ids: Ids, currency: str, at: int, amount: int, fee: int, now: int
) -> str:
    """One payout and its balance transaction (negative; an Instant Payout's
    fee on it); returns the payout's id."""
    instant = fee > 0
    payout_id, bt_id = ids.new("po"), ids.new("txn")
    arrival = at + (1800 if instant else 2 * DAY)
    status = "paid" if arrival <= now else "in_transit"
    bt = obj.balance_transaction(
        bt_id,
        at,
        at,
        -amount,
        fee,
        currency,
        "payout",
        "payout",
        payout_id,
        "INSTANT PAYOUT" if instant else "STRIPE PAYOUT",
        "available",
        fee_description="Instant Payout fee",
    )
    # Stripe lists a payout's own transaction under ?payout= too.
    bt["payout"] = None if instant else payout_id
    plan.transactions.append(bt)
    plan.payouts.append(
        (
            obj.payout(
                payout_id,
                at,
                arrival,
                amount,
                currency,
                bt_id,
                status,
                BANKS[currency],
                instant,
            ),
            status == "paid",
        )
    )
    return payout_id


class PaidOutLedger:
    """The customers' balance transactions, kept in an anonymous file until
    the payouts are planned, then written with their `payout`."""

    def __init__(self, directory: Path) -> None:
        self.file: Any = tempfile.TemporaryFile(dir=directory, prefix=".ledger")  # noqa: SIM115

    def keep(self, chunk: bytes) -> None:
        self.file.write(chunk)

    def write(self, sink, plan: PayoutPlan) -> None:
        """Every kept transaction, then the payouts' own, through `sink`."""
        paid_by = plan.paid_by
        self.file.seek(0)
        for line in self.file:
            bt = orjson.loads(line)
            bt["payout"] = paid_by.get((bt["currency"], bt["available_on"]))
            sink.write("balance_transactions", bt)
        self.file.close()
        for bt in plan.transactions:
            sink.write("balance_transactions", bt)
