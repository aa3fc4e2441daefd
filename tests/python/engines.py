"""What the cross-engine tests share: a snapshot's raw rows landed on
DuckDB and on Spark as the extractor lands them, those engines' dbt
builds, their relations read back, and the comparison with PostgreSQL's
build of the same snapshot. The builds share only the models: any
difference is a bug in an engine's macros, so values compare exactly
(decimals by value, instants in UTC, JSON parsed)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import dbt, query, run, snapshot_raw_rows

# The compared relations, each row by row in full.
COMPARED_ROW_BY_ROW = (
    "marts.metrics_mrr_monthly",
    "marts.metrics_revenue_daily",
    "marts.fct_balance_transactions",
    "marts.metrics_balance_daily",
    "marts.fct_mrr",
)
NUMERIC_TYPES = ("bigint", "integer", "smallint", "numeric")
# `make test` compares both engines; TEST_SPARK=0 leaves Spark's side out
# (about 4 minutes of one worker in `make test`) for a quicker local run.
ENGINES = ("duckdb",) if os.environ.get("TEST_SPARK") == "0" else ("duckdb", "spark")
# The 1,000-customer company (test_company.py) is compared on DuckDB in
# `make test`, and on Spark too in `make test-engines`
# (TEST_COMPANY_ON_SPARK=1): Spark's build of it takes about four minutes of
# one worker, which make test's 15 minutes cannot hold beside the rest. What
# it found on Spark stays under test there: the unit tests tagged
# every_engine (a product that needs more than six decimals) run in the
# fixture's Spark build.
COMPANY_ENGINES = (
    ENGINES if os.environ.get("TEST_COMPANY_ON_SPARK") == "1" else ("duckdb",)
)


def duckdb_module():
    try:
        import duckdb
    except ImportError:
        pytest.fail(
            "duckdb is not installed: run `make test` (it installs the duckdb "
            "extra) or `uv sync --extra duckdb`."
        )
    return duckdb


def raw_arrow_tables(directory: Path, load_id: str):
    """Per resource: a snapshot's raw rows as an Arrow table, typed as dlt
    types them (created bigint, the flags boolean, every other column text)."""
    import pyarrow as pa

    types = {"created": pa.int64(), "livemode": pa.bool_(), "is_deleted": pa.bool_()}
    for resource, columns, rows in snapshot_raw_rows(directory, load_id):
        schema = pa.schema([(c, types.get(c, pa.string())) for c in columns])
        yield (
            resource,
            pa.Table.from_pylist(
                [dict(zip(columns, r, strict=True)) for r in rows], schema
            ),
        )


def load_duckdb_raw(path: Path, directory: Path, load_id: str) -> None:
    """A snapshot's raw rows in a new DuckDB file, as dlt lands them."""
    duckdb = duckdb_module()
    connection = duckdb.connect(str(path))
    try:
        connection.execute("create schema stripe_raw")
        for resource, table in raw_arrow_tables(directory, load_id):
            types = {"created": "bigint", "livemode": "boolean"}
            types |= {"is_deleted": "boolean not null", "data": "json"}
            connection.execute(
                f"create table stripe_raw.{resource} ("
                + ", ".join(f"{c} {types.get(c, 'text')}" for c in table.column_names)
                + ")"
            )
            connection.register("incoming", table)
            connection.execute(
                f"insert into stripe_raw.{resource} select * from incoming"
            )
            connection.unregister("incoming")
    finally:
        connection.close()


def land_spark_raw(spark_dir: Path, directory: Path, load_id: str) -> None:
    """A snapshot's raw rows as Parquet files where dlt's filesystem
    destination writes them (build_spark registers them)."""
    import pyarrow.parquet as pq

    from extract.spark import dataset_dir

    for resource, table in raw_arrow_tables(directory, load_id):
        folder = dataset_dir(spark_dir) / resource
        folder.mkdir(parents=True)
        pq.write_table(table, folder / f"{load_id}.snapshot.parquet")


class DuckDBSide:
    """The DuckDB file of the fixture build, read only."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.app_environment = {"WAREHOUSE": "duckdb", "DUCKDB_PATH": str(path)}

    def query(self, sql: str) -> list[tuple]:
        connection = duckdb_module().connect(str(self.path), read_only=True)
        try:
            connection.execute("set TimeZone = 'UTC'")
            return connection.execute(sql).fetchall()
        finally:
            connection.close()

    def columns(self, schema: str, table: str) -> list[str]:
        return [
            row[0]
            for row in self.query(
                "select column_name from information_schema.columns where"
                f" table_schema = '{schema}' and table_name = '{table}'"
            )
        ]

    def close(self) -> None:
        """Nothing stays open: each query opens and closes the file."""


class SparkSide:
    """A Spark session on the fixture build's SPARK_DIR, in this process."""

    def __init__(self, spark_dir: Path) -> None:
        from extract.spark import spark_session

        self.session = spark_session(spark_dir)
        self.app_environment = {"WAREHOUSE": "spark", "SPARK_DIR": str(spark_dir)}

    def query(self, sql: str) -> list[tuple]:
        from tools.app.db import spark_instant

        rows = self.session.sql(sql).collect()
        return [tuple(spark_instant(value) for value in row) for row in rows]

    def columns(self, schema: str, table: str) -> list[str]:
        return self.session.table(f"{schema}.{table}").columns

    def close(self) -> None:
        """Stop the session, so that a later one in this process (another
        module's SPARK_DIR, the app's) opens its own warehouse and
        metastore."""
        self.session.stop()
        app_db = sys.modules.get("tools.app.db")
        if app_db is not None:
            app_db.spark_session.cache_clear()


def canonical(value):
    """A value as every engine's driver should agree on it."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        return ("number", str(number.normalize()) if number else "0")
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return ("instant", value.isoformat())
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, dict | list):
        return ("json", json.dumps(value, sort_keys=True))
    return value


def rows_of(fetched: list[tuple]) -> Counter:
    return Counter(tuple(canonical(v) for v in row) for row in fetched)


def columns_of(env, relation: str) -> list[tuple[str, str]]:
    schema, table = relation.split(".")
    return query(
        env,
        "select column_name, data_type from information_schema.columns"
        " where table_schema = %s and table_name = %s order by ordinal_position",
        (schema, table),
    )


def differences(postgres: Counter, other: Counter) -> str:
    only_pg = list((postgres - other).elements())[:5]
    only_other = list((other - postgres).elements())[:5]
    return f"only on postgres: {only_pg}\nonly on the other engine: {only_other}"


def compare_relation(postgres_env, other, relation: str) -> int:
    """Assert one relation holds the same rows on both engines; its row count."""
    columns = [name for name, _ in columns_of(postgres_env, relation)]
    assert columns, f"{relation} is missing on postgres"
    # Only PostgreSQL's enforced contracts put columns in the yml's order.
    assert sorted(other.columns(*relation.split("."))) == sorted(columns), relation
    select = f"select {', '.join(columns)} from {relation}"
    postgres = rows_of(query(postgres_env, select))
    theirs = rows_of(other.query(select))
    assert postgres == theirs, f"{relation}:\n" + differences(postgres, theirs)
    return sum(postgres.values())


# The raw files registered by the extractor's own code, then dbt's build, in
# one process and one JVM (a Spark start-up fewer per build): dbt-spark's
# session method takes the session the process already holds, whose
# settings are the profile's (a test keeps them equal).
REGISTER_THEN_BUILD = (
    "import sys; from pathlib import Path;"
    " from extract.spark import SparkStoredRaw, register_raw, spark_session;"
    " from dbt.cli.main import dbtRunner;"
    " spark_dir = Path(sys.argv[1]);"
    " register_raw(spark_session(spark_dir), SparkStoredRaw(spark_dir).directory);"
    " sys.exit(0 if dbtRunner().invoke(sys.argv[2:]).success else 1)"
)


def build_duckdb(
    stack_env: dict[str, str], folder: Path, directory: Path, load_id: str, *args: str
) -> DuckDBSide:
    """A snapshot landed in a new DuckDB file in `folder`, then `dbt build
    *args` on it."""
    path = folder / "stripe.duckdb"
    load_duckdb_raw(path, directory, load_id)
    env = dict(stack_env, WAREHOUSE="duckdb", DUCKDB_PATH=str(path))
    env["DBT_TARGET"] = "duckdb"
    target = folder / "target"
    env |= {"DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(target)}
    dbt(env, "build", *args)
    return DuckDBSide(path)


def build_spark(
    stack_env: dict[str, str], folder: Path, directory: Path, load_id: str, *args: str
) -> SparkSide:
    """A snapshot landed as Parquet under the SPARK_DIR `folder` and
    registered, then `dbt build *args` on it (two threads), then a session
    of this process on it."""
    land_spark_raw(folder, directory, load_id)
    env = dict(stack_env, WAREHOUSE="spark", SPARK_DIR=str(folder))
    env |= {"DBT_TARGET": "spark", "DBT_THREADS": "2"}
    target = folder / "target"
    env |= {"DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(target)}
    command = [sys.executable, "-m", "tools.stack", "exec", "--", sys.executable]
    run([*command, "-c", REGISTER_THEN_BUILD, str(folder), "build", *args], env)
    return SparkSide(folder)


def assert_oltp_counts_and_sums_equal(postgres_env, other) -> int:
    """Every OLTP table of PostgreSQL's build: its row count and the sum of
    each numeric column equal on the other engine. The tables compared."""
    tables = [
        row[0]
        for row in query(
            postgres_env,
            "select table_name from information_schema.tables"
            " where table_schema = 'oltp' and table_type = 'BASE TABLE'"
            " order by table_name",
        )
    ]
    for table in tables:
        numeric = [
            name
            for name, data_type in columns_of(postgres_env, f"oltp.{table}")
            if data_type in NUMERIC_TYPES
        ]
        figures = ["count(*)"] + [f"sum({name})" for name in numeric]
        select = f"select {', '.join(figures)} from oltp.{table}"
        postgres = rows_of(query(postgres_env, select))
        theirs = rows_of(other.query(select))
        assert postgres == theirs, f"oltp.{table} ({', '.join(figures)}):\n" + (
            differences(postgres, theirs)
        )
    return len(tables)
