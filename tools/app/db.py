"""The app's one way into the warehouse, on PostgreSQL, DuckDB or Spark.

On PostgreSQL every query runs in a read-only transaction, sees only the
`marts` and `documents` schemas on its search path and, once the role
exists, runs as `stripe_app`, so the app can read the marts and nothing
else whatever the login role may do. On DuckDB (WAREHOUSE=duckdb) the file
is opened read-only, with the same search path; a DuckDB file has no roles.
On Spark (WAREHOUSE=spark) the app process holds one local Spark session on
SPARK_DIR's warehouse and metastore, with `marts` as its current schema;
local Spark has neither roles nor read-only sessions, so there the app's
read-only promise is its own: it runs nothing but the SELECTs of sql/.

The SQL in sql/ is written once, with psycopg2's named placeholders; a
query whose text must differ on an engine (the catalog reads) has its own
file in sql/<engine>/. Driver errors leave this module as the app's own
exceptions, so no page imports a driver.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psycopg2

from extract import config

APP_ROLE = "stripe_app"
SCHEMAS = ("marts", "documents")
STATEMENT_TIMEOUT_MS = 60_000
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
SPARK_CATALOG_VIEW = "app_catalog"
# Spark spells PostgreSQL's `text` type `string`; every other cast of sql/
# (date, numeric, bigint) reads the same on the three engines.
SPARK_TEXT_CAST = re.compile(r"::text\b")


class WarehouseUnavailable(RuntimeError):
    """No server answers, or the database is missing: the stack is not up."""


class NotPermitted(RuntimeError):
    """The app's role may not read a relation a page needs."""


class MissingRelation(RuntimeError):
    """A relation a page reads does not exist: the marts are not built."""


def connection_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """How the app connects: the DuckDB file of WAREHOUSE=duckdb, the
    SPARK_DIR of WAREHOUSE=spark, or libpq keywords from the PG* variables.

    On PostgreSQL the server options make every transaction read-only and
    bound its time; they hold from the first statement, before anything
    else runs.
    """
    env = os.environ if environ is None else environ
    warehouse = config.warehouse(env)
    if warehouse == "duckdb":
        return {"engine": "duckdb", "path": str(config.duckdb_path(env))}
    if warehouse == "spark":
        return {"engine": "spark", "path": str(config.spark_dir(env))}
    options = [
        "-c default_transaction_read_only=on",
        f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
        f"-c search_path={','.join(SCHEMAS)}",
        "-c application_name=stripe-app",
    ]
    settings = {
        "host": env.get("PGHOST", "127.0.0.1"),
        "port": env.get("PGPORT", "5432"),
        "user": env.get("PGUSER"),
        "password": env.get("PGPASSWORD"),
        "dbname": env.get("PGDATABASE", "stripe"),
        "options": " ".join(options),
        "connect_timeout": 5,
    }
    kept = {key: value for key, value in settings.items() if value is not None}
    return {"engine": "postgres", **kept}


def engine(settings: Mapping[str, Any]) -> str:
    return settings.get("engine", "postgres")


def _libpq(settings: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in settings.items() if key != "engine"}


def settings_key(settings: Mapping[str, Any]) -> str:
    """What identifies a warehouse in the query cache (never the password)."""
    if engine(settings) != "postgres":
        return f"{engine(settings)}:{settings['path']}"
    return "{host}:{port}/{dbname}@{user}".format(
        **{k: settings.get(k, "") for k in ("host", "port", "dbname", "user")}
    )


def describe(settings: Mapping[str, Any]) -> str:
    """Where the warehouse is, for a sentence: the server or the file."""
    if engine(settings) == "duckdb":
        return f"the DuckDB file {settings['path']}"
    if engine(settings) == "spark":
        return f"the Spark warehouse in {settings['path']}"
    host, port = settings.get("host"), settings.get("port")
    return f"{host}:{port} (database {settings.get('dbname')})"


def named_statement(
    text: str, params: Mapping[str, Any], marker: str
) -> tuple[str, dict[str, Any]]:
    """A query of sql/ in the terms of an engine whose named parameters are
    `<marker>name` (DuckDB's `$name`, Spark's `:name`) for `%(name)s`, a
    single `%` for psycopg2's escaped `%%`, and only the parameters the text
    uses (both refuse one it does not)."""
    used = set(PLACEHOLDER.findall(text))
    sql = PLACEHOLDER.sub(lambda match: marker + match.group(1), text)
    return sql.replace("%%", "%"), {k: v for k, v in params.items() if k in used}


def connect_duckdb(settings: Mapping[str, Any]):
    """The DuckDB file, read-only, in UTC, the app's schemas on its path."""
    import duckdb

    path = settings["path"]
    try:
        conn = duckdb.connect(path, read_only=True)
    except duckdb.IOException as exc:
        raise WarehouseUnavailable(str(exc).strip()) from exc
    conn.execute("set TimeZone = 'UTC'")
    present = [
        row[0]
        for row in conn.execute(
            "select schema_name from information_schema.schemata"
            " where catalog_name = current_database()"
        ).fetchall()
        if row[0] in SCHEMAS
    ]
    if present:
        conn.execute(f"set search_path = '{','.join(present)}'")
    return conn


def fetch_duckdb(
    settings: Mapping[str, Any], text: str, params: Mapping[str, Any]
) -> tuple[list[str], list[tuple]]:
    import duckdb

    conn = connect_duckdb(settings)
    try:
        sql, values = named_statement(text, params, "$")
        try:
            result = conn.execute(sql, values)
        except duckdb.CatalogException as exc:
            raise MissingRelation(str(exc).splitlines()[0]) from exc
        columns = [column[0] for column in result.description or []]
        return columns, result.fetchall() if result.description else []
    finally:
        conn.close()


@functools.cache
def spark_session(path: str):
    """The app process's one Spark session on SPARK_DIR, `marts` current.
    A directory no build wrote is refused rather than given a new, empty
    metastore; so is a metastore another process (a dbt run) holds."""
    from extract.errors import UserError
    from extract.spark import spark_session as open_session

    spark_dir = Path(path)
    if not (spark_dir / "metastore_db").is_dir():
        raise WarehouseUnavailable(f"no Spark metastore in {spark_dir}")
    try:
        session = open_session(spark_dir)
        names = {row[0] for row in session.sql("show schemas").collect()}
    except UserError as exc:
        raise WarehouseUnavailable(str(exc)) from exc
    except Exception as exc:  # the JVM's error: Derby is locked by another JVM
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise WarehouseUnavailable(first) from exc
    if "marts" in names:
        session.catalog.setCurrentDatabase("marts")
    return session


def spark_instant(value: Any) -> Any:
    """pyspark hands a timestamp over as a naive time of this process's
    zone; as an aware instant it is the one the warehouse holds."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.astimezone(dt.UTC)
    return value


def spark_statement(text: str, params: Mapping[str, Any]) -> tuple[str, dict]:
    """A query of sql/ in Spark's terms: `:name` parameters, and `string`
    for PostgreSQL's `text` in casts."""
    sql, values = named_statement(text, params, ":")
    return SPARK_TEXT_CAST.sub("::string", sql), values


def register_spark_catalog(session) -> None:
    """Spark has no information_schema: the catalog reads of sql/spark/ read
    `app_catalog` (table_schema, table_name, table_kind 'table' or 'view'),
    a temporary view of this session made from Spark's catalog now."""
    rows = [
        (schema, table.name, "view" if table.tableType == "VIEW" else "table")
        for schema in sorted(row[0] for row in session.sql("show schemas").collect())
        for table in session.catalog.listTables(dbName=schema)
        if not table.isTemporary
    ]
    session.createDataFrame(
        rows, "table_schema string, table_name string, table_kind string"
    ).createOrReplaceTempView(SPARK_CATALOG_VIEW)


def fetch_spark(
    settings: Mapping[str, Any], text: str, params: Mapping[str, Any]
) -> tuple[list[str], list[tuple]]:
    from pyspark.errors import AnalysisException

    session = spark_session(settings["path"])
    if SPARK_CATALOG_VIEW in text:
        register_spark_catalog(session)
    sql, values = spark_statement(text, params)
    try:
        result = session.sql(sql, args=values)
        rows = result.collect()
    except AnalysisException as exc:
        if exc.getCondition() == "TABLE_OR_VIEW_NOT_FOUND":
            raise MissingRelation(str(exc).splitlines()[0]) from exc
        raise
    return result.columns, [tuple(spark_instant(v) for v in row) for row in rows]


def connect(settings: Mapping[str, Any]):
    """A read-only connection, switched to stripe_app when that role exists
    and the login role may take it (PostgreSQL)."""
    if engine(settings) == "duckdb":
        return connect_duckdb(settings)
    try:
        conn = psycopg2.connect(**_libpq(settings))
    except psycopg2.OperationalError as exc:
        raise WarehouseUnavailable(str(exc).strip()) from exc
    conn.set_session(readonly=True, autocommit=False)
    with conn.cursor() as cur:
        cur.execute(
            "select pg_has_role(current_user, oid, 'member') from pg_roles"
            " where rolname = %s and rolname <> current_user",
            (APP_ROLE,),
        )
        row = cur.fetchone()
        if row and row[0]:
            cur.execute(f"set role {APP_ROLE}")
    conn.commit()  # a rolled-back transaction would undo the set role
    return conn


def fetch(
    settings: Mapping[str, Any], sql: str, params: Mapping[str, Any] | None = None
) -> tuple[list[str], list[tuple]]:
    """Run one query; its column names and rows."""
    if engine(settings) == "duckdb":
        return fetch_duckdb(settings, sql, params or {})
    if engine(settings) == "spark":
        return fetch_spark(settings, sql, params or {})
    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            try:
                cur.execute(sql, params or {})
            except psycopg2.errors.InsufficientPrivilege as exc:
                raise NotPermitted(exc.diag.message_primary) from exc
            except psycopg2.errors.UndefinedTable as exc:
                raise MissingRelation(exc.diag.message_primary) from exc
            columns = [column.name for column in cur.description or []]
            return columns, cur.fetchall() if cur.description else []
    finally:
        conn.rollback()
        conn.close()
