"""Shared fixtures: a test stack of its own, started once and stopped after.

The tests never touch the developer's warehouse: they run with
STACK_DIR=.stack-test (its own data folder and ports) and PGHOST /
STRIPE_API_BASE unset, so the project starts and stops its own servers.
"""

from __future__ import annotations

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
TEST_STACK = ROOT / ".stack-test"
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
)


def base_environment(**overrides: str) -> dict[str, str]:
    """The caller's environment without the warehouse/Stripe settings."""
    env = {k: v for k, v in os.environ.items() if k not in MANAGED_VARS}
    env.update(ENV="dev", STACK_DIR=str(TEST_STACK), PYTHONUNBUFFERED="1")
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
    sys.path.insert(0, str(ROOT))
    from tools import config

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
        yield project_environment(env)
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


@pytest.fixture
def new_database(stack_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """A fresh, empty database on the test server, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = connect(stack_env, "postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{name}"')
    env = dict(stack_env, PGDATABASE=name)
    try:
        yield env
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


def query(env: dict[str, str], sql: str, params: tuple = ()) -> list[tuple]:
    conn = connect(env)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()
