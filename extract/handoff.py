"""The hand-off from the API threads to dlt: bounded queues, one per table.

The API extraction runs in a background thread and emits pages into a
`QueueSink`; each dlt resource drains its own table's queue (`ApiRun`).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

import dlt
import pyarrow as pa

from extract import settings
from extract.api import ApiExtraction, Row
from extract.rows import RowBatch, prepare


class QueueSink:
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

    def finish(self, table: str, cursor: int | None) -> None:
        with self._lock:
            self._finished.add(table)
        self._put(table, ("done", cursor))

    def fail(self, error: BaseException) -> None:
        with self._lock:
            open_tables = [t for t in self.queues if t not in self._finished]
        for table in open_tables:
            self._put(table, ("error", error))


class ApiRun:
    """Runs the API extraction in a background thread once dlt starts pulling."""

    def __init__(self, extraction: ApiExtraction, sink: QueueSink) -> None:
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
        """One table's rows as arrow tables, for its dlt resource; at the end
        its cursor and sync time go into the resource's state."""
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
