"""The PostgreSQL side: dlt credentials from the PG* variables, pipeline dir,
and reads of what raw already holds."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import psycopg2

from extract import settings
from extract.api import Row
from extract.errors import UserError


def pg_settings(environ: Mapping[str, str]) -> dict[str, str | int]:
    """dlt's postgres credentials, built from libpq's variables (one place)."""
    missing = [v for v in ("PGHOST", "PGUSER", "PGDATABASE") if not environ.get(v)]
    if missing:
        raise UserError(
            f"{', '.join(missing)} not set. ENV=dev: run through make (`make "
            "extract` starts the embedded PostgreSQL and fills them in). ENV=prod "
            "uses your own PostgreSQL: set PGHOST, PGPORT, PGUSER, PGPASSWORD "
            "and PGDATABASE."
        )
    return {
        "host": environ["PGHOST"],
        "port": int(environ.get("PGPORT") or 5432),
        "username": environ["PGUSER"],
        "password": environ.get("PGPASSWORD", ""),
        "database": environ["PGDATABASE"],
    }


def pipelines_dir(stack_dir: Path, credentials: Mapping[str, str | int]) -> Path:
    """dlt's working dir, inside the project and keyed by the destination."""
    key = f"{credentials['host']}_{credentials['port']}_{credentials['database']}"
    return stack_dir / "dlt" / re.sub(r"[^A-Za-z0-9_.-]", "_", key)


class StoredRaw:
    """Reads stripe_raw directly (used by full reloads to flag vanished objects)."""

    def __init__(self, credentials: Mapping[str, str | int]) -> None:
        self.credentials = credentials

    def _connect(self):
        c = self.credentials
        try:
            return psycopg2.connect(
                host=c["host"],
                port=c["port"],
                user=c["username"],
                password=c["password"],
                dbname=c["database"],
                connect_timeout=10,
            )
        except psycopg2.OperationalError as exc:
            first = (
                str(exc).strip().splitlines()[0] if str(exc).strip() else "no answer"
            )
            raise UserError(
                f"cannot connect to the warehouse at {c['host']}:{c['port']}/"
                f"{c['database']} ({first}); start it with `make up` or fix "
                "PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE."
            ) from None

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        conn = self._connect()
        try:
            with conn.cursor() as cur:
                yield cur
        finally:
            conn.close()

    def publish(self) -> None:
        """Make what was loaded readable to the models: raw is PostgreSQL's
        tables themselves; each gets an index on `id` and one on its load
        time (once: a first load replaces the table, and later merges keep
        the indexes up to date). An incremental model looks up the few
        objects whose children changed by id, and the objects loaded since
        its last run, like the tests of an incremental build, by load time.
        The load time's index is on the staging views' own expression for
        `loaded_at` (macros/time.sql), so a filter on the view uses it; a
        table that gets it is analyzed, since PostgreSQL keeps the
        statistics of an index's expression only from then on."""
        schema = settings.DATASET_NAME
        with self._cursor() as cur:
            cur.execute(
                "select table_name from information_schema.columns"
                " where table_schema = %s and column_name = 'id'"
                " and table_name not like %s",
                (schema, "\\_dlt\\_%"),
            )
            for (table,) in cur.fetchall():
                cur.execute(
                    f'create index if not exists "{table}__id"'
                    f' on {schema}."{table}" (id)'
                )
                cur.execute(
                    "select to_regclass(%s) is null",
                    (f'{schema}."{table}__loaded_at"',),
                )
                if cur.fetchone()[0]:
                    cur.execute(
                        f'create index "{table}__loaded_at"'
                        f' on {schema}."{table}"'
                        " ((to_timestamp((_dlt_load_id)::double precision)))"
                    )
                    cur.execute(f'analyze {schema}."{table}"')
            cur.connection.commit()

    def erase(self, reasons: Mapping[str, str]) -> dict[str, int]:
        """Erase customers' personal data from raw (customer id -> why), one
        transaction each; the rows changed per table, summed."""
        total: dict[str, int] = {}
        with self._erasing() as erase_one:
            for customer_id, reason in reasons.items():
                for table, rows in erase_one(customer_id, reason).items():
                    total[table] = total.get(table, 0) + rows
        return total

    @contextmanager
    def _erasing(self) -> Iterator[Callable[[str, str], dict[str, int]]]:
        """What erases one customer, in a transaction of its own."""
        from extract.erasure import erase_customer

        conn = self._connect()

        def erase_one(customer_id: str, reason: str) -> dict[str, int]:
            with conn, conn.cursor() as cur:
                return erase_customer(cur, customer_id, reason)

        try:
            yield erase_one
        finally:
            conn.close()

    def undo_rows(
        self, dlt_ids: Mapping[str, list[str]], load_ids: Mapping[str, str]
    ) -> int:
        """Delete, in one transaction, from raw and from dlt's staging copy
        of it (where a merge load copies first): per table, the rows with
        these `_dlt_id`s, and the rows of that load id. The rows deleted."""
        deleted = 0
        conn = self._connect()
        try:
            with conn, conn.cursor() as cur:
                for schema, table in sorted(self._schema_tables(cur)):
                    where = []
                    params: list = []
                    if table in dlt_ids:
                        where.append("_dlt_id = any(%s)")
                        params.append(dlt_ids[table])
                    if table in load_ids:
                        where.append("_dlt_load_id = %s")
                        params.append(load_ids[table])
                    if not where:
                        continue
                    cur.execute(
                        f'delete from "{schema}"."{table}" where {" or ".join(where)}',
                        params,
                    )
                    deleted += cur.rowcount
        finally:
            conn.close()
        return deleted

    @staticmethod
    def _schema_tables(cur: Any) -> list[tuple[str, str]]:
        schemas = (settings.DATASET_NAME, f"{settings.DATASET_NAME}_staging")
        cur.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema = any(%s)",
            (list(schemas),),
        )
        return cur.fetchall()

    def customers_to_erase(self) -> dict[str, str]:
        """Customer id -> why it is to be erased now: raw holds it deleted
        and the erasure log does not name it, or a load since its last
        erasure brought personal data of it back (a forgotten customer that
        Stripe still has, changed or charged again)."""
        from extract.erasure import LOG_TABLE, OWNER_COLUMNS

        raw = settings.DATASET_NAME
        with self._cursor() as cur:
            tables = self._tables(cur)
            if "customers" not in tables:
                return {}
            if LOG_TABLE not in tables:
                cur.execute(f"select id from {raw}.customers where is_deleted")
                return {row[0]: "customer.deleted" for row in cur.fetchall()}
            erased = (
                f"select customer_id, max(load_id::numeric) as load_id"
                f" from {raw}.{LOG_TABLE} group by customer_id"
            )
            returned = " or ".join(
                f"exists (select 1 from {raw}.{table} as owned where"
                f" {owner} = erased.customer_id"
                " and owned._dlt_load_id::numeric > erased.load_id)"
                for table, owner in OWNER_COLUMNS.items()
                if table in tables
            )
            cur.execute(
                f"select id, 'customer.deleted' from {raw}.customers where is_deleted"
                f" and id not in (select customer_id from {raw}.{LOG_TABLE})"
                f" union all select customer_id, 'loaded again after its erasure'"
                f" from ({erased}) as erased where {returned}"
            )
            return dict(cur.fetchall())

    @staticmethod
    def _tables(cur: Any) -> set[str]:
        cur.execute(
            "select table_name from information_schema.tables where table_schema = %s",
            (settings.DATASET_NAME,),
        )
        return {row[0] for row in cur.fetchall()}

    def filled_tables(self) -> set[str]:
        """The raw tables that hold at least one row."""
        filled = set()
        with self._cursor() as cur:
            for table in self._tables(cur):
                cur.execute(
                    f'select exists (select 1 from {settings.DATASET_NAME}."{table}")'
                )
                if cur.fetchone()[0]:
                    filled.add(table)
        return filled

    def has_pipeline_state(self) -> bool:
        """Whether the warehouse holds a state row of the `stripe` pipeline."""
        found = self._query(
            'select 1 from {schema}."{table}" where pipeline_name = %s limit 1',
            ("_dlt_pipeline_state", settings.PIPELINE_NAME),
        )
        return bool(found)

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows of `sql` over table params[0], or none if it does not exist yet."""
        with self._cursor() as cur:
            if params[0] not in self._tables(cur):
                return []
            cur.execute(
                sql.format(schema=settings.DATASET_NAME, table=params[0]), params[1:]
            )
            return cur.fetchall()

    def live_ids(self, table: str) -> set[str]:
        rows = self._query(
            'select id from {schema}."{table}" where not is_deleted', (table,)
        )
        return {row[0] for row in rows}

    def rows(self, table: str, ids: Iterable[str]) -> list[Row]:
        """Stored rows by id, flagged deleted."""
        return self._flagged(table, "id", ids)

    def children(self, table: str, parent_ids: Iterable[str]) -> list[Row]:
        """Stored live rows of a child table by parent, flagged deleted."""
        return self._flagged(table, "parent_id", parent_ids)

    def known(self, table: str, ids: Iterable[str]) -> set[str]:
        """Which of these ids raw holds (deleted or not)."""
        found = self._query(
            'select id from {schema}."{table}" where id = any(%s)', (table, list(ids))
        )
        return {row[0] for row in found}

    def _flagged(self, table: str, key: str, values: Iterable[str]) -> list[Row]:
        parent = "parent_id" if table in settings.CHILD_TABLES else "null"
        found = self._query(
            f"select data::text, {parent} "
            f'from {{schema}}."{{table}}" where {key} = any(%s) and not is_deleted',
            (table, list(values)),
        )
        return [(orjson.loads(data), parent_id, True) for data, parent_id in found]


class QmarkCursor:
    """A DuckDB connection that runs the PostgreSQL statements of this
    module and of the erasure: psycopg2's parameters (`%s`, `%(name)s`),
    `jsonb` as DuckDB's `json`, and `numeric` (a load id) with the six
    decimals of a load id, not DuckDB's default three."""

    NAMED = re.compile(r"%\((\w+)\)s")
    TYPES = (
        (re.compile(r"\bjsonb\b"), "json"),
        (re.compile(r"::numeric\b"), "::decimal(38, 6)"),
    )

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def execute(self, sql: str, params: tuple | list | Mapping = ()) -> None:
        for pattern, replacement in self.TYPES:
            sql = pattern.sub(replacement, sql)
        if isinstance(params, Mapping):
            used = set(self.NAMED.findall(sql))
            sql = self.NAMED.sub(lambda match: "$" + match.group(1), sql)
            self.connection.execute(sql, {k: v for k, v in params.items() if k in used})
            return
        self.connection.execute(sql.replace("%s", "?"), list(params))

    def fetchall(self) -> list[tuple]:
        return self.connection.fetchall()

    def fetchone(self) -> tuple | None:
        return self.connection.fetchone()


class DuckDBStoredRaw(StoredRaw):
    """StoredRaw over the DuckDB file of WAREHOUSE=duckdb (same queries)."""

    def __init__(self, path: Path) -> None:
        super().__init__({"host": "duckdb", "port": 0, "database": str(path)})
        self.path = path

    def publish(self) -> None:
        """Nothing: raw is DuckDB's tables themselves, scanned whole (an
        index would only slow its loads)."""

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        import duckdb

        if not self.path.exists():
            connection = duckdb.connect(":memory:")
        else:
            connection = duckdb.connect(str(self.path))
        try:
            yield QmarkCursor(connection)
        finally:
            connection.close()

    @contextmanager
    def _erasing(self) -> Iterator[Callable[[str, str], dict[str, int]]]:
        """StoredRaw's, in the DuckDB file."""
        from extract.erasure import erase_customer

        with self._cursor() as cur:

            def erase_one(customer_id: str, reason: str) -> dict[str, int]:
                cur.connection.begin()
                try:
                    changed = erase_customer(cur, customer_id, reason)
                except BaseException:
                    cur.connection.rollback()
                    raise
                cur.connection.commit()
                return changed

            yield erase_one
