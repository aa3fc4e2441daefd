"""dlt source `stripe`: Stripe objects, verbatim, into schema stripe_raw.

`stripe_source` reads the Stripe API (full on the first run, then incremental
through cursors and /v1/events); `stripe_snapshot_source` reads a snapshot
directory. Both yield one merge-on-id resource per raw table, as arrow tables.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
from dlt.extract import DltResource

from extract import settings
from extract.api import ApiExtraction, Row, StoredRows, TablePlan
from extract.client import StripeClient
from extract.progress import Progress
from extract.rows import (
    RowBatch,
    empty_table,
    has_secret,
    parent_of,
    prepare,
    table_columns,
)
from extract.snapshot import (
    SnapshotLineError,
    embedded_parents,
    open_snapshot,
    read_objects,
)

log = logging.getLogger("extract")


def raw_resource(
    table: str, items: Iterator[pa.Table], filled: set[str] | None
) -> DltResource:
    """One raw table: merged on `id`, columns as the raw contract fixes them.

    A table that is still empty is loaded with `replace` instead, which is
    the same result without merge's staging copy (the first load of a
    warehouse is the big one). `filled` names the tables that hold rows;
    None means unknown, so merge.
    """
    first = filled is not None and table not in filled
    return dlt.resource(
        items,
        name=table,
        write_disposition="replace" if first else "merge",
        primary_key="id",
        columns=table_columns(table),
    )


def plan_tables(
    states: Mapping[str, Any], now: int, full_refresh: bool
) -> tuple[dict[str, TablePlan], int | None]:
    """Per table: full or incremental; and where events must be read from."""
    plans: dict[str, TablePlan] = {}
    for resource in settings.RESOURCES:
        state = states.get(resource.parent or resource.name) or {}
        synced_at = state.get("synced_at")
        expired = (
            synced_at is not None
            and now - synced_at
            > settings.EVENTS_RETENTION_SECONDS - settings.EVENTS_OVERLAP_SECONDS
        )
        if expired:
            log.info(
                "%s: last synced more than 30 days ago, past the events "
                "window; reloading it in full",
                resource.name,
            )
        full = full_refresh or synced_at is None or expired
        cursor = (states.get(resource.name) or {}).get("cursor")
        plans[resource.name] = TablePlan(
            full=full,
            since=None if full else cursor,
            has_rows=full and synced_at is not None,
        )
    incremental = [
        states[r.name]["synced_at"]
        for r in settings.RESOURCES
        if r.parent is None and not plans[r.name].full and r.name != "events"
    ]
    events_since = (
        min(incremental) - settings.EVENTS_OVERLAP_SECONDS if incremental else None
    )
    return plans, events_since


class _QueueSink:
    """Hands rows from the API threads to the dlt resources, table by table.

    Each table's queue holds at most QUEUE_PAGES pages: an API thread that
    gets ahead of the load waits, so memory stays bounded whatever the size
    of the account. The dlt side never blocks on one table (it polls them
    all), so a full queue always drains.
    """

    def __init__(self) -> None:
        self.queues = {
            r.name: queue.Queue(maxsize=settings.QUEUE_PAGES)
            for r in settings.RESOURCES
        }
        self._finished: set[str] = set()
        self._lock = threading.Lock()
        # Set when the dlt side stops reading: waiting producers give up.
        self.abandoned = threading.Event()

    def _put(self, table: str, item: tuple) -> None:
        while not self.abandoned.is_set():
            try:
                self.queues[table].put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def emit(self, table: str, rows: list[Row]) -> None:
        if rows:
            prepared = [
                prepare(obj, None, parent, deleted) for obj, parent, deleted in rows
            ]
            self._put(table, ("rows", prepared))

    def finish(self, table: str, cursor: int | None, note: str = "") -> None:
        with self._lock:
            self._finished.add(table)
        self._put(table, ("done", cursor))

    def fail(self, error: BaseException) -> None:
        with self._lock:
            open_tables = [t for t in self.queues if t not in self._finished]
        for table in open_tables:
            self._put(table, ("error", error))


class _ApiRun:
    """Runs the API extraction in a background thread once dlt starts pulling."""

    def __init__(self, extraction: ApiExtraction, sink: _QueueSink) -> None:
        self.extraction = extraction
        self.sink = sink
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="stripe-extract", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        try:
            self.extraction.run()
        except BaseException as exc:  # handed to the dlt side, which raises it
            self.extraction.stop.set()
            self.sink.fail(exc)

    def table_items(
        self, table: str, api_version: str, started_at: int, first_load: bool
    ) -> Iterator[pa.Table]:
        self.start()
        batch = RowBatch(table, api_version)
        yielded = finished = False
        items = self.sink.queues[table]
        try:
            while True:
                try:
                    kind, payload = items.get_nowait()
                except queue.Empty:
                    # Nothing for this table yet: dlt goes on to the others.
                    yield None
                    continue
                if kind == "error":
                    raise payload
                if kind == "done":
                    finished = True
                    break
                for row in payload:
                    batch.add_prepared(row)
                if len(batch) >= settings.ARROW_BATCH_ROWS:
                    yielded = True
                    yield batch.to_table()
        finally:
            if not finished:  # dlt stopped reading (a failure elsewhere)
                self.extraction.stop.set()
                self.sink.abandoned.set()
        if len(batch) or (first_load and not yielded):
            # An empty table on the first load makes dlt create the table.
            yield batch.to_table()
        state = dlt.current.resource_state()
        if payload is not None:
            state["cursor"] = max(payload, state.get("cursor") or 0)
        state["synced_at"] = started_at


@dlt.source(name=settings.PIPELINE_NAME, max_table_nesting=0)
def stripe_source(
    api_base: str = dlt.config.value,
    api_key: str = dlt.secrets.value,
    max_rps: float = settings.MAX_RPS_TEST,
    full_refresh: bool = False,
    stored_rows: StoredRows | None = None,
    progress: Progress | None = None,
    client: StripeClient | None = None,
    filled: set[str] | None = None,
) -> Iterator[DltResource]:
    """Every raw table from the Stripe API, full or incremental per table."""
    states = dlt.current.source_state().get("resources", {})
    started_at = int(time.time())
    plans, events_since = plan_tables(states, started_at, full_refresh)
    client = client or StripeClient(api_base, api_key, max_rps)
    sink = _QueueSink()
    extraction = ApiExtraction(
        client, plans, events_since, sink, progress or Progress(), stored_rows
    )
    run = _ApiRun(extraction, sink)
    for resource in settings.RESOURCES:
        first_load = resource.name not in states
        items = run.table_items(
            resource.name, settings.STRIPE_API_VERSION, started_at, first_load
        )
        yield raw_resource(resource.name, items, filled)


_EMBEDDED_IN = {
    "subscription_items": ("subscriptions", "items"),
    "invoice_line_items": ("invoices", "lines"),
}


def snapshot_items(
    table: str,
    files: Mapping[str, Path],
    api_version: str,
    progress: Progress,
    errors: list[SnapshotLineError],
) -> Iterator[pa.Table]:
    """One table of a snapshot as arrow tables; an absent file is an empty table.

    A malformed line ends this table there: what came before it is loaded and
    the error is collected for the caller to report after the load.
    """
    batch = RowBatch(table, api_version)
    path = files.get(table)
    if path is None:
        yield empty_table(table)
        return
    child = table in settings.CHILD_TABLES
    parents: dict[str, str] | None = None
    try:
        for obj, raw in read_objects(path):
            clean = raw if raw is not None and not has_secret(raw) else None
            parent_id = parent_of(table, obj) if child else None
            if child and parent_id is None and table in _EMBEDDED_IN:
                if parents is None:
                    parent_table, field = _EMBEDDED_IN[table]
                    parent_file = files.get(parent_table)
                    parents = (
                        embedded_parents(parent_file, field) if parent_file else {}
                    )
                parent_id = parents.get(obj["id"])
            batch.add(obj, clean, parent_id)
            if len(batch) >= settings.ARROW_BATCH_ROWS:
                progress.add(table, len(batch))
                yield batch.to_table()
    except SnapshotLineError as exc:
        errors.append(exc)
    progress.add(table, len(batch))
    yield batch.to_table()
    progress.done(table)


@dlt.source(name=settings.PIPELINE_NAME, max_table_nesting=0)
def stripe_snapshot_source(
    json_dir: str = dlt.config.value,
    progress: Progress | None = None,
    errors: list[SnapshotLineError] | None = None,
    filled: set[str] | None = None,
) -> Iterator[DltResource]:
    """Every raw table from a snapshot directory (see design.md for the format).

    Malformed lines are appended to `errors` (the valid objects still load).
    """
    files, manifest = open_snapshot(json_dir)
    api_version = manifest["api_version"]
    progress = progress or Progress()
    errors = [] if errors is None else errors
    for resource in settings.RESOURCES:
        items = snapshot_items(resource.name, files, api_version, progress, errors)
        yield raw_resource(resource.name, items, filled)
