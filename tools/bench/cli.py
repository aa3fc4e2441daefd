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
- transform: `dbt build --full-refresh` of every layer with its tests, then
  `dbt build` after 1 % of the objects of every resource changed (a delta
  snapshot loaded by the extractor), per layer from dbt's run_results.json.
- end_to_end: `make all SOURCE=json` on the snapshot into a fresh database.

It prints one table (median, min and max of the runs, peak memory of the
measured process tree) and writes it as JSON to --out. Snapshots are
generated once per size and seed into data/bench/ and reused.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import psycopg2

from extract import config
from extract.errors import UserError

ROOT = config.ROOT
PY = sys.executable
SECTIONS = ("loader", "extraction", "transform", "end_to_end")
PAGE_OBJECTS = 100
CHANGED_FRACTION = 100  # 1 object in 100 changes before the incremental build
# Layers of run_results.json nodes: a model's folder, or its resource type.
LAYERS = ("seeds", "staging", "oltp", "marts", "snapshots", "tests")
# Targets at the scale the warehouse is sized for: 100,000 customers.
TARGET_CUSTOMERS = 100_000
LOADER_TARGET = 10_000.0
EXTRACTION_TARGET = 0.90
FULL_BUILD_TARGET_SECONDS = 300.0
INCREMENTAL_TARGET = 0.10
EXTRACTION_MEMORY_TARGET_MIB = 1024.0


@dataclass
class Measured:
    seconds: float
    peak_mib: float
    output: str


@dataclass
class Row:
    """One line of the table: a metric over the runs."""

    section: str
    metric: str
    unit: str
    runs: list[float]
    peak_mib: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    def as_json(self) -> dict:
        data = asdict(self)
        data.update(median=self.median, min=min(self.runs), max=max(self.runs))
        return data


@dataclass
class Bench:
    customers: int
    runs: int
    seed: int
    out_dir: Path
    env: dict[str, str]
    data_dir: Path = ROOT / "data" / "bench"
    rows: list[Row] = field(default_factory=list)

    def log(self, message: str) -> None:
        print(f"bench: {message}", file=sys.stderr, flush=True)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row


# -- processes and databases ---------------------------------------------------


def measure(args: list[str], env: dict[str, str], log_path: Path, cwd=ROOT) -> Measured:
    """Run a command, its output to log_path; wall time and the peak resident
    memory of its process tree (wait4's rusage covers the waited children)."""
    started = time.perf_counter()
    with open(log_path, "w") as log:
        child = subprocess.Popen(
            args, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    output = log_path.read_text(errors="replace")
    if child.returncode != 0:
        raise UserError(
            f"{' '.join(args)} exited {child.returncode} (log: {log_path}):\n"
            f"{output[-3000:]}"
        )
    return Measured(seconds, usage.ru_maxrss / 1024, output)


def _admin(env: dict[str, str], statement: str) -> None:
    conn = psycopg2.connect(
        host=env["PGHOST"],
        port=env["PGPORT"],
        user=env["PGUSER"],
        password=env["PGPASSWORD"],
        dbname="postgres",
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


@contextlib.contextmanager
def bench_database(bench: Bench, name: str) -> Iterator[dict[str, str]]:
    """A new, empty database `bench_<name>` and the environment that uses it;
    dropped afterwards, with the pipeline's local state for it."""
    database = f"bench_{name}"
    _admin(bench.env, f'drop database if exists "{database}" with (force)')
    _admin(bench.env, f'create database "{database}"')
    env = dict(bench.env, PGDATABASE=database)
    try:
        yield env
    finally:
        _admin(bench.env, f'drop database if exists "{database}" with (force)')
        from extract.warehouse import pg_settings, pipelines_dir

        stack_dir = config.load(env).stack_dir
        shutil.rmtree(pipelines_dir(stack_dir, pg_settings(env)), ignore_errors=True)


def raw_objects(env: dict[str, str], schema: str = "stripe_raw") -> int:
    """Rows in the schema's tables, dlt's own tables aside."""
    conn = psycopg2.connect(
        host=env["PGHOST"],
        port=env["PGPORT"],
        user=env["PGUSER"],
        password=env["PGPASSWORD"],
        dbname=env["PGDATABASE"],
    )
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select table_name from information_schema.tables"
                " where table_schema = %s and table_name not like '\\_dlt\\_%%'",
                (schema,),
            )
            tables = [name for (name,) in cur.fetchall()]
            total = 0
            for table in tables:
                cur.execute(f'select count(*) from "{schema}"."{table}"')
                total += cur.fetchone()[0]
            return total
    finally:
        conn.close()


# -- snapshots -----------------------------------------------------------------


def synthetic_snapshot(bench: Bench, customers: int) -> Path:
    """The synthetic company of that size, generated once and reused."""
    directory = bench.data_dir / f"synth-{customers}-seed{bench.seed}"
    if (directory / "manifest.json").is_file():
        return directory
    bench.log(f"generating a company of {customers:,} customers in {directory}")
    shutil.rmtree(directory, ignore_errors=True)
    args = [PY, "-m", "tools.fake_stripe.synth", "--customers", str(customers)]
    args += ["--seed", str(bench.seed), "--out", str(directory)]
    measure(args, bench.env, bench.out_dir / f"synth-{customers}.log")
    return directory


def snapshot_objects(directory: Path) -> int:
    """Objects in a snapshot: its lines (one object each), or the entries of
    a list-envelope file."""
    from extract.snapshot import open_snapshot, read_objects

    files, _ = open_snapshot(directory)
    total = 0
    for path in files.values():
        if path.name.endswith(".jsonl"):
            with open(path, "rb") as handle:
                total += sum(1 for line in handle if line.strip())
        else:
            total += sum(1 for _ in read_objects(path))
    return total


def write_changed_snapshot(source: Path, target: Path, offset: int) -> int:
    """One object in CHANGED_FRACTION of every resource, changed the way a
    day of business changes it (metadata written, a later update time):
    a delta snapshot for the incremental build. Returns the objects written."""
    from extract import settings
    from extract.snapshot import SnapshotWriter, open_snapshot, read_objects

    files, manifest = open_snapshot(source)
    shutil.rmtree(target, ignore_errors=True)
    writer = SnapshotWriter(target)
    written = 0
    for name, path in files.items():
        for number, (obj, _) in enumerate(read_objects(path)):
            if number % CHANGED_FRACTION != offset % CHANGED_FRACTION:
                continue
            if isinstance(obj.get("metadata"), dict):
                obj["metadata"]["bench_changed"] = str(offset)
            writer.write(name, orjson.dumps(obj))
            written += 1
    writer.commit(manifest.get("api_version") or settings.STRIPE_API_VERSION)
    return written


# -- loader --------------------------------------------------------------------


def extract_command() -> list[str]:
    return [PY, "-m", "extract"]


def load_snapshot(bench: Bench, env: dict[str, str], directory: Path, log: Path):
    run_env = dict(env, SOURCE="json", JSON_DIR=str(directory), FULL_REFRESH="")
    return measure(extract_command(), run_env, log)


def dlt_default_command(directory: Path, env: dict[str, str]) -> list[str]:
    return [PY, "-m", "tools.bench", "dlt-default", str(directory)]


def dlt_default_load(directory: Path) -> None:
    """dlt as its documentation's first example uses it: dict items, no hints,
    the destination's default file format; run from a directory without the
    project's .dlt/config.toml, so every setting is dlt's default."""
    import dlt

    from extract.snapshot import open_snapshot, read_objects

    files, _ = open_snapshot(directory)

    def objects(path: Path):
        for obj, _ in read_objects(path):
            yield obj

    resources = [dlt.resource(objects(path), name=name) for name, path in files.items()]
    env = os.environ
    pipeline = dlt.pipeline(
        pipeline_name="stripe_dlt_default",
        destination=dlt.destinations.postgres(
            credentials={
                "host": env["PGHOST"],
                "port": int(env["PGPORT"]),
                "username": env["PGUSER"],
                "password": env["PGPASSWORD"],
                "database": env["PGDATABASE"],
            }
        ),
        dataset_name="stripe_dlt_default",
        pipelines_dir=env["BENCH_PIPELINES_DIR"],
    )
    pipeline.run(resources)


def bench_loader(bench: Bench, snapshot: Path, baseline_customers: int) -> None:
    objects, seconds, peaks = 0, [], []
    for run in range(1, bench.runs + 1):
        with bench_database(bench, "loader") as env:
            bench.log(f"loader {run}/{bench.runs}: {snapshot.name} into stripe_raw")
            done = load_snapshot(
                bench, env, snapshot, bench.out_dir / f"loader-{run}.log"
            )
            objects = raw_objects(env)
        seconds.append(done.seconds)
        peaks.append(done.peak_mib)
    rates = [objects / s for s in seconds]
    bench.add(
        Row(
            "loader",
            f"snapshot -> stripe_raw ({objects:,} objects)",
            "objects/s",
            rates,
            max(peaks),
            f">= {LOADER_TARGET:,.0f}",
            statistics.median(rates) >= LOADER_TARGET,
        )
    )
    baseline = synthetic_snapshot(bench, baseline_customers)
    ours, theirs, peaks, counted = [], [], [], 0
    for run in range(1, bench.runs + 1):
        with bench_database(bench, "loader_same_data") as env:
            bench.log(f"loader {run}/{bench.runs} on {baseline.name}: this project")
            done = load_snapshot(
                bench, env, baseline, bench.out_dir / f"ours-{run}.log"
            )
            counted = raw_objects(env)
            ours.append(counted / done.seconds)
        with (
            bench_database(bench, "dlt_default") as env,
            tempfile.TemporaryDirectory() as plain_dir,
        ):
            bench.log(f"loader {run}/{bench.runs} on {baseline.name}: dlt defaults")
            run_env = dict(env, BENCH_PIPELINES_DIR=plain_dir, PYTHONPATH=str(ROOT))
            run_env.pop("NORMALIZE__WORKERS", None)
            done = measure(
                dlt_default_command(baseline, run_env),
                run_env,
                bench.out_dir / f"dlt-default-{run}.log",
                cwd=plain_dir,
            )
            theirs.append(counted / done.seconds)
            peaks.append(done.peak_mib)
    bench.add(
        Row(
            "loader",
            f"dlt defaults, same {counted:,} objects",
            "objects/s",
            theirs,
            max(peaks),
        )
    )
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    bench.add(Row("loader", "this loader / dlt defaults", "x", ratios))


# -- extraction ----------------------------------------------------------------


def sequential_pager(url: str, api_key: str, seconds: float) -> tuple[int, int]:
    """Page the top-level lists one request at a time, as the seed project and
    dlt's verified source do; (objects, requests) within the time box."""
    from extract import settings

    paths = [r.path for r in settings.RESOURCES if not r.parent]
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    headers = {"Authorization": f"Bearer {api_key}"}
    objects = requests = 0
    deadline = time.monotonic() + seconds
    try:
        for path in paths:
            after = None
            while time.monotonic() < deadline:
                query = f"limit={PAGE_OBJECTS}" + (
                    f"&starting_after={after}" if after else ""
                )
                connection.request("GET", f"{path}?{query}", headers=headers)
                response = connection.getresponse()
                body = response.read()
                requests += 1
                if response.status == 429:
                    time.sleep(0.05)
                    continue
                if response.status != 200:
                    break
                page = orjson.loads(body)
                objects += len(page["data"])
                if not page.get("has_more") or not page["data"]:
                    break
                after = page["data"][-1]["id"]
            if time.monotonic() >= deadline:
                break
    finally:
        connection.close()
    return objects, requests


def bench_extraction(
    bench: Bench, snapshot: Path, rate: float, latency_ms: float, pager_seconds: float
) -> None:
    from tools.fake_stripe.replay import DEFAULT_KEY, replay_process

    ceiling = rate * PAGE_OBJECTS
    rates, request_rates, listing_rates, peaks, pager = [], [], [], [], []
    objects = 0
    for run in range(1, bench.runs + 1):
        with (
            replay_process(snapshot, rate=rate, latency_ms=latency_ms) as url,
            bench_database(bench, "extraction") as env,
        ):
            bench.log(f"extraction {run}/{bench.runs}: {url} at {rate:g} req/s")
            run_env = dict(
                env,
                SOURCE="api",
                STRIPE_API_BASE=url,
                STRIPE_API_KEY=DEFAULT_KEY,
                STRIPE_MAX_RPS=str(rate),
                FULL_REFRESH="",
            )
            done = measure(
                extract_command(), run_env, bench.out_dir / f"extraction-{run}.log"
            )
            objects = raw_objects(env)
            made = re.search(r"(\d+) API requests", done.output)
            requests = int(made.group(1)) if made else 0
            rates.append(objects / done.seconds)
            request_rates.append(requests / done.seconds)
            listed = re.search(r"([\d.]+)/s over the", done.output)
            listing_rates.append(float(listed.group(1)) if listed else 0.0)
            peaks.append(done.peak_mib)
            paged, _ = sequential_pager(url, DEFAULT_KEY, pager_seconds)
            pager.append(paged / pager_seconds)
    peak = max(peaks)
    fractions = [r / ceiling for r in rates]
    bench.add(
        Row(
            "extraction",
            f"replay API -> stripe_raw ({objects:,} objects)",
            "objects/s",
            rates,
            peak,
            note=f"ceiling {ceiling:,.0f} objects/s ({rate:g} req/s x {PAGE_OBJECTS})",
        )
    )
    bench.add(
        Row(
            "extraction",
            "  as a fraction of that ceiling",
            "fraction",
            fractions,
            target=f">= {EXTRACTION_TARGET:.2f}",
            met=statistics.median(fractions) >= EXTRACTION_TARGET,
            note=(
                f"bound by the request mix: {objects / requests:.0f} objects a "
                "request, as payment methods are listed one customer a request"
            ),
        )
    )
    listing = [r / rate for r in listing_rates]
    bench.add(
        Row(
            "extraction",
            f"requests/s while listing, fraction of the limit ({requests:,} requests)",
            "fraction",
            listing,
            target=f">= {EXTRACTION_TARGET:.2f}, never above 1",
            met=statistics.median(listing) >= EXTRACTION_TARGET
            and max(listing) <= 1.01,
            note="from the first request to the last table read",
        )
    )
    bench.add(
        Row(
            "extraction",
            "requests/s over the whole run, fraction of the limit",
            "fraction",
            [r / rate for r in request_rates],
            note="listing, then dlt's normalize and load of the last rows",
        )
    )
    bench.add(
        Row(
            "extraction",
            "peak memory of extraction",
            "MiB",
            peaks,
            target=f"<= {EXTRACTION_MEMORY_TARGET_MIB:,.0f}",
            met=peak <= EXTRACTION_MEMORY_TARGET_MIB,
        )
    )
    bench.add(
        Row(
            "extraction",
            "one-request-at-a-time pager, top-level lists",
            "objects/s",
            pager,
            note=(
                f"{statistics.median(pager) / ceiling:.3f} of the ceiling; "
                f"{pager_seconds:g} s time box, {latency_ms:g} ms a request"
            ),
        )
    )


# -- transform -----------------------------------------------------------------


def layer_of(unique_id: str, manifest: dict) -> str:
    node = manifest["nodes"].get(unique_id) or {}
    kind = unique_id.split(".", 1)[0]
    if kind in ("test", "unit_test"):
        return "tests"
    if kind == "seed":
        return "seeds"
    if kind == "snapshot":
        return "snapshots"
    fqn = node.get("fqn") or unique_id.split(".")
    return fqn[1] if len(fqn) > 2 and fqn[1] in LAYERS else "marts"


def layer_seconds(target_path: Path) -> dict[str, float]:
    """Sum of dbt's node times per layer (threads overlap, so their sum can
    exceed the wall time)."""
    results = json.loads((target_path / "run_results.json").read_text())
    manifest = json.loads((target_path / "manifest.json").read_text())
    seconds = dict.fromkeys(LAYERS, 0.0)
    for result in results["results"]:
        seconds[layer_of(result["unique_id"], manifest)] += result["execution_time"]
    return seconds


def dbt_build(bench: Bench, env: dict[str, str], log: Path, *flags: str) -> Measured:
    target = bench.out_dir / "dbt-target"
    run_env = dict(env, DBT_TARGET_PATH=str(target), DBT_LOG_PATH=str(target))
    args = [PY, "-m", "tools.stack", "exec", "--"]
    args += [str(Path(PY).parent / "dbt"), "build", *flags]
    return measure(args, run_env, log)


def bench_transform(bench: Bench, snapshot: Path) -> None:
    full, incremental, changed = [], [], 0
    full_layers: list[dict[str, float]] = []
    incremental_layers: list[dict[str, float]] = []
    target = bench.out_dir / "dbt-target"
    with bench_database(bench, "transform") as env:
        bench.log(f"transform: loading {snapshot.name}")
        load_snapshot(bench, env, snapshot, bench.out_dir / "transform-load.log")
        for run in range(1, bench.runs + 1):
            bench.log(f"transform {run}/{bench.runs}: dbt build --full-refresh")
            done = dbt_build(
                bench, env, bench.out_dir / f"build-full-{run}.log", "--full-refresh"
            )
            full.append(done.seconds)
            full_layers.append(layer_seconds(target))
        for run in range(1, bench.runs + 1):
            delta = bench.data_dir / "delta"
            changed = write_changed_snapshot(snapshot, delta, run)
            load_snapshot(bench, env, delta, bench.out_dir / f"delta-load-{run}.log")
            bench.log(
                f"transform {run}/{bench.runs}: dbt build after {changed:,} changes"
            )
            done = dbt_build(bench, env, bench.out_dir / f"build-incr-{run}.log")
            incremental.append(done.seconds)
            incremental_layers.append(layer_seconds(target))
        shutil.rmtree(bench.data_dir / "delta", ignore_errors=True)
    sized = bench.customers >= TARGET_CUSTOMERS
    bench.add(
        Row(
            "transform",
            "dbt build --full-refresh, all layers and tests",
            "s",
            full,
            target=f"<= {FULL_BUILD_TARGET_SECONDS:.0f} at 100k customers",
            met=statistics.median(full) <= FULL_BUILD_TARGET_SECONDS if sized else None,
        )
    )
    for layer in LAYERS:
        bench.add(
            Row(
                "transform",
                f"  full: {layer} (sum of node times)",
                "s",
                [times[layer] for times in full_layers],
            )
        )
    bench.add(
        Row(
            "transform",
            f"dbt build after 1 % changed ({changed:,} objects)",
            "s",
            incremental,
        )
    )
    for layer in LAYERS:
        bench.add(
            Row(
                "transform",
                f"  incremental: {layer} (sum of node times)",
                "s",
                [times[layer] for times in incremental_layers],
            )
        )
    ratios = [i / statistics.median(full) for i in incremental]
    bench.add(
        Row(
            "transform",
            "incremental / full build",
            "fraction",
            ratios,
            target=f"<= {INCREMENTAL_TARGET:.2f}",
            met=statistics.median(ratios) <= INCREMENTAL_TARGET,
        )
    )


# -- end to end ----------------------------------------------------------------


def bench_end_to_end(bench: Bench, snapshot: Path) -> None:
    seconds, peaks = [], []
    for run in range(1, bench.runs + 1):
        with bench_database(bench, "end_to_end") as env:
            bench.log(f"end to end {run}/{bench.runs}: make all SOURCE=json")
            args = ["make", "-C", str(ROOT), "all", "SOURCE=json"]
            args.append(f"JSON_DIR={snapshot}")
            done = measure(args, env, bench.out_dir / f"make-all-{run}.log")
            seconds.append(done.seconds)
            peaks.append(done.peak_mib)
    bench.add(
        Row(
            "end_to_end",
            "make all SOURCE=json (extract, build, check-db)",
            "s",
            seconds,
            max(peaks),
        )
    )


# -- report --------------------------------------------------------------------


def _number(value: float, unit: str) -> str:
    if unit == "fraction":
        return f"{value:.3f}"
    if unit == "x":
        return f"{value:.1f}"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def table(bench: Bench) -> str:
    header = ("section", "metric", "median", "min", "max", "unit", "peak MiB", "target")
    lines = [header]
    for row in bench.rows:
        verdict = {True: " (met)", False: " (MISSED)", None: ""}[row.met]
        lines.append(
            (
                row.section,
                row.metric,
                _number(row.median, row.unit),
                _number(min(row.runs), row.unit),
                _number(max(row.runs), row.unit),
                row.unit,
                "" if row.peak_mib is None else f"{row.peak_mib:,.0f}",
                (row.target + verdict).strip() + (f"  {row.note}" if row.note else ""),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    out = []
    for line in lines:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        out.append("  ".join([*cells, line[-1]]).rstrip())
    return "\n".join(out)


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def write_report(bench: Bench, started: float, objects: int, path: Path) -> None:
    report = {
        "customers": bench.customers,
        "objects": objects,
        "runs": bench.runs,
        "seed": bench.seed,
        "seconds": round(time.time() - started, 1),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "machine": machine(),
        "results": [row.as_json() for row in bench.rows],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))


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
        "transform": lambda: bench_transform(bench, snapshot),
        "end_to_end": lambda: bench_end_to_end(bench, snapshot),
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
