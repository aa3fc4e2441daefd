"""Shared fixtures: a test stack of its own, started once and stopped after.

The tests never touch the developer's warehouse: they run with
STACK_DIR=.stack-test (its own data folder and ports) and PGHOST /
STRIPE_API_BASE unset, so the project starts and stops its own servers.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from extract.settings import RESOURCES  # noqa: E402

# The longest modules go first (their seconds in a `make test` of
# 2026-12-06, setup included): with whole modules per worker, a long one
# handed out last would run alone at the end while the other workers idle.
# `make test` passes --no-loadscope-reorder, or pytest-xdist would hand the
# modules out by their number of tests instead. test_marts changes the
# session's fixture warehouse in its last tests, so every other module that
# reads it comes before it. The rest follow in their usual order.
FIRST = (
    "test_engines.py",  # 442
    "test_dbt_oltp.py",  # 365
    "test_extract.py",  # 345
    "test_end_to_end.py",  # 208
    "test_roles.py",  # 208
    "test_lint.py",  # 136
    "test_company.py",  # 344 with Spark's side, about 115 without
    "test_app.py",  # 40
    "test_documents.py",
    "test_reference_ledger.py",
    "test_marts.py",  # 91
    "test_synth.py",  # 77
    "test_chaos.py",  # 66
    "test_populate.py",  # 50
)


# Within its module a test named here runs first. pytest-xdist hands a
# worker its next module once two tests of the current one are left, and
# that module then waits behind them: behind minutes if they are the
# longest.
LONGEST_IN_MODULE = (
    "test_incremental_run_applies_changes_like_a_full_refresh",
    "test_incremental_build_tests_the_rows_it_wrote_until_they_pass",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> tuple[int, bool]:
        name = item.path.name
        module = FIRST.index(name) if name in FIRST else len(FIRST)
        return module, item.originalname not in LONGEST_IN_MODULE

    items.sort(key=rank)


# Under pytest-xdist (`make test` runs three workers) each worker has a stack
# of its own (data folder, ports) and its own dbt target and log folders, so
# two dbt runs never share a manifest or a partial-parse file.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
TEST_STACK = ROOT / (f".stack-test-{WORKER}" if WORKER else ".stack-test")
DBT_TARGET = TEST_STACK / "dbt-target" if WORKER else ROOT / "target"
MANAGED_VARS = (
    "PGHOST",
    "PGPORT",
    "PGUSER",
    "PGPASSWORD",
    "PGDATABASE",
    "STRIPE_API_BASE",
    "STRIPE_API_KEY",
    "SOURCE",
    "JSON_DIR",
    "FULL_REFRESH",
    "STRIPE_MAX_RPS",
)


def base_environment(**overrides: str) -> dict[str, str]:
    """The caller's environment without the warehouse/Stripe settings."""
    env = {k: v for k, v in os.environ.items() if k not in MANAGED_VARS}
    env.update(ENV="dev", STACK_DIR=str(TEST_STACK), PYTHONUNBUFFERED="1")
    if WORKER:
        env.update(
            DBT_TARGET_PATH=str(DBT_TARGET),
            DBT_LOG_PATH=str(TEST_STACK / "dbt-logs"),
        )
    env.update(overrides)
    return env


def run(
    args: list[str], env: dict[str, str], check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run a project command the way make does, capturing its output."""
    result = subprocess.run(
        args,
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited {result.returncode}:\n{result.stdout[-6000:]}"
        )
    return result


def project_environment(env: dict[str, str]) -> dict[str, str]:
    from extract import config

    return config.child_environment(env)


@pytest.fixture(scope="session")
def stack_env() -> Iterator[dict[str, str]]:
    """A running test stack; yields the environment the project's tools see."""
    env = base_environment()
    if TEST_STACK.exists():
        run([sys.executable, "-m", "tools.stack", "down"], env, check=False)
        shutil.rmtree(TEST_STACK)
    run([sys.executable, "-m", "tools.stack", "up"], env)
    try:
        # The local Stripe has no rate limit; its extractions page at the
        # live ceiling instead of the test key's 25 requests/s (a test of a
        # key's own ceiling leaves this out).
        yield dict(project_environment(env), STRIPE_MAX_RPS="100")
    finally:
        run([sys.executable, "-m", "tools.stack", "down"], env, check=False)


def connect(env: dict[str, str], dbname: str | None = None):
    return psycopg2.connect(
        host=env["PGHOST"],
        port=env["PGPORT"],
        user=env["PGUSER"],
        password=env["PGPASSWORD"],
        dbname=dbname or env["PGDATABASE"],
    )


@contextlib.contextmanager
def fresh_database(stack_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """A fresh, empty database on the test server, dropped afterwards; for
    fixtures of any scope (new_database is the per-test one)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    _admin(stack_env, f'create database "{name}"')
    try:
        yield dict(stack_env, PGDATABASE=name)
    finally:
        # a new connection: a test may have restarted the server meanwhile
        _admin(stack_env, f'drop database if exists "{name}" with (force)')


def _admin(stack_env: dict[str, str], statement: str) -> None:
    admin = connect(stack_env, "postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(statement)
    finally:
        admin.close()


@pytest.fixture
def new_database(stack_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """A fresh, empty database on the test server, dropped afterwards."""
    with fresh_database(stack_env) as env:
        yield env


def query(env: dict[str, str], sql: str, params: tuple = ()) -> list[tuple]:
    conn = connect(env)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


RAW_RESOURCES = tuple(r.name for r in RESOURCES)  # one per snapshot file
# The raw contract's parent_id: the field of the object that names its parent.
RAW_PARENT_FIELD = {
    "invoice_line_items": "invoice",
    "subscription_items": "subscription",
    "payment_methods": "customer",
}
FIXTURE_SNAPSHOT = ROOT / "tests" / "fixtures" / "snapshot"


def snapshot_raw_rows(
    directory: Path, load_id: str
) -> Iterator[tuple[str, list[str], list[list]]]:
    """Per resource: the raw contract's columns and one row per object of a
    snapshot directory (the verbatim object as JSON text in `data`), the rows
    the extractor would land, with the given dlt load id."""
    import json

    api_version = json.loads((directory / "manifest.json").read_text())["api_version"]
    for resource in RAW_RESOURCES:
        columns = ["id", "object", "created", "livemode", "is_deleted", "data"]
        columns += ["api_version", "_dlt_load_id", "_dlt_id"]
        if resource in RAW_PARENT_FIELD:
            columns.append("parent_id")
        rows = []
        path = directory / f"{resource}.jsonl"
        for text in path.read_text().splitlines() if path.exists() else []:
            obj = json.loads(text)
            row = [
                obj["id"],
                obj.get("object"),
                obj.get("created"),
                obj.get("livemode"),
                bool(obj.get("deleted")),
                json.dumps(obj),
                api_version,
                load_id,
                uuid.uuid4().hex,
            ]
            if resource in RAW_PARENT_FIELD:
                row.append(obj.get(RAW_PARENT_FIELD[resource]))
            rows.append(row)
        yield resource, columns, rows


def raw_from_snapshot(env: dict[str, str], directory: Path, load_id: str) -> None:
    """Create the raw contract tables and load a snapshot's objects into them.

    Stands in for `SOURCE=json python -m extract` until the extractor lands:
    the same tables and columns (stripe_raw, one row per object, the verbatim
    object in `data`), upserted on id like the extractor's merge.
    """
    conn = connect(env)
    with conn, conn.cursor() as cur:
        cur.execute("create schema if not exists stripe_raw")
        for resource, columns, rows in snapshot_raw_rows(directory, load_id):
            parent = ", parent_id text" if resource in RAW_PARENT_FIELD else ""
            cur.execute(
                f"create table if not exists stripe_raw.{resource} (id text primary"
                " key, object text, created bigint, livemode boolean, is_deleted"
                f" boolean not null, data jsonb{parent}, api_version text,"
                " _dlt_load_id text not null, _dlt_id text not null)"
            )
            updates = ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
            for row in rows:
                cur.execute(
                    f"insert into stripe_raw.{resource} ({', '.join(columns)})"
                    f" values ({', '.join(['%s'] * len(row))})"
                    f" on conflict (id) do update set {updates}",
                    row,
                )
    conn.close()


FIXTURE_LOAD_ID = "1792454400.000001"  # 2026-10-20, the snapshot's capture


def dbt(env: dict[str, str], *args: str, check: bool = True):
    """Run dbt through the project's environment, as `make build` does."""
    command = [sys.executable, "-m", "tools.stack", "exec", "--"]
    command += [str(ROOT / ".venv" / "bin" / "dbt"), *args]
    return run(command, env, check=check)


# dbt's output of the fixture warehouse's build, by database: kept out of
# the environment, which every child process gets and which the kernel caps
# at 128 KiB a variable.
BUILD_OUTPUTS: dict[str, str] = {}


@pytest.fixture(scope="session")
def oltp_warehouse(stack_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """A database holding the fixture snapshot in raw, built by `dbt build`
    (seeds, every layer, every test). test_marts reads it and, in its last
    tests, changes it; modules after it must not rely on it."""
    with fresh_database(stack_env) as env:
        raw_from_snapshot(env, FIXTURE_SNAPSHOT, FIXTURE_LOAD_ID)
        BUILD_OUTPUTS[env["PGDATABASE"]] = dbt(env, "build").stdout
        yield env
