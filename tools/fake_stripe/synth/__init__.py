"""Write a synthetic Stripe account as a snapshot directory.

    python -m tools.fake_stripe.synth --customers 1000 [--seed 7] [--out DIR] [--gzip]
    make synth SYNTH_CUSTOMERS=1000 [SYNTH_SEED=7] [JSON_DIR=DIR] [SYNTH_GZIP=1]

The business: a SaaS company selling monthly, quarterly, yearly and weekly
plans (some per seat, one metered, a dozen add-ons) in usd, eur, gbp and jpy,
over about 30 months ending at a fixed "now". Customers sign up (some with a
trial and a coupon), upgrade and downgrade with proration, change seats, fail
payments (with decline codes and Radar outcomes), go past_due and unpaid,
cancel (now or at period end), come back, get refunds and disputes; Stripe
pays out daily. The last 30 days also appear as events.

Every object has the shape the API returns at the pinned version (checked
against the stripe SDK's typed classes by tests/python/test_synth.py). An
invoice embeds its first 10 lines (has_more beyond) and, expanded, its
payments and discounts; a subscription its items and discounts. Events carry
the object as it was then for invoices, charges and new subscriptions, and as
it is now otherwise. Customers deleted in the last 30 days exist only in
their `customer.deleted` event, as with the API's list endpoint.

The output is a pure function of (customers, seed, now): customers are
simulated in blocks, each with its own random stream and id range, rendered
by --workers processes and written in order, so any number of workers gives
the same bytes. Memory is bounded by a few blocks, whatever the size.
`manifest.json` is written last: a directory without one is incomplete.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import copy
import datetime as dt
import functools
import gzip
import itertools
import multiprocessing
import os
import random
import resource
import sys
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tools.fake_stripe import objects as obj
from tools.fake_stripe.objects import RESOURCES

try:  # the pinned version lives with the extractor
    from extract.settings import STRIPE_API_VERSION
except ImportError:  # before the extractor exists: the SDK default is the pin
    from stripe._api_version import _ApiVersion

    STRIPE_API_VERSION = _ApiVersion.CURRENT

DAY = 86_400
HISTORY_DAYS = 900
EVENT_WINDOW = 30 * DAY
DEFAULT_NOW = "2026-11-01T00:00:00Z"
Fragment = orjson.Fragment
dumps = orjson.dumps

# Minor units per US cent, rounded to a list price in each currency.
CURRENCY_FACTOR = {"usd": 1.0, "eur": 0.92, "gbp": 0.79, "jpy": 1.5}
FEE = {"usd": (290, 30), "eur": (150, 25), "gbp": (150, 20), "jpy": (360, 0)}
DISPUTE_FEE = {"usd": 1500, "eur": 2000, "gbp": 2000, "jpy": 2000}
COUNTRIES = (  # country, currency, locale, city, postal code, weight
    ("US", "usd", "en-US", "Austin", "78701", 46),
    ("CA", "usd", "en-CA", "Toronto", "M5V 2T6", 5),
    ("DE", "eur", "de-DE", "Berlin", "10115", 10),
    ("FR", "eur", "fr-FR", "Paris", "75002", 7),
    ("NL", "eur", "nl-NL", "Utrecht", "3511", 4),
    ("ES", "eur", "es-ES", "Madrid", "28013", 3),
    ("GB", "gbp", "en-GB", "London", "EC1V 9HX", 13),
    ("JP", "jpy", "ja-JP", "Tokyo", "100-0005", 12),
)
FIRST_NAMES = (  # noqa: SIM905 (a list literal would run to 22 lines)
    "Ada Alan Grace Linus Barbara Ken Margaret Dennis Frances Edsger "
    "Radia John Hedy Tim Katherine Guido Anita Bjarne Yukihiro Sophie "
    "Hiro Lena"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Lovelace Turing Hopper Torvalds Liskov Thompson Hamilton Ritchie "
    "Allen Dijkstra Perlman Backus Lamarr Berners Johnson Rossum Borg "
    "Stroustrup Matsumoto Wilson Tanaka Meyer"
).split()
CARDS = (  # brand, funding, weight
    ("visa", "credit", 40),
    ("visa", "debit", 18),
    ("mastercard", "credit", 22),
    ("mastercard", "debit", 6),
    ("amex", "credit", 9),
    ("jcb", "credit", 3),
    ("discover", "credit", 2),
)
DECLINES = (  # failure code, decline code, message, advice, weight
    (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
        "try_again_later",
        40,
    ),
    (
        "card_declined",
        "generic_decline",
        "Your card was declined.",
        "try_again_later",
        25,
    ),
    ("card_declined", "do_not_honor", "Your card was declined.", "do_not_try_again", 8),
    ("expired_card", "expired_card", "Your card has expired.", "do_not_try_again", 10),
    (
        "incorrect_cvc",
        "incorrect_cvc",
        "Your card's security code is incorrect.",
        "confirm_card_data",
        5,
    ),
    ("card_declined", "lost_card", "Your card was declined.", "do_not_try_again", 3),
    ("card_declined", "fraudulent", "Your card was declined.", "do_not_try_again", 9),
)
TIERS = (  # name, monthly list price in US cents, description
    ("Starter", 900, "For individuals getting started."),
    ("Pro", 2900, "For professionals who ship every day."),
    ("Business", 9900, "For growing teams."),
    ("Enterprise", 49900, "SSO, audit log and a named engineer."),
)
ADDONS = (
    "SSO",
    "Audit log",
    "Extra storage",
    "Sandbox",
    "Data export",
    "Custom domain",
    "Webhooks+",
    "Analytics",
    "Backups",
    "Uptime SLA",
    "Dedicated IP",
    "Compliance pack",
    "Translation",
    "Advanced roles",
)
COUPONS = (  # id, name, duration, months, percent_off, amount_off, currency
    ("WELCOME20", "Welcome 20% for 3 months", "repeating", 3, 20.0, None, None),
    ("LAUNCH50", "Launch 50% first invoice", "once", None, 50.0, None, None),
    ("PARTNER10", "Partner 10% forever", "forever", None, 10.0, None, None),
    ("FIVEOFF", "$5 off once", "once", None, None, 500, "usd"),
    ("EURO10", "10 EUR off forever", "forever", None, None, 1000, "eur"),
    ("YEN1000", "1000 JPY off for 6 months", "repeating", 6, None, 1000, "jpy"),
)
RETRY_DAYS = (3, 5, 7)  # Smart Retries: further attempts after the first
CANCEL_FEEDBACK = (
    "too_expensive",
    "missing_features",
    "switched_service",
    "unused",
    "customer_service",
    "too_complex",
    "low_quality",
    "other",
)


class Price:
    """What the simulation needs of a price, and its bytes for embedding."""

    __slots__ = (
        "id",
        "product",
        "product_name",
        "currency",
        "unit_amount",
        "interval",
        "interval_count",
        "metered",
        "fragment",
        "plan_fragment",
    )

    def __init__(self, body: dict, product_name: str, fragment, plan_fragment) -> None:
        recurring = body["recurring"]
        self.id, self.product = body["id"], body["product"]
        self.product_name = product_name
        self.currency, self.unit_amount = body["currency"], body["unit_amount"]
        self.interval = recurring["interval"]
        self.interval_count = recurring["interval_count"]
        self.metered = recurring["usage_type"] == "metered"
        self.fragment, self.plan_fragment = fragment, plan_fragment


@dataclass
class Coupon:
    id: str
    name: str
    duration: str
    months: int | None
    percent_off: float | None
    amount_off: int | None
    currency: str | None


@dataclass
class Catalog:
    """Products, prices and coupons, shared by every customer."""

    tiers: dict[tuple[str, str, str], Price] = field(default_factory=dict)
    seats: dict[tuple[str, str], Price] = field(default_factory=dict)
    metered: dict[str, Price] = field(default_factory=dict)
    support: dict[str, Price] = field(default_factory=dict)
    digest: dict[str, Price] = field(default_factory=dict)
    addons: dict[tuple[str, str], list[Price]] = field(default_factory=dict)
    legacy: dict[str, Price] = field(default_factory=dict)
    coupons: list[Coupon] = field(default_factory=list)


@dataclass
class Stats:
    counts: dict[str, int]
    seconds: float
    peak_rss_mib: float
    worker_peak_rss_mib: float = 0.0

    @property
    def objects(self) -> int:
        return sum(self.counts.values())

    @property
    def per_second(self) -> float:
        return self.objects / self.seconds if self.seconds else 0.0


class Ids:
    """Stripe-looking ids, unique per prefix, a pure function of the seed.

    A counter goes through a bijection of [0, 62**10) (multiplication by a
    number coprime to 62, plus a start that depends on seed and prefix), so
    ids look random yet never collide; three base-62 digits at a time.
    """

    ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    SPACE = 62**10
    MULTIPLIER = 0x732D907D74A3301  # about 0.618 of the space; odd, not 31k
    SHORT = frozenset(("cus", "prod", "si", "fp"))

    def __init__(self, seed: int, first: int = 0) -> None:
        self.first = first  # blocks of customers use disjoint counter ranges
        self.offset = (seed * 0x9E3779B97F4A7C15) % self.SPACE
        self.makers: dict[str, Any] = {}

    @functools.cached_property
    def triples(self) -> list[str]:
        return triples_table()

    def new(self, prefix: str) -> str:
        maker = self.makers.get(prefix)
        if maker is None:
            maker = self.makers[prefix] = self._maker(prefix)
        return maker()

    def _maker(self, prefix: str):
        counter = itertools.count(self.first)
        start = (self.offset + zlib.crc32(prefix.encode()) ** 2) % self.SPACE
        multiplier, space = self.MULTIPLIER, self.SPACE
        triples, letters = self.triples, self.ALPHABET
        head = f"{prefix}_" if prefix in self.SHORT else f"{prefix}_1"
        tag = "" if prefix in self.SHORT else "SynthAcct"

        def new() -> str:
            x = (next(counter) * multiplier + start) % space
            x, low = divmod(x, 238_328)
            x, middle = divmod(x, 238_328)
            x, high = divmod(x, 238_328)
            return (
                head + triples[low] + triples[middle] + tag + triples[high] + letters[x]
            )

        return new


@functools.cache
def triples_table() -> list[str]:
    """All 238,328 three-digit base-62 strings, built once per process."""
    letters = Ids.ALPHABET
    return [a + b + c for a in letters for b in letters for c in letters]


class Sink:
    """One buffered file per resource; counts what it writes."""

    def __init__(self, directory: Path, compress: bool) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.counts = dict.fromkeys(RESOURCES, 0)
        self.files: dict[str, Any] = {}
        self.raw_files: dict[str, Any] = {}
        self.pending: dict[str, list[bytes]] = {name: [] for name in RESOURCES}
        self.sizes = dict.fromkeys(RESOURCES, 0)
        suffix = ".jsonl.gz" if compress else ".jsonl"
        for name in RESOURCES:
            for stale in (f"{name}.jsonl", f"{name}.jsonl.gz", f"{name}.json"):
                (directory / stale).unlink(missing_ok=True)
            path = directory / f"{name}{suffix}"
            if compress:
                # No name and a zero mtime in the header: the same bytes every run.
                raw = self.raw_files[name] = open(path, "wb")  # noqa: SIM115
                self.files[name] = gzip.GzipFile(
                    filename="", mode="wb", compresslevel=1, fileobj=raw, mtime=0
                )
            else:
                self.files[name] = open(path, "wb")  # noqa: SIM115
        (directory / "manifest.json").unlink(missing_ok=True)

    def write(self, resource_name: str, value: dict) -> bytes:
        data = dumps(value)
        self.pending[resource_name].append(data)
        size = self.sizes[resource_name] + len(data)
        if size > 1 << 18:
            self.flush(resource_name)
        else:
            self.sizes[resource_name] = size
        return data

    def flush(self, resource_name: str) -> None:
        pending = self.pending[resource_name]
        if pending:
            pending.append(b"")
            self.emit(resource_name, b"\n".join(pending))
            self.counts[resource_name] += len(pending) - 1
            pending.clear()
            self.sizes[resource_name] = 0

    def emit(self, resource_name: str, chunk: bytes) -> None:
        self.files[resource_name].write(chunk)

    def write_chunk(self, resource_name: str, chunk: bytes, count: int) -> None:
        """Lines another process rendered (newline-terminated), in order."""
        self.flush(resource_name)
        self.files[resource_name].write(chunk)
        self.counts[resource_name] += count

    def sync(self) -> None:
        """Everything pending is in the files (before forking workers)."""
        for name, handle in self.files.items():
            self.flush(name)
            handle.flush()

    def close(self) -> None:
        for name, handle in self.files.items():
            self.flush(name)
            handle.close()
        for raw in self.raw_files.values():  # GzipFile leaves a given file open
            raw.close()


class BufferSink(Sink):
    """Collects one block's lines in memory for the process that writes.

    Lines are joined every 256 KiB: orjson's bytes can carry many times
    their length in spare capacity, so holding thousands of them would cost
    far more memory than the text they hold.
    """

    def __init__(self) -> None:  # no files: nothing to open or remove
        self.counts = dict.fromkeys(RESOURCES, 0)
        self.pending = {name: [] for name in RESOURCES}
        self.sizes = dict.fromkeys(RESOURCES, 0)
        self.chunks: dict[str, list[bytes]] = {name: [] for name in RESOURCES}

    def emit(self, resource_name: str, chunk: bytes) -> None:
        self.chunks[resource_name].append(chunk)

    def take(self) -> dict[str, tuple[bytes, int]]:
        taken = {}
        for name in RESOURCES:
            self.flush(name)
            if self.counts[name]:
                taken[name] = (b"".join(self.chunks[name]), self.counts[name])
        return taken


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


def local_amount(usd_cents: int, currency: str) -> int:
    value = usd_cents * CURRENCY_FACTOR[currency]
    if usd_cents < 100:  # per-unit prices stay small
        return max(1, round(value))
    return max(100, round(value / 100) * 100)


def format_day(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%d %b %Y")


class Generator:
    """The account: its catalog, payouts and coupons, and blocks of customers.

    Customers are simulated in blocks of BLOCK, each with a random stream
    and an id range of its own, so a block's output depends only on (seed,
    block) and blocks can be rendered in parallel yet written in order.
    """

    def __init__(self, customers: int, seed: int, now: int, sink: Sink) -> None:
        self.customers = customers
        self.seed = seed
        self.rng = random.Random(seed)
        self.ids = Ids(seed)
        self.now = now
        self.start = now - HISTORY_DAYS * DAY
        self.sink = sink
        self.catalog = Catalog()
        # (currency, day) -> net amount becoming available that day
        self.available: dict[tuple[str, int], int] = {}
        self.redeemed: collections.Counter[str] = collections.Counter()
        self.worker_peak = 0.0  # MiB, the largest of the worker processes

    def for_block(self, block: int, sink: Sink) -> Generator:
        """A generator for one block: shared catalog, own randomness and ids."""
        child = copy.copy(self)
        child.rng = random.Random(f"{self.seed}/{block}")
        child.ids = Ids(self.seed, first=(block + 1) << 24)
        child.sink = sink
        child.available = {}
        child.redeemed = collections.Counter()
        return child

    def merge(self, available: dict[tuple[str, int], int], redeemed) -> None:
        for key, net in available.items():
            self.available[key] = self.available.get(key, 0) + net
        self.redeemed.update(redeemed)

    def signup_time(self, index: int) -> int:
        # Growth: later months see more sign-ups (density rises linearly).
        span = self.now - self.start - DAY
        position = (index + self.rng.random()) / self.customers
        return self.start + int(span * position**0.5)

    # -- shared objects -------------------------------------------------

    def build_catalog(self) -> None:
        """Plans in four currencies; yearly lists at ten months' price."""
        catalog, created = self.catalog, self.start - 30 * DAY
        self.catalog_created = created
        self.legacy_cut = self.start + 330 * DAY
        for rank, (name, cents, description) in enumerate(TIERS):
            product = self._product(created + rank, name, description)
            for currency in CURRENCY_FACTOR:
                for interval in ("month", "year"):
                    key = (name, currency, interval)
                    catalog.tiers[key] = self._price(product, currency, cents, interval)
                if name == "Pro":  # early customers keep the old list price
                    catalog.legacy[currency] = self._price(
                        product,
                        currency,
                        1900,
                        "month",
                        active=False,
                        created=created - 200 * DAY,
                        nickname="Pro monthly (2024 list price)",
                    )
        seats = self._product(created + 10, "Team", "Per-seat plan.", "seat")
        api = self._product(created + 11, "API calls", "Metered API usage.", "call")
        support = self._product(created + 12, "Priority support", "Quarterly.")
        digest = self._product(created + 13, "Weekly digest", "Weekly report.")
        meter = self.ids.new("mtr")
        for currency in CURRENCY_FACTOR:
            for interval in ("month", "year"):
                catalog.seats[(currency, interval)] = self._price(
                    seats, currency, 1500, interval
                )
            catalog.metered[currency] = self._price(
                api, currency, 2, "month", metered=True, meter=meter
            )
            catalog.support[currency] = self._price(
                support, currency, 29900, "month", count=3
            )
            catalog.digest[currency] = self._price(digest, currency, 300, "week")
        for index, name in enumerate(ADDONS):
            product = self._product(
                created + 20 + index, f"Add-on: {name}", f"{name} add-on."
            )
            for currency in CURRENCY_FACTOR:
                for interval in ("month", "year"):
                    catalog.addons.setdefault((currency, interval), []).append(
                        self._price(product, currency, 500 + 300 * index, interval)
                    )
        catalog.coupons = [Coupon(*row) for row in COUPONS]

    def _product(
        self, created: int, name: str, description: str, unit: str | None = None
    ) -> tuple[str, str]:
        product_id = self.ids.new("prod")
        self.sink.write(
            "products", obj.product(product_id, created, name, description, unit)
        )
        return product_id, name

    def _price(
        self,
        product: tuple[str, str],
        currency: str,
        usd_cents: int,
        interval: str,
        count: int = 1,
        metered: bool = False,
        meter: str | None = None,
        active: bool = True,
        created: int | None = None,
        nickname: str | None = None,
    ) -> Price:
        """A recurring price (and the Plan Stripe keeps under the same id)."""
        amount = local_amount(usd_cents * (10 if interval == "year" else 1), currency)
        body = obj.price(
            self.ids.new("price"),
            created or self.catalog_created,
            product[0],
            currency,
            amount,
            interval,
            count,
            "metered" if metered else "licensed",
            meter,
            active,
            nickname or f"{product[1]} {'quarter' if count == 3 else interval}ly",
            None,
        )
        data = self.sink.write("prices", body)
        plan = self.sink.write("plans", obj.plan_from_price(body))
        return Price(body, product[1], Fragment(data), Fragment(plan))

    def write_coupons(self) -> None:
        created = self.start - 20 * DAY
        for coupon in self.catalog.coupons:
            self.sink.write(
                "coupons",
                obj.coupon(
                    coupon.id,
                    created,
                    coupon.name,
                    coupon.duration,
                    coupon.months,
                    coupon.percent_off,
                    coupon.amount_off,
                    coupon.currency,
                    self.redeemed[coupon.id],
                ),
            )

    def credit_balance(self, currency: str, available_on: int, net: int) -> None:
        key = (currency, available_on)
        self.available[key] = self.available.get(key, 0) + net

    def write_payouts(self) -> None:
        """Daily automatic payouts of what became available, per currency."""
        bank = "ba_1SynthBankAccount00000"
        for currency in CURRENCY_FACTOR:
            days = sorted(day for cur, day in self.available if cur == currency)
            carried = 0
            for day in days:
                carried += self.available[(currency, day)]
                if day > self.now or carried <= 0:
                    continue
                payout_id = self.ids.new("po")
                bt_id = self.ids.new("txn")
                arrival = day + (4 if currency == "jpy" else 2) * DAY
                status = "paid" if arrival <= self.now else "in_transit"
                self.sink.write(
                    "balance_transactions",
                    obj.balance_transaction(
                        bt_id,
                        day,
                        day,
                        -carried,
                        0,
                        currency,
                        "payout",
                        "payout",
                        payout_id,
                        "STRIPE PAYOUT",
                        "available",
                    ),
                )
                data = self.sink.write(
                    "payouts",
                    obj.payout(
                        payout_id, day, arrival, carried, currency, bt_id, status, bank
                    ),
                )
                if day >= self.now - EVENT_WINDOW:
                    self.emit_event("payout.created", day, data)
                    if status == "paid":
                        self.emit_event("payout.paid", arrival, data)
                carried = 0

    def in_window(self, created: int) -> bool:
        """Stripe keeps the events of the last 30 days."""
        return self.now - EVENT_WINDOW <= created <= self.now

    def emit_event(
        self, kind: str, created: int, data: bytes, previous: dict | None = None
    ) -> None:
        if not self.in_window(created):
            return
        request = self.ids.new("req") if self.rng.random() < 0.5 else None
        self.sink.write(
            "events",
            obj.event(
                self.ids.new("evt"),
                created,
                kind,
                Fragment(data),
                previous,
                STRIPE_API_VERSION,
                request,
            ),
        )

    # -- the account -----------------------------------------------------

    def run(self, workers: int) -> None:
        self.build_catalog()
        blocks = -(-self.customers // BLOCK)
        for chunks, available, redeemed, _peak in rendered_blocks(
            self, blocks, workers
        ):
            for name, (chunk, count) in chunks.items():
                self.sink.write_chunk(name, chunk, count)
            self.merge(available, redeemed)
        self.write_coupons()
        self.write_payouts()


BLOCK = 200
_PARENT: Generator | None = None  # what forked workers render blocks of


def render_block(parent: Generator, block: int) -> tuple:
    """One block of customers: their lines per file, balances, coupon uses."""
    sink = BufferSink()
    gen = parent.for_block(block, sink)
    for index in range(block * BLOCK, min(parent.customers, (block + 1) * BLOCK)):
        CustomerLife(gen, index).simulate()
    return sink.take(), gen.available, gen.redeemed, peak_rss_mib()


def _render_in_worker(block: int) -> tuple:
    assert _PARENT is not None
    return render_block(_PARENT, block)


def rendered_blocks(parent: Generator, blocks: int, workers: int) -> Iterator[tuple]:
    """Blocks in order; with workers > 1, rendered by forked processes, at
    most two per worker in flight so memory stays bounded."""
    if workers <= 1 or blocks == 1:
        for block in range(blocks):
            yield render_block(parent, block)
        return
    global _PARENT
    _PARENT = parent
    parent.sink.sync()  # a forked child must not inherit unwritten buffers
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        in_flight: collections.deque = collections.deque()
        upcoming = iter(range(blocks))
        for block in itertools.islice(upcoming, 2 * workers):
            in_flight.append(pool.submit(_render_in_worker, block))
        while in_flight:
            result = in_flight.popleft().result()
            for block in itertools.islice(upcoming, 1):
                in_flight.append(pool.submit(_render_in_worker, block))
            parent.worker_peak = max(parent.worker_peak, result[3])
            yield result


class CustomerLife:
    """One customer from sign-up to now: everything it causes is written."""

    def __init__(self, gen: Generator, index: int) -> None:
        self.gen = gen
        self.rng = gen.rng
        self.ids = gen.ids
        self.sink = gen.sink
        self.now = gen.now
        rng = self.rng
        country = rng.choices(COUNTRIES, weights=[c[5] for c in COUNTRIES])[0]
        self.country, self.currency, self.locale, city, postal = country[:5]
        self.id = self.ids.new("cus")
        self.created = created = gen.signup_time(index)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        self.name = f"{first} {last}"
        self.email = f"{first}.{last}.{self.id[4:10]}@example.com".lower()
        self.phone = f"+1555{rng.randrange(10**6):06d}" if rng.random() < 0.3 else None
        self.address = obj.address(
            self.country, city, postal, f"{rng.randrange(1, 999)} Market Street"
        )
        self.details = obj.billing_details(self.address, self.email, self.name)
        self.contact = {"address": self.address, "email": self.email,
                        "name": self.name, "phone": self.phone}  # fmt: skip
        # Invoice numbers are unique in an account: a bijection of the index.
        self.prefix = f"{(index * 0x9E3779B1 + gen.seed) % 2**32:08X}"
        self.sequence = 1
        self.balance = 0
        self.delinquent = False
        self.deleted_at: int | None = None
        self.pending_pms: list[tuple[str, int, dict]] = []
        self.one_off: list[dict] = []
        self.fragments: dict[str, Any] = {}
        self.pm_id, self.pm_card = self.new_payment_method(created)
        self.risky = rng.random() < 0.08  # a card that fails often

    # -- payment methods --------------------------------------------------

    def new_payment_method(self, created: int) -> tuple[str, dict]:
        rng = self.rng
        brand, funding, _ = rng.choices(CARDS, weights=[c[2] for c in CARDS])[0]
        if self.currency == "jpy" and rng.random() < 0.4:
            brand, funding = "jcb", "credit"
        year = dt.datetime.fromtimestamp(created, dt.UTC).year
        card = {
            "brand": brand,
            "country": self.country if rng.random() < 0.9 else "US",
            "exp_month": rng.randint(1, 12),
            "exp_year": year + rng.randint(1, 5),
            "fingerprint": self.ids.new("fp")[3:] + self.id[-6:],
            "funding": funding,
            "last4": f"{rng.randrange(10000):04d}",
        }
        pm_id = self.ids.new("pm")
        self.pending_pms.append((pm_id, created, card))
        return pm_id, card

    def write_payment_methods(self) -> None:
        owner = None if self.deleted_at else self.id
        for pm_id, created, card in self.pending_pms:
            data = self.sink.write(
                "payment_methods",
                obj.payment_method(pm_id, created, owner, self.details, card),
            )
            self.fragments[pm_id] = Fragment(data)
            self.gen.emit_event("payment_method.attached", created, data)

    # -- payments ----------------------------------------------------------

    def pay(
        self, amount: int, at: int, description: str, first_attempt_fails: bool
    ) -> dict:
        """Charge the default card; Smart Retries after a failure.

        Returns what happened: payment intent id, the attempts (time, charge
        id, decline or None), whether it was paid and when.
        """
        rng = self.rng
        pi_id = self.ids.new("pi")
        attempts: list[tuple[int, str, tuple | None]] = []
        paid_at = None
        fail = first_attempt_fails
        times = [at] + [at + d * DAY for d in RETRY_DAYS]
        for number, when in enumerate(times):
            if when > self.now:
                break
            if fail:
                decline = rng.choices(DECLINES, weights=[d[4] for d in DECLINES])[0]
                attempts.append((when, self.ids.new("ch"), decline))
                if decline[1] in ("expired_card", "lost_card") and number == 0:
                    # The customer adds a new card after the first failure.
                    self.pm_id, self.pm_card = self.new_payment_method(when + 3600)
                fail = rng.random() < 0.55
                continue
            attempts.append((when, self.ids.new("ch"), None))
            paid_at = when
            break
        return {
            "pi": pi_id,
            "attempts": attempts,
            "paid_at": paid_at,
            "at": at,
            "amount": amount,
            "description": description,
        }

    def write_payment(self, payment: dict, canceled_at: int | None = None) -> None:
        """Charges, balance transactions, refunds, disputes, the intent."""
        amount, currency = payment["amount"], self.currency
        pi_id, description = payment["pi"], payment["description"]
        latest_charge = None
        error = None
        for when, charge_id, decline in payment["attempts"]:
            latest_charge = charge_id
            pm_id = self.pm_at(when)[0]
            if decline is None:
                self.write_success(charge_id, when, amount, pi_id, description)
                error = None
                continue
            code, decline_code, message, advice, _ = decline
            fraud = decline_code == "fraudulent"
            outcome = obj.outcome(
                "not_sent_to_network" if fraud else "declined_by_network",
                "highest_risk_level" if fraud else decline_code,
                "highest" if fraud else "normal",
                self.rng.randint(76, 99) if fraud else self.rng.randint(5, 60),
                "Stripe blocked this payment as too risky."
                if fraud
                else f"The bank returned the decline code `{decline_code}`.",
                "blocked" if fraud else "issuer_declined",
                None if fraud else advice,
                None if fraud else {"insufficient_funds": "51"}.get(decline_code, "05"),
            )
            data = self.write_charge(
                charge_id, when, amount, pi_id, description, outcome, (code, message)
            )
            self.gen.emit_event("charge.failed", when, data)
            error = obj.last_payment_error(
                charge_id, code, decline_code, message, self.fragments.get(pm_id)
            )
        paid = payment["paid_at"] is not None
        if paid:
            status = "succeeded"
        elif canceled_at is not None:
            status = "canceled"
        else:
            status = "requires_payment_method"
        data = self.sink.write(
            "payment_intents",
            obj.payment_intent(
                pi_id,
                payment["at"],
                amount,
                currency,
                self.id,
                self.pm_at(payment["at"])[0],
                description,
                status,
                latest_charge,
                error,
                canceled_at if not paid else None,
                self.email,
                pi_id[-12:],
            ),
        )
        self.gen.emit_event("payment_intent.created", payment["at"], data)
        if paid:
            self.gen.emit_event("payment_intent.succeeded", payment["paid_at"], data)
        elif payment["attempts"]:
            self.gen.emit_event(
                "payment_intent.payment_failed", payment["attempts"][-1][0], data
            )

    def write_charge(
        self,
        charge_id: str,
        when: int,
        amount: int,
        pi_id: str,
        description: str,
        outcome: dict,
        failure: tuple[str, str] | None,
        bt_id: str | None = None,
        refunded: int = 0,
        disputed: bool = False,
    ) -> bytes:
        """A charge on the card the customer had then; failure: code, message."""
        pm_id, card = self.pm_at(when)
        code, message = failure or (None, None)
        return self.sink.write(
            "charges",
            obj.charge(
                charge_id,
                when,
                amount,
                self.currency,
                self.id,
                pi_id,
                pm_id,
                card,
                self.details,
                description,
                failure is None,
                code,
                message,
                outcome,
                bt_id,
                refunded,
                disputed,
                self.email,
            ),
        )

    def pm_at(self, when: int) -> tuple[str, dict]:
        chosen = self.pending_pms[0]
        for entry in self.pending_pms:
            if entry[1] <= when:
                chosen = entry
        return chosen[0], chosen[2]

    def balance_entry(
        self,
        at: int,
        amount: int,
        fee: int,
        kind: str,
        category: str,
        source: str,
        description: str | None,
        days: int,
    ) -> dict:
        """A balance transaction; its net counts towards that day's payout."""
        available_on = (at // DAY + days) * DAY
        self.gen.credit_balance(self.currency, available_on, amount - fee)
        status = "available" if available_on <= self.now else "pending"
        return obj.balance_transaction(
            self.ids.new("txn"),
            at,
            available_on,
            amount,
            fee,
            self.currency,
            kind,
            category,
            source,
            description,
            status,
        )

    def write_success(
        self, charge_id: str, when: int, amount: int, pi_id: str, description: str
    ) -> None:
        rng, gen = self.rng, self.gen
        percent, fixed = FEE[self.currency]
        fee = round(amount * percent / 10_000) + fixed
        bt = self.balance_entry(
            when, amount, fee, "charge", "charge", charge_id, description, 2
        )
        self.sink.write("balance_transactions", bt)
        refunded = 0
        draw = rng.random  # cheaper than randint on this hot path
        refund_at = when + (1 + int(draw() * 25)) * DAY
        if rng.random() < 0.025 and refund_at <= self.now:
            full = rng.random() < 0.6
            refunded = amount if full else max(1, amount * rng.randint(1, 9) // 10)
            self.write_refund(charge_id, pi_id, refund_at, refunded)
        dispute_at = when + (7 + int(draw() * 54)) * DAY
        disputed = not refunded and rng.random() < 0.004 and dispute_at <= self.now
        risk = int(draw() * 71)
        outcome = obj.outcome(
            "approved_by_network",
            None,
            "elevated" if risk > 65 else "normal",
            risk,
            "Payment complete.",
            "authorized",
            None,
            None,
        )
        data = self.write_charge(
            charge_id,
            when,
            amount,
            pi_id,
            description,
            outcome,
            None,
            bt["id"],
            refunded,
            disputed,
        )
        if refunded and gen.in_window(when):  # as it was before the refund
            before = orjson.loads(data) | {"amount_refunded": 0, "refunded": False}
            gen.emit_event("charge.succeeded", when, dumps(before))
        else:
            gen.emit_event("charge.succeeded", when, data)
        if refunded:
            gen.emit_event("charge.refunded", refund_at, data)
        if disputed:
            brand = self.pm_at(when)[1]["brand"]
            self.write_dispute(charge_id, pi_id, dispute_at, amount, brand)

    def write_refund(self, charge_id: str, pi_id: str, at: int, amount: int) -> None:
        refund_id = self.ids.new("re")
        bt = self.balance_entry(
            at, -amount, 0, "refund", "refund", refund_id, "REFUND FOR CHARGE", 1
        )
        self.sink.write("balance_transactions", bt)
        reason = self.rng.choice(("requested_by_customer", "duplicate", "fraudulent"))
        data = self.sink.write(
            "refunds",
            obj.refund(
                refund_id,
                at,
                amount,
                self.currency,
                charge_id,
                pi_id,
                bt["id"],
                reason,
                f"{self.rng.randrange(10**12):012d}",
            ),
        )
        self.gen.emit_event("refund.created", at, data)

    def write_dispute(self, charge_id, pi_id, at, amount, brand) -> None:
        rng = self.rng
        dispute_id = self.ids.new("du")
        reason = rng.choice(
            ("fraudulent", "subscription_canceled", "product_unacceptable")
        )
        decided = at + 30 * DAY
        if decided > self.now:
            status = "needs_response" if at > self.now - 7 * DAY else "under_review"
        else:
            status = "won" if rng.random() < 0.4 else "lost"
        bts = [
            self.balance_entry(
                at,
                -amount,
                DISPUTE_FEE[self.currency],
                "adjustment",
                "dispute",
                dispute_id,
                "Chargeback withdrawal",
                1,
            )
        ]
        if status == "won":
            bts.append(
                self.balance_entry(
                    decided,
                    amount,
                    0,
                    "adjustment",
                    "dispute_reversal",
                    dispute_id,
                    "Chargeback reversal",
                    1,
                )
            )
        for bt in bts:
            self.sink.write("balance_transactions", bt)
        data = self.sink.write(
            "disputes",
            obj.dispute(
                dispute_id,
                at,
                amount,
                self.currency,
                charge_id,
                pi_id,
                reason,
                status,
                bts,
                brand,
                self.email,
                self.name,
                at + 21 * DAY,
                status != "needs_response",
            ),
        )
        self.gen.emit_event("charge.dispute.created", at, data)

    # -- the life ------------------------------------------------------------

    def simulate(self) -> None:
        rng, gen = self.rng, self.gen
        if rng.random() < 0.004 and self.created < self.now - 40 * DAY:
            self.deleted_at = self.now - rng.randint(1, 29) * DAY
        subscriptions: list[SubscriptionLife] = []
        if rng.random() < 0.9:
            start = self.created + rng.randint(0, 3600)
            while start is not None and start < self.end_of_life():
                life = SubscriptionLife(self, start, reactivation=bool(subscriptions))
                life.simulate()
                subscriptions.append(life)
                start = life.comeback()
        else:
            self.one_off_purchases()
        self.write_payment_methods()
        for payment in self.one_off:
            self.write_payment(payment)
        for life in subscriptions:
            life.write()
        currency = self.currency if (subscriptions or self.one_off) else None
        body = obj.customer(
            self.id,
            self.created,
            self.name,
            self.email,
            self.address,
            currency,
            self.balance,
            self.delinquent,
            self.pm_id,
            self.prefix,
            self.sequence,
            self.locale,
            self.phone,
        )
        if self.deleted_at is None:
            data = self.sink.write("customers", body)
        else:
            data = dumps(body)
            gen.emit_event("customer.deleted", self.deleted_at, data)
        gen.emit_event("customer.created", self.created, data)
        if rng.random() < 0.05:
            changed_at = self.now - rng.randint(0, 29) * DAY - rng.randint(0, DAY)
            if changed_at > self.created:
                gen.emit_event(
                    "customer.updated",
                    changed_at,
                    data,
                    {"email": f"old.{self.email}", "name": self.name.upper()},
                )

    def end_of_life(self) -> int:
        return self.deleted_at if self.deleted_at is not None else self.now

    def one_off_purchases(self) -> None:
        """Customers without a subscription buy a report pack now and then."""
        when = self.created + self.rng.randint(60, 7 * DAY)
        for _ in range(self.rng.randint(1, 3)):
            if when > self.end_of_life():
                break
            amount = local_amount(self.rng.choice((1900, 4900, 9900)), self.currency)
            payment = self.pay(amount, when, "Report pack", self.rng.random() < 0.05)
            self.one_off.append(payment)
            when += self.rng.randint(20, 200) * DAY


class SubscriptionLife:
    """A subscription from creation to cancellation (or now)."""

    def __init__(self, owner: CustomerLife, start: int, reactivation: bool) -> None:
        self.owner = owner
        self.gen, self.rng, self.ids = owner.gen, owner.rng, owner.ids
        self.now = owner.now
        rng, catalog, currency = self.rng, self.gen.catalog, owner.currency
        self.id = self.ids.new("sub")
        self.start = start
        self.reactivation = reactivation
        roll = rng.random()
        self.items: list[dict] = []  # id, price, quantity, created
        if roll < 0.04:
            self.add_item(catalog.digest[currency], 1)
        elif roll < 0.08:
            self.add_item(catalog.support[currency], 1)
        else:
            interval = "year" if rng.random() < 0.22 else "month"
            self.tier_interval = interval
            if rng.random() < 0.18:
                self.add_item(catalog.seats[(currency, interval)], rng.randint(2, 25))
            else:
                tier = rng.choices(
                    ("Starter", "Pro", "Business", "Enterprise"),
                    weights=(30, 40, 22, 8),
                )[0]
                price = catalog.tiers[(tier, currency, interval)]
                if (
                    tier == "Pro"
                    and interval == "month"
                    and start < self.gen.legacy_cut
                ):
                    price = catalog.legacy[currency]
                self.add_item(price, 1)
                if tier == "Enterprise" and rng.random() < 0.5:
                    addons = catalog.addons[(currency, interval)]
                    for addon in rng.sample(addons, rng.randint(6, len(addons))):
                        self.add_item(addon, 1)
                if interval == "month" and rng.random() < 0.12:
                    self.add_item(catalog.metered[currency], None)
        self.trial_end = None
        if not reactivation and rng.random() < 0.3:
            self.trial_end = start + 14 * DAY
        self.coupon: Coupon | None = None
        if rng.random() < 0.15:
            options = [c for c in catalog.coupons if c.currency in (None, currency)]
            self.coupon = rng.choice(options)
            self.gen.redeemed[self.coupon.id] += 1
        self.discount_id = self.ids.new("di") if self.coupon else None
        self.invoices: list[dict] = []
        self.pending_items: list[dict] = []  # proration invoice items not yet billed
        self.status = "active"
        self.cancel_at = None
        self.cancel_at_period_end = False
        self.canceled_at = None
        self.ended_at = None
        self.cancel_reason = None
        self.feedback = None
        self.period = (start, start)
        self.events: list[tuple[str, int, dict | None]] = [
            ("customer.subscription.created", start, None)
        ]

    def add_item(self, price: Price, quantity: int | None) -> None:
        self.items.append(
            {
                "id": self.ids.new("si"),
                "price": price,
                "quantity": quantity,
                "created": self.start,
            }
        )

    @property
    def base(self) -> dict:
        return self.items[0]

    def step(self, start: int) -> int:
        price = self.base["price"]
        return next_period(start, price.interval, price.interval_count)

    # -- simulation -------------------------------------------------------

    def simulate(self) -> None:
        if self.trial_end is not None:
            period = (self.start, self.trial_end)
            self.bill(self.start, period, "subscription_create", trial=True)
        else:
            period = (self.start, self.step(self.start))
            if not self.bill(self.start, period, "subscription_create"):
                return
        while True:
            self.period = period
            if self.status in ("unpaid", "canceled", "incomplete_expired"):
                return
            start, end = period
            self.maybe_change(start, end)
            if self.cancel_now_or_later(start, end):
                return
            if end > self.now:
                return
            if (
                self.trial_end is not None
                and start == self.start
                and end == self.trial_end
            ):
                self.updated(end, {"status": "trialing"})
            period = (end, self.step(end))
            self.bill(end, period, "subscription_cycle", usage_period=(start, end))

    def maybe_change(self, start: int, end: int) -> None:
        """Upgrades, downgrades and seat changes, prorated to the period end."""
        rng = self.rng
        price = self.base["price"]
        if price.metered or rng.random() > 0.06 or end - start < 10 * DAY:
            return
        when = start + int((end - start) * rng.uniform(0.1, 0.9))
        if when > self.now:
            return
        catalog, currency = self.gen.catalog, self.owner.currency
        old_qty = self.base["quantity"]
        if price.product_name == "Team":
            new_price, new_qty = price, max(1, old_qty + rng.choice((-3, -1, 1, 2, 5)))
            if new_qty == old_qty:
                return
        else:
            names = ("Starter", "Pro", "Business", "Enterprise")
            if price.product_name not in names:
                return
            rank = names.index(price.product_name)
            target = rank + (1 if rng.random() < 0.7 or rank == 0 else -1)
            if target >= len(names):
                return
            new_price = catalog.tiers[(names[target], currency, price.interval)]
            new_qty = 1
        remaining = (end - when) / (end - start)
        day = format_day(when)
        self.pending_items.append(
            self.proration(
                when,
                end,
                price,
                old_qty,
                -round(price.unit_amount * old_qty * remaining),
                f"Unused time on {old_qty} × {price.product_name} after {day}",
            )
        )
        self.pending_items.append(
            self.proration(
                when,
                end,
                new_price,
                new_qty,
                round(new_price.unit_amount * new_qty * remaining),
                f"Remaining time on {new_qty} × {new_price.product_name} after {day}",
            )
        )
        self.base["price"], self.base["quantity"] = new_price, new_qty
        previous = (
            {"items": {"quantity": old_qty}}
            if new_price is price
            else {"items": {"price": price.id}}
        )
        self.updated(when, previous)

    def billed(
        self,
        price: Price,
        quantity: int,
        amount: int,
        text: str,
        start: int,
        end: int,
        item_id: str,
    ) -> obj.Billed:
        return obj.Billed(
            amount,
            self.owner.currency,
            text,
            start,
            end,
            price.id,
            price.product,
            price.unit_amount,
            quantity,
            self.id,
            item_id,
        )

    def proration(self, when, end, price, quantity, amount, description) -> dict:
        item_id = self.base["id"]
        billed = self.billed(price, quantity, amount, description, when, end, item_id)
        return {"id": self.ids.new("ii"), "created": when, "billed": billed}

    def cancel_now_or_later(self, start: int, end: int) -> bool:
        """Churn at a period boundary; True when the subscription has ended."""
        rng = self.rng
        deleted_at = self.owner.deleted_at
        if deleted_at is not None and deleted_at < end:  # deleting cancels now
            self.cancel(deleted_at, deleted_at, "cancellation_requested", None)
            return True
        months = max(1, (end - start) // (28 * DAY))
        if rng.random() > 0.028 * months:
            return False
        requested = start + int((end - start) * rng.uniform(0.05, 0.95))
        if requested > self.now:
            return False
        feedback = rng.choice(CANCEL_FEEDBACK)
        if rng.random() < 0.35:  # immediately
            self.cancel(requested, requested, "cancellation_requested", feedback)
            return True
        self.cancel_at_period_end = True
        self.cancel_at = end
        self.canceled_at = requested
        self.updated(requested, {"cancel_at_period_end": False})
        if rng.random() < 0.2:  # the customer changes their mind: reactivated
            undo = requested + int((end - requested) * rng.random())
            if undo <= self.now:
                self.cancel_at_period_end = False
                self.cancel_at = None
                self.canceled_at = None
                self.updated(undo, {"cancel_at_period_end": True})
                return False
        if end <= self.now:
            self.cancel(requested, end, "cancellation_requested", feedback)
            return True
        self.cancel_reason, self.feedback = "cancellation_requested", feedback
        return True

    def updated(self, when: int, previous: dict) -> None:
        """A customer.subscription.updated event, with what changed."""
        self.events.append(("customer.subscription.updated", when, previous))

    def cancel(self, requested: int, ended: int, reason: str, feedback: str | None):
        self.status = "canceled"
        self.canceled_at = requested
        self.ended_at = ended
        self.cancel_reason = reason
        self.feedback = feedback
        if self.cancel_at_period_end:
            self.cancel_at = ended
        self.events.append(("customer.subscription.deleted", ended, None))

    def comeback(self) -> int | None:
        """A churned customer may start again later: a new subscription."""
        if self.status != "canceled" or self.ended_at is None:
            return None
        if self.cancel_reason == "payment_failed" or self.rng.random() > 0.25:
            return None
        if self.owner.deleted_at is not None:
            return None
        again = self.ended_at + self.rng.randint(10, 200) * DAY
        return again if again < self.now else None

    # -- invoices -------------------------------------------------------------

    def discount_applies(self, at: int) -> bool:
        coupon = self.coupon
        if coupon is None:
            return False
        if coupon.duration == "forever":
            return True
        if coupon.duration == "once":
            return len(self.invoices) == 0 or all(
                i["total"] == 0 for i in self.invoices
            )
        return at < add_months(self.start, coupon.months or 0)

    def discount_end(self) -> int | None:
        coupon = self.coupon
        if coupon is None or coupon.duration != "repeating":
            return None
        return add_months(self.start, coupon.months or 0)

    def bill(
        self,
        at: int,
        period: tuple[int, int],
        reason: str,
        trial: bool = False,
        usage_period: tuple[int, int] | None = None,
    ) -> bool:
        """Create, finalise and collect one invoice. False: the first failed."""
        owner, rng = self.owner, self.rng
        invoice_id = self.ids.new("in")
        lines: list[dict] = []  # billed, the invoice item behind it, discount
        for item in self.items:
            price, qty = item["price"], item["quantity"]
            if price.metered:
                if usage_period is None:
                    continue
                usage = int(rng.random() * 40_001)
                text = f"{usage} × {price.product_name} (at {price.unit_amount} / call)"
                amount, start, end = usage * price.unit_amount, *usage_period
            else:
                amount = 0 if trial else price.unit_amount * qty
                text = (
                    f"Trial period for {price.product_name}"
                    if trial
                    else f"{qty} × {price.product_name} (at {price.unit_amount} / "
                    f"{price.interval})"
                )
                usage, (start, end) = qty, period
            billed = self.billed(price, usage, amount, text, start, end, item["id"])
            lines.append({"billed": billed, "ii": None})
        for pending in self.pending_items:
            lines.append({"billed": pending["billed"], "ii": pending})
        billed_items, self.pending_items = self.pending_items, []
        subtotal = sum(line["billed"].amount for line in lines)
        discount_total, discount_obj = 0, None
        if self.discount_applies(at) and subtotal > 0:
            coupon = self.coupon
            if coupon.percent_off:
                for line in lines:
                    cut = max(0, line["billed"].amount) * coupon.percent_off / 100
                    line["discount"] = round(cut)
            else:
                biggest = max(lines, key=lambda line: line["billed"].amount)
                biggest["discount"] = min(coupon.amount_off, subtotal)
            discount_total = sum(line.get("discount", 0) for line in lines)
            discount_obj = obj.discount(
                self.discount_id,
                coupon.id,
                owner.id,
                self.id,
                self.start,
                self.discount_end(),
            )
        total = subtotal - discount_total
        starting_balance = owner.balance
        amount_due = max(0, total + starting_balance)
        owner.balance = min(0, total + starting_balance)
        number = f"{owner.prefix}-{owner.sequence:04d}"
        owner.sequence += 1
        finalized = at if reason == "subscription_create" else at + 3600
        payment = None
        if amount_due > 0:
            fails = rng.random() < (0.35 if owner.risky else 0.045)
            description = (
                "Subscription creation"
                if reason == "subscription_create"
                else ("Subscription update")
            )
            payment = owner.pay(amount_due, finalized, description, fails)
        record = {
            "id": invoice_id,
            "created": at,
            "reason": reason,
            "lines": lines,
            "subtotal": subtotal,
            "total": total,
            "discount": discount_obj,
            "discount_total": discount_total,
            "starting_balance": starting_balance,
            "amount_due": amount_due,
            "number": number,
            "finalized": finalized,
            "payment": payment,
            "billed_items": billed_items,
            "status": "paid",
            "voided_at": None,
            "uncollectible_at": None,
        }
        self.invoices.append(record)
        if payment is None or payment["paid_at"] is not None:
            if payment is not None and len(payment["attempts"]) > 1:
                first = payment["attempts"][0][0]
                self.updated(first, {"status": "active"})
                self.updated(payment["paid_at"], {"status": "past_due"})
            return True
        return self.unpaid(record, payment, reason)

    def unpaid(self, record: dict, payment: dict, reason: str) -> bool:
        owner = self.owner
        record["status"] = "open"
        if not payment["attempts"]:  # finalised, first attempt still ahead
            return True
        last_attempt = (
            payment["attempts"][-1][0] if payment["attempts"] else record["created"]
        )
        if reason == "subscription_create" and self.trial_end is None:
            # First payment failed: incomplete, expired after 23 hours.
            expires = record["created"] + 23 * 3600
            if expires <= self.now:
                self.status = "incomplete_expired"
                self.ended_at = expires
                record["status"] = "void"
                record["voided_at"] = expires
                payment["canceled_at"] = expires
            else:
                self.status = "incomplete"
            return False
        retries_over = len(payment["attempts"]) == len(RETRY_DAYS) + 1
        if not retries_over:
            self.status = "past_due"
            owner.delinquent = True
            self.updated(last_attempt, {"status": "active"})
            return True
        owner.delinquent = True
        if self.rng.random() < 0.5:
            self.status = "unpaid"
            self.updated(last_attempt, {"status": "past_due"})
        else:
            record["status"] = "uncollectible"
            record["uncollectible_at"] = last_attempt
            self.cancel(last_attempt, last_attempt, "payment_failed", None)
        return True

    # -- output -----------------------------------------------------------------

    def final_status(self) -> str:
        if self.status == "active" and self.trial_end and self.now < self.trial_end:
            return "trialing"
        if self.status in ("past_due",) and self.invoices:
            payment = self.invoices[-1]["payment"]
            if payment and payment["paid_at"] is not None:
                return "active"
        return self.status

    def write(self) -> None:
        owner, gen, sink = self.owner, self.gen, self.owner.sink
        for record in self.invoices:
            self.write_invoice(record)
        for pending in self.pending_items:
            self.write_invoice_item(pending, None)
        items_out = []
        period_start, period_end = self.period
        for item in self.items:
            price = item["price"]
            data = sink.write(
                "subscription_items",
                obj.subscription_item(
                    item["id"],
                    item["created"],
                    self.id,
                    price.fragment,
                    price.plan_fragment,
                    item["quantity"],
                    period_start,
                    period_end,
                ),
            )
            items_out.append(Fragment(data))
        discounts = []
        end = self.discount_end()
        still = (
            self.coupon
            and self.coupon.duration != "once"
            and (end is None or end > self.now)
            and self.status != "canceled"
        )
        if still:
            discounts.append(
                obj.discount(
                    self.discount_id, self.coupon.id, owner.id, self.id, self.start, end
                )
            )
        latest = self.invoices[-1]["id"] if self.invoices else None
        data = sink.write(
            "subscriptions",
            obj.subscription(
                self.id,
                self.start,
                owner.id,
                owner.currency,
                self.final_status(),
                obj.embedded_list(
                    items_out,
                    len(items_out),
                    f"/v1/subscription_items?subscription={self.id}",
                ),
                self.trial_end or self.start,
                self.start,
                self.start if self.trial_end else None,
                self.trial_end,
                self.cancel_at,
                self.cancel_at_period_end,
                self.canceled_at,
                self.ended_at,
                self.cancel_reason,
                self.feedback,
                discounts,
                owner.pm_id,
                latest,
            ),
        )
        for kind, when, previous in self.events:
            if kind == "customer.subscription.created" and gen.in_window(when):
                gen.emit_event(kind, when, dumps(self.as_created(data)))
            else:
                gen.emit_event(kind, when, data, previous)

    def as_created(self, final: bytes) -> dict:
        """The subscription as `customer.subscription.created` showed it."""
        first = self.invoices[0]["id"] if self.invoices else None
        return orjson.loads(final) | {
            "status": "trialing" if self.trial_end else "active",
            "cancel_at": None,
            "cancel_at_period_end": False,
            "canceled_at": None,
            "cancellation_details": {"comment": None, "feedback": None, "reason": None},
            "ended_at": None,
            "latest_invoice": first,
        }

    def write_invoice_item(self, pending: dict, invoice_id: str | None) -> None:
        data = self.owner.sink.write(
            "invoiceitems",
            obj.invoice_item(
                pending["id"],
                pending["created"],
                pending["billed"],
                self.owner.id,
                invoice_id,
            ),
        )
        self.gen.emit_event("invoiceitem.created", pending["created"], data)

    def write_invoice(self, record: dict) -> None:
        owner, sink, gen = self.owner, self.owner.sink, self.gen
        invoice_id, currency = record["id"], owner.currency
        for pending in record["billed_items"]:
            self.write_invoice_item(pending, invoice_id)
        payment = record["payment"]
        if payment is not None:
            owner.write_payment(payment, payment.get("canceled_at"))
        discount = record["discount"]
        line_fragments = []
        for line in record["lines"]:
            cut = line.get("discount", 0)
            data = sink.write(
                "invoice_line_items",
                obj.line_item(
                    self.ids.new("il"),
                    invoice_id,
                    line["billed"],
                    [{"amount": cut, "discount": self.discount_id}] if discount else [],
                    [self.discount_id] if discount else [],
                    line["ii"]["id"] if line["ii"] else None,
                ),
            )
            line_fragments.append(Fragment(data))
        status = record["status"]
        paid_at = None
        payments_data = []
        attempts = 0
        if payment is not None:
            paid_at = payment["paid_at"]
            attempts = len(payment["attempts"])
            payments_data.append(
                obj.invoice_payment(
                    self.ids.new("inpay"),
                    payment["at"],
                    record["amount_due"],
                    paid_at is not None,
                    currency,
                    invoice_id,
                    payment["pi"],
                    paid_at,
                )
            )
        elif status == "paid":
            paid_at = record["finalized"]
        next_attempt = None
        if status == "open" and payment and attempts <= len(RETRY_DAYS):
            next_attempt = payment["at"] + RETRY_DAYS[attempts - 1] * DAY
            if next_attempt <= self.now:
                next_attempt = None
        body = obj.invoice(
            invoice_id,
            record["created"],
            owner.id,
            owner.contact,
            currency,
            status,
            record["reason"],
            self.id,
            obj.embedded_list(
                line_fragments,
                len(line_fragments),
                f"/v1/invoices/{invoice_id}/lines",
            ),
            [discount] if discount else [],
            [{"amount": record["discount_total"], "discount": self.discount_id}]
            if discount
            else [],
            record["subtotal"],
            record["total"],
            record["starting_balance"],
            record["amount_due"],
            record["amount_due"] if status == "paid" else 0,
            attempts,
            record["number"],
            record["finalized"],
            paid_at,
            record["voided_at"],
            record["uncollectible_at"],
            next_attempt,
            owner.pm_id,
            {
                "object": "list",
                "data": payments_data,
                "has_more": False,
                "total_count": len(payments_data),
                "url": f"/v1/invoices/{invoice_id}/payments",
            },
            invoice_id[-16:],
        )
        data = sink.write("invoices", body)
        # Events show the invoice as it was then: a draft, then open.
        if gen.in_window(record["created"]):
            draft = dumps(obj.invoice_as_draft(body))
            gen.emit_event("invoice.created", record["created"], draft)
        tries = payment["attempts"] if payment else ()
        failures = [when for when, _charge, decline in tries if decline]
        if any(map(gen.in_window, [record["finalized"], *failures])):
            opened = dumps(obj.invoice_as_open(body)) if status != "open" else data
            gen.emit_event("invoice.finalized", record["finalized"], opened)
            for when in failures:
                gen.emit_event("invoice.payment_failed", when, opened)
        if status == "paid":
            gen.emit_event("invoice.paid", paid_at, data)
            gen.emit_event("invoice.payment_succeeded", paid_at, data)
        if status == "void":
            gen.emit_event("invoice.voided", record["voided_at"], data)
        if status == "uncollectible":
            gen.emit_event(
                "invoice.marked_uncollectible", record["uncollectible_at"], data
            )


@dataclass
class SynthSettings:
    customers: int
    seed: int
    now: int
    out: Path
    compress: bool
    workers: int = 1  # processes rendering blocks; the output is the same


def generate(settings: SynthSettings) -> Stats:
    """Write the snapshot; returns the counts, the time and the peak RSS."""
    began = time.perf_counter()
    sink = Sink(settings.out, settings.compress)
    generator = Generator(settings.customers, settings.seed, settings.now, sink)
    try:
        generator.run(settings.workers)
    finally:
        sink.close()
    manifest = {
        "api_version": STRIPE_API_VERSION,
        "captured_at": dt.datetime.fromtimestamp(settings.now, dt.UTC).isoformat(),
        "source": "synthetic",
        "generator": "tools.synth",
        "customers": settings.customers,
        "seed": settings.seed,
        "counts": sink.counts,
    }
    (settings.out / "manifest.json").write_bytes(
        orjson.dumps(manifest, option=orjson.OPT_INDENT_2)
    )
    seconds = time.perf_counter() - began
    peak = peak_rss_mib()
    return Stats(dict(sink.counts), seconds, peak, generator.worker_peak)


def peak_rss_mib() -> float:
    """This process's peak resident memory. VmHWM, because ru_maxrss also
    counts the parent's image that a fork copied before exec."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def settings_from(argv: list[str] | None = None) -> SynthSettings:
    env = os.environ
    parser = argparse.ArgumentParser(
        prog="python -m tools.fake_stripe.synth", description=__doc__.split("\n")[0]
    )
    # String defaults go through `type` too: a bad SYNTH_* value is an
    # argparse error naming the flag, not a traceback.
    parser.add_argument(
        "--customers", type=int, default=env.get("SYNTH_CUSTOMERS") or "1000"
    )
    parser.add_argument("--seed", type=int, default=env.get("SYNTH_SEED") or "7")
    parser.add_argument(
        "--workers",
        type=int,
        default=env.get("SYNTH_WORKERS") or str(min(4, os.cpu_count() or 1)),
        help="processes that render blocks of customers (same output for any)",
    )
    parser.add_argument(
        "--now",
        default=env.get("SYNTH_NOW") or DEFAULT_NOW,
        help="the snapshot's 'now' (ISO-8601 or epoch seconds)",
    )
    parser.add_argument("--out", default=env.get("JSON_DIR") or "data/snapshot")
    parser.add_argument(
        "--gzip",
        action="store_true",
        default=env.get("SYNTH_GZIP", "").lower() in ("1", "true", "yes"),
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error(f"--workers/SYNTH_WORKERS must be at least 1, not {args.workers}")
    if args.customers < 1:
        parser.error(
            f"--customers/SYNTH_CUSTOMERS must be at least 1, not {args.customers}"
        )
    try:
        now = parse_now(args.now)
    except ValueError:
        parser.error(
            f"--now/SYNTH_NOW={args.now!r} is neither ISO-8601 (2026-11-01T00:00:00Z) "
            "nor epoch seconds"
        )
    return SynthSettings(
        args.customers, args.seed, now, Path(args.out), args.gzip, args.workers
    )


def main(argv: list[str] | None = None) -> int:
    settings = settings_from(argv)
    print(
        f"synth: {settings.customers} customers, seed {settings.seed}, now "
        f"{dt.datetime.fromtimestamp(settings.now, dt.UTC):%Y-%m-%d %H:%M} UTC "
        f"-> {settings.out} ({settings.workers} worker processes)",
        file=sys.stderr,
    )
    stats = generate(settings)
    for name in RESOURCES:
        print(f"  {name:<22} {stats.counts[name]:>10,}", file=sys.stderr)
    print(
        f"synth: {stats.objects:,} objects in {stats.seconds:.2f} s "
        f"({stats.per_second:,.0f} objects/s), peak RSS {stats.peak_rss_mib:.0f} MiB"
        f" (each worker {stats.worker_peak_rss_mib:.0f} MiB)",
        file=sys.stderr,
    )
    return 0
