"""python -m tools.build [dbt build arguments]: see tools/build/__init__.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from extract import config
from extract.errors import run_main
from extract.settings import DATASET_NAME
from tools.stack.cli import connect

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "stripe"  # the dbt source over the raw schema
# Arguments by which the caller picks the nodes itself.
SELECTING = (
    "--select",
    "-s",
    "--exclude",
    "--selector",
    "--models",
    "-m",
    "--resource-type",
    "--resource-types",
    "--exclude-resource-type",
    "--exclude-resource-types",
)


def target_path(env: dict[str, str]) -> Path:
    return Path(env.get("DBT_TARGET_PATH") or ROOT / "target")


def state_dir(env: dict[str, str], cur) -> Path:
    """Where this database's last passing build is kept: named by server,
    database and the database's oid, so a database dropped and made again
    under the same name starts over."""
    cur.execute(
        "select current_database(), oid from pg_database"
        " where datname = current_database()"
    )
    name, oid = cur.fetchone()
    server = f"{env['PGHOST']}:{env.get('PGPORT', '5432')}"
    key = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{server}-{name}-{oid}")
    return target_path(env) / "build-state" / key


def raw_marks(cur) -> dict[str, list]:
    """Every raw table's row count and latest load id."""
    cur.execute(
        "select table_name from information_schema.tables"
        " where table_schema = %s and table_name not like '\\_dlt%%'",
        (DATASET_NAME,),
    )
    marks = {}
    for (table,) in sorted(cur.fetchall()):
        cur.execute(f'select count(*), max(_dlt_load_id) from {DATASET_NAME}."{table}"')
        count, load_id = cur.fetchone()
        marks[table] = [count, load_id]
    return marks


def source_tables(manifest: Path) -> dict[str, str]:
    """The stripe source's tables in a manifest: raw table -> source name."""
    nodes = json.loads(manifest.read_text())["sources"].values()
    return {
        node["identifier"]: node["name"]
        for node in nodes
        if node["source_name"] == SOURCE
    }


def selection(state: Path, marks: dict[str, list]) -> tuple[list[str], list[str]]:
    """The --select arguments for what changed since the saved state, and
    the raw tables that changed."""
    saved = json.loads((state / "marks.json").read_text())["marks"]
    tables = source_tables(state / "manifest.json")
    changed = sorted(table for table in tables if marks.get(table) != saved.get(table))
    selectors = [f"source:{SOURCE}.{tables[table]}+" for table in changed]
    return selectors + ["state:modified+"], changed


def save(state: Path, env: dict[str, str], marks: dict[str, list]) -> None:
    """The passing build's manifest and the marks taken before it ran."""
    state.mkdir(parents=True, exist_ok=True)
    shutil.copy(target_path(env) / "manifest.json", state / "manifest.json")
    payload = {"built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    (state / "marks.json").write_text(
        json.dumps(dict(payload, marks=marks), indent=1) + "\n"
    )


def passes_through(env: dict[str, str], args: list[str]) -> bool:
    """Whether dbt runs as asked, with no state read or saved: on an engine
    other than PostgreSQL, or when the arguments pick the nodes."""
    return config.warehouse(env) != "postgres" or any(
        arg.split("=")[0] in SELECTING for arg in args
    )


def builds_everything(env: dict[str, str], args: list[str]) -> str | None:
    """Why a build that may select runs every node, or None."""
    if config.full_refresh(env) or "--full-refresh" in args:
        return "a full refresh builds everything"
    if (env.get("BUILD_ALL") or "").strip().lower() in config.TRUE_WORDS:
        return "BUILD_ALL is set"
    return None


def main(argv: list[str]) -> int:
    env = dict(os.environ)
    dbt = [str(Path(sys.executable).parent / "dbt"), "build", *argv]
    if passes_through(env, argv):
        return subprocess.call(dbt, cwd=ROOT)
    conn = connect(env)
    try:
        with conn.cursor() as cur:
            state = state_dir(env, cur)
            marks = raw_marks(cur)
    finally:
        conn.close()
    reason = builds_everything(env, argv)
    saved = (state / "marks.json").exists() and (state / "manifest.json").exists()
    if reason is None and not saved:
        reason = "no passing build of this database is on record"
    if reason:
        print(f"build: every node ({reason})", flush=True)
    else:
        selectors, changed = selection(state, marks)
        tables = (
            f"{len(changed)} changed raw table(s) ({', '.join(changed)})"
            if changed
            else "no changed raw table"
        )
        print(
            f"build: the nodes downstream of {tables} and of code changed since"
            " the last passing build (BUILD_ALL=1 builds every node)",
            flush=True,
        )
        dbt += ["--state", str(state), "--select", *selectors]
    code = subprocess.call(dbt, cwd=ROOT)
    if code == 0:
        save(state, env, marks)
    return code


if __name__ == "__main__":
    run_main(lambda: main(sys.argv[1:]))
