"""The two commands of `python -m extract`: load stripe_raw, fetch a snapshot."""

from __future__ import annotations

import csv
import logging
import resource
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import dlt
import orjson
from dlt.common.storages.load_package import ParsedLoadJobFileName

from extract import config, settings
from extract.api import ApiExtraction, Row, TablePlan
from extract.client import StripeClient, default_rate
from extract.errors import UserError
from extract.progress import Progress
from extract.rows import scrub
from extract.snapshot import (
    MANIFEST,
    SnapshotLineError,
    SnapshotWriter,
    erase_from_snapshot,
)
from extract.sources import stripe_snapshot_source, stripe_source
from extract.spark import SparkStoredRaw, dataset_dir
from extract.warehouse import DuckDBStoredRaw, StoredRaw, pg_settings, pipelines_dir

log = logging.getLogger("extract")


def _api_settings(environ: Mapping[str, str]) -> tuple[str, str, float]:
    api_key = environ.get("STRIPE_API_KEY", "")
    if not api_key:
        raise UserError(
            "STRIPE_API_KEY is not set; set it to a secret (sk_...) or "
            "restricted (rk_...) key, or run through `make extract`."
        )
    api_base = environ.get("STRIPE_API_BASE") or config.DEFAULT_API_BASE
    return api_base, api_key, default_rate(api_key, environ.get("STRIPE_MAX_RPS"))


def _checked_client(environ: Mapping[str, str]) -> StripeClient:
    """A client whose key and reachability were checked with one cheap request."""
    api_base, api_key, max_rps = _api_settings(environ)
    timeout = config.http_timeout(environ)
    probe = StripeClient(api_base, api_key, max_rps, max_retries=2, timeout=timeout)
    probe.get("/v1/events", {"limit": 1})
    log.info(
        "reading %s at Stripe-Version %s, at most %g requests/s",
        api_base,
        settings.STRIPE_API_VERSION,
        max_rps,
    )
    return StripeClient(api_base, api_key, max_rps, timeout=timeout)


def make_pipeline(environ: Mapping[str, str]) -> tuple[dlt.Pipeline, dict]:
    """The pipeline into the WAREHOUSE's raw schema; PostgreSQL by default."""
    stack_dir = config.load(dict(environ)).stack_dir
    engine = config.warehouse(environ)
    if engine == "duckdb":
        path = config.duckdb_path(environ)
        path.parent.mkdir(parents=True, exist_ok=True)
        credentials = {"host": "duckdb", "port": 0, "database": str(path)}
        destination = dlt.destinations.duckdb(credentials=str(path))
    elif engine == "spark":
        spark_dir = config.spark_dir(environ)
        raw = dataset_dir(spark_dir).parent
        raw.mkdir(parents=True, exist_ok=True)
        credentials = {"host": "spark", "port": 0, "database": str(spark_dir)}
        destination = dlt.destinations.filesystem(bucket_url=raw.as_uri())
    else:
        credentials = pg_settings(environ)
        destination = dlt.destinations.postgres(credentials=dict(credentials))
    pipeline = dlt.pipeline(
        pipeline_name=settings.PIPELINE_NAME,
        destination=destination,
        dataset_name=settings.DATASET_NAME,
        pipelines_dir=str(pipelines_dir(stack_dir, credentials)),
    )
    return pipeline, credentials


def finish_pending_load(
    pipeline: dlt.Pipeline, stored: StoredRaw, environ: Mapping[str, str]
) -> None:
    """Load what an interrupted run extracted and did not load."""
    if pipeline.has_pending_data:
        log.info("finishing the load an interrupted run left behind")
        if config.warehouse(environ) == "postgres":
            undo_jobs_in_flight(pipeline, stored)
        pipeline.run(loader_file_format=file_format(environ))


def jobs_in_flight(working_dir: Path) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The load jobs a killed run had started and dlt will run again when it
    resumes their package: those without dlt's pending-transition marker
    (written once a job's commit is done; such a job is not run again). Per
    table, the `_dlt_id`s of its CSV jobs; and the tables whose only jobs in
    their package are such started jobs in another format (dlt's own state
    rows), with the package's load id, whose rows that load id names."""
    dlt_ids: dict[str, list[str]] = {}
    load_ids: dict[str, str] = {}
    for package in sorted((working_dir / "load" / "normalized").glob("*/")):
        markers = package / ".pending_transitions"
        completed = {
            ParsedLoadJobFileName.parse(job.name).table_name
            for job in (package / "completed_jobs").glob("*.*")
        }
        for job in sorted((package / "started_jobs").glob("*.*")):
            if (markers / job.name).exists():
                continue
            table = ParsedLoadJobFileName.parse(job.name).table_name
            if job.suffix != ".csv":
                if table not in completed:
                    load_ids[table] = package.name
                continue
            with job.open(newline="", encoding="utf-8") as handle:
                reader = csv.reader(handle)
                header = next(reader, [])
                if "_dlt_id" in header:
                    column = header.index("_dlt_id")
                    rows = (row[column] for row in reader if row)
                    dlt_ids.setdefault(table, []).extend(rows)
    return dlt_ids, load_ids


def undo_jobs_in_flight(pipeline: dlt.Pipeline, stored: StoredRaw) -> None:
    """A run killed between a load job's commit and dlt's marker that the
    commit is done leaves the job started, and dlt runs it again when it
    resumes: its rows would be written twice (the `_dlt_id` key refuses
    them, and every later run fails the same way). Their rows are deleted
    first (none if the job's transaction never committed), so dlt's re-run
    writes them once. PostgreSQL only (`finish_pending_load` calls it there):
    DuckDB's Parquet jobs are not looked at."""
    dlt_ids, load_ids = jobs_in_flight(Path(pipeline.working_dir))
    if not dlt_ids and not load_ids:
        return
    deleted = stored.undo_rows(dlt_ids, load_ids)
    if deleted:
        log.info(
            "%d rows of load jobs that a killed run committed without dlt "
            "recording them are removed; dlt loads those jobs again",
            deleted,
        )


def stored_raw(
    environ: Mapping[str, str], credentials: dict | None = None
) -> StoredRaw:
    """What raw holds, read from the WAREHOUSE's own engine (PostgreSQL's
    credentials from the PG* variables unless given)."""
    if config.warehouse(environ) == "duckdb":
        return DuckDBStoredRaw(config.duckdb_path(environ))
    if config.warehouse(environ) == "spark":
        return SparkStoredRaw(config.spark_dir(environ))
    return StoredRaw(credentials or pg_settings(environ))


def file_format(environ: Mapping[str, str]) -> str:
    """dlt's load file: COPY-ready CSV for PostgreSQL, Parquet elsewhere."""
    return "csv" if config.warehouse(environ) == "postgres" else "parquet"


def load(environ: Mapping[str, str]) -> None:
    """Load stripe_raw from the API or a snapshot directory (SOURCE=api|json)."""
    source_kind = (environ.get("SOURCE") or "api").strip().lower()
    if source_kind not in ("api", "json"):
        raise UserError(
            f"SOURCE={source_kind!r} is not known; use SOURCE=api or SOURCE=json."
        )
    pipeline, credentials = make_pipeline(environ)
    stored = stored_raw(environ, credentials)
    finish_pending_load(pipeline, stored, environ)
    if pipeline.state.get("sources") and not stored.has_pipeline_state():
        # Local cursors for a warehouse that never got them (a new or emptied
        # database of the same name) would make an incremental load of nothing.
        log.info("the warehouse holds no state of this pipeline: starting afresh")
        pipeline = pipeline.drop()
    progress = Progress()
    errors: list[SnapshotLineError] = []
    client = None
    if source_kind == "json":
        json_dir = environ.get("JSON_DIR") or str(config.ROOT / "data" / "snapshot")
        source = stripe_snapshot_source(
            json_dir=json_dir,
            progress=progress,
            errors=errors,
            filled=stored.filled_tables(),
        )
    else:
        client = _checked_client(environ)
        source = stripe_source(
            api_base=client.api_base,
            api_key=environ["STRIPE_API_KEY"],
            max_rps=client.limiter.rate,
            full_refresh=config.full_refresh(environ),
            stored_rows=stored,
            progress=progress,
            client=client,
        )
    started = time.monotonic()
    pipeline.run(source, loader_file_format=file_format(environ))
    elapsed = time.monotonic() - started
    total = progress.total()
    log.info(
        "loaded %d objects into %s.%s in %.1fs (%.0f objects/s%s), peak memory %d MiB",
        total,
        credentials["database"],
        settings.DATASET_NAME,
        elapsed,
        total / max(elapsed, 1e-6),
        _request_rate(client, elapsed, progress),
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    )
    _erase_deleted_customers(stored)
    stored.publish()
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise SnapshotLineError(
            f"{len(errors)} snapshot files stop at a bad line (each loaded up "
            "to it):\n" + "\n".join(f"  {error}" for error in errors)
        )


def _erase_deleted_customers(stored: StoredRaw) -> None:
    """A customer Stripe deleted (customer.deleted) is forgotten: its
    personal data leaves raw now, and the snapshots at the next dbt run. A
    forgotten customer this load brought back is erased again."""
    reasons = stored.customers_to_erase()
    if reasons:
        changed = stored.erase(reasons)
        log.info(
            "erased the personal data of %d deleted or forgotten customers "
            "(%s rows in raw)",
            len(reasons),
            sum(changed.values()),
        )


def forget(environ: Mapping[str, str], customer_id: str) -> None:
    """make forget: erase one customer's personal data from raw and from the
    snapshot directory JSON_DIR, when there is one."""
    if not customer_id.startswith("cus_"):
        raise UserError(
            f"CUSTOMER={customer_id!r} is not a Stripe customer id; pass one "
            "such as CUSTOMER=cus_123 (make forget CUSTOMER=cus_...)."
        )
    changed = stored_raw(environ).erase({customer_id: "make forget"})
    log.info(
        "erased %s's personal data from %s",
        customer_id,
        ", ".join(f"{table} ({rows})" for table, rows in changed.items() if rows)
        or "nothing: raw holds no row of it",
    )
    json_dir = environ.get("JSON_DIR") or str(config.ROOT / "data" / "snapshot")
    if Path(json_dir, MANIFEST).is_file():
        rewritten = erase_from_snapshot(json_dir, customer_id)
        log.info("rewrote %d objects in the snapshot %s", rewritten, json_dir)


def _request_rate(
    client: StripeClient | None, elapsed: float, progress: Progress | None = None
) -> str:
    if client is None:
        return ""
    made = client.requests_made
    text = f", {made} API requests, {made / max(elapsed, 1e-6):.1f}/s"
    if progress is not None:
        listing = progress.listing_seconds()
        text += f" ({made / listing:.1f}/s over the {listing:.1f}s of listing)"
    return text


class _SnapshotSink:
    """Writes the rows of an API extraction to a snapshot directory."""

    def __init__(self, writer: SnapshotWriter) -> None:
        self.writer = writer
        self._lock = threading.Lock()

    def emit(self, table: str, rows: list[Row]) -> None:
        lines = [orjson.dumps(scrub(obj)) for obj, _, _ in rows]
        with self._lock:
            for line in lines:
                self.writer.write(table, line)

    def finish(self, table: str, cursor: int | None) -> None:
        pass


def fetch(environ: Mapping[str, str]) -> None:
    """Write a snapshot directory (JSON_DIR) from the Stripe API."""
    json_dir = environ.get("JSON_DIR") or str(config.ROOT / "data" / "snapshot")
    client = _checked_client(environ)
    writer = SnapshotWriter(json_dir)
    plans = {r.name: TablePlan(full=True) for r in settings.RESOURCES}
    progress = Progress()
    try:
        ApiExtraction(client, plans, None, _SnapshotSink(writer), progress).run()
    except BaseException:
        writer.abort()
        raise
    writer.commit(settings.STRIPE_API_VERSION)
    elapsed = time.monotonic() - progress.started
    log.info(
        "wrote %d objects to %s in %.1fs%s",
        progress.total(),
        json_dir,
        elapsed,
        _request_rate(client, elapsed),
    )
