"""The benchmark's sections: loader, extraction, changes, transform, end to
end, app, engines."""

from __future__ import annotations

import http.client
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import orjson

from tools.bench.report import (
    EXTRACTION_MEMORY_TARGET_MIB,
    EXTRACTION_TARGET,
    FULL_BUILD_TARGET_SECONDS,
    INCREMENTAL_TARGETS,
    LOADER_TARGET,
    NOTHING_CHANGED_TARGET_SECONDS,
    PAGE_RENDER_TARGET_SECONDS,
    ROOT,
    TARGET_CUSTOMERS,
    Bench,
    Result,
)
from tools.bench.runs import (
    CHANGED_FRACTION,
    LAYERS,
    PY,
    bench_database,
    database_mib,
    dbt_build,
    directory_mib,
    dlt_default_command,
    extract_command,
    layer_seconds,
    load_snapshot,
    marts_digest,
    measure,
    raw_digest,
    raw_objects,
    synthetic_snapshot,
    write_changed_account,
    write_changed_snapshot,
)

PAGE_OBJECTS = 100


# -- loader --------------------------------------------------------------------


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
        Result(
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
        Result(
            "loader",
            f"dlt defaults, same {counted:,} objects",
            "objects/s",
            theirs,
            max(peaks),
        )
    )
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    bench.add(Result("loader", "this loader / dlt defaults", "x", ratios))


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
        Result(
            "extraction",
            f"replay API -> stripe_raw ({objects:,} objects)",
            "objects/s",
            rates,
            peak,
            note=f"ceiling {ceiling:,.0f} objects/s ({rate:g} req/s x {PAGE_OBJECTS})",
        )
    )
    bench.add(
        Result(
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
        Result(
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
        Result(
            "extraction",
            "requests/s over the whole run, fraction of the limit",
            "fraction",
            [r / rate for r in request_rates],
            note="listing, then dlt's normalize and load of the last rows",
        )
    )
    bench.add(
        Result(
            "extraction",
            "peak memory of extraction",
            "MiB",
            peaks,
            target=f"<= {EXTRACTION_MEMORY_TARGET_MIB:,.0f}",
            met=peak <= EXTRACTION_MEMORY_TARGET_MIB,
        )
    )
    bench.add(
        Result(
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


def _requests(output: str) -> int:
    made = re.search(r"(\d+) API requests", output)
    return int(made.group(1)) if made else 0


def bench_changes(bench: Bench, snapshot: Path, rate: float, latency_ms: float) -> None:
    """The extraction side of a daily run: a full extraction from the replay
    server, then an incremental one after 1 % of the top-level objects
    changed (each with its event in the pinned version), with changed
    objects taken from their events (EVENT_OBJECTS=use, the default) and,
    for the ratio, retrieved one by one (EVENT_OBJECTS=retrieve)."""
    from tools.fake_stripe.replay import DEFAULT_KEY, replay_process

    changed_dir = bench.data_dir / "changed-account"
    full: dict[str, list[float]] = {"requests": [], "seconds": []}
    after: dict[str, dict[str, list[float]]] = {
        mode: {"requests": [], "seconds": []} for mode in ("use", "retrieve")
    }
    changes = 0
    raw: dict[str, dict[str, str]] = {}
    equal_runs = []
    for run in range(1, bench.runs + 1):
        if raw:
            equal_runs.append(raw["use"] == raw["retrieve"])
        # One changed account for both modes; its events an hour ahead, so
        # they are after either full extraction, however long it takes.
        changes = write_changed_account(
            snapshot, changed_dir, CHANGED_FRACTION, int(time.time()) + 3600
        )
        for mode in ("use", "retrieve"):
            with bench_database(bench, "changes") as env:
                run_env = dict(
                    env,
                    SOURCE="api",
                    STRIPE_API_KEY=DEFAULT_KEY,
                    STRIPE_MAX_RPS=str(rate),
                    FULL_REFRESH="",
                    EVENT_OBJECTS=mode,
                )
                log = bench.out_dir / f"changes-full-{mode}-{run}.log"
                with replay_process(snapshot, rate=rate, latency_ms=latency_ms) as url:
                    bench.log(f"changes {run}/{bench.runs}: full extraction")
                    done = measure(
                        extract_command(), dict(run_env, STRIPE_API_BASE=url), log
                    )
                full["requests"].append(_requests(done.output))
                full["seconds"].append(done.seconds)
                log = bench.out_dir / f"changes-incr-{mode}-{run}.log"
                with replay_process(
                    changed_dir, rate=rate, latency_ms=latency_ms
                ) as url:
                    bench.log(
                        f"changes {run}/{bench.runs}: incremental extraction after"
                        f" {changes:,} changes, EVENT_OBJECTS={mode}"
                    )
                    done = measure(
                        extract_command(), dict(run_env, STRIPE_API_BASE=url), log
                    )
                after[mode]["requests"].append(_requests(done.output))
                after[mode]["seconds"].append(done.seconds)
                raw[mode] = raw_digest(env)
    shutil.rmtree(changed_dir, ignore_errors=True)
    equal_runs.append(raw["use"] == raw["retrieve"])
    differing = sorted(
        t for t in raw["retrieve"] if raw["use"].get(t) != raw["retrieve"][t]
    )
    bench.add(
        Result(
            "changes",
            "raw from events equal to raw retrieved (runs)",
            "runs",
            [float(sum(equal_runs))],
            target=f"= {len(equal_runs)}",
            met=all(equal_runs),
            note=", ".join(differing[:5]),
        )
    )
    full_requests = statistics.median(full["requests"])
    full_seconds = statistics.median(full["seconds"])
    bench.add(
        Result("changes", "full extraction: requests", "requests", full["requests"])
    )
    bench.add(Result("changes", "full extraction: time", "s", full["seconds"]))
    for mode, label in (("use", "from events"), ("retrieve", "retrieved")):
        figures = after[mode]
        bench.add(
            Result(
                "changes",
                f"after 1 % changed ({changes:,} objects), {label}: requests",
                "requests",
                figures["requests"],
            )
        )
        ratios = [value / full_requests for value in figures["requests"]]
        bench.add(
            Result(
                "changes",
                "  requests / full extraction's",
                "fraction",
                ratios,
                target=f"<= {INCREMENTAL_TARGETS['1 %']:.2f}" if mode == "use" else "",
                met=(
                    statistics.median(ratios) <= INCREMENTAL_TARGETS["1 %"]
                    if mode == "use"
                    else None
                ),
            )
        )
        bench.add(
            Result(
                "changes",
                f"  time ({label})",
                "s",
                figures["seconds"],
                note=(
                    f"{statistics.median(figures['seconds']) / full_seconds:.2f}"
                    " of the full extraction's"
                ),
            )
        )


# -- transform -----------------------------------------------------------------


# The incremental builds: (label, one object changed in `every`, 0: none).
CHANGE_STEPS = (("1 %", 100), ("0.1 %", 1000), ("nothing", 0))


def change_step_name(label: str) -> str:
    """A change step's name on the command line and in log files: 1pct."""
    return label.replace(" ", "").replace("%", "pct")


def bench_transform(
    bench: Bench, snapshot: Path, changes: tuple[str, ...] | None = None
) -> None:
    """`make build`'s command (tools.build) with --full-refresh, then after
    1 %, 0.1 % and nothing of the objects changed (a delta snapshot loaded by
    the extractor), --runs times each; per layer from run_results.json.
    `changes` keeps only the steps of those names (change_step_name), in
    their order. Last, the marts of the incremental builds against a full
    refresh."""
    wanted = [
        (label, every)
        for label, every in CHANGE_STEPS
        if changes is None or change_step_name(label) in changes
    ]
    full: list[float] = []
    full_peaks: list[float] = []
    full_layers: list[dict[str, float]] = []
    steps: dict[str, tuple[int, list[float], list[dict[str, float]]]] = {}
    step_peaks: dict[str, list[float]] = {}
    target = bench.out_dir / "dbt-target"
    with bench_database(bench, "transform") as env:
        bench.log(f"transform: loading {snapshot.name}")
        load_snapshot(bench, env, snapshot, bench.out_dir / "transform-load.log")
        for run in range(1, bench.runs + 1):
            bench.log(f"transform {run}/{bench.runs}: build --full-refresh")
            done = dbt_build(
                bench,
                env,
                bench.out_dir / f"build-full-{run}.log",
                "--full-refresh",
                changed=True,
            )
            full.append(done.seconds)
            full_peaks.append(done.peak_mib)
            full_layers.append(layer_seconds(target))
        built_mib = database_mib(env)
        delta = bench.data_dir / "delta"
        for label, every in wanted:
            changed, seconds, layers = 0, [], []
            for run in range(1, bench.runs + 1):
                slug = change_step_name(label)
                if every:
                    changed = write_changed_snapshot(snapshot, delta, run, every)
                    log = bench.out_dir / f"delta-{slug}-load-{run}.log"
                    load_snapshot(bench, env, delta, log)
                bench.log(
                    f"transform {run}/{bench.runs}: build after {label} changed"
                    f" ({changed:,} objects)"
                )
                log = bench.out_dir / f"build-{slug}-{run}.log"
                done = dbt_build(bench, env, log, changed=True)
                seconds.append(done.seconds)
                step_peaks.setdefault(label, []).append(done.peak_mib)
                layers.append(layer_seconds(target))
            steps[label] = (changed, seconds, layers)
        shutil.rmtree(delta, ignore_errors=True)
        incremental = marts_digest(env)
        bench.log("transform: a full refresh to compare the marts with")
        dbt_build(bench, env, bench.out_dir / "build-compare.log", "--full-refresh")
        refreshed = marts_digest(env)
    sized = bench.customers >= TARGET_CUSTOMERS
    bench.add(
        Result(
            "transform",
            "build --full-refresh, all layers and tests",
            "s",
            full,
            max(full_peaks),
            target=f"<= {FULL_BUILD_TARGET_SECONDS:.0f} at 100k customers",
            met=statistics.median(full) <= FULL_BUILD_TARGET_SECONDS if sized else None,
        )
    )
    _layer_rows(bench, "full", full_layers)
    bench.add(
        Result(
            "transform",
            "  database on disk after the full build",
            "MiB",
            [built_mib],
            note=f"snapshot on disk: {directory_mib(snapshot):,.0f} MiB",
        )
    )
    for label, (changed, seconds, layers) in steps.items():
        nothing = label == "nothing"
        bench.add(
            Result(
                "transform",
                f"build after {label} changed ({changed:,} objects)",
                "s",
                seconds,
                max(step_peaks[label]),
                target=(
                    f"<= {NOTHING_CHANGED_TARGET_SECONDS:.0f} at 100k customers"
                    if nothing
                    else ""
                ),
                met=(
                    statistics.median(seconds) <= NOTHING_CHANGED_TARGET_SECONDS
                    if nothing and sized
                    else None
                ),
            )
        )
        _layer_rows(bench, label, layers)
        ratios = [value / statistics.median(full) for value in seconds]
        limit = INCREMENTAL_TARGETS.get(label)
        bench.add(
            Result(
                "transform",
                f"  {label} / full build",
                "fraction",
                ratios,
                target=f"<= {limit:.2f} at 100k customers" if limit else "",
                met=statistics.median(ratios) <= limit if limit and sized else None,
            )
        )
    differing = sorted(t for t in refreshed if incremental.get(t) != refreshed[t])
    bench.add(
        Result(
            "transform",
            f"marts tables equal to a full refresh (of {len(refreshed)})",
            "tables",
            [float(len(refreshed) - len(differing))],
            target=f"= {len(refreshed)}",
            met=not differing and sorted(incremental) == sorted(refreshed),
            note=", ".join(differing[:5]),
        )
    )


def _layer_rows(bench: Bench, label: str, layers: list[dict[str, float]]) -> None:
    for layer in LAYERS:
        bench.add(
            Result(
                "transform",
                f"  {label}: {layer} (sum of node times)",
                "s",
                [times[layer] for times in layers],
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
        Result(
            "end_to_end",
            "make all SOURCE=json (extract, build, check-db)",
            "s",
            seconds,
            max(peaks),
        )
    )


# -- the analytics app ---------------------------------------------------------


def bench_app(bench: Bench, snapshot: Path) -> None:
    """Render time of each page of the app (tools.app.bench: Streamlit's
    AppTest from a cold query cache) over the company built once by
    `dbt build` of the models and snapshots (tests do not change what the
    pages read); --runs renders per page, median reported."""
    with bench_database(bench, "app") as env:
        bench.log(f"app: loading {snapshot.name} and building the marts")
        load_snapshot(bench, env, snapshot, bench.out_dir / "app-load.log")
        dbt_build(
            bench,
            env,
            bench.out_dir / "app-build.log",
            "--exclude-resource-type",
            "test",
            "unit_test",
        )
        out = bench.out_dir / "app-pages.json"
        bench.log(f"app: rendering every page {bench.runs} time(s)")
        args = [PY, "-m", "tools.app.bench", "--runs", str(bench.runs)]
        measure([*args, "--json", str(out)], env, bench.out_dir / "app-pages.log")
        pages = orjson.loads(out.read_bytes())
    sized = bench.customers >= TARGET_CUSTOMERS
    for slug, page in pages.items():
        seconds = statistics.median(page["runs"])
        bench.add(
            Result(
                "app",
                f"render page {slug} (cold cache)",
                "s",
                page["runs"],
                target=f"<= {PAGE_RENDER_TARGET_SECONDS:.0f} at 100k customers",
                met=seconds <= PAGE_RENDER_TARGET_SECONDS if sized else None,
                note="; ".join(page["errors"][:1]),
            )
        )


# -- engines -------------------------------------------------------------------


# What each engine other than PostgreSQL needs in its environment: where
# its data lives, under the run's own folder.
ENGINE_SETTINGS = {
    "duckdb": lambda folder: {"DUCKDB_PATH": str(folder / "warehouse.duckdb")},
    "spark": lambda folder: {"SPARK_DIR": str(folder / "spark")},
}
ENGINE_LOADS = {
    "duckdb": "load SOURCE=json (dlt duckdb destination)",
    "spark": "load SOURCE=json (dlt filesystem destination, Parquet, registered)",
}


def bench_engines(bench: Bench, snapshot: Path) -> None:
    """The same company on DuckDB and on Spark (WAREHOUSE=duckdb|spark): the
    dlt load into a new warehouse and a full dbt build with every test, with
    peak memory (Spark's includes its Java process). PostgreSQL's figures
    are the transform section's. BENCH_ENGINES picks the engines."""
    for engine in bench.engines:
        loads, builds, load_peaks, build_peaks = [], [], [], []
        for run in range(1, bench.runs + 1):
            folder = bench.data_dir / engine / f"run-{run}"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            env = dict(bench.env, WAREHOUSE=engine, DBT_TARGET=engine)
            env.update(ENGINE_SETTINGS[engine](folder), STACK_DIR=str(folder / "stack"))
            step = f"engines {run}/{bench.runs}: {engine}"
            bench.log(f"{step} load of {snapshot.name}")
            done = load_snapshot(
                bench, env, snapshot, bench.out_dir / f"{engine}-load-{run}.log"
            )
            loads.append(done.seconds)
            load_peaks.append(done.peak_mib)
            bench.log(f"{step} dbt build --full-refresh")
            log = bench.out_dir / f"{engine}-build-{run}.log"
            done = dbt_build(bench, env, log, "--full-refresh")
            builds.append(done.seconds)
            build_peaks.append(done.peak_mib)
            shutil.rmtree(folder, ignore_errors=True)
        bench.add(
            Result(
                "engines",
                f"{engine}: {ENGINE_LOADS[engine]}",
                "s",
                loads,
                max(load_peaks),
            )
        )
        bench.add(
            Result(
                "engines",
                f"{engine}: dbt build --full-refresh, all layers and tests",
                "s",
                builds,
                max(build_peaks),
            )
        )
