"""Render time of every page of the app, through Streamlit's AppTest.

    python -m tools.app.bench [--runs N] [--json PATH]

Runs against the warehouse the PG* variables name (`python -m tools.stack
exec --` sets them). Each page is timed from a cold query cache, so the
figure is the SQL on the marts plus the rendering, the cost a user meets on
a page's first visit; a first throwaway run pays the imports once.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

MAIN = Path(__file__).with_name("main.py")
PAGES = ("overview", "mrr", "revenue", "customers", "fraud", "health")
TIMEOUT = 300


def run_page(slug: str, **choices: str):
    """An AppTest that has run the page `slug`; choices are sidebar
    selectbox values by key (e.g. currency="USD"), applied before the run
    that counts."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(MAIN), default_timeout=TIMEOUT)
    app.query_params["page"] = slug
    app.run()
    for key, value in choices.items():
        app.selectbox(key=key).select(value)
    if choices:
        app.run()
    return app


def time_page(slug: str) -> tuple[float, list[str]]:
    """Seconds to render slug from a cold cache, and any exceptions."""
    import streamlit as st

    st.cache_data.clear()
    started = time.perf_counter()
    app = run_page(slug)
    elapsed = time.perf_counter() - started
    return elapsed, [exception.value for exception in app.exception]


def time_pages(pages=PAGES, runs: int = 1) -> dict[str, dict]:
    from streamlit.runtime.caching import cache_data_api

    # Clearing the cache outside a server warns each time; expected here.
    cache_data_api._LOGGER.addFilter(
        lambda record: "No runtime found" not in record.getMessage()
    )
    run_page("health")  # imports and the first connection, not counted
    results = {}
    for slug in pages:
        times, errors = [], []
        for _ in range(runs):
            elapsed, failed = time_page(slug)
            times.append(elapsed)
            errors += failed
        results[slug] = {
            "seconds": statistics.median(times),
            "runs": times,
            "errors": errors,
        }
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    results = time_pages(runs=args.runs)
    for slug, result in results.items():
        status = "ok" if not result["errors"] else f"ERROR {result['errors'][0]}"
        print(f"{slug:<10} {result['seconds']:7.2f} s (median)  {status}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 1 if any(r["errors"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
