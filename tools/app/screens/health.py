"""Data health: latest loads, rows per layer, the last dbt build, check-db."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import streamlit as st

from tools.app.context import View

TITLE = "Data health"
SLUG = "health"
ROOT = Path(__file__).resolve().parents[3]
RUN_RESULTS = ROOT / "target" / "run_results.json"
CHECK_DB_RESULT = ROOT / "target" / "check_db.json"


def _loads(view: View) -> None:
    st.subheader("Latest loads")
    if not view.is_built:
        st.info("No marts yet, so no loads to show.")
        return
    loads = view.frame("health_loads")
    st.dataframe(loads.set_index("mart"), width="stretch")
    st.caption(
        "The latest load (dlt's load time) that reached each fact. The app"
        " reads only the marts, not the raw schema: `make status` and"
        " `make check-db` look at the raw tables."
    )


def _layers(view: View) -> None:
    st.subheader("Rows per layer")
    layers = view.frame("health_layers")
    if layers.empty:
        st.info("The warehouse has no layers yet: run `make all`.")
        return
    st.dataframe(layers.set_index("layer"), width="stretch")
    st.caption(
        "Estimated from PostgreSQL's statistics, not counted: close, and free to read."
    )


def run_results_summary(path: Path = RUN_RESULTS) -> dict | None:
    """The last dbt command's outcome: when, how long, results per status."""
    if not path.exists():
        return None
    results = json.loads(path.read_text())
    statuses = pd.Series([r["status"] for r in results.get("results", [])])
    failures = [
        {"node": r["unique_id"], "status": r["status"], "message": r.get("message")}
        for r in results.get("results", [])
        if r["status"] in ("error", "fail", "warn", "runtime error")
    ]
    return {
        "command": "dbt " + results.get("args", {}).get("which", "run"),
        "generated_at": results.get("metadata", {}).get("generated_at"),
        "elapsed": results.get("elapsed_time"),
        "counts": statuses.value_counts().to_dict(),
        "failures": failures,
    }


def _dbt(view: View) -> None:
    st.subheader("Last dbt run")
    summary = run_results_summary()
    if summary is None:
        st.info("No dbt results in target/: run `make build`.")
        return
    counts = ", ".join(f"{n} {status}" for status, n in summary["counts"].items())
    st.markdown(
        f"`{summary['command']}` at {summary['generated_at']}, took"
        f" {summary['elapsed'] or 0:.0f} s: {counts or 'nothing ran'}."
    )
    if summary["failures"]:
        st.warning(f"{len(summary['failures'])} nodes did not pass: see below.")
        st.dataframe(pd.DataFrame(summary["failures"]), hide_index=True)


def _check_db() -> None:
    st.subheader("Reconciliation (check-db)")
    if not CHECK_DB_RESULT.exists():
        st.info("No recorded check-db result: run `make check-db`.")
        return
    result = json.loads(CHECK_DB_RESULT.read_text())
    st.json(result, expanded=False)


def render(view: View) -> None:
    st.title("Data health")
    _loads(view)
    _layers(view)
    _dbt(view)
    _check_db()
