"""dlt source `stripe`: Stripe objects, verbatim, into schema stripe_raw.

`stripe_source` reads the Stripe API (full on the first run, then incremental
through cursors and /v1/events); `stripe_snapshot_source` reads a snapshot
directory. Both yield one merge-on-id resource per raw table, as arrow tables.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator

import dlt
import pyarrow as pa
from dlt.extract import DltResource

from extract import config, settings
from extract.api import ApiExtraction, StoredRows
from extract.client import StripeClient
from extract.handoff import ApiRun, QueueSink
from extract.plan import plan_tables
from extract.progress import Progress
from extract.rows import table_columns
from extract.snapshot import SnapshotLineError, open_snapshot, snapshot_items

log = logging.getLogger("extract")


def raw_resource(
    table: str,
    items: Iterator[pa.Table],
    filled: set[str] | None,
    complete: bool = False,
) -> DltResource:
    """One raw table: merged on `id`, columns as the raw contract fixes them.

    A table that is still empty is loaded with `replace` instead, which is
    the same result without merge's staging copy (the first load of a
    warehouse is the big one). `filled` names the tables that hold rows;
    None means unknown, so merge. `replace` deduplicates nothing, so an
    object that arrives twice in one load (a subscription's embedded items
    and its full item list; a line repeated in a snapshot) is kept once,
    the first; so is it in a `complete` listing that merges (an API run's
    full listing), as a replace would have kept it.
    """
    first = filled is not None and table not in filled
    return dlt.resource(
        once_per_id(table, items) if first or complete else items,
        name=table,
        write_disposition="replace" if first else "merge",
        primary_key="id",
        columns=table_columns(table),
    )


def once_per_id(
    table: str, items: Iterator[pa.Table | None]
) -> Iterator[pa.Table | None]:
    """The arrow tables of one load with each id's first row only."""
    seen: set[str] = set()
    repeats = 0
    for batch in items:
        if batch is None or not len(batch):
            yield batch
            continue
        keep = []
        for object_id in batch.column("id").to_pylist():
            keep.append(object_id not in seen)
            seen.add(object_id)
        dropped = len(keep) - sum(keep)
        if dropped:
            repeats += dropped
            batch = batch.filter(pa.array(keep))
        yield batch
    if repeats:
        log.info("%s: %d repeated objects kept once", table, repeats)


@dlt.source(name=settings.PIPELINE_NAME, max_table_nesting=0)
def stripe_source(
    api_base: str = dlt.config.value,
    api_key: str = dlt.secrets.value,
    max_rps: float = settings.MAX_RPS_TEST,
    full_refresh: bool = False,
    stored_rows: StoredRows | None = None,
    progress: Progress | None = None,
    client: StripeClient | None = None,
) -> Iterator[DltResource]:
    """Every raw table from the Stripe API, full or incremental per table,
    merged on `id`."""
    states = dlt.current.source_state().get("resources", {})
    started_at = int(time.time())
    plans, events_since = plan_tables(states, started_at, full_refresh)
    client = client or StripeClient(api_base, api_key, max_rps)
    sink = QueueSink()
    extraction = ApiExtraction(
        client,
        plans,
        events_since,
        sink,
        progress or Progress(),
        stored_rows,
        stand_in=config.event_objects_stand_in(os.environ),
    )
    run = ApiRun(extraction, sink)
    for resource in settings.RESOURCES:
        first_load = resource.name not in states
        items = run.table_items(
            resource.name, settings.STRIPE_API_VERSION, started_at, first_load
        )
        # An API run always merges: a killed run's package is loaded by a
        # later run, after or before that run's own, so a replace could
        # truncate the rows of another package loaded before it.
        complete = plans[resource.name].full
        yield raw_resource(resource.name, items, None, complete=complete)


@dlt.source(name=settings.PIPELINE_NAME, max_table_nesting=0)
def stripe_snapshot_source(
    json_dir: str = dlt.config.value,
    progress: Progress | None = None,
    errors: list[SnapshotLineError] | None = None,
    filled: set[str] | None = None,
) -> Iterator[DltResource]:
    """Every raw table from a snapshot directory (format: docs/design.md).

    Malformed lines are appended to `errors` (the valid objects still load).
    """
    files, manifest = open_snapshot(json_dir)
    api_version = manifest["api_version"]
    progress = progress or Progress()
    errors = [] if errors is None else errors
    for resource in settings.RESOURCES:
        items = snapshot_items(resource.name, files, api_version, progress, errors)
        yield raw_resource(resource.name, items, filled)
