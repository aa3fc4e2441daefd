"""`make chaos`: the extraction through faults, SIGKILLs and a database
restart, then every object counted.

    make chaos [CHAOS_CUSTOMERS=2000] [CHAOS_KILLS=10] [CHAOS_SEED=7]
               [CHAOS_FAULT_RATE=0.2] [CHAOS_OUT=bench/results/chaos-....json]

A synthetic company (generated once into data/bench/, shared with `make
bench`) is served by the replay server with CHAOS_FAULT_RATE of requests
failing (dropped, 500, 503, 429 without Stripe-Should-Retry, slow past the
client's timeout) besides its rate limit's 429s. The extractor runs into a
new database and is killed CHAOS_KILLS times while listing, normalizing
and loading; the database server restarts once mid-load; then runs go on
until one exits 0. Raw must then equal the snapshot loaded cleanly, `make
build` and check-db must pass, and the webhook receiver, given events out
of order and twice, must store each once and keep each object's latest.
Writes the report as JSON; exits 1 naming what was lost or failed.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

import orjson

from extract import config
from extract.errors import UserError
from tools.bench.report import ROOT, Bench
from tools.bench.runs import bench_database, synthetic_snapshot
from tools.chaos.run import Databases, Plan, chaos
from tools.stack.cli import is_stack_postgres


def number(name: str, default: str, kind=int, low: float = 1, high=None):
    """A variable of the environment as a number within bounds."""
    text = os.environ.get(name) or default
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        bounds = f"at least {low}" + (f" and at most {high}" if high else "")
        raise UserError(
            f"{name}={text!r} is not a number {bounds}; set e.g. {default}."
        )
    return value


# The replay server's counts, as the summary names them.
FAULT_LABELS = {
    "dropped": "connections dropped",
    "errors": "500 (Should-Retry)",
    "unavailable": "503",
    "throttled": "429 without Should-Retry",
    "rate_limited": "429 rate limit (Should-Retry)",
    "slow": "slow past the timeout",
}


def summary(report: dict) -> str:
    rounds, raw, hooks = report["rounds"], report["raw"], report["webhooks"]
    kills = ", ".join(f"{n} {phase}" for phase, n in sorted(rounds["kills"].items()))
    counts = report["faults"]
    faults = ", ".join(
        f"{counts.get(kind, 0)} {label}" for kind, label in FAULT_LABELS.items()
    )
    return "\n".join(
        [
            f"chaos: {report['customers']:,} customers, {rounds['runs']} runs, "
            f"{sum(rounds['kills'].values())} kills ({kills}), "
            f"{rounds['db_restarts']} database restarts, "
            f"{report['seconds']:.0f} s",
            f"  replay server: {counts.get('requests', 0)} requests; {faults}",
            f"  raw: {raw['objects']:,} objects, {raw['lost']} lost, "
            f"{raw['duplicated']} duplicated, {raw['extra']} extra, "
            f"{raw['changed']} changed",
            "  build and check-db: "
            + (
                ", ".join(
                    f"{k} {'passed' if v == 'passed' else 'failed'}"
                    for k, v in report["checks"].items()
                )
                or "skipped"
            ),
            f"  webhooks: {hooks['deliveries']} deliveries of {hooks['events']} "
            f"events, {hooks['stored_twice']} stored twice, {hooks['missing']} "
            f"missing, {hooks['objects_stale']} of {hooks['objects_checked']} "
            "objects not at their latest event",
        ]
    )


def main() -> int:
    customers = number("CHAOS_CUSTOMERS", "2000")
    plan = Plan(
        kills=number("CHAOS_KILLS", "10"),
        fault_rate=number("CHAOS_FAULT_RATE", "0.2", float, 0, 0.9),
        listing_seconds=max(5.0, customers / 50),
    )
    seed = number("CHAOS_SEED", "7", low=0)
    env = dict(config.child_environment(), RUNTIME__DLTHUB_TELEMETRY="false")
    settings = config.load(env)
    if not (settings.is_dev and is_stack_postgres(settings, env)):
        raise UserError(
            "make chaos creates, restarts and drops databases, so it runs on the "
            "embedded PostgreSQL only: unset PGHOST and use ENV=dev."
        )
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    out_dir = ROOT / "bench" / "results" / f"chaos-{stamp}-{customers}"
    out_dir.mkdir(parents=True, exist_ok=True)
    bench = Bench(customers, 1, seed, out_dir, env)
    snapshot = synthetic_snapshot(bench, customers)
    with contextlib.ExitStack() as stack:
        chaos_env, reference, webhooks = (
            stack.enter_context(bench_database(bench, name))
            for name in ("chaos", "chaos_reference", "chaos_webhooks")
        )
        report = chaos(bench, plan, Databases(chaos_env, reference, webhooks), snapshot)
    out = Path(os.environ.get("CHAOS_OUT") or out_dir / "chaos.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    print(summary(report))
    print(f"chaos: report in {out}; logs in {out_dir}")
    for line in report["problems"]:
        print(f"error: {line}", file=sys.stderr)
    return 1 if report["problems"] else 0
