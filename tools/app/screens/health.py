"""Data health: latest loads, rows per layer, the last dbt build, check-db."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import streamlit as st

from tools.app import db
from tools.app.context import View
from tools.checks.check_db import result_path

TITLE = "Data health"
SLUG = "health"
ROWS_CAPTION = {
    "postgres": "Estimated from PostgreSQL's statistics, not counted: close, and"
    " free to read.",
    "duckdb": "The row counts DuckDB's storage keeps per table, not counted.",
    "spark": "Spark keeps no row statistics until ANALYZE TABLE runs, and"
    " counting every table is no health check: tables and views only.",
}


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
    st.caption(ROWS_CAPTION[db.engine(view.settings)])


def run_results_summary(path: Path | None = None) -> dict | None:
    """The last dbt command's outcome: when, how long, results per status.
    dbt writes run_results.json to the target folder check-db writes to."""
    path = path or result_path().with_name("run_results.json")
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


def check_db_frame(result: dict) -> pd.DataFrame:
    """One row per raw table: its latest load, rows, OLTP rows, verdict."""
    return pd.DataFrame(
        [
            {
                "raw table": r["resource"],
                "last load (UTC)": r.get("last_load_at"),
                "source": r["source"],
                "raw rows": r["raw_live"],
                "raw deleted": r["raw_deleted"],
                "oltp rows": r["oltp_real"],
                "status": "; ".join(r["problems"]) or "ok",
            }
            for r in result.get("resources", [])
        ]
    )


def _check_db() -> None:
    path = result_path()
    st.subheader("Raw tables and reconciliation (check-db)")
    if not path.exists():
        st.info("No recorded check-db result: run `make check-db`.")
        return
    result = json.loads(path.read_text())
    verdict = "ok" if result.get("ok") else "FAILED"
    st.markdown(
        f"`make check-db` at {result.get('checked_at')} against"
        f" `{result.get('source')}`: **{verdict}**."
    )
    st.dataframe(check_db_frame(result), hide_index=True, width="stretch")
    for problem in result.get("ledger_problems", []):
        st.warning(f"Ledger: {problem}")
    st.caption(
        "Each raw table's latest load is the newest dlt load that wrote rows"
        " into it; check-db records this file, the app never reads raw."
    )


def render(view: View) -> None:
    st.title("Data health")
    _loads(view)
    _layers(view)
    _dbt(view)
    _check_db()
