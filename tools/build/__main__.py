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
from extract.errors import UserError, run_main
from extract.settings import DATASET_NAME
from tools.build.schedule import (
    SECONDS_FILE,
    longest_path_first,
    node_seconds,
    record_seconds,
)
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


def unit_test_exclusion(env: dict[str, str], args: list[str]) -> list[str]:
    """The arguments that leave dbt's unit tests out of a build, unless the
    caller picks the nodes or sets UNIT_TESTS. A unit test checks a model's
    SQL on fixed rows it carries itself: it says nothing about the
    warehouse's data, so a scheduled build does not pay for it (make test
    runs every unit test on each engine)."""
    if any(arg.split("=")[0] in SELECTING for arg in args):
        return []
    if (env.get("UNIT_TESTS") or "").strip().lower() in config.TRUE_WORDS:
        return []
    return ["--exclude-resource-type", "unit_test"]


# A model's post-hook that makes a unique index on one column
# (macros/oltp.sql): PostgreSQL refuses a duplicate as a key would.
UNIQUE_INDEX_HOOK = re.compile(r"""unique_index\(\s*this\s*,\s*['"](\w+)['"]\s*\)""")


def unique_index_columns(model: dict) -> set[str]:
    """The columns a model's post-hooks give a unique index."""
    hooks = (model.get("config") or {}).get("post-hook") or []
    return {
        found.group(1)
        for hook in hooks
        for found in UNIQUE_INDEX_HOOK.finditer(
            hook.get("sql", "") if isinstance(hook, dict) else str(hook)
        )
    }


def enforced_key_tests(manifest: dict) -> list[str]:
    """The data tests that check only what an enforced contract's
    constraint guarantees: `not_null` on a not-null or primary-key column,
    `unique` or `unique_combination_of_columns` on a primary or unique key,
    `relationships` on a foreign key to the same column; and `unique` on a
    column a post-hook gives a unique index (`unique_index`). PostgreSQL
    refuses every row that would fail one, so none of them can fail there;
    their names, sorted."""
    nodes = manifest["nodes"]
    # a compiled manifest renders a foreign key's `to` as the relation
    models = {
        node.get("relation_name"): node["name"]
        for node in nodes.values()
        if node["resource_type"] == "model"
    }
    found = []
    for node in nodes.values():
        meta = node.get("test_metadata") or {}
        model = nodes.get(node.get("attached_node") or "")
        if node["resource_type"] != "test" or not meta or not model:
            continue
        column = node.get("column_name")
        if meta["name"] == "unique" and column in unique_index_columns(model):
            found.append(node["name"])
            continue
        if not (model.get("contract") or {}).get("enforced"):
            continue
        kwargs = meta.get("kwargs") or {}
        on_column = model["columns"].get(column or "", {}).get("constraints") or []
        kinds = {constraint["type"] for constraint in on_column}
        keys = [
            (constraint["type"], sorted(constraint.get("columns") or []))
            for constraint in model.get("constraints") or []
        ]
        key_types = ("primary_key", "unique")
        name = meta["name"]
        if name == "not_null":
            backed = bool(kinds & {"not_null", "primary_key"}) or any(
                kind == "primary_key" and column in columns for kind, columns in keys
            )
        elif name == "unique":
            backed = bool(kinds & set(key_types)) or (
                any(kind in key_types and columns == [column] for kind, columns in keys)
            )
        elif name == "unique_combination_of_columns":
            combination = sorted(kwargs.get("combination") or [])
            backed = any(
                kind in key_types and columns == combination for kind, columns in keys
            )
        elif name == "relationships":
            backed = any(
                constraint["type"] == "foreign_key"
                and (constraint.get("to_columns") or [None]) == [kwargs.get("field")]
                and _referenced_model(constraint.get("to"), models)
                == _referenced_model(kwargs.get("to"), models)
                for constraint in on_column
            )
        else:
            backed = False
        if backed:
            found.append(node["name"])
    return sorted(found)


def _referenced_model(to: str | None, models: dict[str, str]) -> str:
    """The model a foreign key's or relationships test's `to` names:
    ref('name') as written (a parsed manifest), or the rendered relation
    (a compiled one)."""
    found = re.fullmatch(r"""\s*ref\(\s*['"]([^'"]+)['"]\s*\)\s*""", to or "")
    return found.group(1) if found else models.get(to or "", "")


def builds_everything(env: dict[str, str], args: list[str]) -> str | None:
    """Why a build that may select runs every node, or None."""
    if config.full_refresh(env) or "--full-refresh" in args:
        return "a full refresh builds everything"
    if (env.get("BUILD_ALL") or "").strip().lower() in config.TRUE_WORDS:
        return "BUILD_ALL is set"
    return None


# The incremental models whose own code, or code upstream of them (models,
# macros, seeds, configs), changed since the saved manifest.
RECODED_INCREMENTALS = "state:modified+,config.materialized:incremental"


def recoded_incrementals(runner, state: Path) -> list[str]:
    """The incremental models downstream of code changed since the last
    passing build (dbt's state:modified against the saved manifest). An
    incremental run applies new code to new rows only, so these are built
    from scratch; sorted names."""
    listed = runner.invoke(
        ["ls", "--quiet", "--resource-type", "model", "--output", "name"]
        + ["--select", RECODED_INCREMENTALS, "--state", str(state)]
    )
    if not listed.success:
        raise UserError(
            f"dbt could not compare the project with the last passing build in"
            f" {state}: {listed.exception}. Delete that folder, or run"
            " FULL_REFRESH=1 make build, to build every node afresh."
        )
    return sorted(listed.result or [])


def build_in_process(
    env: dict[str, str], args: list[str], state: Path | None = None
) -> int:
    """dbt build in this process, parsed once: the parse's manifest names
    the tests PostgreSQL's constraints stand for, and the build, which
    leaves them out, reuses it. With the last passing build's `state`, the
    selected nodes are built from scratch when code upstream of an
    incremental model changed. Ready nodes start longest path first
    (tools/build/schedule.py), by the node times of the passing builds
    before, which a passing build updates. dbt's exit code."""
    from dbt.cli.main import dbtRunner

    os.chdir(ROOT)
    parsed = dbtRunner().invoke(["parse", "--quiet"])
    if not parsed.success:
        print(f"error: dbt could not parse the project: {parsed.exception}", flush=True)
        return 2
    recoded = (
        recoded_incrementals(dbtRunner(manifest=parsed.result), state) if state else []
    )
    if recoded:
        shown = ", ".join(recoded[:8]) + (", ..." if len(recoded) > 8 else "")
        print(
            f"build: the selected nodes from scratch (--full-refresh): the code of"
            f" {len(recoded)} incremental model(s) or of what they read changed"
            f" since the last passing build ({shown})",
            flush=True,
        )
        args = [*args, "--full-refresh"]
    manifest = json.loads((target_path(env) / "manifest.json").read_text())
    excluded = enforced_key_tests(manifest)
    print(
        f"build: {len(excluded)} data tests are left to PostgreSQL, whose"
        " constraints and unique indexes check the same keys on every row",
        flush=True,
    )
    if excluded:
        args = [*args, "--exclude", *excluded]
    timings = target_path(env) / "build-state" / SECONDS_FILE
    with longest_path_first(node_seconds(timings)):
        built = dbtRunner(manifest=parsed.result).invoke(["build", *args])
    if built.exception is not None:
        print(f"error: dbt build stopped: {built.exception}", flush=True)
        return 2
    if not built.success:
        return 1
    record_seconds(timings, target_path(env) / "run_results.json")
    return 0


def main(argv: list[str]) -> int:
    env = dict(os.environ)
    args = [*argv, *unit_test_exclusion(env, argv)]
    if passes_through(env, argv):
        dbt = [str(Path(sys.executable).parent / "dbt"), "build", *args]
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
        args += ["--state", str(state), "--select", *selectors]
    code = build_in_process(env, args, None if reason else state)
    if code == 0:
        save(state, env, marks)
    return code


if __name__ == "__main__":
    run_main(lambda: main(sys.argv[1:]))
