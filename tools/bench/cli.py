"""Benchmarks of the pipeline on a synthetic company (`make bench`).

    python -m tools.bench [--customers N] [--runs 3] [--only loader,transform]
    make bench BENCH_CUSTOMERS=100000 [BENCH_RUNS=3] [BENCH_ONLY=...]

Sections, each run --runs times against databases of their own on the
embedded PostgreSQL (created and dropped here; the warehouse `stripe` is
never touched):

- loader: `SOURCE=json python -m extract` from the synthetic snapshot into
  `stripe_raw`, in objects/s, and dlt with its default settings (dict items,
  nested objects flattened into columns and child tables, INSERT statements)
  on the same snapshot, for the ratio. The baseline is slow, so it runs on
  the first --baseline-customers customers' snapshot, with the project's
  loader measured on that same snapshot beside it.
- extraction: `python -m extract` from the replay server (tools.fake_stripe.replay)
  at --rate requests/s and --latency-ms per answer, as a fraction of the
  ceiling (rate x 100 objects a page), and a one-request-at-a-time pager on
  the same server, time-boxed to --pager-seconds.
- changes: the extraction side of a daily run on the extraction-sized
  company: a full extraction from the replay server, then an incremental
  one after 1 % of the top-level objects changed, each with its event;
  requests and time, with changed objects taken from their events and, for
  the ratio, retrieved one request each (EVENT_OBJECTS=retrieve).
- transform: `make build`'s command with --full-refresh, then after 1 %,
  0.1 % and nothing of the objects changed (a delta snapshot loaded by the
  extractor), per layer from dbt's run_results.json; last, the marts of the
  incremental builds against a full refresh's.
- end_to_end: `make all SOURCE=json` on the snapshot into a fresh database.
- app: every page of the analytics app rendered from a cold query cache
  (Streamlit's AppTest) over the company built once, median of --runs.
- engines: the same snapshot on DuckDB and on Spark (WAREHOUSE=duckdb|spark,
  --engines / BENCH_ENGINES): the dlt load into a new warehouse and `dbt
  build --full-refresh` with every test, with peak memory (Spark's Java
  process included); PostgreSQL's build is the transform section's.

It prints one table (median, min and max of the runs, peak memory of the
measured process tree) and writes it as JSON to --out. Snapshots are
generated once per size and seed into data/bench/ and reused.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from extract import config
from extract.errors import UserError
from tools.bench.report import ROOT, Bench, table, write_report
from tools.bench.runs import dlt_default_load, snapshot_objects, synthetic_snapshot
from tools.bench.sections import (
    CHANGE_STEPS,
    ENGINE_SETTINGS,
    bench_app,
    bench_changes,
    bench_end_to_end,
    bench_engines,
    bench_extraction,
    bench_loader,
    bench_transform,
    change_step_name,
)

CHANGE_NAMES = tuple(change_step_name(label) for label, _ in CHANGE_STEPS)
SECTIONS = (
    "loader",
    "extraction",
    "changes",
    "transform",
    "end_to_end",
    "app",
    "engines",
)


# -- command line --------------------------------------------------------------


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def parse(argv: list[str]) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--customers", type=_positive, default=env.get("BENCH_CUSTOMERS") or "10000"
    )
    parser.add_argument("--runs", type=_positive, default=env.get("BENCH_RUNS") or "3")
    parser.add_argument("--seed", type=int, default=env.get("BENCH_SEED") or "7")
    parser.add_argument(
        "--only",
        default=env.get("BENCH_ONLY") or ",".join(SECTIONS),
        help=f"comma-separated sections of {', '.join(SECTIONS)}",
    )
    parser.add_argument(
        "--baseline-customers",
        type=_positive,
        default=env.get("BENCH_BASELINE_CUSTOMERS") or "1000",
        help="size of the snapshot both loaders run on for the ratio",
    )
    parser.add_argument(
        "--extraction-customers",
        type=_positive,
        default=env.get("BENCH_EXTRACTION_CUSTOMERS") or "2000",
        help="size of the company the extraction benchmark lists from the API",
    )
    parser.add_argument(
        "--changes",
        default=env.get("BENCH_CHANGES") or ",".join(CHANGE_NAMES),
        help=f"incremental builds of transform, of {', '.join(CHANGE_NAMES)}",
    )
    parser.add_argument(
        "--engines",
        default=env.get("BENCH_ENGINES") or ",".join(ENGINE_SETTINGS),
        help="comma-separated engines of the engines section: duckdb, spark",
    )
    parser.add_argument("--rate", type=float, default=100.0, help="replay req/s")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--pager-seconds", type=float, default=20.0)
    parser.add_argument(
        "--data-dir",
        default=env.get("BENCH_DATA_DIR") or str(ROOT / "data" / "bench"),
        help="where the generated companies are kept between runs",
    )
    parser.add_argument(
        "--results-dir",
        default=env.get("BENCH_RESULTS_DIR") or str(ROOT / "bench" / "results"),
        help="a folder per run: logs, dbt's target, bench.json",
    )
    parser.add_argument("--out", default=env.get("BENCH_OUT") or "")
    args = parser.parse_args(argv)
    args.sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(args.sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; use {SECTIONS}")
    args.change_list = tuple(c.strip() for c in args.changes.split(",") if c.strip())
    unknown = sorted(set(args.change_list) - set(CHANGE_NAMES))
    if unknown:
        known = ", ".join(CHANGE_NAMES)
        parser.error(f"unknown change step(s) {', '.join(unknown)}; use {known}")
    args.engine_list = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = sorted(set(args.engine_list) - set(ENGINE_SETTINGS))
    if unknown:
        known = ", ".join(ENGINE_SETTINGS)
        parser.error(f"unknown engine(s) {', '.join(unknown)}; use {known}")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["dlt-default"]:
        dlt_default_load(Path(argv[1]))
        return 0
    args = parse(argv)
    settings = config.load()
    if not settings.pg_managed:
        raise UserError(
            "make bench creates and drops databases, so it runs on the embedded "
            "PostgreSQL only: unset PGHOST and use ENV=dev."
        )
    env = config.child_environment()
    env["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    out_dir = Path(args.results_dir) / f"{stamp}-{args.customers}"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = Path(args.out) if args.out else out_dir / "bench.json"
    bench = Bench(
        args.customers, args.runs, args.seed, out_dir, env, Path(args.data_dir)
    )
    bench.engines = args.engine_list
    started = time.time()
    snapshot = synthetic_snapshot(bench, args.customers)
    objects = snapshot_objects(snapshot)
    bench.log(f"{objects:,} objects in {snapshot}; logs in {out_dir}")
    steps: dict[str, Callable[[], None]] = {
        "loader": lambda: bench_loader(
            bench, snapshot, min(args.baseline_customers, args.customers)
        ),
        "extraction": lambda: bench_extraction(
            bench,
            synthetic_snapshot(bench, min(args.extraction_customers, args.customers)),
            args.rate,
            args.latency_ms,
            args.pager_seconds,
        ),
        "changes": lambda: bench_changes(
            bench,
            synthetic_snapshot(bench, min(args.extraction_customers, args.customers)),
            args.rate,
            args.latency_ms,
        ),
        "transform": lambda: bench_transform(bench, snapshot, args.change_list),
        "end_to_end": lambda: bench_end_to_end(bench, snapshot),
        "app": lambda: bench_app(bench, snapshot),
        "engines": lambda: bench_engines(bench, snapshot),
    }
    for section in SECTIONS:
        if section in args.sections:
            steps[section]()
            write_report(bench, started, objects, out)
    print(
        f"benchmarks: {args.customers:,} customers ({objects:,} objects), "
        f"{args.runs} run(s) each, on {os.cpu_count()} CPUs"
    )
    print(table(bench))
    print(f"written to {out}")
    return 0
