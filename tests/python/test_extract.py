"""Extraction against the local Stripe: complete, incremental, resumable.

Each test loads into a database of its own (`new_database`); the local Stripe
is shared, so expectations come from what its API lists at test time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import orjson
import pytest
import requests
import stripe
from conftest import ROOT, TEST_STACK, connect, query, run
from test_extract_faults import Answer, FakeStripe, Route, long_invoice, stripe_list

from extract import settings
from extract.warehouse import pg_settings, pipelines_dir

EXTRACT = [sys.executable, "-m", "extract"]
LOCALSTRIPE_LACKS = {"prices", "disputes", "credit_notes"}
TABLES = [r.name for r in settings.RESOURCES]


# A small business made through the official SDK, as against a test-mode account.


def sdk_client(env: dict[str, str]) -> stripe.StripeClient:
    return stripe.StripeClient(
        env["STRIPE_API_KEY"],
        base_addresses={"api": env["STRIPE_API_BASE"]},
        max_network_retries=2,
    )


def card_customer(client: stripe.StripeClient, n: int) -> stripe.Customer:
    customer = client.v1.customers.create(
        params={"email": f"customer{n}@example.com", "name": f"Customer {n}"}
    )
    method = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {
                "number": "4242424242424242",
                "exp_month": 12,
                "exp_year": 2034,
                "cvc": "123",
            },
        }
    )
    client.v1.payment_methods.attach(method.id, params={"customer": customer.id})
    client.v1.customers.update(
        customer.id,
        params={"invoice_settings": {"default_payment_method": method.id}},
    )
    return customer


def build_business(env: dict[str, str], customers: int = 12) -> dict[str, list[str]]:
    """Customers with cards, a plan, subscriptions (and their invoices), charges.

    Returns the ids it made, by kind, for the tests to act on.
    """
    client = sdk_client(env)
    product = client.v1.products.create(params={"name": "Warehouse Pro"})
    plan = client.v1.plans.create(
        params={
            "amount": 2500,
            "currency": "usd",
            "interval": "month",
            "product": product.id,
        }
    )
    made: dict[str, list[str]] = {"customers": [], "subscriptions": [], "charges": []}
    for n in range(customers):
        customer = card_customer(client, n)
        made["customers"].append(customer.id)
        if n % 2 == 0:
            subscription = client.v1.subscriptions.create(
                params={"customer": customer.id, "items": [{"plan": plan.id}]}
            )
            made["subscriptions"].append(subscription.id)
        intent = client.v1.payment_intents.create(
            params={
                "amount": 1000 + n,
                "currency": "usd",
                "customer": customer.id,
                "payment_method": customer_default_method(client, customer.id),
                "confirm": True,
            }
        )
        made["charges"].extend(
            c.id
            # per customer: the stack may hold other tests' charges too
            for c in client.v1.charges.list(
                params={"customer": customer.id, "limit": 100}
            ).data
            if c.payment_intent == intent.id
        )
    client.v1.coupons.create(
        params={
            "id": f"TEN{uuid.uuid4().hex[:8]}",
            "percent_off": 10,
            "duration": "once",
        }
    )
    return made


def customer_default_method(client: stripe.StripeClient, customer_id: str) -> str:
    customer = client.v1.customers.retrieve(customer_id)
    return customer.invoice_settings.default_payment_method


@pytest.fixture(scope="module")
def business(stack_env):
    return build_business(stack_env, customers=12)


def api_ids(env: dict[str, str]) -> dict[str, set[str]]:
    """Every id the local Stripe lists, per table, paged independently here."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {env['STRIPE_API_KEY']}"
    base = env["STRIPE_API_BASE"]

    def listing(path: str, **params) -> list[dict]:
        found, params = [], dict(params, limit=100)
        while True:
            page = session.get(f"{base}{path}", params=params, timeout=30).json()
            found.extend(page["data"])
            if not page["has_more"]:
                return found
            params["starting_after"] = page["data"][-1]["id"]

    ids: dict[str, set[str]] = {}
    for resource in settings.RESOURCES:
        if resource.parent or resource.name in LOCALSTRIPE_LACKS:
            continue
        objs = listing(resource.path, **dict(resource.params))
        ids[resource.name] = {obj["id"] for obj in objs}
        if resource.name == "customers":
            ids["payment_methods"] = {
                pm["id"]
                for obj in objs
                for pm in listing(
                    "/v1/payment_methods", customer=obj["id"], type="card"
                )
            }
        if resource.name == "subscriptions":
            ids["subscription_items"] = {
                item["id"] for obj in objs for item in obj["items"]["data"]
            }
        if resource.name == "invoices":
            ids["invoice_line_items"] = {
                line["id"] for obj in objs for line in obj["lines"]["data"]
            }
    # detached payment methods (customer null) that charges and payment
    # intents name are retrieved by id, as the extraction does
    for name in ("charges", "payment_intents"):
        for obj in listing(f"/v1/{name}"):
            method = obj.get("payment_method")
            if isinstance(method, str) and method not in ids["payment_methods"]:
                found = session.get(f"{base}/v1/payment_methods/{method}", timeout=30)
                method_object = found.json() if found.status_code == 200 else {}
                if method_object and method_object.get("customer") is None:
                    ids["payment_methods"].add(method)
    for name in LOCALSTRIPE_LACKS:
        ids[name] = set()
    return ids


def raw_ids(env: dict[str, str], live_only: bool = True) -> dict[str, set[str]]:
    where = " where not is_deleted" if live_only else ""
    return {
        table: {
            row[0] for row in query(env, f"select id from stripe_raw.{table}{where}")
        }
        for table in TABLES
    }


def raw_rows(env: dict[str, str]) -> dict[str, set[tuple]]:
    rows = {}
    for table in TABLES:
        parent = "parent_id" if table in settings.CHILD_TABLES else "null"
        rows[table] = set(
            query(
                env,
                f"select id, object, created, livemode, is_deleted, data::text, "
                f"{parent}, api_version from stripe_raw.{table}",
            )
        )
    return rows


def extract(env: dict[str, str], check: bool = True, **extra: str):
    return run(EXTRACT, dict(env, **extra), check=check, timeout=300)


def test_full_load_equals_api_lists_and_second_run_adds_nothing(business, new_database):
    out = extract(new_database).stdout
    assert "/v1/prices is not offered" in out
    # The local Stripe takes the plans' tiers expansion (refuses discounts).
    assert "plans: expand[] refused" not in out
    assert "subscriptions: expand[] refused (HTTP 400)" in out
    assert "customers:" in out and "objects" in out  # progress lines
    loaded = raw_ids(new_database)
    expected = api_ids(new_database)
    assert set(loaded) == set(TABLES)
    for table in TABLES:
        assert loaded[table] == expected[table], table
    assert set(business["customers"]) <= loaded["customers"]
    assert loaded["payment_methods"] and loaded["invoice_line_items"]

    columns = query(
        new_database,
        "select table_name, string_agg(column_name, ',' order by column_name) "
        "from information_schema.columns where table_schema = 'stripe_raw' "
        "group by table_name",
    )
    base = "_dlt_id,_dlt_load_id,api_version,created,data,id,is_deleted,livemode,object"
    for table, names in columns:
        if table in TABLES:
            want = set(base.split(",")) | (
                {"parent_id"} if table in settings.CHILD_TABLES else set()
            )
            assert set(names.split(",")) == want, table
    assert query(
        new_database,
        "select count(*) from stripe_raw.payment_intents "
        "where data ? 'client_secret' or api_version <> %s",
        (settings.STRIPE_API_VERSION,),
    ) == [(0,)]
    orphans = query(
        new_database,
        "select count(*) from stripe_raw.subscription_items i left join "
        "stripe_raw.subscriptions s on s.id = i.parent_id where s.id is null",
    )
    assert orphans == [(0,)]

    counts = {t: len(ids) for t, ids in raw_ids(new_database, live_only=False).items()}
    extract(new_database)
    assert {t: len(i) for t, i in raw_ids(new_database, False).items()} == counts
    assert raw_ids(new_database) == loaded

    # Every raw table is indexed on id, which incremental models look up,
    # and on its load time, by which they and the tests find what is new.
    for indexed_on in ("%%(id)", "%%(to_timestamp((_dlt_load_id)::double %%"):
        indexed = query(
            new_database,
            "select tablename from pg_indexes where schemaname = 'stripe_raw'"
            f" and indexdef like '{indexed_on}'",
        )
        assert {table for (table,) in indexed} >= set(TABLES), indexed_on
    # No loaded package keeps its files: they are copies of every object
    # (personal data an erasure must not leave behind, and gigabytes).
    working = pipelines_dir(TEST_STACK, pg_settings(new_database))
    assert list(working.glob("*/load/loaded/*")), "no loaded package found"
    assert list(working.glob("*/load/loaded/*/completed_jobs/*")) == []


def assert_raw_is_api(env: dict[str, str]) -> None:
    """Raw's live ids equal the API's, per table; a failure names the ids."""
    raw, api = raw_ids(env), api_ids(env)
    differences = {
        table: {
            "raw only": raw[table] - api[table],
            "api only": api[table] - raw[table],
        }
        for table in raw.keys() | api.keys()
        if raw.get(table, set()) != api.get(table, set())
    }
    assert not differences, differences


def test_incremental_run_reflects_sdk_changes(business, new_database):
    extract(new_database)
    client = sdk_client(new_database)
    kept, gone = business["customers"][1], business["customers"][3]
    client.v1.customers.update(kept, params={"email": "changed@example.com"})
    client.v1.subscriptions.cancel(business["subscriptions"][0])
    client.v1.customers.delete(gone)
    refund = client.v1.refunds.create(params={"charge": business["charges"][0]})
    newcomer = client.v1.customers.create(params={"email": "new@example.com"})

    out = extract(new_database).stdout
    assert "events:" in out

    def one(sql: str, *params):
        return query(new_database, sql, params)[0][0]

    assert (
        one("select data->>'email' from stripe_raw.customers where id = %s", kept)
        == "changed@example.com"
    )
    assert (
        one(
            "select data->>'status' from stripe_raw.subscriptions where id = %s",
            business["subscriptions"][0],
        )
        == "canceled"
    )
    assert one("select is_deleted from stripe_raw.customers where id = %s", gone)
    assert one("select count(*) from stripe_raw.customers where id = %s", gone) == 1
    assert one(
        "select data->>'charge' from stripe_raw.refunds where id = %s", refund.id
    )
    assert one("select count(*) from stripe_raw.customers where id = %s", newcomer.id)
    assert_raw_is_api(new_database)
    # The merge copied its rows into dlt's staging schema first; none stay
    # there (the deleted customer's personal data among them).
    staged = query(
        new_database,
        "select table_name from information_schema.tables"
        " where table_schema = 'stripe_raw_staging'"
        " and table_name not like '\\_dlt%%'",
    )
    assert staged, "the incremental run did not merge through stripe_raw_staging"
    for (table,) in staged:
        assert one(f'select count(*) from stripe_raw_staging."{table}"') == 0, table

    # A full reload flags what the API stopped listing, without any event.
    before = raw_ids(new_database, live_only=False)
    vanished = business["customers"][5]
    client.v1.customers.delete(vanished)
    out = extract(new_database, FULL_REFRESH="1").stdout
    assert "no longer listed, flagged deleted" in out
    after = raw_ids(new_database, live_only=False)
    assert after.pop("events") >= before.pop("events")  # the delete's event
    assert after == before
    assert_raw_is_api(new_database)
    for customer in (gone, vanished):
        assert one(
            "select is_deleted from stripe_raw.customers where id = %s", customer
        )
    assert not one(
        "select bool_or(not is_deleted) from stripe_raw.payment_methods "
        "where parent_id = %s",
        vanished,
    )


def second_database(env: dict[str, str], name: str):
    admin = connect(env, "postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'drop database if exists "{name}" with (force)')
        cur.execute(f'create database "{name}"')
    admin.close()
    return dict(env, PGDATABASE=name)


def drop_database(env: dict[str, str]) -> None:
    admin = connect(env, "postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'drop database if exists "{env["PGDATABASE"]}" with (force)')
    admin.close()


def loading(env: dict[str, str]) -> bool:
    """Whether dlt holds a normalized package, i.e. the load step is on."""
    key = f"{env['PGHOST']}_{env['PGPORT']}_{env['PGDATABASE']}"
    normalized = TEST_STACK / "dlt" / key / "stripe" / "load" / "normalized"
    return normalized.is_dir() and any(normalized.iterdir())


def kill_when(env: dict[str, str], marker: str | None) -> str:
    """Start a real run; SIGKILL it once `marker` shows in its output, or
    (marker None) once its load step has begun."""
    process = subprocess.Popen(
        EXTRACT,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[str] = []
    reader = threading.Thread(target=lambda: seen.extend(process.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        output = "".join(seen)
        if (marker is not None and marker in output) or (
            marker is None and loading(env)
        ):
            break
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    reader.join(5)
    assert process.returncode == -signal.SIGKILL, "".join(seen)
    return "".join(seen)


@pytest.mark.parametrize(
    "marker",
    [
        "events: ",  # mid-extraction, pages in flight
        "customers: ",  # late in extraction
        None,  # during the load into PostgreSQL
    ],
)
def test_killed_run_then_normal_run_equals_clean_run(business, new_database, marker):
    # Slow enough that the kill lands mid-run.
    kill_when(dict(new_database, STRIPE_MAX_RPS="15"), marker)
    out = extract(new_database).stdout
    if marker is None:
        assert "finishing the load an interrupted run left behind" in out
    assert_equals_a_clean_load(new_database)


def assert_equals_a_clean_load(env: dict[str, str], **extra: str) -> None:
    """Raw holds the ids a clean run into a new database loads (deleted ones
    included), each once."""
    clean = second_database(env, env["PGDATABASE"] + "_clean")
    try:
        extract(clean, **extra)
        assert raw_ids(env, False) == raw_ids(clean, False)
        for table in TABLES:
            total, distinct = query(
                env, f"select count(*), count(distinct id) from stripe_raw.{table}"
            )[0]
            assert total == distinct, table
    finally:
        drop_database(clean)


# A run of the extractor that dies (as a SIGKILL would, without cleaning
# up) once the first load job of `customers` has committed: right after its
# COPY (DIE_AT=commit), or once dlt has also written its marker that the
# commit is done (DIE_AT=marker), before the job is moved to completed.
DIE_AFTER_COMMIT = """
import os, runpy, sys
from dlt.common.storages.load_package import PackageStorage
from dlt.destinations.impl.postgres import postgres

def dies(name):
    return name.rsplit("/", 1)[-1].startswith("customers.")

copy = postgres.PostgresCsvCopyJob.run
def run(self):
    copy(self)
    if os.environ["DIE_AT"] == "commit" and dies(self._file_path):
        os._exit(9)
postgres.PostgresCsvCopyJob.run = run

mark = PackageStorage.save_pending_transition
def save(self, load_id, file_name, *args, **kwargs):
    mark(self, load_id, file_name, *args, **kwargs)
    if os.environ["DIE_AT"] == "marker" and dies(file_name):
        os._exit(9)
PackageStorage.save_pending_transition = save

sys.argv = ["extract"]
runpy.run_module("extract", run_name="__main__")
"""


FINISH_PENDING_LOAD = """
import logging, os, sys
from extract.commands import finish_pending_load, make_pipeline, stored_raw
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
pipeline, credentials = make_pipeline(os.environ)
finish_pending_load(pipeline, stored_raw(os.environ, credentials), os.environ)
"""


@pytest.mark.parametrize("die_at", ["commit", "marker"])
@pytest.mark.parametrize("first_load", [True, False])
def test_a_run_killed_after_a_load_job_committed_resumes_without_duplicates(
    new_database, first_load, die_at
):
    """A job that committed before the run died is written once: dlt runs
    it again unless its marker says the commit is done, so its rows are
    removed first only then (copied twice, the `_dlt_id` key refuses them
    and every later run fails; removed though dlt does not run it again,
    they are lost). First load (`replace`, straight into raw) and a later
    one (`merge`, through dlt's staging copy)."""
    from conftest import FIXTURE_SNAPSHOT

    env = dict(new_database, SOURCE="json", JSON_DIR=str(FIXTURE_SNAPSHOT))
    if not first_load:
        extract(env)
    died = run(
        [sys.executable, "-c", DIE_AFTER_COMMIT], dict(env, DIE_AT=die_at), check=False
    )
    assert died.returncode == 9, died.stdout
    # The package the run left, finished alone: a run of `make extract`
    # would then load the whole snapshot again and hide a loss.
    out = run([sys.executable, "-c", FINISH_PENDING_LOAD], env).stdout
    assert "finishing the load an interrupted run left behind" in out
    if die_at == "commit":
        assert "dlt loads those jobs again" in out
    assert_equals_a_clean_load(new_database, SOURCE="json", JSON_DIR=env["JSON_DIR"])
    assert extract(env).returncode == 0


def test_snapshot_round_trip_gives_the_api_rows(business, new_database, tmp_path):
    snapshot = tmp_path / "snapshot"
    extract(new_database)
    run(EXTRACT + ["fetch"], dict(new_database, JSON_DIR=str(snapshot)))
    manifest = orjson.loads((snapshot / "manifest.json").read_bytes())
    assert manifest["api_version"] == settings.STRIPE_API_VERSION
    assert {p.name for p in snapshot.iterdir()} == {
        "manifest.json",
        *(f"{t}.jsonl" for t in TABLES),
    }
    from_json = second_database(new_database, new_database["PGDATABASE"] + "_json")
    try:
        extract(from_json, SOURCE="json", JSON_DIR=str(snapshot))
        assert raw_rows(from_json) == raw_rows(new_database)
    finally:
        drop_database(from_json)


def assert_clean_failure(result, *phrases: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stdout, result.stdout
    errors = [line for line in result.stdout.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stdout
    for phrase in phrases:
        assert phrase in errors[0], errors[0]


def test_bad_key_is_one_clear_message_without_the_key(new_database):
    result = extract(new_database, check=False, STRIPE_API_KEY="pk_wrong_key_123")
    assert_clean_failure(result, "401", "STRIPE_API_KEY")
    assert "pk_wrong_key_123" not in result.stdout


def test_unreachable_api_is_one_clear_message(new_database):
    result = extract(new_database, check=False, STRIPE_API_BASE="http://127.0.0.1:9")
    assert_clean_failure(result, "cannot reach the Stripe API", "STRIPE_API_BASE")


def test_live_key_reads_at_the_live_ceiling_and_is_never_printed(
    business, new_database
):
    # Assembled here so no tracked file holds a live-looking key; only its
    # prefix matters to the extraction (the local Stripe accepts any key).
    key = "_".join(["sk", "live", "x" * 24])
    keyed = {k: v for k, v in new_database.items() if k != "STRIPE_MAX_RPS"}
    result = extract(keyed, STRIPE_API_KEY=key)
    assert "at most 100 requests/s" in result.stdout
    assert key not in result.stdout
    assert raw_ids(new_database)["customers"]


def test_json_dir_without_snapshot_is_one_clear_message(new_database, tmp_path):
    result = extract(new_database, check=False, SOURCE="json", JSON_DIR=str(tmp_path))
    assert_clean_failure(result, "holds no snapshot", "make fetch")


def test_malformed_line_names_file_and_line_and_keeps_what_loaded(
    new_database, tmp_path
):
    good = [{"id": f"cus_{n}", "object": "customer", "created": n} for n in range(3)]
    lines = [orjson.dumps(obj).decode() for obj in good]
    lines.insert(2, '{"id": "cus_broken", ')
    (tmp_path / "customers.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "products.json").write_text(
        '{"object": "list", "data": [{"id": "prod_1", "object": "product"}]}'
    )
    (tmp_path / "manifest.json").write_text('{"api_version": "2024-06-20"}')
    result = extract(new_database, check=False, SOURCE="json", JSON_DIR=str(tmp_path))
    assert_clean_failure(result, "customers.jsonl:3", "invalid JSON")
    assert raw_ids(new_database)["customers"] == {"cus_0", "cus_1"}
    assert raw_ids(new_database)["products"] == {"prod_1"}
    assert query(
        new_database, "select distinct api_version from stripe_raw.products"
    ) == [("2024-06-20",)]


def test_each_bad_input_names_its_file_and_line_and_keeps_what_came_before(
    new_database, tmp_path
):
    """A truncated line, a wrong type, an object of another type, a 50 MB
    object and non-UTF-8 bytes: one clear line each; every object before
    them (and every other file) loads; an unknown file is skipped, noted."""

    def objects(kind: str, prefix: str, **fields) -> list[bytes]:
        return [
            orjson.dumps(
                {"id": f"{prefix}_{n}", "object": kind, "created": n, **fields}
            )
            for n in range(2)
        ]

    bad = {
        "customers": b'{"id": "cus_cut", "object": "cus',
        "charges": b'{"id": "ch_bad", "object": "charge", "amount": "12.50"}',
        "products": b'{"id": "widget_1", "object": "widget"}',
        "refunds": b'{"id": "re_big", "object": "refund", "note": "'
        + b"x" * (50 * 2**20)
        + b'"}',
        "payouts": b'{"id": "po_latin", "object": "payout", "description": "caf\xe9"}',
    }
    kinds = {
        "customers": ("customer", "cus"),
        "charges": ("charge", "ch"),
        "products": ("product", "prod"),
        "refunds": ("refund", "re"),
        "payouts": ("payout", "po"),
    }
    for table, line in bad.items():
        kind, prefix = kinds[table]
        good = (
            objects(kind, prefix, amount=100)
            if table == "charges"
            else objects(kind, prefix)
        )
        after = orjson.dumps({"id": f"{prefix}_after", "object": kind})
        (tmp_path / f"{table}.jsonl").write_bytes(b"\n".join([*good, line, after]))
    (tmp_path / "widgets.jsonl").write_bytes(b'{"id": "w_1", "object": "widget"}\n')
    (tmp_path / "manifest.json").write_text('{"api_version": "2026-10-28.endive"}')
    result = extract(new_database, check=False, SOURCE="json", JSON_DIR=str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stdout
    assert "5 snapshot files stop at a bad line" in result.stdout
    for table, why in (
        ("customers", "invalid JSON"),
        ("charges", "ch_bad.amount is str '12.50' where Stripe sends an integer"),
        (
            "products",
            "object widget_1 is a 'widget', and products.jsonl holds 'product'",
        ),
        ("refunds", "an object of 50 MiB"),
        ("payouts", "not UTF-8 (byte 0xe9"),
    ):
        assert f"{tmp_path / table}.jsonl:3: {why}" in result.stdout, table
        prefix = kinds[table][1]
        assert raw_ids(new_database)[table] == {f"{prefix}_0", f"{prefix}_1"}
    assert "widgets.jsonl: no resource of the warehouse is called widgets" in (
        result.stdout
    )


def changing_stripe(state: dict) -> Route:
    """A Stripe whose one subscription (12 items, so paged past the embedded
    ten) and one invoice (25 lines) the test changes between runs."""
    lines, invoice = long_invoice(status="paid")

    def subscription() -> dict:
        items = stripe_list(state["items"], {"limit": "10"})
        return {"id": "sub_1", "object": "subscription", "created": 6, "items": items}

    def route(path: str, query: dict[str, str]) -> Answer:
        if path == "/v1/events":
            return 200, {}, stripe_list(state["events"], query)
        if path == "/v1/subscriptions":
            return 200, {}, stripe_list([subscription()], query)
        if path == "/v1/subscriptions/sub_1":
            return 200, {}, subscription()
        if path == "/v1/subscription_items":
            return 200, {}, stripe_list(state["items"], query)
        if path == "/v1/invoices":
            return 200, {}, stripe_list([invoice], query)
        if path == "/v1/invoices/in_1/lines":
            if state["broken"]:
                refused = {"Stripe-Should-Retry": "false"}
                return 500, refused, {"error": {"message": "lines unavailable"}}
            return 200, {}, stripe_list(lines, query)
        if path in ("/v1/prices", "/v1/disputes"):
            return 404, {}, {"error": {"message": "Unrecognized request URL"}}
        return 200, {}, stripe_list([], query)

    return route


def test_removed_items_are_flagged_and_a_failed_page_keeps_raw(new_database):
    """Once: every id lands once. After customer.subscription.updated that
    removed an item: the item's row stays, flagged deleted, with its data, in
    the new load. A lines page that cannot be read: the run fails naming the
    invoice, and raw stays as it was."""
    items = [
        {"id": f"si_{n:02d}", "object": "subscription_item", "created": 6}
        for n in range(12)
    ]
    state = {"items": list(items), "events": [], "broken": False}
    with FakeStripe(changing_stripe(state)) as fake:
        env = dict(
            new_database,
            STRIPE_API_BASE=fake.base,
            STRIPE_API_KEY="sk_test_fake",
            STRIPE_MAX_RPS="500",
        )
        extract(env)
        for table in TABLES:
            total, distinct = query(
                env, f"select count(*), count(distinct id) from stripe_raw.{table}"
            )[0]
            assert total == distinct, table
        assert len(raw_ids(env)["subscription_items"]) == 12
        assert len(raw_ids(env)["invoice_line_items"]) == 25

        removed = state["items"].pop(5)
        state["events"].append(
            {
                "id": "evt_1",
                "object": "event",
                "created": int(time.time()),
                "type": "customer.subscription.updated",
                "data": {"object": {"id": "sub_1", "object": "subscription"}},
            }
        )
        first_load = query(
            env, "select max(_dlt_load_id) from stripe_raw.subscription_items"
        )
        extract(env)
        flagged = query(
            env,
            "select id, parent_id, data, _dlt_load_id > %s "
            "from stripe_raw.subscription_items where is_deleted",
            (first_load[0][0],),
        )
        assert flagged == [("si_05", "sub_1", removed, True)]
        assert len(raw_ids(env)["subscription_items"]) == 11

        before = raw_rows(env)
        state["broken"] = True
        result = extract(env, check=False, FULL_REFRESH="1")
        assert_clean_failure(
            result, "invoice in_1: lines first page failed", "re-run make extract"
        )
        assert raw_rows(env) == before
