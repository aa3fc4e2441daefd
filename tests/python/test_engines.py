"""The same numbers on every engine.

The fixture snapshot, landed with the same load id, is built on PostgreSQL
(the session's fixture warehouse), on DuckDB and on Spark; the money views,
the MRR facts and the ledger are compared row by row, every OLTP table by
row count and the sum of each of its numeric columns. The builds share only
the models: any difference is a bug in an engine's macros, so values
compare exactly (decimals by value, instants in UTC, JSON parsed).

The DuckDB and Spark sides build the models (seeds, staging, oltp, marts,
snapshots) and run every unit test, which `make build` leaves to the
tests; `make all WAREHOUSE=duckdb` (or spark) runs the data tests on them
too.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from conftest import (
    FIXTURE_LOAD_ID,
    FIXTURE_SNAPSHOT,
    ROOT,
    dbt,
    query,
    snapshot_raw_rows,
)

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


def _duckdb():
    try:
        import duckdb
    except ImportError:
        pytest.fail(
            "duckdb is not installed: run `make test` (it installs the duckdb "
            "extra) or `uv sync --extra duckdb`."
        )
    return duckdb


def _load_raw(path: Path) -> None:
    """The fixture's raw rows in a new DuckDB file, as dlt lands them."""
    duckdb = _duckdb()
    connection = duckdb.connect(str(path))
    try:
        connection.execute("create schema stripe_raw")
        for resource, columns, rows in snapshot_raw_rows(
            FIXTURE_SNAPSHOT, FIXTURE_LOAD_ID
        ):
            types = {"created": "bigint", "livemode": "boolean"}
            types |= {"is_deleted": "boolean not null", "data": "json"}
            connection.execute(
                f"create table stripe_raw.{resource} ("
                + ", ".join(f"{c} {types.get(c, 'text')}" for c in columns)
                + ")"
            )
            if rows:
                connection.executemany(
                    f"insert into stripe_raw.{resource} values"
                    f" ({', '.join(['?'] * len(columns))})",
                    rows,
                )
    finally:
        connection.close()


def _land_spark_raw(spark_dir: Path) -> None:
    """The fixture's raw rows as Parquet files where dlt's filesystem
    destination writes them, registered as Spark tables by the extractor's
    own code, in a process of its own (the Derby metastore takes one JVM
    at a time, and dbt's comes next)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from extract.spark import dataset_dir

    types = {"created": pa.int64(), "livemode": pa.bool_(), "is_deleted": pa.bool_()}
    for resource, columns, rows in snapshot_raw_rows(FIXTURE_SNAPSHOT, FIXTURE_LOAD_ID):
        schema = pa.schema([(c, types.get(c, pa.string())) for c in columns])
        table = pa.Table.from_pylist(
            [dict(zip(columns, r, strict=True)) for r in rows], schema
        )
        folder = dataset_dir(spark_dir) / resource
        folder.mkdir(parents=True)
        pq.write_table(table, folder / f"{FIXTURE_LOAD_ID}.fixture.parquet")
    publish = (
        "import sys; from pathlib import Path; from extract.spark import"
        " SparkStoredRaw; SparkStoredRaw(Path(sys.argv[1])).publish()"
    )
    subprocess.run(
        [sys.executable, "-c", publish, str(spark_dir)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


class DuckDBSide:
    """The DuckDB file of the fixture build, read only."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def query(self, sql: str) -> list[tuple]:
        connection = _duckdb().connect(str(self.path), read_only=True)
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


class SparkSide:
    """A Spark session on the fixture build's SPARK_DIR, in this process."""

    def __init__(self, spark_dir: Path) -> None:
        from extract.spark import spark_session

        self.session = spark_session(spark_dir)

    def query(self, sql: str) -> list[tuple]:
        # pyspark hands a timestamp over as a naive local time of this
        # process; as an instant it is the same as PostgreSQL's.
        return [
            tuple(
                value.astimezone(dt.UTC)
                if isinstance(value, dt.datetime) and value.tzinfo is None
                else value
                for value in row
            )
            for row in self.session.sql(sql).collect()
        ]

    def columns(self, schema: str, table: str) -> list[str]:
        return self.session.table(f"{schema}.{table}").columns


@pytest.fixture(scope="module")
def duckdb_warehouse(stack_env, tmp_path_factory) -> DuckDBSide:
    path = tmp_path_factory.mktemp("duckdb") / "stripe.duckdb"
    _load_raw(path)
    env = dict(stack_env, WAREHOUSE="duckdb", DUCKDB_PATH=str(path))
    env["DBT_TARGET"] = "duckdb"
    target = path.parent / "target"
    env |= {"DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(target)}
    dbt(env, "build", "--exclude-resource-type", "test")
    return DuckDBSide(path)


@pytest.fixture(scope="module")
def spark_warehouse(stack_env, tmp_path_factory) -> SparkSide:
    spark_dir = tmp_path_factory.mktemp("spark")
    _land_spark_raw(spark_dir)
    env = dict(stack_env, WAREHOUSE="spark", SPARK_DIR=str(spark_dir))
    env |= {"DBT_TARGET": "spark", "DBT_THREADS": "2"}
    target = spark_dir / "target"
    env |= {"DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(target)}
    # The unit tests run here on PostgreSQL and DuckDB; on Spark (about 40 s
    # more) in `make all WAREHOUSE=spark`, with every data test.
    dbt(env, "build", "--exclude-resource-type", "test", "unit_test")
    return SparkSide(spark_dir)


@pytest.fixture(scope="module", params=ENGINES)
def other_engine(request):
    """Each engine's fixture build, built on first use."""
    return request.getfixturevalue(f"{request.param}_warehouse")


def _canonical(value):
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


def _rows(fetched: list[tuple]) -> Counter:
    return Counter(tuple(_canonical(v) for v in row) for row in fetched)


def _columns(env, relation: str) -> list[tuple[str, str]]:
    schema, table = relation.split(".")
    return query(
        env,
        "select column_name, data_type from information_schema.columns"
        " where table_schema = %s and table_name = %s order by ordinal_position",
        (schema, table),
    )


def _differences(postgres: Counter, other: Counter) -> str:
    only_pg = list((postgres - other).elements())[:5]
    only_other = list((other - postgres).elements())[:5]
    return f"only on postgres: {only_pg}\nonly on the other engine: {only_other}"


def _compare(postgres_env, other, relation: str) -> int:
    """Assert one relation holds the same rows on both engines; its row count."""
    columns = [name for name, _ in _columns(postgres_env, relation)]
    assert columns, f"{relation} is missing on postgres"
    # Only PostgreSQL's enforced contracts put columns in the yml's order.
    assert sorted(other.columns(*relation.split("."))) == sorted(columns), relation
    select = f"select {', '.join(columns)} from {relation}"
    postgres = _rows(query(postgres_env, select))
    theirs = _rows(other.query(select))
    assert postgres == theirs, f"{relation}:\n" + _differences(postgres, theirs)
    return sum(postgres.values())


@pytest.mark.parametrize("relation", COMPARED_ROW_BY_ROW)
def test_rows_equal_postgres(oltp_warehouse, other_engine, relation):
    assert _compare(oltp_warehouse, other_engine, relation) > 0, (
        f"{relation} is empty: nothing was compared"
    )


def test_every_mart_and_oltp_relation_equals_postgres(oltp_warehouse, other_engine):
    relations = [
        f"{schema}.{name}"
        for schema, name in query(
            oltp_warehouse,
            "select table_schema, table_name from information_schema.tables"
            " where table_schema in ('oltp', 'marts') order by 1, 2",
        )
    ]
    assert len(relations) > 40
    differences = []
    for relation in relations:
        try:
            _compare(oltp_warehouse, other_engine, relation)
        except AssertionError as error:
            differences.append(str(error)[:2000])
    assert not differences, "\n\n".join(differences)


def test_oltp_counts_and_sums_equal_postgres(oltp_warehouse, other_engine):
    tables = [
        row[0]
        for row in query(
            oltp_warehouse,
            "select table_name from information_schema.tables"
            " where table_schema = 'oltp' and table_type = 'BASE TABLE'"
            " order by table_name",
        )
    ]
    assert len(tables) >= 15
    for table in tables:
        numeric = [
            name
            for name, data_type in _columns(oltp_warehouse, f"oltp.{table}")
            if data_type in NUMERIC_TYPES
        ]
        figures = ["count(*)"] + [f"sum({name})" for name in numeric]
        select = f"select {', '.join(figures)} from oltp.{table}"
        postgres = _rows(query(oltp_warehouse, select))
        theirs = _rows(other_engine.query(select))
        assert postgres == theirs, f"oltp.{table} ({', '.join(figures)}):\n" + (
            _differences(postgres, theirs)
        )


def test_warehouse_picks_the_dbt_target_and_refuses_unknown_engines(tmp_path):
    from extract import config
    from extract.errors import UserError

    env = config.child_environment(
        {"WAREHOUSE": "DuckDB", "STACK_DIR": str(tmp_path), "ENV": "dev"}
    )
    assert env["WAREHOUSE"] == "duckdb"
    assert env["DBT_TARGET"] == "duckdb"
    assert env["DUCKDB_PATH"] == str(tmp_path / "duckdb" / "stripe.duckdb")
    assert "PGHOST" not in env  # no PostgreSQL is started for DuckDB
    env = config.child_environment(
        {"WAREHOUSE": "Spark", "STACK_DIR": str(tmp_path), "ENV": "dev"}
    )
    assert env["WAREHOUSE"] == "spark"
    assert env["DBT_TARGET"] == "spark"
    assert env["SPARK_DIR"] == str(tmp_path / "spark")
    assert "PGHOST" not in env  # nor for Spark
    assert config.child_environment({"STACK_DIR": str(tmp_path)})["DBT_TARGET"] == (
        "pg"
    )
    with pytest.raises(UserError, match="WAREHOUSE='oracle' is not known"):
        config.warehouse({"WAREHOUSE": "oracle"})


def test_the_extraction_and_dbt_run_spark_with_the_same_settings(tmp_path):
    """Both open the same warehouse dir and metastore: what the extractor
    registers, dbt reads."""
    from extract.spark import session_settings

    profile = yaml.safe_load((ROOT / "profiles" / "profiles.yml").read_text())
    parameters = profile["stripe_warehouse"]["outputs"]["spark"][
        "server_side_parameters"
    ]
    rendered = {
        key: value.replace("{{ env_var('SPARK_DIR', '.stack/spark') }}", str(tmp_path))
        for key, value in parameters.items()
    }
    # dbt-spark adds this one itself (its session runs without ANSI mode).
    expected = dict(session_settings(tmp_path))
    assert expected.pop("spark.sql.ansi.enabled") == "false"
    assert rendered == expected


# -- the analytics app on DuckDB -----------------------------------------------


def _app_on(monkeypatch, env: dict[str, str], duck_path: Path | None) -> None:
    """The app's environment: the PostgreSQL fixture warehouse, or the
    DuckDB file when one is given."""
    for name in ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"):
        monkeypatch.setenv(name, env[name])
    monkeypatch.delenv("APP_SHOW_PII", raising=False)
    if duck_path is None:
        monkeypatch.delenv("WAREHOUSE", raising=False)
        monkeypatch.delenv("DUCKDB_PATH", raising=False)
    else:
        monkeypatch.setenv("WAREHOUSE", "duckdb")
        monkeypatch.setenv("DUCKDB_PATH", str(duck_path))


def _tiles(app) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def test_the_app_renders_every_page_on_duckdb_with_postgres_figures(
    oltp_warehouse, duckdb_warehouse, monkeypatch
):
    """Every page on the DuckDB file: no exception, its charts drawn, and
    the Overview's tiles (all currencies, and USD) equal to the same pages
    on PostgreSQL; USD MRR is the fixture's 104.60 (sub_fx_alice 40.50,
    sub_fx_greta 20.00, sub_fx_lena 44.10)."""
    from tools.app import bench

    _app_on(monkeypatch, oltp_warehouse, None)
    on_postgres = [
        _tiles(bench.run_page("overview")),
        _tiles(bench.run_page("overview", currency="USD")),
    ]
    _app_on(monkeypatch, oltp_warehouse, duckdb_warehouse.path)
    for slug in bench.PAGES:
        app = bench.run_page(slug)
        assert not app.exception, (slug, [e.value for e in app.exception])
        assert len(app.title) == 1
        assert not [w.value for w in app.warning], slug
    assert len(bench.run_page("mrr").get("vega_lite_chart")) >= 4
    on_duckdb = [
        _tiles(bench.run_page("overview")),
        _tiles(bench.run_page("overview", currency="USD")),
    ]
    assert on_duckdb == on_postgres
    assert on_duckdb[1]["MRR"] == "$104.60"
    health = bench.run_page("health")
    [layers] = [
        element.value
        for element in health.dataframe
        if element.value.index.name == "layer"
    ]
    assert {"stripe_raw", "staging", "oltp", "marts"} <= set(layers.index)
    assert layers.loc["oltp", "tables"] >= 15
    assert layers.loc["marts", "estimated_rows"] > 0


def test_the_app_reads_the_duckdb_file_not_postgres(
    oltp_warehouse, duckdb_warehouse, tmp_path, monkeypatch
):
    """A copy of the DuckDB file without its USD MRR: the app shows that
    copy's figures, whatever PostgreSQL holds."""
    from tools.app import bench

    duckdb = _duckdb()
    copy = tmp_path / "stripe.duckdb"
    copy.write_bytes(duckdb_warehouse.path.read_bytes())
    conn = duckdb.connect(str(copy))
    try:
        for relation in ("fct_mrr", "metrics_mrr_monthly"):
            conn.execute(f"delete from marts.{relation} where currency = 'usd'")
    finally:
        conn.close()
    _app_on(monkeypatch, oltp_warehouse, copy)
    tiles = _tiles(bench.run_page("overview", currency="USD"))
    assert tiles["MRR"] != "$104.60"
    assert tiles["Active subscriptions"] == "0"


def test_the_app_names_the_command_when_the_duckdb_file_is_missing(
    oltp_warehouse, tmp_path, monkeypatch
):
    from tools.app import bench

    _app_on(monkeypatch, oltp_warehouse, tmp_path / "none.duckdb")
    app = bench.run_page("overview")
    assert not app.exception
    [warning] = [w.value for w in app.warning]
    assert "none.duckdb" in warning and "make all WAREHOUSE=duckdb" in warning
