"""What the benchmarks run: processes, databases, snapshots, loads, dbt builds."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import psutil

from extract import config
from extract.errors import UserError
from tools.bench.report import ROOT, Bench, Measured
from tools.stack.cli import connect

PY = sys.executable
CHANGED_FRACTION = 100  # 1 object in 100 changes before the incremental build
# Layers of run_results.json nodes: a model's folder, or its resource type.
LAYERS = ("seeds", "staging", "oltp", "marts", "snapshots", "tests")


# -- processes and databases ---------------------------------------------------


def _tree_rss(pid: int) -> int:
    """The resident memory of a process and its descendants now, in bytes."""
    try:
        root = psutil.Process(pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for process in tree:
        with contextlib.suppress(psutil.Error):
            total += process.memory_info().rss
    return total


def measure(args: list[str], env: dict[str, str], log_path: Path, cwd=ROOT) -> Measured:
    """Run a command, its output to log_path; wall time and the peak resident
    memory of its process tree: the larger of wait4's rusage (the largest
    waited process) and the tree's summed RSS sampled every 0.2 s, which
    also sees children nobody waits for (pyspark's Java process)."""
    started = time.perf_counter()
    sampled = [0]
    with open(log_path, "w") as log:
        child = subprocess.Popen(
            args, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.2):
                sampled[0] = max(sampled[0], _tree_rss(child.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        done.set()
        sampler.join()
        child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    output = log_path.read_text(errors="replace")
    if child.returncode != 0:
        raise UserError(
            f"{' '.join(args)} exited {child.returncode} (log: {log_path}):\n"
            f"{output[-3000:]}"
        )
    peak_mib = max(usage.ru_maxrss / 1024, sampled[0] / 2**20)
    return Measured(seconds, peak_mib, output)


def _admin(env: dict[str, str], statement: str) -> None:
    conn = connect(env, "postgres")
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


def data_tables(cur, schema: str) -> list[str]:
    """The schema's tables but dlt's own (`_dlt_loads`, ...)."""
    cur.execute(
        "select table_name from information_schema.tables"
        " where table_schema = %s and table_name not like '\\_dlt\\_%%'",
        (schema,),
    )
    return [name for (name,) in cur.fetchall()]


def raw_objects(env: dict[str, str], schema: str = "stripe_raw") -> int:
    """Rows in the schema's tables, dlt's own tables aside."""
    conn = connect(env)
    try:
        with conn.cursor() as cur:
            total = 0
            for table in data_tables(cur, schema):
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


def write_changed_snapshot(
    source: Path, target: Path, offset: int, every: int = CHANGED_FRACTION
) -> int:
    """One object in `every` (CHANGED_FRACTION: 1 %) of every resource,
    changed the way a day of business changes it (metadata written): a delta
    snapshot for the incremental build. Returns the objects written."""
    from extract import settings
    from extract.snapshot import SnapshotWriter, open_snapshot, read_objects

    files, manifest = open_snapshot(source)
    shutil.rmtree(target, ignore_errors=True)
    writer = SnapshotWriter(target)
    written = 0
    for name, path in files.items():
        for number, (obj, _) in enumerate(read_objects(path)):
            if number % every != offset % every:
                continue
            if isinstance(obj.get("metadata"), dict):
                obj["metadata"]["bench_changed"] = str(offset)
            writer.write(name, orjson.dumps(obj))
            written += 1
    writer.commit(manifest.get("api_version") or settings.STRIPE_API_VERSION)
    return written


def write_changed_account(source: Path, target: Path, every: int, created: int) -> int:
    """The account after a day in which one top-level object in `every` of
    every retrievable resource changed (metadata written): the snapshot
    whole, those objects replaced, and one event each, created at `created`
    in the pinned API version, as Stripe would send it. Returns the changes."""
    from extract import settings
    from extract.snapshot import SnapshotWriter, open_snapshot, read_objects

    files, manifest = open_snapshot(source)
    shutil.rmtree(target, ignore_errors=True)
    writer = SnapshotWriter(target)
    events, changes = [], 0
    tops = {r.name for r in settings.RESOURCES if r.parent is None}
    for name, path in files.items():
        if name == "events":
            continue
        for number, (obj, _) in enumerate(read_objects(path)):
            if name in tops and number % every == 0 and "metadata" in obj:
                obj["metadata"] = dict(obj["metadata"] or {}, bench_changed="1")
                changes += 1
                events.append(
                    {
                        "id": f"evt_bench_{changes:08d}",
                        "object": "event",
                        "api_version": settings.STRIPE_API_VERSION,
                        "created": created,
                        "type": f"{obj['object']}.updated",
                        "data": {"object": obj},
                        "livemode": False,
                    }
                )
            writer.write(name, orjson.dumps(obj))
    if "events" in files:
        for obj, _ in read_objects(files["events"]):
            writer.write("events", orjson.dumps(obj))
    for event in events:
        writer.write("events", orjson.dumps(event))
    writer.commit(manifest.get("api_version") or settings.STRIPE_API_VERSION)
    return changes


# -- loads --------------------------------------------------------------------


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


# -- dbt ----------------------------------------------------------------------


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


def dbt_build(
    bench: Bench, env: dict[str, str], log: Path, *flags: str, changed: bool = False
) -> Measured:
    """`dbt build` with the flags; with changed=True `make build`'s own
    command (tools.build: what changed since the last passing build)."""
    target = bench.out_dir / "dbt-target"
    run_env = dict(env, DBT_TARGET_PATH=str(target), DBT_LOG_PATH=str(target))
    args = [PY, "-m", "tools.stack", "exec", "--"]
    if changed:
        args += [PY, "-m", "tools.build", *flags]
    else:
        args += [str(Path(PY).parent / "dbt"), "build", *flags]
    return measure(args, run_env, log)


def marts_digest(env: dict[str, str]) -> dict[str, str]:
    """Every marts table's row count and rows' hash, by table: the figures a
    full refresh must reproduce."""
    return table_digest(env, "marts", "r::text")


def raw_digest(env: dict[str, str]) -> dict[str, str]:
    """The same over raw's objects (id, data, deleted flag), without dlt's
    load ids: what two extractions of one account must agree on."""
    return table_digest(env, "stripe_raw", "(r.id, r.data, r.is_deleted)::text")


def database_mib(env: dict[str, str]) -> float:
    """The size on disk of env's database, in MiB."""
    conn = connect(env)
    try:
        with conn.cursor() as cur:
            cur.execute("select pg_database_size(current_database())")
            return cur.fetchone()[0] / 2**20
    finally:
        conn.close()


def directory_mib(directory: Path) -> float:
    """The size of a directory's files, in MiB."""
    return sum(f.stat().st_size for f in directory.rglob("*") if f.is_file()) / 2**20


def table_digest(env: dict[str, str], schema: str, row: str) -> dict[str, str]:
    """Row count and a sum of row hashes (`row` over alias r) per table of
    the schema but dlt's own: independent of order, and of the memory a
    string of every row would take at 100k customers."""
    conn = connect(env)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select table_name from information_schema.tables"
                " where table_schema = %s and table_type = 'BASE TABLE'"
                " and table_name not like '\\_dlt%%'",
                (schema,),
            )
            digest = {}
            for (table,) in sorted(cur.fetchall()):
                cur.execute(
                    f"select count(*) || ':' || coalesce(sum(('x' ||"
                    f" substr(md5({row}), 1, 15))::bit(60)::bigint::numeric),"
                    f' 0) from {schema}."{table}" as r'
                )
                digest[table] = cur.fetchone()[0]
            return digest
    finally:
        conn.close()
