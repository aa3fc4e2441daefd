"""The Spark side (WAREHOUSE=spark): a local Spark session with the same
settings dbt's has, raw's Parquet files registered as Spark tables, and
reads of what raw already holds.

dlt's `filesystem` destination writes raw as Parquet files, one folder per
table under SPARK_DIR/raw/stripe_raw/. Without Delta Lake or Iceberg it
cannot merge: a merge load is appended (dlt falls back to append), so a
table's folder may hold several versions of an object. Spark reads each
folder as an external table in schema `stripe_raw_files`, and
`stripe_raw.<table>` is a view of it with each id's row of the latest load,
the rows a merge would have left: the models read that view like
PostgreSQL's merged table.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from extract import settings
from extract.api import Row
from extract.errors import UserError
from extract.warehouse import StoredRaw

# The schema of the Parquet folders as they are; stripe_raw holds the views.
FILES_SCHEMA = f"{settings.DATASET_NAME}_files"
# dlt's own tables and the erasure log: no `id`, shown as they are.
UNKEYED_PREFIXES = ("_dlt_", "_erasure_log")


def session_settings(spark_dir: Path) -> dict[str, str]:
    """The Spark settings of the `spark` target in profiles/profiles.yml:
    the extraction's session must see the same warehouse dir and metastore
    as dbt's (tests/python/test_engines.py checks that the two agree)."""
    return {
        "spark.master": "local[2]",
        "spark.driver.memory": "2g",
        "spark.ui.enabled": "false",
        "spark.log.level": "ERROR",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.warehouse.dir": f"{spark_dir}/warehouse",
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={spark_dir}/metastore_db;create=true"
        ),
        "spark.driver.extraJavaOptions": (
            f"-Duser.timezone=UTC -Dderby.system.home={spark_dir}"
        ),
        # See profiles.yml: Hive's retries of a metastore write, 20 ms apart.
        "spark.hadoop.hive.hmshandler.retry.interval": "20ms",
        # dbt-spark turns ANSI mode off in its session; so does this one.
        "spark.sql.ansi.enabled": "false",
    }


def spark_session(spark_dir: Path) -> Any:
    """A local Spark session on SPARK_DIR's warehouse and metastore. The
    Derby metastore takes one process at a time: no dbt run may be running
    on the same SPARK_DIR."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UserError(
            "pyspark is not installed: run through make with WAREHOUSE=spark "
            "(it installs the spark extra), or `uv sync --extra spark`."
        ) from None
    spark_dir.mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder.appName("stripe-extract").enableHiveSupport()
    for key, value in session_settings(spark_dir).items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as error:  # the JVM's own error, shortened
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise UserError(
            f"cannot start Spark ({first or type(error).__name__}); it needs "
            "Java 17 (`apt-get install -y openjdk-17-jre-headless`) and no "
            f"other Spark process holding the metastore in {spark_dir}."
        ) from None


def dataset_dir(spark_dir: Path) -> Path:
    """Where dlt's filesystem destination writes raw: one folder a table."""
    return spark_dir / "raw" / settings.DATASET_NAME


def parquet_tables(directory: Path) -> dict[str, list[Path]]:
    """The tables of a dataset folder that hold Parquet files, with them."""
    tables = {}
    for folder in sorted(directory.glob("*/")) if directory.is_dir() else []:
        files = sorted(folder.glob("*.parquet"))
        if files:
            tables[folder.name] = files
    return tables


def register_raw(session: Any, directory: Path) -> list[str]:
    """Every Parquet table of raw as `stripe_raw_files.<table>` (the files)
    and `stripe_raw.<table>` (each id's latest row); the tables named."""
    raw = settings.DATASET_NAME
    session.sql(f"create schema if not exists {FILES_SCHEMA}")
    session.sql(f"create schema if not exists {raw}")
    tables = parquet_tables(directory)
    for table, files in tables.items():
        files_table = f"{FILES_SCHEMA}.`{table}`"
        session.sql(f"drop table if exists {files_table}")
        session.sql(
            f"create table {files_table} using parquet"
            f" location '{files[0].parent.resolve().as_uri()}'"
        )
        columns = ", ".join(f"`{name}`" for name in session.table(files_table).columns)
        if table.startswith(UNKEYED_PREFIXES):
            select = f"select {columns} from {files_table}"
        else:
            select = (
                f"select {columns} from (select {columns}, row_number() over"
                " (partition by id order by _dlt_load_id desc, _dlt_id desc)"
                f" as load_rank from {files_table}) as versions"
                " where load_rank = 1"
            )
        session.sql(f"create or replace view {raw}.`{table}` as {select}")
    return list(tables)


def _document(row: Mapping[str, Any]) -> dict:
    data = row.get("data")
    if isinstance(data, dict):
        return data
    return orjson.loads(data) if data else {}


def _path(document: Mapping, *keys: str) -> Any:
    for key in keys:
        document = document.get(key) if isinstance(document, dict) else None
    return document


class SparkStoredRaw(StoredRaw):
    """StoredRaw over raw's Parquet files (WAREHOUSE=spark), read with
    pyarrow, no Spark needed: per table, each id's row of the latest load,
    as the stripe_raw views show it. Erasure rewrites the files that hold
    a customer's rows, so no older version keeps the personal data."""

    def __init__(self, spark_dir: Path) -> None:
        super().__init__({"host": "spark", "port": 0, "database": str(spark_dir)})
        self.spark_dir = spark_dir
        self.directory = dataset_dir(spark_dir)

    def _files(self, table: str) -> list[Path]:
        return parquet_tables(self.directory).get(table, [])

    def _current(self, table: str) -> list[dict]:
        """Each id's row of the latest load (ties: the larger `_dlt_id`)."""
        latest: dict[str, dict] = {}
        for path in self._files(table):
            for row in pq.read_table(path).to_pylist():
                kept = latest.get(row["id"])
                rank = (row["_dlt_load_id"], row["_dlt_id"])
                if kept is None or rank > (kept["_dlt_load_id"], kept["_dlt_id"]):
                    latest[row["id"]] = row
        return list(latest.values())

    def filled_tables(self) -> set[str]:
        return {
            table
            for table, files in parquet_tables(self.directory).items()
            if not table.startswith(UNKEYED_PREFIXES)
            and any(pq.read_metadata(path).num_rows for path in files)
        }

    def has_pipeline_state(self) -> bool:
        state = self.directory / "_dlt_pipeline_state"
        return any(state.glob(f"{settings.PIPELINE_NAME}__*"))

    def live_ids(self, table: str) -> set[str]:
        return {row["id"] for row in self._current(table) if not row["is_deleted"]}

    def known(self, table: str, ids: Iterable[str]) -> set[str]:
        wanted = set(ids)
        return {row["id"] for row in self._current(table) if row["id"] in wanted}

    def _flagged(self, table: str, key: str, values: Iterable[str]) -> list[Row]:
        wanted = set(values)
        child = table in settings.CHILD_TABLES
        return [
            (_document(row), row.get("parent_id") if child else None, True)
            for row in self._current(table)
            if row.get(key) in wanted and not row["is_deleted"]
        ]

    def _erasure_log(self) -> list[dict]:
        from extract.erasure import LOG_TABLE

        return [
            row
            for path in self._files(LOG_TABLE)
            for row in pq.read_table(path).to_pylist()
        ]

    def customers_to_erase(self) -> dict[str, str]:
        """As StoredRaw's: deleted and not yet erased, or loaded again
        after the customer's last erasure."""
        customers = self._current("customers")
        log = self._erasure_log()
        logged = {row["customer_id"] for row in log}
        reasons = {
            row["id"]: "customer.deleted"
            for row in customers
            if row["is_deleted"] and row["id"] not in logged
        }
        erased: dict[str, float] = {}
        for row in log:
            load = float(row["load_id"])
            erased[row["customer_id"]] = max(load, erased.get(row["customer_id"], 0))
        if not erased:
            return reasons
        for table, owner in _OWNERS.items():
            for row in self._current(table):
                customer = owner(row)
                if customer in erased and float(row["_dlt_load_id"]) > erased[customer]:
                    reasons[customer] = "loaded again after its erasure"
        return reasons

    @contextmanager
    def _erasing(self) -> Iterator[Callable[[str, str], dict[str, int]]]:
        """StoredRaw's, in raw's files: every version of a customer's rows
        is erased in place, and the latest one written again with a new
        load id, so the next build carries the erasure through."""
        yield self._erase_customer

    def _erase_customer(self, customer_id: str, reason: str) -> dict[str, int]:
        from extract.erasure import LOG_TABLE, erase_event, erase_object

        load_id = f"{time.time():.6f}"
        charges = [
            row
            for row in self._current("charges")
            if _document(row).get("customer") == customer_id
        ]
        charge_ids = {row["id"] for row in charges}
        methods = {_document(row).get("payment_method") for row in charges}
        methods |= {
            _document(row).get("payment_method")
            for row in self._current("payment_intents")
            if _document(row).get("customer") == customer_id
        }
        methods.discard(None)
        owned: dict[str, Callable[[dict], bool]] = {
            "customers": lambda row: row["id"] == customer_id,
            "charges": lambda row: row["id"] in charge_ids,
            "payment_methods": lambda row: (
                row.get("parent_id") == customer_id
                or _document(row).get("customer") == customer_id
                or row["id"] in methods
            ),
            "invoices": lambda row: _document(row).get("customer") == customer_id,
            "payment_intents": lambda row: (
                _document(row).get("customer") == customer_id
            ),
            "disputes": lambda row: _document(row).get("charge") in charge_ids,
        }
        changed: dict[str, int] = {}
        object_ids = {customer_id}
        for table, is_owned in owned.items():
            if not self._files(table):
                continue
            ids = {row["id"] for row in self._current(table) if is_owned(row)}
            object_ids |= ids
            changed[table] = self._rewrite(table, ids, erase_object, load_id)
        if self._files("events"):
            ids = {
                row["id"]
                for row in self._current("events")
                if _path(_document(row), "data", "object", "id") in object_ids
                or _path(_document(row), "data", "object", "customer") == customer_id
            }
            changed["events"] = self._rewrite("events", ids, erase_event, load_id)
        self._append(
            LOG_TABLE,
            load_id,
            pa.table(
                {
                    "customer_id": [customer_id],
                    "erased_at": pa.array(
                        [datetime.now(UTC)], pa.timestamp("us", tz="UTC")
                    ),
                    "reason": [reason],
                    "rows_erased": [json.dumps(changed)],
                    "load_id": [load_id],
                }
            ),
        )
        return changed

    def _rewrite(
        self, table: str, ids: set[str], erase: Callable[[dict], dict], load_id: str
    ) -> int:
        """Erase the rows with these ids in every file of the table; write
        each id's latest version again with `load_id`."""
        if not ids:
            return 0
        latest = {row["id"]: row for row in self._current(table) if row["id"] in ids}
        for path in self._files(table):
            stored = pq.read_table(path)
            rows = stored.to_pylist()
            if not any(row["id"] in ids for row in rows):
                continue
            for row in rows:
                if row["id"] in ids:
                    row["data"] = _text(erase(_document(row)))
            pq.write_table(pa.Table.from_pylist(rows, schema=stored.schema), path)
        again = []
        for row in latest.values():
            row = dict(row, data=_text(erase(_document(row))), _dlt_load_id=load_id)
            again.append(row)
        schema = pq.read_schema(self._files(table)[0])
        self._append(table, load_id, pa.Table.from_pylist(again, schema=schema))
        return len(latest)

    def _append(self, table: str, load_id: str, rows: pa.Table) -> None:
        folder = self.directory / table
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(rows, folder / f"{load_id}.erasure.parquet")

    def publish(self) -> None:
        """Register raw's files as the Spark tables the models read."""
        session = spark_session(self.spark_dir)
        try:
            register_raw(session, self.directory)
        finally:
            session.stop()


class SparkCursor:
    """A Spark session with the DB-API calls the checks make (execute with
    %s parameters, fetchone, fetchall), and the catalog's answers where
    PostgreSQL's information_schema would be asked."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.rows: list[tuple] = []

    def execute(self, sql: str, params: tuple | list = ()) -> None:
        if params:
            sql = sql % tuple(_literal(value) for value in params)
        self.rows = [tuple(row) for row in self.session.sql(sql).collect()]

    def fetchall(self) -> list[tuple]:
        rows, self.rows = self.rows, []
        return rows

    def fetchone(self) -> tuple | None:
        return self.rows.pop(0) if self.rows else None

    def relation_exists(self, schema: str, table: str) -> bool:
        return self.session.catalog.tableExists(f"{schema}.{table}")

    def has_column(self, schema: str, table: str, column: str) -> bool:
        return column in self.session.table(f"{schema}.{table}").columns


def _literal(value: Any) -> str:
    """A parameter as a Spark SQL literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _text(document: dict) -> str:
    return orjson.dumps(document).decode()


def _event_owner(row: dict) -> str | None:
    document = _document(row)
    return _path(document, "data", "object", "customer") or _path(
        document, "data", "object", "id"
    )


# Raw table -> the customer a row belongs to (erasure.OWNER_COLUMNS).
_OWNERS: dict[str, Callable[[dict], str | None]] = {
    "customers": lambda row: row["id"],
    "charges": lambda row: _document(row).get("customer"),
    "payment_methods": lambda row: _document(row).get("customer"),
    "invoices": lambda row: _document(row).get("customer"),
    "payment_intents": lambda row: _document(row).get("customer"),
    "events": _event_owner,
}
