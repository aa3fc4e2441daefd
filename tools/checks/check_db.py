"""Reconcile the source, the raw layer and the OLTP layer (`make check-db`).

    python -m tools.checks.check_db

Per resource it counts the objects the source holds (SOURCE=json: the ids in
the snapshot files; SOURCE=api: the API's own lists), the raw rows (live and
deleted) and the OLTP rows (real and placeholder), and compares the sums of
the money columns between raw (`data->>'amount'`, ...) and OLTP (`_cents`).
It prints a table and exits 1 on any difference it cannot explain.

Explained, and so not a failure: deleted objects (kept in raw and OLTP,
flagged, no longer listed by the API), placeholder parents in OLTP (rows
for objects that children reference but the source does not list), and
resources the Stripe in use lacks (localstripe has no prices, disputes or
credit notes): their raw table is empty.

The ledger is reconciled per settlement currency too: the sums of amount,
fee and net of the balance transactions in raw and OLTP (minor units), and
the OLTP's against the totals of `marts.metrics_balance_daily` (all classes'
amounts, fees with payout fees, the last day's balance; major units) when
that model is built; absent, it is skipped with a note.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg2

from extract import config
from extract.api import PAYMENT_METHOD_REFERRERS, payment_methods_named
from extract.errors import UserError, run_main
from extract.settings import RESOURCES, STRIPE_API_VERSION, Resource
from tools.checks.check_documents import check_documents, relation_exists

RAW_SCHEMA = os.environ.get("RAW_SCHEMA", "stripe_raw")
OLTP_SCHEMA = "oltp"


@dataclass
class Reconciliation:
    """One resource's counts in the source, raw and OLTP, and what disagrees."""

    resource: str
    source: int | None = None  # None: the source lacks the resource
    raw_live: int = 0
    raw_deleted: int = 0
    oltp_real: int | None = None
    oltp_placeholders: int | None = None
    money: str = ""
    last_load_at: str | None = None  # the latest dlt load that wrote raw rows
    problems: list[str] = field(default_factory=list)


# --- the source --------------------------------------------------------------


def snapshot_ids(directory: Path, resource: str) -> tuple[int, int] | None:
    """(live, deleted) ids in a snapshot file; None when the file is absent."""
    for name in (f"{resource}.jsonl", f"{resource}.jsonl.gz", f"{resource}.json"):
        path = directory / name
        if not path.exists():
            continue
        # Read on its own (not through extract's reader, which it checks),
        # a line at a time, keeping ids only: memory grows with the ids of
        # one file, not with its objects.
        opener = gzip.open if name.endswith(".gz") else open
        live: set[str] = set()
        deleted: set[str] = set()
        with opener(path, "rt", encoding="utf-8") as handle:
            if name.endswith(".json"):
                objects = json.load(handle)["data"]
            else:
                objects = (json.loads(line) for line in handle if line.strip())
            for obj in objects:
                (deleted if obj.get("deleted") else live).add(obj["id"])
        return len(live), len(deleted - live)
    return None


class StripeCounter:
    """Counts a Stripe list endpoint's objects, page by page (small and slow:
    check-db is a reconciliation, not an extraction)."""

    def __init__(self, base: str, key: str, version: str) -> None:
        self.base, self.key, self.version = base.rstrip("/"), key, version

    def _get(self, path: str) -> dict | None:
        """One answer of the API; None when it answers 404."""
        request = urllib.request.Request(
            f"{self.base}{path}",
            headers={
                "Authorization": f"Bearer {self.key}",
                "Stripe-Version": self.version,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise UserError(
                f"the Stripe API answered {error.code} for {path}; check "
                "STRIPE_API_KEY and STRIPE_API_BASE."
            ) from None
        except urllib.error.URLError as error:
            raise UserError(
                f"cannot reach the Stripe API at {self.base} "
                f"({error.reason}); start it (`make up`) or set STRIPE_API_BASE."
            ) from None

    def objects(self, path: str, after: str | None = None) -> list[dict] | None:
        """Every object the list returns (after `after`); None when the
        endpoint does not exist."""
        objects: list[dict] = []
        while True:
            params = {"limit": "100"} | ({"starting_after": after} if after else {})
            sep = "&" if "?" in path else "?"
            page = self._get(f"{path}{sep}{urllib.parse.urlencode(params)}")
            if page is None:
                return None
            objects += page["data"]
            if not page.get("has_more") or not page["data"]:
                return objects
            after = page["data"][-1]["id"]

    def retrieve(self, path: str) -> dict | None:
        """One object by its path; None when Stripe answers 404 or it is
        deleted."""
        found = self._get(path)
        return None if found is None or found.get("deleted") else found

    def children(self, resource: Resource, parent: dict) -> list[dict]:
        """A parent's children: its embedded first page completed from the
        list endpoint, or the list endpoint (or its fallback) alone."""
        path = _url(*resource.listing(parent["id"]))
        if resource.embedded:
            embedded = parent.get(resource.embedded) or {}
            found = list(embedded.get("data") or [])
            if embedded.get("has_more") and found:
                found += self.objects(path, after=found[-1]["id"]) or []
            return found
        found = self.objects(path)
        if found is None and resource.fallback_path:
            found = self.objects(_url(*resource.listing(parent["id"], fallback=True)))
        return found or []


def _url(path: str, params: dict[str, str]) -> str:
    """A list endpoint's path with its query string."""
    return f"{path}?{urllib.parse.urlencode(params)}" if params else path


def api_counts() -> dict[str, tuple[int, int] | None]:
    """(objects, 0) per resource as the API lists them; None: no such list."""
    counter = StripeCounter(
        os.environ["STRIPE_API_BASE"], os.environ["STRIPE_API_KEY"], STRIPE_API_VERSION
    )
    listed: dict[str, list[dict] | None] = {}
    for resource in RESOURCES:
        if resource.parent is None:
            listed[resource.name] = counter.objects(_url(*resource.listing()))
    for resource in RESOURCES:
        if resource.parent is not None:
            listed[resource.name] = [
                child
                for parent in listed[resource.parent] or []
                if not parent.get("deleted")
                for child in counter.children(resource, parent)
            ]
    listed["payment_methods"] = (listed.get("payment_methods") or []) + [
        method
        for method_id in sorted(
            named_payment_methods(listed)
            - {obj["id"] for obj in listed.get("payment_methods") or []}
        )
        if (method := counter.retrieve(f"/v1/payment_methods/{method_id}"))
        and method.get("customer") is None
    ]
    return {
        name: None if objects is None else (len({obj["id"] for obj in objects}), 0)
        for name, objects in listed.items()
    }


def named_payment_methods(listed: dict[str, list[dict] | None]) -> set[str]:
    """Payment methods that charges, payment intents, subscriptions, invoices
    and customers name: those detached from their customer (customer null)
    are in no customer's list, and the extraction retrieves them by id, so
    the source holds them too."""
    return payment_methods_named(
        obj for name in PAYMENT_METHOD_REFERRERS for obj in listed.get(name) or []
    )


def source_counts() -> tuple[str, dict[str, tuple[int, int] | None]]:
    source = os.environ.get("SOURCE", "api").strip().lower()
    if source == "json":
        directory = Path(os.environ.get("JSON_DIR", "data/snapshot"))
        if not (directory / "manifest.json").exists():
            raise UserError(
                f"{directory} holds no snapshot (no manifest.json); set "
                "JSON_DIR to the directory `make fetch` wrote."
            )
        return f"json:{directory}", {
            r.name: snapshot_ids(directory, r.name) for r in RESOURCES
        }
    if source == "api":
        return f"api:{os.environ.get('STRIPE_API_BASE')}", api_counts()
    raise UserError(f"SOURCE={source!r} is not known; use api or json.")


# --- the warehouse -----------------------------------------------------------


def scalar(cur, sql: str) -> int:
    cur.execute(sql)
    return int(cur.fetchone()[0] or 0)


def load_time(load_id: str | None) -> str | None:
    """A dlt load id (epoch seconds as text) as an ISO UTC time."""
    if load_id is None:
        return None
    moment = datetime.fromtimestamp(float(load_id), UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Dialect:
    """What these checks write differently per engine: a field of raw's
    `data` as a number, the last value of a group, and the catalog reads.
    PostgreSQL's serves DuckDB too, which reads PostgreSQL's syntax."""

    json_text: Callable[[str], str]
    json_number: Callable[[str], str]
    last_value: Callable[[str, str], str]
    relation_exists: Callable[[Any, str, str], bool]
    has_column: Callable[[Any, str, str, str], bool]


def _has_column(cur, schema: str, table: str, column: str) -> bool:
    return bool(
        scalar(
            cur,
            "select count(*) from information_schema.columns where table_schema"
            f" = '{schema}' and table_name = '{table}' and column_name = '{column}'",
        )
    )


POSTGRES = Dialect(
    json_text=lambda field: f"data->>'{field}'",
    json_number=lambda field: f"(data->>'{field}')::numeric",
    last_value=lambda value, order: f"(array_agg({value} order by {order} desc))[1]",
    relation_exists=relation_exists,
    has_column=_has_column,
)
SPARK = Dialect(
    json_text=lambda field: f"get_json_object(data, '$.{field}')",
    json_number=lambda field: (
        f"cast(get_json_object(data, '$.{field}') as decimal(38, 0))"
    ),
    last_value=lambda value, order: f"max_by({value}, {order})",
    relation_exists=lambda cur, schema, table: cur.relation_exists(schema, table),
    has_column=lambda cur, schema, table, column: cur.has_column(schema, table, column),
)


def raw_money_sql(
    resource: Resource, raw_field: str, dialect: Dialect = POSTGRES
) -> str:
    """The raw sum of a money field; a plan's `amount` is its price's
    `unit_amount`, counted only when the prices list lacks that id."""
    raw = f"{RAW_SCHEMA}.{resource.name}"
    number = dialect.json_number
    sql = f"select coalesce(sum({number(raw_field)}), 0) from {raw}"
    if "plans" in resource.raw_tables:
        sql += (
            f" union all select coalesce(sum({number('amount')}), 0)"
            f" from {RAW_SCHEMA}.plans as plans where not exists (select 1 from"
            f" {raw} as listed where listed.id = plans.id)"
        )
    return f"select sum(amount) from ({sql}) as raw_amounts (amount)"


def check(
    cur,
    resource: Resource,
    source: tuple[int, int] | None,
    dialect: Dialect = POSTGRES,
) -> Reconciliation:
    row = Reconciliation(resource.name)
    if not dialect.relation_exists(cur, RAW_SCHEMA, resource.name):
        row.problems.append(
            f"raw table {RAW_SCHEMA}.{resource.name} is missing: run `make extract`"
        )
        return row
    raw = f"{RAW_SCHEMA}.{resource.name}"
    row.raw_live = scalar(cur, f"select count(*) from {raw} where not is_deleted")
    row.raw_deleted = scalar(cur, f"select count(*) from {raw} where is_deleted")
    # dlt's load id is the load's start in epoch seconds (same-length text)
    cur.execute(f"select max(_dlt_load_id) from {raw}")
    row.last_load_at = load_time(cur.fetchone()[0])

    if source is None:
        row.source = None
        if row.raw_live + row.raw_deleted:
            row.problems.append("source lacks the resource but raw has rows")
    else:
        row.source = source[0]
        # Stripe keeps events 30 days; raw may hold older ones.
        fewer_is_fine = resource.name == "events" and source[0] < row.raw_live
        if source[0] != row.raw_live and not fewer_is_fine:
            row.problems.append(
                f"source lists {source[0]} objects, raw holds {row.raw_live} live"
            )

    if resource.oltp is None:
        return row
    if not dialect.relation_exists(cur, OLTP_SCHEMA, resource.oltp):
        row.problems.append(
            f"{OLTP_SCHEMA}.{resource.oltp} is missing: run `make build`"
        )
        return row
    oltp = f"{OLTP_SCHEMA}.{resource.oltp}"
    has_placeholders = dialect.has_column(
        cur, OLTP_SCHEMA, resource.oltp, "is_missing_from_source"
    )
    real = "not is_missing_from_source" if has_placeholders else "true"
    row.oltp_real = scalar(cur, f"select count(*) from {oltp} where {real}")
    row.oltp_placeholders = scalar(
        cur, f"select count(*) from {oltp} where not ({real})"
    )
    raw_tables = resource.oltp_raw_tables
    expected = scalar(
        cur,
        "select count(distinct id) from ("
        + " union all ".join(f"select id from {RAW_SCHEMA}.{t}" for t in raw_tables)
        + ") as raw_ids",
    )
    if row.oltp_real != expected:
        row.problems.append(f"raw holds {expected} objects, OLTP {row.oltp_real}")
    # Objects whose ids are in raw but not OLTP, named, so the fix is findable.
    if row.oltp_real < expected:
        cur.execute(
            f"select id from {RAW_SCHEMA}.{raw_tables[0]} except "
            f"select {resource.key} from {oltp} order by 1 limit 3"
        )
        missing = [r[0] for r in cur.fetchall()]
        if missing:
            row.problems.append(f"not in OLTP: {', '.join(missing)}")

    sums = []
    for raw_field, column in resource.money:
        raw_sum = scalar(cur, raw_money_sql(resource, raw_field, dialect))
        oltp_sum = scalar(cur, f"select sum({column}) from {oltp} where {real}")
        sums.append(f"{column}={oltp_sum}")
        if raw_sum != oltp_sum:
            row.problems.append(f"sum of {raw_field}: raw {raw_sum}, OLTP {oltp_sum}")
    row.money = " ".join(sums)
    return row


# --- the ledger, per settlement currency ------------------------------------

MARTS_SCHEMA = "marts"
LEDGER_MART = "metrics_balance_daily"


def show(sums: tuple | None) -> str:
    return "none" if sums is None else "(" + ", ".join(str(x) for x in sums) + ")"


def per_currency(cur, sql: str) -> dict[str, tuple]:
    cur.execute(sql)
    return {row[0]: tuple(row[1:]) for row in cur.fetchall()}


def check_ledger(cur, dialect: Dialect = POSTGRES) -> tuple[list[str], list[str]]:
    """Sums of amount, fee and net of the balance transactions per settlement
    currency: raw = OLTP (minor units), and OLTP = the totals of
    marts.metrics_balance_daily (major units) when that model is built.
    Returns (report lines, problems)."""
    raw = f"{RAW_SCHEMA}.balance_transactions"
    oltp = f"{OLTP_SCHEMA}.balance_transactions"
    if not dialect.relation_exists(cur, RAW_SCHEMA, "balance_transactions"):
        return [], []  # reported per resource already
    raw_sums = per_currency(
        cur,
        f"select {dialect.json_text('currency')}, sum({dialect.json_number('amount')}),"
        f" sum({dialect.json_number('fee')}), sum({dialect.json_number('net')})"
        f" from {raw} group by 1 order by 1",
    )
    lines = ["ledger per settlement currency (amount, fee, net):"]
    problems: list[str] = []
    if not dialect.relation_exists(cur, OLTP_SCHEMA, "balance_transactions"):
        return lines + ["  (no OLTP balance_transactions: run `make build`)"], []
    real = "not is_missing_from_source"
    cents = per_currency(
        cur,
        "select currency, sum(amount_cents), sum(fee_cents), sum(net_cents)"
        f" from {oltp} where {real} group by 1 order by 1",
    )
    for currency in sorted(set(raw_sums) | set(cents)):
        raw_row = tuple(int(x or 0) for x in raw_sums.get(currency, (0, 0, 0)))
        oltp_row = tuple(int(x or 0) for x in cents.get(currency, (0, 0, 0)))
        lines.append(
            f"  {currency}: raw {show(raw_row)}, OLTP {show(oltp_row)} (minor units)"
        )
        if raw_row != oltp_row:
            problems.append(f"{currency}: raw {show(raw_row)} != OLTP {show(oltp_row)}")
    if not dialect.relation_exists(cur, MARTS_SCHEMA, LEDGER_MART):
        lines.append(
            f"  {MARTS_SCHEMA}.{LEDGER_MART} is absent: its totals are not checked"
        )
        return lines, problems
    major = per_currency(
        cur,
        "select currency, round(sum(amount), 6), round(sum(fee), 6),"
        f" round(sum(net), 6) from {oltp} where {real} group by 1 order by 1",
    )
    mart = per_currency(
        cur,
        "select currency, round(sum(sales_amount + refunds_amount"
        " + disputes_amount + other_amount + payouts_amount), 6),"
        " round(sum(fee_amount + payout_fee_amount), 6),"
        f" round({dialect.last_value('balance_amount', 'date_day')}, 6)"
        f" from {MARTS_SCHEMA}.{LEDGER_MART} group by 1 order by 1",
    )
    for currency in sorted(set(major) | set(mart)):
        oltp_row = major.get(currency)
        mart_row = mart.get(currency)
        lines.append(
            f"  {currency}: OLTP {show(oltp_row)}, {LEDGER_MART} (amount, fee, "
            f"last balance) {show(mart_row)} (major units)"
        )
        if oltp_row != mart_row:
            problems.append(
                f"{currency}: OLTP {show(oltp_row)} != {LEDGER_MART} {show(mart_row)}"
            )
    return lines, problems


def render(rows: list[Reconciliation], source_name: str) -> str:
    header = ("resource", "source", "raw", "raw del", "oltp", "placeh.", "status")
    lines = [
        (
            r.resource,
            "n/a" if r.source is None else str(r.source),
            str(r.raw_live),
            str(r.raw_deleted),
            "-" if r.oltp_real is None else str(r.oltp_real),
            "-" if r.oltp_placeholders is None else str(r.oltp_placeholders),
            "; ".join(r.problems) if r.problems else "ok",
        )
        for r in rows
    ]
    widths = [max(len(x[i]) for x in [header, *lines]) for i in range(len(header) - 1)]
    out = [f"check-db: source {source_name}"]
    for cells in [header, *lines]:
        out.append(
            "  ".join(c.ljust(w) for c, w in zip(cells[:-1], widths, strict=True))
            + "  "
            + cells[-1]
        )
    money = [f"  {r.resource}: {r.money}" for r in rows if r.money]
    if money:
        out += ["money sums (minor units, raw = OLTP):", *money]
    return "\n".join(out)


def result_path() -> Path:
    """Where the last result is kept for the app's Data health page: dbt's
    target folder (DBT_TARGET_PATH, else target/), beside run_results.json."""
    target = os.environ.get("DBT_TARGET_PATH") or Path(__file__).parents[2] / "target"
    return Path(target) / "check_db.json"


def write_result(
    rows: list[Reconciliation], source_name: str, ledger_problems: list[str]
) -> Path:
    """The outcome as JSON: counts, latest load and problems per resource.
    Ids and counts only, no object's contents."""
    result = {
        "checked_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": source_name,
        "ok": not ledger_problems and not any(r.problems for r in rows),
        "resources": [asdict(r) for r in rows],
        "ledger_problems": ledger_problems,
    }
    path = result_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


def main() -> int:
    source_name, counts = source_counts()
    if config.warehouse(os.environ) == "duckdb":
        return report(*_checked_duckdb(counts), source_name)
    if config.warehouse(os.environ) == "spark":
        return report(*_checked_spark(counts), source_name)
    try:
        conn = psycopg2.connect("")  # libpq reads the PG* variables
    except psycopg2.OperationalError as error:
        raise UserError(
            f"cannot connect to the warehouse ({str(error).strip()}); "
            "run `make up` or set PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE."
        ) from None
    with conn, conn.cursor() as cur:
        rows = [check(cur, r, counts[r.name]) for r in RESOURCES]
        ledger_lines, ledger_problems = check_ledger(cur)
        document_lines, document_problems = check_documents(cur)
    conn.close()
    return report(
        rows,
        ledger_lines,
        ledger_problems,
        source_name,
        document_lines,
        document_problems,
    )


def _checked_duckdb(counts: dict) -> tuple[list, list[str], list[str]]:
    """The same checks over the DuckDB file of WAREHOUSE=duckdb (the queries
    are ones both engines read alike)."""
    import duckdb

    from extract.warehouse import QmarkCursor

    connection = duckdb.connect(str(config.duckdb_path(os.environ)), read_only=True)
    try:
        cur = QmarkCursor(connection)
        rows = [check(cur, r, counts[r.name]) for r in RESOURCES]
        return (rows, *check_ledger(cur))
    finally:
        connection.close()


def _checked_spark(counts: dict) -> tuple[list, list[str], list[str]]:
    """The same checks on WAREHOUSE=spark's tables, through a local Spark
    session on SPARK_DIR (Spark's SQL: SPARK's dialect)."""
    from extract.spark import SparkCursor, spark_session

    session = spark_session(config.spark_dir(os.environ))
    try:
        cur = SparkCursor(session)
        rows = [check(cur, r, counts[r.name], SPARK) for r in RESOURCES]
        return (rows, *check_ledger(cur, SPARK))
    finally:
        session.stop()


def report(
    rows,
    ledger_lines,
    ledger_problems,
    source_name,
    document_lines=(),
    document_problems=(),
) -> int:
    """Print the reconciliation, record it (check_db.json), and its exit
    code. DuckDB has no documents layer, so no document lines there."""
    document_problems = list(document_problems)
    print(render(rows, source_name))
    print("\n".join(ledger_lines))
    if document_lines:
        print("\n".join(document_lines))
    write_result(rows, source_name, ledger_problems + document_problems)
    failed = [r.resource for r in rows if r.problems]
    if ledger_problems:
        print("ledger: " + "; ".join(ledger_problems), file=sys.stderr)
        failed.append("the ledger")
    if document_problems:
        print("documents: " + "; ".join(document_problems), file=sys.stderr)
        failed.append("the documents")
    if failed:
        print(f"check-db: FAILED for {', '.join(failed)}", file=sys.stderr)
        return 1
    print("check-db: ok")
    return 0


if __name__ == "__main__":
    run_main(main)
