"""One chaos run over prepared databases: the faulty replay server, the
killed extractions, then the counts (tools.chaos.cli prepares, reports)."""

from __future__ import annotations

import concurrent.futures
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

from extract.errors import UserError
from tools.bench.report import ROOT, Bench
from tools.bench.runs import dbt_build, load_snapshot, measure
from tools.chaos.kills import Rounds, finish_rounds, kill_rounds, restart_rounds
from tools.chaos.verify import compare_raw, webhook_check
from tools.fake_stripe.replay import replay_process

API_KEY = "sk_test_chaos"
OUT_HINT = "extract-NN.log beside the report"
# The raw tables the webhook receiver writes into: a small, unrelated company.
WEBHOOK_BASE = ROOT / "tests" / "fixtures" / "snapshot"
# Injected faults, each a share of the fault rate.
FAULT_KINDS = (
    "drop_rate",
    "error_rate",
    "unavailable_rate",
    "throttle_rate",
    "slow_rate",
)


@dataclass(frozen=True)
class Plan:
    """How hard the run shakes the extraction."""

    kills: int = 10
    fault_rate: float = 0.2
    webhook_events: int = 200
    restart: bool = True
    build: bool = True
    # The server's rate limit (429 with Stripe-Should-Retry) below the
    # client's ceiling; a slow answer comes past the client's timeout.
    server_rps: float = 40
    client_rps: float = 50
    client_timeout: float = 1.0
    slow_ms: float = 1500
    # About how long one listing takes: listing kills land within it.
    listing_seconds: float = 10


@dataclass(frozen=True)
class Databases:
    """The environments of the three databases a run uses."""

    chaos: dict[str, str]  # the extraction under faults
    reference: dict[str, str]  # the snapshot loaded cleanly (SOURCE=json)
    webhooks: dict[str, str]  # the receiver's


def replay_options(plan: Plan, seed: int) -> dict:
    share = plan.fault_rate / len(FAULT_KINDS)
    options = dict.fromkeys(FAULT_KINDS, share)
    options.update(rate=plan.server_rps, slow_ms=plan.slow_ms, seed=seed)
    return dict(options, api_key=API_KEY)


def extraction_env(env: dict[str, str], plan: Plan, url: str) -> dict[str, str]:
    return dict(
        env,
        SOURCE="api",
        STRIPE_API_BASE=url,
        STRIPE_API_KEY=API_KEY,
        STRIPE_MAX_RPS=str(plan.client_rps),
        STRIPE_HTTP_TIMEOUT=str(plan.client_timeout),
        FULL_REFRESH="",
        PYTHONUNBUFFERED="1",
    )


def replay_counts(stats_file: Path) -> dict[str, int]:
    """The replay server's counts: requests, served, and each fault (its
    rate limit's 429s are `rate_limited`), without its request-id counter."""
    counts = orjson.loads(stats_file.read_bytes())
    return {kind: n for kind, n in sorted(counts.items()) if kind != "ids"}


def passes(what: str, command) -> str:
    """ "passed", or what failed and its log's tail."""
    try:
        command()
    except UserError as exc:
        return f"{what} failed: {str(exc)[-1500:]}"
    return "passed"


def checks(bench: Bench, env: dict[str, str], snapshot: Path) -> dict:
    """`make build`'s command, then check-db against the snapshot."""
    out = bench.out_dir
    check_env = dict(env, SOURCE="json", JSON_DIR=str(snapshot))
    check = [sys.executable, "-m", "tools.checks.check_db"]
    return {
        "build": passes(
            "dbt build", lambda: dbt_build(bench, env, out / "build.log", changed=True)
        ),
        "check_db": passes(
            "check-db", lambda: measure(check, check_env, out / "check-db.log")
        ),
    }


def problems(report: dict, plan: Plan) -> list[str]:
    """What makes the run fail, one line each."""
    raw, hooks, rounds = report["raw"], report["webhooks"], report["rounds"]
    found = [
        f"{raw[kind]} objects {kind} in raw (by table: {raw['by_table']})"
        for kind in ("lost", "duplicated", "extra", "changed")
        if raw[kind]
    ]
    found += [
        f"webhooks: {hooks[kind]} {kind.replace('_', ' ')}"
        for kind in ("refused", "stored_twice", "missing", "objects_stale")
        if hooks[kind]
    ]
    kills = sum(rounds["kills"].values())
    if kills < plan.kills:
        found.append(f"only {kills} of {plan.kills} kills landed")
    if plan.restart and not rounds["db_restarts"]:
        found.append("the database server was not restarted mid-load")
    if not rounds["finished"]:
        found.append(f"no extraction exited 0 after the kills (logs: {OUT_HINT})")
    checked = report["checks"].values()
    return found + [message for message in checked if message != "passed"]


def chaos(bench: Bench, plan: Plan, databases: Databases, snapshot: Path) -> dict:
    """The whole run; its report (`problems` empty when nothing went wrong)."""
    began = time.monotonic()
    out = bench.out_dir
    rounds = Rounds()
    stats_file = out / "replay-stats.json"
    bench.log(f"extracting through faults and {plan.kills} kills")
    with (
        replay_process(
            snapshot, stats_file=stats_file, **replay_options(plan, bench.seed)
        ) as url,
        concurrent.futures.ThreadPoolExecutor(2) as pool,
    ):
        # The clean loads beside the kills: they are plain extractions.
        loads = [
            pool.submit(load_snapshot, bench, env, directory, out / log)
            for env, directory, log in (
                (databases.reference, snapshot, "reference.log"),
                (databases.webhooks, WEBHOOK_BASE, "webhook-base.log"),
            )
        ]
        env = extraction_env(databases.chaos, plan, url)
        kill_rounds(rounds, env, plan.kills, bench.seed, plan.listing_seconds, out)
        for load in loads:
            load.result()  # done before the server restarts
        if plan.restart:
            restart_rounds(rounds, env, bench.env, out)
        finish_rounds(rounds, env, out)
    bench.log("comparing raw with the snapshot; building; checking")
    report = {
        "customers": bench.customers,
        "seed": bench.seed,
        "rounds": asdict(rounds),
        "faults": replay_counts(stats_file),
        "raw": compare_raw(databases.chaos, databases.reference),
        "checks": checks(bench, databases.chaos, snapshot) if plan.build else {},
    }
    bench.log("delivering webhooks out of order, each twice")
    report["webhooks"] = webhook_check(
        databases.webhooks, snapshot, plan.webhook_events, bench.seed, out
    )
    report["seconds"] = round(time.monotonic() - began, 1)
    report["problems"] = problems(report, plan)
    return report
