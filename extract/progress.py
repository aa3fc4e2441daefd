"""Progress lines on stderr: per table pages, objects and rate."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from extract import settings

log = logging.getLogger("extract")


@dataclass
class _Counter:
    started: float
    pages: int = 0
    objects: int = 0
    reported: float = field(default_factory=time.monotonic)


class Progress:
    """Thread-safe counters; a line per table at most every few seconds."""

    def __init__(self, interval: float = settings.PROGRESS_INTERVAL_SECONDS) -> None:
        self.interval = interval
        self.started = time.monotonic()
        self._counters: dict[str, _Counter] = {}
        self._lock = threading.Lock()
        self.last_done = self.started

    def add(self, table: str, objects: int, pages: int = 1) -> None:
        with self._lock:
            counter = self._counters.setdefault(table, _Counter(self.started))
            counter.pages += pages
            counter.objects += objects
            now = time.monotonic()
            if now - counter.reported < self.interval:
                return
            counter.reported = now
            line = self._line(table, counter, now)
        log.info("%s", line)

    def done(self, table: str, note: str = "") -> None:
        with self._lock:
            counter = self._counters.setdefault(table, _Counter(self.started))
            self.last_done = time.monotonic()
            line = self._line(table, counter, self.last_done)
        log.info("%s, done%s", line, f" ({note})" if note else "")

    def listing_seconds(self) -> float:
        """From the start to the last table read: the time the source was
        read, before dlt's normalize and load of the last rows."""
        return max(self.last_done - self.started, 1e-6)

    def total(self) -> int:
        with self._lock:
            return sum(counter.objects for counter in self._counters.values())

    @staticmethod
    def _line(table: str, counter: _Counter, now: float) -> str:
        elapsed = max(now - counter.started, 1e-6)
        return (
            f"{table}: {counter.pages} pages, {counter.objects} objects, "
            f"{counter.objects / elapsed:.0f}/s"
        )
