"""Least privilege: the four warehouse roles, each refused outside its grants,
and the analyst's masked view of every personal column of the marts.

Runs on the fixture warehouse (built as the superuser, as a warehouse from
before the roles would be): `make roles` takes it over, then dbt's masking
step runs as stripe_transformer.
"""

from __future__ import annotations

import json
import stat
import sys
import time
import uuid

import psycopg2
import pytest
from conftest import (
    DBT_TARGET,
    FIXTURE_LOAD_ID,
    FIXTURE_SNAPSHOT,
    ROOT,
    base_environment,
    connect,
    dbt,
    fresh_database,
    query,
    raw_from_snapshot,
    run,
)

from tools import roles

SCHEMAS = ("stripe_raw", "staging", "oltp", "marts", "snapshots", "seeds")
TRANSFORMED = roles.schema_lists()["transformed"]
MASKED = roles.schema_lists()["masked"][0]
ANALYST_SOURCES = roles.schema_lists()["analyst_sources"]
# What each role may do, schema by schema; anything else must be refused.
READS = {
    roles.LOADER: {"stripe_raw"},
    roles.TRANSFORMER: {"stripe_raw", *TRANSFORMED},
    roles.ANALYST: {MASKED},
    roles.APP: set(roles.schema_lists()["app"]),
}
WRITES = {
    roles.LOADER: {"stripe_raw"},
    roles.TRANSFORMER: set(TRANSFORMED),
    roles.ANALYST: set(),
    roles.APP: set(),
}
PROBED = (*SCHEMAS, "documents", MASKED)


@pytest.fixture(scope="module")
def warehouse(stack_env):
    """The fixture snapshot built into a database of its own (models, seeds,
    snapshots; their tests are other modules' business): these tests hand
    its schemas to the roles and erase a customer, which the session's
    shared fixture warehouse must not see."""
    with fresh_database(stack_env) as env:
        raw_from_snapshot(env, FIXTURE_SNAPSHOT, FIXTURE_LOAD_ID)
        dbt(env, "build", "--exclude-resource-type", "test", "unit_test")
        yield with_roles(env)


def with_roles(env: dict[str, str]) -> dict[str, str]:
    for _ in range(2):  # idempotent: the second run changes nothing
        result = run([sys.executable, "-m", "tools.roles"], env)
        for role in roles.ROLES:
            assert roles.password(env, role) not in result.stdout
    as_transformer = [sys.executable, "-m", "tools.stack", "exec", "--role"]
    as_transformer += [roles.TRANSFORMER, "--", str(ROOT / ".venv" / "bin" / "dbt")]
    run([*as_transformer, "run-operation", "create_masked_views"], env)
    return env


def login(env: dict[str, str], role: str):
    conn = psycopg2.connect(
        host=env["PGHOST"],
        port=env["PGPORT"],
        user=role,
        password=roles.password(env, role),
        dbname=env["PGDATABASE"],
    )
    conn.autocommit = False
    return conn


def a_relation(env: dict[str, str], schema: str) -> str:
    """A table or view of the schema, or a name that is none (a refused
    schema answers 42501 before it looks; an allowed one answers 42P01)."""
    found = query(
        env,
        "select table_name from information_schema.tables where table_schema = %s"
        " order by table_name limit 1",
        (schema,),
    )
    return found[0][0] if found else "no_such_relation"


def attempt(conn, statement: str) -> str | None:
    """None if it ran, else its SQLSTATE; always rolled back."""
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
        return None
    except psycopg2.Error as exc:
        return exc.pgcode
    finally:
        conn.rollback()


def test_passwords_are_kept_0600_and_never_printed(warehouse):
    for role in roles.ROLES:
        path = roles.passwords_dir(warehouse) / f"{role}.password"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert len(roles.password(warehouse, role)) >= 32


@pytest.mark.parametrize("role", roles.ROLES)
def test_each_role_is_refused_outside_its_grants(warehouse, role):
    conn = login(warehouse, role)
    outcomes = {}
    try:
        for schema in PROBED:
            relation = a_relation(warehouse, schema)
            read = attempt(conn, f'select * from {schema}."{relation}" limit 1')
            if relation == "no_such_relation" and read == "42P01":
                read = None  # allowed in, nothing to read yet
            write = attempt(conn, f"create table {schema}.role_probe (x int)")
            outcomes[schema] = (read, write)
    finally:
        conn.close()
    for schema, (read, write) in outcomes.items():
        assert read == (None if schema in READS[role] else "42501"), (schema, read)
        assert write == (None if schema in WRITES[role] else "42501"), (schema, write)


def test_the_transformer_reads_every_raw_table_and_the_loader_no_model(warehouse):
    transformer = login(warehouse, roles.TRANSFORMER)
    loader = login(warehouse, roles.LOADER)
    try:
        for table in ("customers", "charges", "_dlt_loads"):
            if a_relation(warehouse, "stripe_raw") and query(
                warehouse,
                "select 1 from information_schema.tables where table_schema ="
                " 'stripe_raw' and table_name = %s",
                (table,),
            ):
                assert attempt(transformer, f"select * from stripe_raw.{table}") is None
                insert = (
                    f"insert into stripe_raw.{table} select * from stripe_raw.{table}"
                )
                assert attempt(transformer, insert) == "42501"
        assert attempt(loader, "select * from oltp.customers") == "42501"
    finally:
        transformer.close()
        loader.close()


def pii_columns() -> dict[str, set[str]]:
    manifest = json.loads((DBT_TARGET / "manifest.json").read_text())
    tagged: dict[str, set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["schema"] not in ANALYST_SOURCES:
            continue
        for name, column in node["columns"].items():
            meta = {
                **column.get("meta", {}),
                **column.get("config", {}).get("meta", {}),
            }
            if meta.get("pii"):
                tagged.setdefault(f"{node['schema']}.{node['alias']}", set()).add(name)
    return tagged


def test_the_analyst_sees_every_pii_column_of_the_marts_masked(warehouse):
    """Every column the models tag pii, read through the analyst's views: no
    real value, and a mask wherever there was one. A pii column added
    without masking fails here."""
    tagged = pii_columns()
    assert "marts.dim_customers" in tagged
    analyst = login(warehouse, roles.ANALYST)
    unmasked, filled = [], 0
    try:
        for relation, columns in sorted(tagged.items()):
            schema, name = relation.split(".")
            views = query(
                warehouse,
                "select column_name from information_schema.columns"
                " where table_schema = %s and table_name = %s",
                (MASKED, name),
            )
            assert views, f"{relation} has no masked view in {MASKED}"
            for column in sorted(columns):
                real = {
                    value
                    for (value,) in query(
                        warehouse,
                        f'select distinct "{column}"::text from {relation}'
                        f' where "{column}" is not null',
                    )
                }
                filled += bool(real)
                with analyst.cursor() as cur:
                    cur.execute(
                        f'select distinct "{column}"::text from {MASKED}."{name}"'
                    )
                    seen = {value for (value,) in cur.fetchall()}
                analyst.rollback()
                # text masks as ***, a jsonb document as the JSON string "***"
                masks = {None, "***", '"***"'}
                if seen - masks or (real and not seen - {None}):
                    unmasked.append(f"{relation}.{column}")
    finally:
        analyst.close()
    assert not unmasked, f"pii columns the analyst sees unmasked: {unmasked}"
    assert filled, "no pii column holds a value: the check would prove nothing"


def test_every_process_connects_as_its_role(warehouse):
    env = roles.role_environment(warehouse, roles.LOADER)
    assert (env["PGUSER"], env["STRIPE_ROLES"]) == (roles.LOADER, "1")
    assert env["PGPASSWORD"] == roles.password(warehouse, roles.LOADER)
    makefile = (ROOT / "Makefile").read_text()
    assert "$(call RUN_AS,stripe_loader) $(PY) -m extract" in makefile
    assert "DBT := $(call RUN_AS,stripe_transformer)" in makefile
    assert "$(call RUN_AS,stripe_app) $(PY) -m tools.app serve" in makefile


# -- erasure: make forget ------------------------------------------------------

PLANTED_TABLES = ("customers", "payment_methods", "charges", "invoices")


def as_role(role: str, *command: str) -> list[str]:
    return [sys.executable, "-m", "tools.stack", "exec", "--role", role, "--", *command]


def rebuild(env: dict[str, str]) -> None:
    """What the erasure's dbt step does, without the tests: every model and
    the snapshots, as stripe_transformer."""
    dbt = str(ROOT / ".venv" / "bin" / "dbt")
    run(as_role(roles.TRANSFORMER, dbt, "run"), env)
    run(as_role(roles.TRANSFORMER, dbt, "snapshot"), env)


def a_customer_with_everything(env: dict[str, str]) -> str:
    (customer,) = query(
        env,
        "select c.id from stripe_raw.customers as c where not c.is_deleted"
        " and exists (select 1 from stripe_raw.charges as ch"
        "   where ch.data->>'customer' = c.id)"
        " and exists (select 1 from stripe_raw.invoices as i"
        "   where i.data->>'customer' = c.id)"
        " and exists (select 1 from stripe_raw.payment_methods as pm"
        "   where pm.parent_id = c.id)"
        " order by c.id limit 1",
    )[0]
    return customer


def plant(env: dict[str, str], customer: str, person: dict) -> None:
    """The person's details wherever Stripe copies them, as a new load."""
    details = {
        "email": person["email"],
        "name": person["name"],
        "phone": person["phone"],
        "address": person["address"],
    }
    load_id = f"{time.time():.6f}"
    conn = connect(env)
    with conn, conn.cursor() as cur:
        for table in PLANTED_TABLES:
            owner = "id" if table == "customers" else "data->>'customer'"
            cur.execute(
                f"select id, data from stripe_raw.{table} where {owner} = %s",
                (customer,),
            )
            for object_id, data in cur.fetchall():
                if table == "customers":
                    data.update(details)
                elif table == "invoices":
                    data.update({f"customer_{k}": v for k, v in details.items()})
                else:
                    data["billing_details"] = details
                cur.execute(
                    f"update stripe_raw.{table} set data = %s, _dlt_load_id = %s"
                    " where id = %s",
                    (json.dumps(data), load_id, object_id),
                )
    conn.close()


def scan(env: dict[str, str], values: list[str]) -> tuple[int, dict[str, int]]:
    """Every text and jsonb column of every table and view of every schema:
    the columns scanned and, per column, the rows holding any value."""
    columns = query(
        env,
        "select table_schema, table_name, column_name from information_schema.columns"
        " where table_schema not in ('pg_catalog', 'information_schema')"
        " and table_schema not like 'pg_%%'"
        " and data_type in ('text', 'character varying', 'character', 'json',"
        " 'jsonb')",
    )
    patterns = [f"%{value}%" for value in values]
    hits = {}
    conn = connect(env)
    try:
        with conn.cursor() as cur:
            for schema, table, column in columns:
                cur.execute(
                    f'select count(*) from "{schema}"."{table}"'
                    f' where "{column}"::text like any(%s)',
                    (patterns,),
                )
                found = cur.fetchone()[0]
                if found:
                    hits[f"{schema}.{table}.{column}"] = found
    finally:
        conn.close()
    return len(columns), hits


def books(env: dict[str, str]) -> list:
    return [
        query(env, "select * from marts.metrics_revenue_daily order by 1, 2"),
        query(env, "select * from marts.metrics_mrr_monthly order by 1, 2"),
    ]


def test_forget_erases_a_customer_from_every_layer_and_keeps_the_books(warehouse):
    token = uuid.uuid4().hex[:12]
    person = {
        "email": f"forget.{token}@example.org",
        "name": f"Forgetme {token}",
        "phone": f"+1555{int(token, 16) % 10**7:07d}",
        "address": {
            "line1": f"{token} Erasure Lane",
            "city": "Springfield",
            "country": "US",
            "postal_code": "12345",
            "line2": None,
            "state": None,
        },
    }
    values = [person["email"], person["name"], person["phone"], f"{token} Erasure"]
    customer = a_customer_with_everything(warehouse)
    plant(warehouse, customer, person)
    rebuild(warehouse)
    scanned, before = scan(warehouse, values)
    kept = books(warehouse)
    schemas = {name.split(".")[0] for name in before}
    assert {"stripe_raw", "staging", "oltp", "marts", "snapshots"} <= schemas
    forget = as_role(roles.LOADER, sys.executable, "-m", "extract", "forget", customer)
    run(forget, dict(warehouse, JSON_DIR=str(ROOT / "no-such-snapshot")))
    rebuild(warehouse)
    scanned_after, after = scan(warehouse, values)
    print(
        f"erasure scan: {scanned} columns, {sum(before.values())} hits before;"
        f" {scanned_after} columns (the erasure log's too), {len(after)} after"
    )
    assert scanned_after >= scanned
    assert after == {}, f"personal data left after make forget: {after}"
    assert books(warehouse) == kept
    (logged,) = query(
        warehouse,
        "select customer_id, reason, rows_erased from stripe_raw._erasure_log",
    )
    assert logged[:2] == (customer, "make forget")
    assert all(logged[2][table] for table in PLANTED_TABLES)


def test_snapshot_files_are_0600_and_forget_rewrites_them(tmp_path):
    from extract.snapshot import SnapshotWriter, erase_from_snapshot, read_objects

    person = {"email": "snap.forget@example.org", "name": "Snap Forget"}
    writer = SnapshotWriter(tmp_path)
    customer = {"id": "cus_1", "object": "customer", "created": 1, **person}
    other = {"id": "cus_2", "object": "customer", "created": 2, "name": "Kept"}
    charge = {
        "id": "ch_1",
        "object": "charge",
        "amount": 500,
        "customer": "cus_1",
        "payment_method": "pm_9",
        "billing_details": person,
    }
    method = {"id": "pm_9", "object": "payment_method", "customer": None}
    method["billing_details"] = person
    event = {
        "id": "evt_1",
        "object": "event",
        "type": "customer.updated",
        "data": {"object": customer, "previous_attributes": {"email": "old@x.org"}},
    }
    for table, obj in (
        ("customers", customer),
        ("customers", other),
        ("charges", charge),
        ("payment_methods", method),
        ("events", event),
    ):
        writer.write(table, json.dumps(obj).encode())
    writer.commit("2026-10-28.endive")
    assert {stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()} == {0o600}
    assert erase_from_snapshot(tmp_path, "cus_1") == 4
    assert {stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()} == {0o600}
    text = "".join(p.read_text() for p in tmp_path.iterdir())
    for value in (*person.values(), "old@x.org"):
        assert value not in text
    assert "Kept" in text
    (kept_charge,) = [obj for obj, _ in read_objects(tmp_path / "charges.jsonl")]
    assert kept_charge["amount"] == 500 and kept_charge["customer"] == "cus_1"


def _duckdb_hits(duckdb, path, values: list[str], schemas=None) -> tuple[int, list]:
    """Every text and JSON column of the DuckDB file (or of `schemas`): the
    columns scanned and those holding any of the values."""
    conn = duckdb.connect(str(path), read_only=True)
    try:
        columns = conn.execute(
            "select table_schema, table_name, column_name"
            " from information_schema.columns"
            " where data_type in ('VARCHAR', 'JSON')"
            " and table_schema not in ('information_schema', 'pg_catalog')"
        ).fetchall()
        columns = [c for c in columns if schemas is None or c[0] in schemas]
        hits = [
            f"{schema}.{table}.{column}"
            for schema, table, column in columns
            if conn.execute(
                f'select count(*) from "{schema}"."{table}" where '
                + " or ".join([f'contains("{column}"::varchar, ?)'] * len(values)),
                values,
            ).fetchone()[0]
        ]
    finally:
        conn.close()
    return len(columns), hits


def test_erasure_on_duckdb(tmp_path):
    """WAREHOUSE=duckdb: the extraction of the fixture, whose cus_fx_deleted
    Stripe deleted (its customer.deleted event still carries its email),
    erases it in the DuckDB file as on PostgreSQL (a second run, which lands
    the event again, erases it again); `make forget`'s steps then erase
    cus_fx_dana from raw, the models and the snapshots' history (the hook
    that clears it must commit on DuckDB). dlt's staging copy of a merge
    load (stripe_raw_staging) is scanned too: it is emptied after each
    load, or the deleted customer's event would stay there."""
    duckdb = pytest.importorskip("duckdb", reason="make test installs the extra")
    path = tmp_path / "stripe.duckdb"
    env = base_environment(
        WAREHOUSE="duckdb",
        DUCKDB_PATH=str(path),
        SOURCE="json",
        JSON_DIR=str(FIXTURE_SNAPSHOT),
        STACK_DIR=str(tmp_path / "stack"),
        DBT_TARGET="duckdb",
        DBT_TARGET_PATH=str(tmp_path / "target"),
        DBT_LOG_PATH=str(tmp_path / "target"),
    )
    reasons = []
    for _ in range(2):
        run([sys.executable, "-m", "extract"], env)
        scanned, hits = _duckdb_hits(duckdb, path, ["deleted@example.com"])
        assert scanned > 20 and hits == []
        conn = duckdb.connect(str(path), read_only=True)
        try:
            logged = conn.execute(
                "select customer_id, reason, rows_erased"
                " from stripe_raw._erasure_log order by erased_at"
            ).fetchall()
            charge = conn.execute(
                "select data->>'amount', data->'billing_details'"
                " from stripe_raw.charges where id = 'ch_fx0026'"
            ).fetchone()
        finally:
            conn.close()
        assert charge[0] == "3100" and charge[1] in (None, "null")
        assert {row[0] for row in logged} == {"cus_fx_deleted"}
        assert json.loads(logged[0][2])["events"] == 1
        reasons.append([row[1] for row in logged])
    assert reasons[0] == ["customer.deleted"]
    assert reasons[1] == ["customer.deleted", "loaded again after its erasure"]

    dana = ["fx_dana@example.com", "Dana Doyle"]
    build = ["build", "--select", "+customers_snapshot"]
    build += ["--exclude-resource-type", "test", "unit_test"]
    dbt(env, *build)
    assert _duckdb_hits(duckdb, path, dana, ("snapshots",))[1]
    forget = [sys.executable, "-m", "extract", "forget", "cus_fx_dana"]
    run(forget, dict(env, JSON_DIR=str(tmp_path / "no-such-snapshot")))
    dbt(env, *build)
    scanned, hits = _duckdb_hits(duckdb, path, dana)
    assert scanned > 100 and hits == []
