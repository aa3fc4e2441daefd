"""The benchmark's results: one line per metric over the runs, and the table."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import orjson

from extract import config

ROOT = config.ROOT
# Targets at the scale the warehouse is sized for: 100,000 customers.
TARGET_CUSTOMERS = 100_000
LOADER_TARGET = 10_000.0
EXTRACTION_TARGET = 0.90
FULL_BUILD_TARGET_SECONDS = 240.0
# A build after so much changed, as a fraction of the full build; and the
# build after nothing changed, in seconds (a row of its own).
INCREMENTAL_TARGETS = {"1 %": 0.10, "0.1 %": 0.05}
NOTHING_CHANGED_TARGET_SECONDS = 15.0
EXTRACTION_MEMORY_TARGET_MIB = 1024.0
PAGE_RENDER_TARGET_SECONDS = 2.0


@dataclass
class Measured:
    """A finished command: wall time, peak memory of its tree, its output."""

    seconds: float
    peak_mib: float
    output: str


@dataclass
class Result:
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
    """One benchmark run: its settings, environment and results so far."""

    customers: int
    runs: int
    seed: int
    out_dir: Path
    env: dict[str, str]
    data_dir: Path = ROOT / "data" / "bench"
    rows: list[Result] = field(default_factory=list)
    engines: list[str] = field(default_factory=lambda: ["duckdb", "spark"])

    def log(self, message: str) -> None:
        print(f"bench: {message}", file=sys.stderr, flush=True)

    def add(self, row: Result) -> Result:
        self.rows.append(row)
        return row


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
