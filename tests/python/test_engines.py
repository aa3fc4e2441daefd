"""The same numbers on every engine.

The fixture snapshot, landed with the same load id, is built on PostgreSQL
(the session's fixture warehouse), on DuckDB and on Spark; the money views,
the MRR facts and the ledger are compared row by row, every OLTP table by
row count and the sum of each of its numeric columns. The builds share only
the models: any difference is a bug in an engine's macros, so values
compare exactly (decimals by value, instants in UTC, JSON parsed).

The DuckDB and Spark sides build the models (seeds, staging, oltp, marts,
snapshots), and DuckDB's runs every unit test, which `make build` leaves
to the tests; `make all WAREHOUSE=duckdb` (or spark) runs the data tests
on them too. The app renders every page on both builds. test_company.py
compares the 1,000-customer synthetic company the same way; what the two
share is in engines.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURE_LOAD_ID, FIXTURE_SNAPSHOT, ROOT, query
from engines import (
    COMPARED_ROW_BY_ROW,
    ENGINES,
    DuckDBSide,
    SparkSide,
    assert_oltp_counts_and_sums_equal,
    build_duckdb,
    build_spark,
    compare_relation,
    duckdb_module,
)


def _fixture_on(build, stack_env, folder, *arguments: str):
    """The fixture snapshot built on an engine: `dbt build *arguments`."""
    return build(stack_env, folder, FIXTURE_SNAPSHOT, FIXTURE_LOAD_ID, *arguments)


@pytest.fixture(scope="module")
def duckdb_warehouse(stack_env, tmp_path_factory) -> DuckDBSide:
    folder = tmp_path_factory.mktemp("duckdb")
    return _fixture_on(
        build_duckdb, stack_env, folder, "--exclude-resource-type", "test"
    )


# Every model, seed and snapshot, and of the unit tests those tagged
# every_engine: Spark takes 5-10 s a unit test, and the others run here on
# PostgreSQL and DuckDB, and on Spark in `make all WAREHOUSE=spark` with
# every data test.
SPARK_FIXTURE_BUILD = (
    "--select",
    "resource_type:model resource_type:seed resource_type:snapshot tag:every_engine",
    "--indirect-selection",
    "empty",
)


@pytest.fixture(scope="module")
def spark_warehouse(stack_env, tmp_path_factory) -> Iterator[SparkSide]:
    folder = tmp_path_factory.mktemp("spark")
    side = _fixture_on(build_spark, stack_env, folder, *SPARK_FIXTURE_BUILD)
    yield side
    side.close()


def test_the_spark_build_runs_the_unit_tests_tagged_every_engine(spark_warehouse):
    target = Path(spark_warehouse.app_environment["SPARK_DIR"]) / "target"
    nodes = json.loads((target / "manifest.json").read_text())["unit_tests"]
    tagged = {
        key for key, node in nodes.items() if "every_engine" in node["config"]["tags"]
    }
    results = json.loads((target / "run_results.json").read_text())["results"]
    passed = {
        r["unique_id"] for r in results if r["unique_id"].startswith("unit_test.")
    }
    assert any("keeps_every_decimal" in key for key in tagged), sorted(tagged)
    assert passed == tagged, f"ran {sorted(passed)}, tagged {sorted(tagged)}"
    assert {r["status"] for r in results} == {"pass", "success"}


@pytest.fixture(scope="module", params=ENGINES)
def other_engine(request):
    """Each engine's fixture build, built on first use."""
    return request.getfixturevalue(f"{request.param}_warehouse")


@pytest.mark.parametrize("relation", COMPARED_ROW_BY_ROW)
def test_rows_equal_postgres(oltp_warehouse, other_engine, relation):
    assert compare_relation(oltp_warehouse, other_engine, relation) > 0, (
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
            compare_relation(oltp_warehouse, other_engine, relation)
        except AssertionError as error:
            differences.append(str(error)[:2000])
    assert not differences, "\n\n".join(differences)


def test_oltp_counts_and_sums_equal_postgres(oltp_warehouse, other_engine):
    assert assert_oltp_counts_and_sums_equal(oltp_warehouse, other_engine) >= 15


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


# -- the analytics app on DuckDB and Spark --------------------------------------


def _app_on(monkeypatch, env: dict[str, str], engine: dict[str, str] | None) -> None:
    """The app's environment: the PostgreSQL fixture warehouse, or another
    engine's build when its app environment is given."""
    for name in ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"):
        monkeypatch.setenv(name, env[name])
    monkeypatch.delenv("APP_SHOW_PII", raising=False)
    for name in ("WAREHOUSE", "DUCKDB_PATH", "SPARK_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (engine or {}).items():
        monkeypatch.setenv(name, value)


def _tiles(app) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def test_the_app_renders_every_page_with_postgres_figures(
    oltp_warehouse, other_engine, monkeypatch
):
    """Every page on the engine's build: no exception, its charts drawn, and
    the Overview's tiles (all currencies, and USD) equal to the same pages
    on PostgreSQL; USD MRR is the fixture's 104.60 (sub_fx_alice 40.50,
    sub_fx_greta 20.00, sub_fx_lena 44.10)."""
    from tools.app import bench

    _app_on(monkeypatch, oltp_warehouse, None)
    on_postgres = [
        _tiles(bench.run_page("overview")),
        _tiles(bench.run_page("overview", currency="USD")),
    ]
    _app_on(monkeypatch, oltp_warehouse, other_engine.app_environment)
    for slug in bench.PAGES:
        app = bench.run_page(slug)
        assert not app.exception, (slug, [e.value for e in app.exception])
        assert len(app.title) == 1
        assert not [w.value for w in app.warning], slug
    assert len(bench.run_page("mrr").get("vega_lite_chart")) >= 4
    on_engine = [
        _tiles(bench.run_page("overview")),
        _tiles(bench.run_page("overview", currency="USD")),
    ]
    assert on_engine == on_postgres
    assert on_engine[1]["MRR"] == "$104.60"
    health = bench.run_page("health")
    [layers] = [
        element.value
        for element in health.dataframe
        if element.value.index.name == "layer"
    ]
    assert {"stripe_raw", "staging", "oltp", "marts"} <= set(layers.index)
    assert layers.loc["oltp", "tables"] >= 15
    if other_engine.app_environment["WAREHOUSE"] == "duckdb":
        assert layers.loc["marts", "estimated_rows"] > 0
    else:  # Spark keeps no row statistics (the page says so)
        assert layers["estimated_rows"].isna().all()


def test_the_app_reads_the_duckdb_file_not_postgres(
    oltp_warehouse, duckdb_warehouse, tmp_path, monkeypatch
):
    """A copy of the DuckDB file without its USD MRR: the app shows that
    copy's figures, whatever PostgreSQL holds."""
    from tools.app import bench

    duckdb = duckdb_module()
    copy = tmp_path / "stripe.duckdb"
    copy.write_bytes(duckdb_warehouse.path.read_bytes())
    conn = duckdb.connect(str(copy))
    try:
        for relation in ("fct_mrr", "metrics_mrr_monthly"):
            conn.execute(f"delete from marts.{relation} where currency = 'usd'")
    finally:
        conn.close()
    _app_on(
        monkeypatch, oltp_warehouse, {"WAREHOUSE": "duckdb", "DUCKDB_PATH": str(copy)}
    )
    tiles = _tiles(bench.run_page("overview", currency="USD"))
    assert tiles["MRR"] != "$104.60"
    assert tiles["Active subscriptions"] == "0"


@pytest.mark.parametrize(
    ("engine", "setting", "name"),
    [("duckdb", "DUCKDB_PATH", "none.duckdb"), ("spark", "SPARK_DIR", "no-spark")],
)
def test_the_app_names_the_command_when_the_build_is_missing(
    oltp_warehouse, tmp_path, monkeypatch, engine, setting, name
):
    """No DuckDB file, or a SPARK_DIR no build wrote (the app does not
    create an empty metastore there): the page names the command."""
    from tools.app import bench

    missing = tmp_path / name
    _app_on(monkeypatch, oltp_warehouse, {"WAREHOUSE": engine, setting: str(missing)})
    app = bench.run_page("overview")
    assert not app.exception
    [warning] = [w.value for w in app.warning]
    assert name in warning and f"make all WAREHOUSE={engine}" in warning
    assert not missing.exists()


def test_the_apps_queries_are_rewritten_for_duckdb_and_spark():
    """One text in sql/: psycopg2's placeholders become each engine's named
    parameters (only those the text uses), its escaped `%%` a `%`, and on
    Spark a cast to text a cast to string (a column named `context` stays)."""
    from tools.app import db

    text = (
        "select context from t where a = %(a)s and b like 'x%%'"
        " and (%(c)s::text is null or c = %(c)s::text)"
    )
    params = {"a": 1, "c": None, "unused": 2}
    assert db.named_statement(text, params, "$") == (
        "select context from t where a = $a and b like 'x%'"
        " and ($c::text is null or c = $c::text)",
        {"a": 1, "c": None},
    )
    assert db.spark_statement(text, params) == (
        "select context from t where a = :a and b like 'x%'"
        " and (:c::string is null or c = :c::string)",
        {"a": 1, "c": None},
    )
