"""The account as a whole: customers in blocks, events, payouts, the run."""

from __future__ import annotations

import collections
import contextlib
import copy
import datetime as dt
import itertools
import multiprocessing
import random
import resource
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import orjson

from extract.settings import STRIPE_API_VERSION
from tools.fake_stripe import objects as obj
from tools.fake_stripe.synth.catalog import CatalogBuilder, SynthCatalog
from tools.fake_stripe.synth.customer_life import CustomerLife
from tools.fake_stripe.synth.ids import Ids
from tools.fake_stripe.synth.ledger import PaidOutLedger, plan_payouts
from tools.fake_stripe.synth.sinks import TRUTH, BlockSink, SnapshotSink
from tools.fake_stripe.synth.timeline import DAY, EVENT_WINDOW, HISTORY_DAYS

Fragment = orjson.Fragment


@dataclass
class SynthStats:
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


class Generator:
    """The account: its catalog, payouts and coupons, and blocks of customers.

    Customers are simulated in blocks of BLOCK, each with a random stream
    and an id range of its own, so a block's output depends only on (seed,
    block) and blocks can be rendered in parallel yet written in order.
    """

    def __init__(self, customers: int, seed: int, now: int, sink: SnapshotSink) -> None:
        self.customers = customers
        self.seed = seed
        self.rng = random.Random(seed)
        self.ids = Ids(seed)
        self.now = now
        self.start = now - HISTORY_DAYS * DAY
        self.sink = sink
        self.catalog = SynthCatalog()
        # (currency, day) -> net amount becoming available that day
        self.available: dict[tuple[str, int], int] = {}
        self.redeemed: collections.Counter[str] = collections.Counter()
        self.worker_peak = 0.0  # MiB, the largest of the worker processes

    def for_block(self, block: int, sink: SnapshotSink) -> Generator:
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

    def build_catalog(self) -> None:
        """Products, prices and plans, written first; shared by every block."""
        self.catalog_builder = CatalogBuilder(self.ids, self.sink, self.start)
        self.catalog_builder.build()
        self.catalog = self.catalog_builder.catalog
        self.legacy_cut = self.catalog_builder.legacy_cut

    def credit_balance(self, currency: str, available_on: int, net: int) -> None:
        key = (currency, available_on)
        self.available[key] = self.available.get(key, 0) + net

    def write_payouts(self, ledger: PaidOutLedger) -> None:
        """Automatic payouts per settlement currency (ledger.py), then every
        balance transaction with the payout that paid it out."""
        plan = plan_payouts(self.available, self.ids, self.seed, self.now)
        ledger.write(self.sink, plan)
        for payout, paid in plan.payouts:
            data = self.sink.write("payouts", payout)
            self.emit_event("payout.created", payout["created"], data)
            if paid:
                self.emit_event("payout.paid", payout["arrival_date"], data)

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
        ledger = PaidOutLedger(self.sink.directory)
        for chunks, available, redeemed, _peak in rendered_blocks(
            self, blocks, workers
        ):
            for name, (chunk, count) in chunks.items():
                if name == "balance_transactions":  # written with their payouts
                    ledger.keep(chunk)
                else:
                    self.sink.write_chunk(name, chunk, count)
            self.merge(available, redeemed)
        self.catalog_builder.write_coupons(self.redeemed)
        self.write_payouts(ledger)


BLOCK = 200
_PARENT: Generator | None = None  # what forked workers render blocks of


def render_block(parent: Generator, block: int) -> tuple:
    """One block of customers: their lines per file, balances, coupon uses."""
    sink = BlockSink()
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


@dataclass
class SynthSettings:
    customers: int
    seed: int
    now: int
    out: Path
    compress: bool
    workers: int = 1  # processes rendering blocks; the output is the same


def generate(settings: SynthSettings) -> SynthStats:
    """Write the snapshot; returns the counts, the time and the peak RSS."""
    began = time.perf_counter()
    sink = SnapshotSink(settings.out, settings.compress)
    generator = Generator(settings.customers, settings.seed, settings.now, sink)
    try:
        generator.run(settings.workers)
    finally:
        sink.close()
    manifest = {
        "api_version": STRIPE_API_VERSION,
        "captured_at": dt.datetime.fromtimestamp(settings.now, dt.UTC).isoformat(),
        "source": "synthetic",
        "generator": "tools.fake_stripe.synth",
        "customers": settings.customers,
        "seed": settings.seed,
        "counts": {name: sink.counts[name] for name in obj.RESOURCES},
        "ground_truth": {
            "subscriptions": f"{TRUTH}.jsonl{'.gz' if settings.compress else ''}",
            "format": 1,
        },
    }
    (settings.out / "manifest.json").write_bytes(
        orjson.dumps(manifest, option=orjson.OPT_INDENT_2)
    )
    seconds = time.perf_counter() - began
    peak = peak_rss_mib()
    return SynthStats(dict(sink.counts), seconds, peak, generator.worker_peak)


def peak_rss_mib() -> float:
    """This process's peak resident memory. VmHWM, because ru_maxrss also
    counts the parent's image that a fork copied before exec."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
