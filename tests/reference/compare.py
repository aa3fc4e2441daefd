"""Compare `marts.fct_mrr` with the reference MRR on a synthetic company.

    python -m tests.reference.compare --customers 10000 [--seed 7] [--workers 2]

Generates the company (cached under data/reference/, keyed by customers,
seed, now and the generator's code), loads it into a fresh database of the
dev stack with `SOURCE=json python -m extract`, dates the load at the
snapshot's "now" (the load ids become the capture instant, so the month
still running is measured at "now", as the ground truth is), builds
+fct_mrr and +metrics_mrr_monthly with dbt (seeds, models and snapshots, no
tests), and compares every subscription-month with tests/reference/mrr.py. Prints the
counts (compared, exact, different by cause, unobservable by cause) and the
first differences, then per currency the month where metrics_mrr_monthly's
ending MRR is furthest from the reference's total; exits 1 when any
subscription-month differs.

tests/python/test_company.py runs the same on the test stack.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import hashlib
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.python.conftest import run
from tests.reference.mrr import MonthFigure, read_truth, reference_mrr
from tools.stack.cli import connect

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "data" / "reference"
DEFAULT_NOW = "2026-11-01T00:00:00Z"
TOLERANCE = 0.01


def log(text: str) -> None:
    print(f"reference: {text}", file=sys.stderr, flush=True)


# -- the snapshot -------------------------------------------------------------


def snapshot(
    customers: int, seed: int, now: str, cache: Path = CACHE, workers: int = 1
) -> Path:
    """The synthetic snapshot for these arguments, generated once."""
    from tools.fake_stripe import synth

    now_ts = synth.parse_now(now)
    directory = cache / f"c{customers}-s{seed}-n{now_ts}-g{generator_digest()}"
    if not (directory / "manifest.json").exists():
        synth.generate(
            synth.SynthSettings(customers, seed, now_ts, directory, False, workers)
        )
    return directory


def generator_digest() -> str:
    """Names the generator's code: a changed generator regenerates."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "tools" / "fake_stripe").rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


# -- the warehouse ------------------------------------------------------------


def execute(env: dict[str, str], sql: str, dbname: str | None = None) -> list:
    conn = connect(env, dbname)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def load_id(now_ts: int) -> str:
    """The load id the reference build dates its raw rows with: the
    snapshot's "now", so the other engines can land the same rows."""
    return f"{now_ts}.000001"


def load_and_build(
    env: dict[str, str], directory: Path, now_ts: int, models=("fct_mrr",)
) -> None:
    """Extract the snapshot into env's database, date the load at `now_ts`,
    build `models` and what they need."""
    py = sys.executable
    began = time.perf_counter()
    run(
        [py, "-m", "extract"],
        dict(env, SOURCE="json", JSON_DIR=str(directory)),
        timeout=3600,
    )
    log(f"extract: {time.perf_counter() - began:.0f} s")
    tables = execute(
        env,
        "select table_name from information_schema.columns where table_schema ="
        " 'stripe_raw' and column_name = '_dlt_load_id'",
    )
    for (table,) in tables:
        execute(
            env,
            f"update stripe_raw.\"{table}\" set _dlt_load_id = '{load_id(now_ts)}'",
        )
    dbt = [py, "-m", "tools.stack", "exec", "--", str(ROOT / ".venv" / "bin" / "dbt")]
    step = ["build", *models_and_parents(models)]
    began = time.perf_counter()
    run([*dbt, *step], env, timeout=3600)
    log(f"dbt {' '.join(step)}: {time.perf_counter() - began:.0f} s")


def models_and_parents(models) -> list[str]:
    """dbt's arguments for `models` and what they read, seeds and snapshots
    included (the status history reads them), in one run (one parse): their
    tests are not a comparison's business."""
    arguments = ["--select", *(f"+{model}" for model in models)]
    for resource_type in ("seed", "model", "snapshot"):
        arguments += ["--resource-type", resource_type]
    return arguments


def marts_mrr(env: dict[str, str]) -> dict[tuple[str, dt.date], float]:
    rows = execute(env, "select subscription_id, month, mrr_amount from marts.fct_mrr")
    return {(sub, month): float(amount) for sub, month, amount in rows}


def marts_monthly_mrr(env: dict[str, str]) -> dict[tuple[str, dt.date], float]:
    rows = execute(
        env, "select currency, month, ending_mrr_amount from marts.metrics_mrr_monthly"
    )
    return {(currency, month): float(amount) for currency, month, amount in rows}


# -- the comparison -----------------------------------------------------------


@dataclass
class Comparison:
    compared: int = 0
    exact: int = 0
    different: collections.Counter = field(default_factory=collections.Counter)
    unobservable: collections.Counter = field(default_factory=collections.Counter)
    examples: list[str] = field(default_factory=list)

    @property
    def differing(self) -> int:
        return sum(self.different.values())

    def summary(self, limit: int = 20) -> str:
        lines = [
            f"compared {self.compared:,} subscription-months: {self.exact:,} equal"
            f" within {TOLERANCE}, {self.differing:,} different",
        ]
        for cause, count in self.different.most_common():
            lines.append(f"  different, {cause}: {count:,}")
        for cause, count in self.unobservable.most_common():
            lines.append(f"  unobservable (not compared), {cause}: {count:,}")
        if self.examples:
            lines.append(f"first {min(limit, len(self.examples))} differences:")
            lines.extend(f"  {e}" for e in self.examples[:limit])
        return "\n".join(lines)


def difference_cause(figure: MonthFigure | None, marts: float | None) -> str:
    """The likeliest cause of a gap: how it shows, and the first (most
    specific) thing the month rests on (see mrr.features_at)."""
    if figure is None:
        return "subscription-month unknown to the truth"
    if not marts:
        how = "fct_mrr zero or missing"
    elif figure.mrr == 0:
        how = "fct_mrr counts where the truth is zero"
    else:
        how = "fct_mrr higher" if marts > figure.mrr else "fct_mrr lower"
    features = list(figure.features)
    if figure.mrr and marts and "forever percent-off discount" in " ".join(features):
        percent = next(f for f in features if "discount" in f)
        features.insert(0, percent)
    return f"{how}: {features[0] if features else 'plain month'}"


def compare(
    reference: dict[tuple[str, dt.date], MonthFigure],
    marts: dict[tuple[str, dt.date], float],
    explain: Callable[[MonthFigure | None, float | None], str] = difference_cause,
) -> Comparison:
    """Every subscription-month either side has (a month missing on one side
    is zero there; months zero on both sides are not counted)."""
    result = Comparison()
    for key in sorted(set(reference) | set(marts)):
        figure, theirs = reference.get(key), marts.get(key)
        ours = figure.mrr if figure else 0.0
        if ours == 0 and not theirs:
            continue
        if figure is not None and figure.unobservable:
            result.unobservable[figure.unobservable] += 1
            continue
        result.compared += 1
        if abs(ours - (theirs or 0.0)) <= TOLERANCE:
            result.exact += 1
            continue
        cause = explain(figure, theirs)
        result.different[cause] += 1
        result.examples.append(
            f"{key[0]} {key[1]:%Y-%m} {figure.currency if figure else '?'}:"
            f" reference {ours:.2f}, fct_mrr {theirs} ({cause})"
        )
    return result


@dataclass
class MonthlyGap:
    """The largest gap of one currency between the reference's month-end
    MRR (every subscription-month of the truth summed, those Stripe's
    objects cannot tell included) and metrics_mrr_monthly's ending MRR."""

    currency: str
    months: int
    exact: int
    month: dt.date
    reference: float
    marts: float
    unobservable: float = 0.0  # of the gap, what the uncompared months make

    @property
    def gap(self) -> float:
        return self.marts - self.reference

    def line(self) -> str:
        share = abs(self.gap) / self.reference if self.reference else 0.0
        return (
            f"  {self.currency}: {self.exact:,} of {self.months:,} months equal within"
            f" {TOLERANCE}; largest gap {self.month:%Y-%m}: metrics_mrr_monthly"
            f" {self.marts:,.2f}, reference {self.reference:,.2f}"
            f" ({self.gap:+,.2f}, {share:.4%}; {self.unobservable:+,.2f} of it in"
            " subscription-months Stripe's objects cannot tell)"
        )


def monthly_gaps(
    reference: dict[tuple[str, dt.date], MonthFigure],
    monthly: dict[tuple[str, dt.date], float],
    marts: dict[tuple[str, dt.date], float] | None = None,
) -> list[MonthlyGap]:
    """Per currency, the month where metrics_mrr_monthly's ending MRR is
    furthest from the reference's total (a month missing on one side is
    zero there), and how much of that gap fct_mrr (`marts`) makes in the
    subscription-months the comparison leaves out as unobservable."""
    totals: dict[tuple[str, dt.date], float] = collections.defaultdict(float)
    unobservable: dict[tuple[str, dt.date], float] = collections.defaultdict(float)
    for key, figure in reference.items():
        totals[(figure.currency, figure.month)] += figure.mrr
        if figure.unobservable and marts is not None:
            gap = (marts.get(key) or 0.0) - figure.mrr
            unobservable[(figure.currency, figure.month)] += gap
    by_currency: dict[str, list[tuple[dt.date, float, float]]] = (
        collections.defaultdict(list)
    )
    for currency, month in sorted(set(totals) | set(monthly)):
        ours = round(totals.get((currency, month), 0.0), 6)
        by_currency[currency].append((month, ours, monthly.get((currency, month), 0.0)))
    gaps = []
    for currency, months in sorted(by_currency.items()):
        month, ours, theirs = max(months, key=lambda row: abs(row[2] - row[1]))
        exact = sum(abs(t - o) <= TOLERANCE for _, o, t in months)
        hidden = round(unobservable[(currency, month)], 6)
        gaps.append(
            MonthlyGap(currency, len(months), exact, month, ours, theirs, hidden)
        )
    return gaps


def reference_for(directory: Path, as_of: int | None = None) -> dict:
    return reference_mrr(read_truth(directory), as_of)


# -- the command --------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.reference.compare", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--now", default=DEFAULT_NOW)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument(
        "--keep", action="store_true", help="keep the database (its name is printed)"
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from extract import config
    from tools.fake_stripe.synth import parse_now

    now_ts = parse_now(args.now)
    directory = snapshot(args.customers, args.seed, args.now, args.cache, args.workers)
    print(f"snapshot: {directory}", file=sys.stderr)
    # The stack picks its ports when it starts: read them after `up`.
    run([sys.executable, "-m", "tools.stack", "up"], dict(os.environ))
    env = config.child_environment(dict(os.environ))
    name = f"mrr_reference_{uuid.uuid4().hex[:8]}"
    execute(env, f'create database "{name}"', "postgres")
    try:
        db_env = dict(env, PGDATABASE=name)
        load_and_build(db_env, directory, now_ts, ("fct_mrr", "metrics_mrr_monthly"))
        reference = reference_for(directory, now_ts)
        marts = marts_mrr(db_env)
        result = compare(reference, marts)
        gaps = monthly_gaps(reference, marts_monthly_mrr(db_env), marts)
    finally:
        if args.keep:
            print(f"database kept: {name}", file=sys.stderr)
        else:
            execute(env, f'drop database if exists "{name}" with (force)', "postgres")
    print(result.summary())
    print("month-end MRR per currency, metrics_mrr_monthly against the reference:")
    print("\n".join(gap.line() for gap in gaps))
    return 1 if result.differing else 0


if __name__ == "__main__":
    sys.exit(main())
