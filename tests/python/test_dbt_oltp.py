"""dbt build over the fixture snapshot: staging, the OLTP layer and its tests.

The fixture (tests/fixtures/snapshot, see build_snapshot.py) is small and
deliberate: both API shapes, usd/eur/jpy, a deleted customer, a charge of a
customer no list returns, a line billing an archived price, an invoice of
12 lines, a subscription of two items.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import psycopg2
import pytest
from conftest import (
    BUILD_OUTPUTS,
    DBT_TARGET,
    FIXTURE_LOAD_ID,
    FIXTURE_SNAPSHOT,
    connect,
    dbt,
    fresh_database,
    query,
    raw_from_snapshot,
    run,
)

from extract import settings
from extract.warehouse import StoredRaw, pg_settings
from tools.build.__main__ import enforced_key_tests, state_dir

# Raw table -> (its OLTP table, that table's key), from the one resource list.
OLTP_FROM_RAW = {r.name: (r.oltp, r.key) for r in settings.RESOURCES if r.oltp}


# seeds, staging and oltp with their data tests (the marts are test_marts')
OLTP_BUILD = (
    "build",
    "--select",
    "+path:models/oltp",
    "--exclude",
    "test_type:unit",
    "--indirect-selection",
    "cautious",
)


def one(env, sql, params=()):
    rows = query(env, sql, params)
    assert len(rows) == 1, rows
    return rows[0]


def test_dbt_build_passes_every_model_and_test(oltp_warehouse):
    output = BUILD_OUTPUTS[oltp_warehouse["PGDATABASE"]]
    summary = re.search(r"PASS=(\d+) WARN=(\d+) ERROR=(\d+) SKIP=(\d+)", output)
    assert summary, output[-3000:]
    passed, _, errors, skipped = map(int, summary.groups())
    assert (errors, skipped) == (0, 0), output[-3000:]
    # 19 staging views, 19 oltp tables, the seed, 4 unit tests, 200+ data tests
    assert passed > 250


@pytest.mark.parametrize("table", sorted(OLTP_FROM_RAW))
def test_every_raw_object_is_in_oltp(oltp_warehouse, table):
    oltp, key = OLTP_FROM_RAW[table]
    lost = query(
        oltp_warehouse,
        f"select id from stripe_raw.{table} except select {key} from oltp.{oltp}",
    )
    assert lost == []
    (rows,) = one(oltp_warehouse, f"select count(*) from stripe_raw.{table}")
    assert rows > 0, f"the fixture should exercise {table}"


def test_plans_are_folded_into_prices(oltp_warehouse):
    source_object, interval, unit_amount = one(
        oltp_warehouse,
        "select source_object, recurring_interval, unit_amount from oltp.prices"
        " where price_id = 'plan_fx_legacy_monthly'",
    )
    assert (source_object, interval, str(unit_amount)) == ("plan", "month", "49.00")


def test_deleted_and_unlisted_parents_are_kept_and_flagged(oltp_warehouse):
    rows = dict(
        (r[0], r[1:])
        for r in query(
            oltp_warehouse,
            "select customer_id, is_deleted, is_missing_from_source"
            " from oltp.customers where left(customer_id, 7) = 'cus_fx_'",
        )
    )
    assert rows["cus_fx_deleted"] == (True, False)
    assert rows["cus_fx_unlisted"] == (True, True)
    assert rows["cus_fx_alice"] == (False, False)
    (charges,) = one(
        oltp_warehouse,
        "select count(*) from oltp.charges"
        " where customer_id in ('cus_fx_deleted', 'cus_fx_unlisted')",
    )
    assert charges == 2


def test_archived_price_gets_placeholder_price_and_product(oltp_warehouse):
    price = one(
        oltp_warehouse,
        "select product_id, currency, is_missing_from_source, source_object"
        " from oltp.prices where price_id = 'price_fx_archived'",
    )
    assert price == ("prod_fx_archived", "usd", True, "missing")
    (product_missing,) = one(
        oltp_warehouse,
        "select is_missing_from_source from oltp.products"
        " where product_id = 'prod_fx_archived'",
    )
    assert product_missing is True


def test_every_line_and_every_item_is_kept(oltp_warehouse):
    (lines,) = one(
        oltp_warehouse,
        "select count(*) from oltp.invoice_line_items as lines"
        " inner join oltp.invoices as invoices using (invoice_id)"
        " where invoices.invoice_number = 'FX-HUGO-1'",
    )
    assert lines == 12
    (items,) = one(
        oltp_warehouse,
        "select count(*) from oltp.subscription_items"
        " where subscription_id = 'sub_fx_alice'",
    )
    assert items == 2


def test_both_api_shapes_link_invoices_and_charges(oltp_warehouse):
    # basil+ (Alice) and pre-2025 (Lena): subscription and payment links
    for customer, subscription in (
        ("cus_fx_alice", "sub_fx_alice"),
        ("cus_fx_lena", "sub_fx_lena"),
    ):
        rows = query(
            oltp_warehouse,
            "select invoices.subscription_id, charges.charge_id"
            " from oltp.invoices as invoices left join oltp.charges as charges"
            " on charges.invoice_id = invoices.invoice_id"
            " where invoices.customer_id = %s",
            (customer,),
        )
        assert len(rows) == 6
        assert {r[0] for r in rows} == {subscription}
        assert all(r[1] for r in rows), "every paid invoice has its charge"
    # the older shape has the period on the subscription, not the item
    start, end = one(
        oltp_warehouse,
        "select current_period_start_at::date::text, current_period_end_at::date::text"
        " from oltp.subscription_items where subscription_id = 'sub_fx_lena'",
    )
    assert (start, end) == ("2026-10-01", "2026-11-01")


def test_money_uses_the_currency_exponent(oltp_warehouse):
    rows = query(
        oltp_warehouse,
        "select currency, total_cents, total::text from oltp.invoices"
        " where customer_id in ('cus_fx_chiyo', 'cus_fx_bruno')",
    )
    assert rows
    for currency, cents, major in rows:
        if currency == "jpy":
            assert major == str(cents)
        else:
            assert currency == "eur" and major == f"{cents / 100:.2f}"


def test_repeating_groups_become_child_rows(oltp_warehouse):
    (coupon,) = one(
        oltp_warehouse,
        "select coupon_id from oltp.subscription_discounts"
        " where subscription_id = 'sub_fx_lena'",
    )
    assert coupon == "coupon_fx_forever10"
    (discounts,) = one(
        oltp_warehouse,
        "select sum(discounts.amount_cents) from oltp.invoice_discounts as discounts"
        " inner join oltp.invoices using (invoice_id)"
        " where invoices.customer_id = 'cus_fx_bruno'",
    )
    assert discounts == 500
    (tax,) = one(
        oltp_warehouse,
        "select sum(taxes.amount_cents) from oltp.invoice_line_item_taxes as taxes"
        " inner join oltp.invoice_line_items using (invoice_line_item_id)"
        " where invoice_line_items.currency = 'eur'",
    )
    assert tax == 3705


def test_database_rejects_a_broken_reference(oltp_warehouse):
    conn = connect(oltp_warehouse)
    try:
        with pytest.raises(psycopg2.errors.ForeignKeyViolation), conn.cursor() as cur:
            cur.execute(
                "insert into oltp.invoice_line_items (invoice_line_item_id,"
                " invoice_id, currency, amount_cents, is_deleted, loaded_at)"
                " values ('il_broken', 'in_does_not_exist', 'usd', 100, false, now())"
            )
        conn.rollback()
        with pytest.raises(psycopg2.errors.ForeignKeyViolation), conn.cursor() as cur:
            cur.execute(
                "update oltp.charges set customer_id = 'cus_does_not_exist'"
                " where charge_id = (select min(charge_id) from oltp.charges)"
            )
        conn.rollback()
        with pytest.raises(psycopg2.errors.ForeignKeyViolation), conn.cursor() as cur:
            cur.execute("delete from oltp.customers where customer_id = 'cus_fx_alice'")
    finally:
        conn.rollback()
        conn.close()


def test_keys_are_constrained_and_foreign_keys_indexed(oltp_warehouse):
    tables = query(
        oltp_warehouse,
        "select table_name from information_schema.tables where table_schema = 'oltp'",
    )
    entities = [t for (t,) in tables if not t.startswith("int_")]
    primary = query(
        oltp_warehouse,
        "select conrelid::regclass::text from pg_constraint"
        " where contype = 'p' and connamespace = 'oltp'::regnamespace",
    )
    assert len(primary) == len(entities) == 19
    # the two helper tables are no entities, but unique on their key
    helpers = query(
        oltp_warehouse,
        "select tablename from pg_indexes where schemaname = 'oltp'"
        " and left(tablename, 4) = 'int_'"
        " and position('CREATE UNIQUE' in indexdef) = 1",
    )
    assert sorted(helpers) == [
        ("int_discounts_unpacked",),
        ("int_invoice_payments_unpacked",),
    ]
    unindexed = query(
        oltp_warehouse,
        "select constraints.conrelid::regclass::text, constraints.conkey"
        " from pg_constraint as constraints"
        " where constraints.contype = 'f'"
        " and constraints.connamespace = 'oltp'::regnamespace"
        " and not exists (select 1 from pg_index as indexes"
        "   where indexes.indrelid = constraints.conrelid"
        "   and indexes.indkey[0] = constraints.conkey[1])",
    )
    assert unindexed == []
    # every table's watermark and its tests' rows are read by index
    without_loaded_at_index = query(
        oltp_warehouse,
        "select columns.table_name from information_schema.columns as columns"
        " where columns.table_schema = 'oltp' and columns.column_name = 'loaded_at'"
        " and not exists (select 1 from pg_indexes as indexes"
        "   where indexes.schemaname = 'oltp'"
        "   and indexes.tablename = columns.table_name"
        "   and indexes.indexdef like '%%(loaded_at)')",
    )
    assert without_loaded_at_index == []
    # added after the rows (macros/oltp.sql), each checked over every row
    (foreign, unchecked) = one(
        oltp_warehouse,
        "select count(*), count(*) filter (where not convalidated)"
        " from pg_constraint"
        " where contype = 'f' and connamespace = 'oltp'::regnamespace",
    )
    assert foreign >= 30
    assert unchecked == 0


# An invoice the first load misses (listed a day late): its charge and
# payment intent were loaded the day before it, unchanged since.
LATE_INVOICE = "in_fx0012"
# An open invoice of Alice's on the first day, voided the next: its line is
# then the latest full-period line of its price, the one that stands for
# the price's tax share (int_invoice_lines_taxed.is_ratio_of_price). Once it
# is void, the latest such line is Greta's October one, on a subscription
# the day did not rebuild: only a ranking of every line of the price finds
# it.
VOIDED_INVOICE = "in_fx_open"
VOIDED_PRICE = "price_fx_pro_monthly"
NEXT_RATIO_INVOICE = "in_fx0020"
# A subscription whose only change is a status event listed a day late.
STATUS_EVENT_SUBSCRIPTION = "sub_fx_greta"
# A subscription whose only change is an update event listed a day late:
# its item's quantity went from 2 to the 1 it has now on October 10th.
ITEM_EVENT_SUBSCRIPTION = "sub_fx_bruno"


def _fixture_objects(name: str) -> list[dict]:
    lines = (FIXTURE_SNAPSHOT / f"{name}.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def _is_late(name: str, obj: dict) -> bool:
    return (name == "invoices" and obj["id"] == LATE_INVOICE) or (
        name == "invoice_line_items" and obj.get("invoice") == LATE_INVOICE
    )


def _open_invoice() -> tuple[dict, dict]:
    """VOIDED_INVOICE and its one line: Alice's Pro item billed again a day
    after NEXT_RATIO_INVOICE, shaped like the fixture's open invoice."""
    invoices = {i["id"]: i for i in _fixture_objects("invoices")}
    template = invoices["in_fx0013"]
    pro = next(
        line
        for line in _fixture_objects("invoice_line_items")
        if line["invoice"] == "in_fx0006"
        and line["pricing"]["price_details"]["price"] == VOIDED_PRICE
    )
    created = invoices[NEXT_RATIO_INVOICE]["created"] + 86400
    period = {"start": created, "end": created + 31 * 86400}
    line = dict(pro, id="il_fx_open", invoice=VOIDED_INVOICE, period=period)
    parent = template["parent"]
    invoice = dict(
        template,
        id=VOIDED_INVOICE,
        number="FX-OPEN",
        customer="cus_fx_alice",
        currency=line["currency"],
        created=created,
        period_start=period["start"],
        period_end=period["end"],
        amount_due=line["amount"],
        amount_remaining=line["amount"],
        subtotal=line["amount"],
        total=line["amount"],
        lines=dict(template["lines"], data=[line]),
        parent=dict(
            parent,
            subscription_details=dict(
                parent["subscription_details"], subscription="sub_fx_alice"
            ),
        ),
        status_transitions=dict(
            template["status_transitions"], finalized_at=created + 3600
        ),
    )
    return invoice, line


def _first_day_snapshot(tmp_path: Path) -> Path:
    """The fixture without the late invoice and its lines, with the open
    invoice that is voided the next day."""
    first = tmp_path / "first_day"
    shutil.copytree(FIXTURE_SNAPSHOT, first)
    for name, added in zip(
        ("invoices", "invoice_line_items"), _open_invoice(), strict=True
    ):
        kept = [o for o in _fixture_objects(name) if not _is_late(name, o)]
        (first / f"{name}.jsonl").write_text(
            "".join(json.dumps(o) + "\n" for o in [*kept, added])
        )
    return first


def _changed_snapshot(tmp_path: Path) -> Path:
    """A day of changes: a new customer with a charge, an email changed, a
    coupon removed, a refund on another charge, a deleted product, a status
    event listed late, an open invoice voided, a dispute's reason changed,
    Dana's card detached from her, and the late invoice, which names a
    charge of the day before through its payment intent."""
    changed = tmp_path / "snapshot"
    changed.mkdir()
    shutil.copy(FIXTURE_SNAPSHOT / "manifest.json", changed)
    objects = _fixture_objects

    def write(name, rows):
        text = "".join(json.dumps(row) + "\n" for row in rows)
        (changed / f"{name}.jsonl").write_text(text)

    # The late invoice, and the open invoice voided with its line listed
    # again.
    invoice, line = _open_invoice()
    voided = dict(
        invoice,
        status="void",
        amount_remaining=0,
        status_transitions=dict(
            invoice["status_transitions"], voided_at=invoice["created"] + 86400
        ),
    )
    write(
        "invoices",
        [*(o for o in objects("invoices") if _is_late("invoices", o)), voided],
    )
    write(
        "invoice_line_items",
        [
            *(
                o
                for o in objects("invoice_line_items")
                if _is_late("invoice_line_items", o)
            ),
            line,
        ],
    )

    alice = next(c for c in objects("customers") if c["id"] == "cus_fx_alice")
    # Lena's coupon removed: her subscription has no discount left.
    subscription = next(s for s in objects("subscriptions") if s["id"] == "sub_fx_lena")
    write("subscriptions", [dict(subscription, discount=None)])
    newcomer = dict(alice, id="cus_fx_new", email="new@example.com")
    write("customers", [dict(alice, email="alice@new.example.com"), newcomer])
    charge = next(c for c in objects("charges") if c["customer"] == "cus_fx_emil")
    write(
        "charges",
        [
            dict(charge, amount_refunded=500),
            dict(
                charge,
                id="ch_fx_new",
                customer="cus_fx_new",
                payment_intent=None,
                balance_transaction=None,
                amount=777,
                disputed=False,
            ),
        ],
    )
    refund = objects("refunds")[0]
    write(
        "refunds",
        [
            dict(
                refund,
                id="re_fx_new",
                charge=charge["id"],
                amount=500,
                balance_transaction=None,
            )
        ],
    )
    write("products", [{"id": "prod_fx_setup", "object": "product", "deleted": True}])
    # Emil's fraudulent dispute found to be a delivery complaint instead.
    (dispute,) = objects("disputes")
    write("disputes", [dict(dispute, reason="product_not_received")])
    card = next(p for p in objects("payment_methods") if p["id"] == DETACHED_CARD)
    write("payment_methods", [dict(card, customer=None)])
    # An update event the first load did not list: Greta's subscription
    # went unpaid on October 5th (active again by the first load).
    greta = next(
        s for s in objects("subscriptions") if s["id"] == STATUS_EVENT_SUBSCRIPTION
    )
    write(
        "events",
        [
            {
                "id": "evt_fx_greta_unpaid",
                "object": "event",
                "type": "customer.subscription.updated",
                "api_version": objects("events")[0]["api_version"],
                "created": 1791158400,
                "livemode": False,
                "pending_webhooks": 0,
                "request": {"id": None, "idempotency_key": None},
                "data": {
                    "object": dict(greta, status="unpaid"),
                    "previous_attributes": {"status": "active"},
                },
            },
            _item_quantity_event(objects, objects("events")[0]["api_version"]),
        ],
    )
    return changed


def _item_quantity_event(objects, api_version: str) -> dict:
    """The update event of ITEM_EVENT_SUBSCRIPTION's quantity change: its
    object as the first load saw it, its item before at quantity 2."""
    bruno = next(
        s for s in objects("subscriptions") if s["id"] == ITEM_EVENT_SUBSCRIPTION
    )
    (item,) = bruno["items"]["data"]
    assert item["quantity"] == 1
    before = dict(bruno["items"], data=[dict(item, quantity=2)])
    return {
        "id": "evt_fx_bruno_quantity",
        "object": "event",
        "type": "customer.subscription.updated",
        "api_version": api_version,
        "created": 1791590400,
        "livemode": False,
        "pending_webhooks": 0,
        "request": {"id": None, "idempotency_key": None},
        "data": {"object": bruno, "previous_attributes": {"items": before}},
    }


def _contents(env, schemas=("oltp", "marts", "documents")) -> dict[str, str]:
    """A digest of every table of the schemas, by schema.table."""
    return {
        f"{schema}.{table}": one(
            env,
            f"select md5(coalesce(string_agg(rows::text, '|' order by rows::text),"
            f" '')) from {schema}.{table} as rows",
        )[0]
        for schema, table in query(
            env,
            "select table_schema, table_name from information_schema.tables"
            " where table_schema = any(%s) and table_type = 'BASE TABLE'",
            (list(schemas),),
        )
    }


def changed_build(env, **overrides):
    """`make build`: tools.build through the project's environment; returns
    its output and the unique ids of the nodes dbt ran."""
    results = DBT_TARGET / "run_results.json"
    results.unlink(missing_ok=True)
    command = [sys.executable, "-m", "tools.stack", "exec", "--"]
    command += [sys.executable, "-m", "tools.build"]
    output = run(command, dict(env, **overrides))
    ran = {r["unique_id"] for r in json.loads(results.read_text())["results"]}
    return output.stdout, ran


# The per-subscription histories (macros/marts/history.sql): model -> its
# key columns, the month column last.
HISTORY = {
    "int_subscription_items_valued_monthly": (
        "subscription_id",
        "item_key",
        "month_start_date",
    ),
    "fct_mrr": ("subscription_id", "month"),
}


# The billing evidence, rebuilt per subscription: its key, subscription first.
EVIDENCE = "int_invoice_lines_normalized"
EVIDENCE_KEY = ("subscription_id", "evidence_id")
# The item states, rebuilt per subscription, keyed the same way.
ITEM_STATES = "int_subscription_items_normalized"
# Detached from its customer by the day of changes: her profile loses it.
DETACHED_CARD = "pm_fx_dana"


def _row_versions(env, model: str, key_columns=None) -> dict[tuple, str]:
    """Each row's key (HISTORY's, unless given) and the transaction that
    wrote it (PostgreSQL's xmin)."""
    key = ", ".join(key_columns or HISTORY[model])
    return {
        tuple(row[:-1]): row[-1]
        for row in query(env, f"select {key}, xmin::text from marts.{model}")
    }


def _subscriptions_billed(env, invoice: str) -> set[str]:
    """The subscriptions with a line on `invoice`."""
    return {
        row[0]
        for row in query(
            env,
            "select distinct subscription_id from oltp.invoice_line_items"
            " where invoice_id = %s and subscription_id is not null",
            (invoice,),
        )
    }


def _assert_only_changed_evidence_rewritten(env, before, after) -> None:
    """The day's bills (the late invoice, the voided one) and Lena's
    subscription, loaded again with its coupon removed, are the billing
    evidence that changed: only their subscriptions' evidence is written
    again, and every other subscription keeps the rows its first build
    wrote."""
    assert before and after, f"{EVIDENCE} is empty"
    rewritten = {key[0] for key, version in after.items() if before.get(key) != version}
    changed = (
        {"sub_fx_lena"}
        | _subscriptions_billed(env, LATE_INVOICE)
        | _subscriptions_billed(env, VOIDED_INVOICE)
    )
    assert rewritten and rewritten <= changed, sorted(rewritten)
    assert {key[0] for key in after} - changed, "no subscription kept its evidence"


def _assert_only_changed_item_states_rewritten(env, before, after) -> None:
    """The item states of the subscriptions the day loaded again (Lena's),
    billed (the late and the voided invoice) or gave a late event (Greta's
    status, Bruno's quantity, which adds a state) are written again; every
    other subscription keeps the rows its first build wrote."""
    assert before and after, f"{ITEM_STATES} is empty"
    rewritten = {key[0] for key, version in after.items() if before.get(key) != version}
    changed = (
        {"sub_fx_lena", STATUS_EVENT_SUBSCRIPTION, ITEM_EVENT_SUBSCRIPTION}
        | _subscriptions_billed(env, LATE_INVOICE)
        | _subscriptions_billed(env, VOIDED_INVOICE)
    )
    assert ITEM_EVENT_SUBSCRIPTION in rewritten, sorted(rewritten)
    assert rewritten <= changed, sorted(rewritten - changed)
    assert {key[0] for key in after} - changed, "no subscription kept its states"


def _assert_only_changed_history_rewritten(env, model, before, after) -> None:
    """The day of changes touches five subscriptions' inputs (Lena's coupon
    removed, the late invoice's subscription, Alice's voided invoice,
    Greta's late status event, Bruno's late quantity event) and moves the
    latest load a day on, which measures October again: only those rows
    are written again; every other row keeps the transaction that wrote
    it. A deleted product may touch the items of the subscriptions that
    sold it."""
    assert before and after, f"{model} is empty"
    rewritten = {key for key, version in after.items() if before.get(key) != version}
    october = date(2026, 10, 1)
    outside_october = {key[0] for key in rewritten if key[-1] != october}
    product_subscriptions = {
        row[0]
        for row in query(
            env,
            "select distinct subscription_id"
            " from marts.int_subscription_items_valued_monthly"
            " where product_id = 'prod_fx_setup'",
        )
    }
    late, voided = (
        _subscriptions_billed(env, invoice)
        for invoice in (LATE_INVOICE, VOIDED_INVOICE)
    )
    assert late and "sub_fx_lena" in outside_october, sorted(outside_october)
    changed = (
        {"sub_fx_lena", STATUS_EVENT_SUBSCRIPTION, ITEM_EVENT_SUBSCRIPTION}
        | late
        | voided
        | product_subscriptions
    )
    assert outside_october <= changed, sorted(outside_october)
    # the subscriptions nothing changed keep their history before October
    kept = {key[0] for key in after if key[-1] != october and key not in rewritten}
    assert kept - changed, (model, sorted(kept))


def test_incremental_run_applies_changes_like_a_full_refresh(stack_env, tmp_path):
    """`make build` runs every node on a new database, from scratch what
    lies downstream of changed code, nothing when nothing changed, and after
    a day of changes only what lies downstream of the changed raw tables;
    the result equals a full refresh in every OLTP, marts and documents
    table."""
    with fresh_database(stack_env) as env:
        raw_from_snapshot(env, _first_day_snapshot(tmp_path), FIXTURE_LOAD_ID)
        StoredRaw(pg_settings(env)).publish()  # as the extractor's load ends
        output, first = changed_build(env)
        assert "every node (no passing build of this database" in output
        assert "model.stripe_warehouse.stg_stripe__prices" in first
        _assert_left_out_tests_are_constraints(env, output, first)
        _assert_new_code_rebuilds_incremental_models_from_scratch(env)
        _assert_event_documents_uncompressed(env)

        # the passing build saved the code it built: nothing runs next time
        output, nothing = changed_build(env)
        assert "no changed raw table" in output
        assert "from scratch" not in output
        assert nothing == set()

        assert _analyzed(env, "is null") == []
        # A table whose own settings ask autovacuum to analyze it after any
        # change is analyzed by a daily run that changes one row; another
        # keeps the statistics of its first build.
        with connect(env) as conn, conn.cursor() as cur:
            cur.execute(
                "alter table oltp.charges set"
                " (autovacuum_analyze_threshold = 0,"
                " autovacuum_analyze_scale_factor = 0)"
            )
        analyzed_before = dict(_analyzed(env, "is not null"))

        assert _price_ratio_lines(env) == [(VOIDED_INVOICE,)]
        raw_from_snapshot(env, _changed_snapshot(tmp_path), "1792540800.000002")
        StoredRaw(pg_settings(env)).publish()
        history_before = {model: _row_versions(env, model) for model in HISTORY}
        evidence_before = _row_versions(env, EVIDENCE, EVIDENCE_KEY)
        states_before = _row_versions(env, ITEM_STATES, EVIDENCE_KEY)
        features_before = _feature_versions(env)
        profiles_before = _profile_versions(env)
        output, ran = changed_build(env)
        _assert_only_changed_evidence_rewritten(
            env, evidence_before, _row_versions(env, EVIDENCE, EVIDENCE_KEY)
        )
        _assert_only_changed_item_states_rewritten(
            env, states_before, _row_versions(env, ITEM_STATES, EVIDENCE_KEY)
        )
        _assert_only_changed_features_rewritten(env, features_before)
        _assert_changed_profiles_rewritten(env, profiles_before)
        assert _index_faults(env) == {"missing": [], "twice": []}
        _assert_event_documents_uncompressed(env)
        _assert_no_key_list_filters(ran)
        _assert_watermarks_are_literals(ran)
        _assert_staging_views_read_new_rows_by_index(env)
        analyzed_after = dict(_analyzed(env, "is not null"))
        assert analyzed_after["oltp.charges"] > analyzed_before["oltp.charges"]
        assert analyzed_after["oltp.customers"] == analyzed_before["oltp.customers"]
        assert _price_ratio_lines(env) == [(NEXT_RATIO_INVOICE,)]
        for model in HISTORY:
            _assert_only_changed_history_rewritten(
                env, model, history_before[model], _row_versions(env, model)
            )
        tables = (
            "charges, customers, disputes, events, invoice_line_items, invoices,"
            " payment_methods, products, refunds, subscriptions"
        )
        assert f"10 changed raw table(s) ({tables})" in output
        for model in ("stg_stripe__customers", "customers", "fct_mrr", "refunds"):
            assert f"model.stripe_warehouse.{model}" in ran
        for model in ("stg_stripe__prices", "stg_stripe__payouts"):
            assert f"model.stripe_warehouse.{model}" not in ran
        assert len(ran) < len(first)

        assert one(
            env,
            "select email from oltp.customers where customer_id = 'cus_fx_alice'",
        ) == ("alice@new.example.com",)
        assert one(
            env,
            "select customer_id, amount_cents from oltp.charges"
            " where charge_id = 'ch_fx_new'",
        ) == ("cus_fx_new", 777)
        assert one(
            env,
            "select count(*), sum(amount_cents) from oltp.refunds",
        ) == (2, 1500)
        # The charge of the day before takes the late invoice.
        assert one(
            env,
            "select invoice_id from oltp.charges where charge_id = 'ch_fx0012'",
        ) == (LATE_INVOICE,)
        assert one(
            env,
            "select is_deleted from oltp.products where product_id = 'prod_fx_setup'",
        ) == (True,)
        assert one(
            env,
            "select count(*) from oltp.subscription_discounts"
            " where subscription_id = 'sub_fx_lena'",
        ) == (0,)
        # The late event dates an unpaid interval of a subscription nothing
        # else changed.
        assert one(
            env,
            "select count(*) from marts.int_subscription_status_intervals"
            " where subscription_id = %s and status = 'unpaid'",
            (STATUS_EVENT_SUBSCRIPTION,),
        ) == (1,)
        (foreign,) = one(
            env,
            "select count(*) from pg_constraint"
            " where contype = 'f' and connamespace = 'oltp'::regnamespace",
        )
        incremental = _contents(env)

        # what a full refresh writes (its data tests passed in the builds
        # above; its unit tests do not read the data)
        dbt(
            env,
            "build",
            "--full-refresh",
            "--exclude-resource-type",
            "test",
            "--exclude-resource-type",
            "unit_test",
        )
        refreshed = _contents(env)
        # a rebuilt table is swapped in under the old one's name: its hooks
        # still make its indexes
        assert _index_faults(env) == {"missing": [], "twice": []}
        _assert_event_documents_uncompressed(env)
        assert sorted(refreshed) == sorted(incremental)
        assert {t for t in refreshed if refreshed[t] != incremental[t]} == set()
        assert one(
            env,
            "select count(*) from pg_constraint"
            " where contype = 'f' and connamespace = 'oltp'::regnamespace",
        ) == (foreign,)


def _assert_event_documents_uncompressed(env) -> None:
    """The event log's documents are stored out of line and never
    compressed (storage `external`, which PostgreSQL's default `extended`
    would compress), on a first build, a merge and a full refresh alike.
    The fixture's events are too small to be moved out of line at all, so
    the column's setting is what shows it."""
    assert one(
        env,
        "select attstorage from pg_attribute"
        " where attrelid = 'documents.event_log'::regclass"
        " and attname = 'document'",
    ) == ("e",)


def _index_faults(env) -> dict[str, list[tuple[str, str]]]:
    """The indexes the post-hooks make that a table lacks (`loaded_at` on
    every incremental table that has it, the documents' GIN indexes and
    their keys' unique ones), and the indexes a table has twice under two
    names (a hook that missed the one already made); as (table, method,
    columns and a partial index's predicate)."""
    manifest = json.loads((DBT_TARGET / "manifest.json").read_text())
    expected = {
        ("documents.customer_feedback", "gin (search_vector)"),
        ("documents.event_log", "unique btree (event_id)"),
        ("documents.ml_features", "unique btree (feature_id)"),
        ("documents.customer_profiles", "unique btree (customer_id)"),
    }
    # the tax shares' partial indexes, one per join that reads them
    expected |= {
        ("marts.int_invoice_lines_taxed", f"btree ({columns}) WHERE {flag}")
        for columns, flag in [
            ("subscription_id, price_id", "is_ratio_of_subscription_price"),
            ("subscription_id", "is_ratio_of_subscription_inclusive"),
            ("subscription_id", "is_tax_state_of_subscription"),
            ("tax_rates_key", "is_ratio_of_tax_rates"),
            ("price_id", "is_ratio_of_price"),
        ]
    }
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or not node["config"]["enabled"]:
            continue
        table = f"{node['schema']}.{node['alias']}"
        if (
            node["config"]["materialized"] == "incremental"
            and "loaded_at" in node["columns"]
        ):
            expected.add((table, "btree (loaded_at)"))
        if node["schema"] == "documents":
            expected.add((table, "gin (document jsonb_path_ops)"))
    made = Counter(
        (
            f"{schema}.{table}",
            ("unique " if unique else "") + definition.split(" USING ", 1)[1],
        )
        for schema, table, unique, definition in query(
            env,
            "select schemaname, tablename, indexdef like 'CREATE UNIQUE%%', indexdef"
            " from pg_indexes where schemaname in ('oltp', 'marts', 'documents')",
        )
    )
    return {
        "missing": sorted(expected - set(made)),
        "twice": sorted(index for index, count in made.items() if count > 1),
    }


def _feature_versions(env) -> dict[str, tuple[str, str]]:
    """Each ml_features document's id: its customer and the transaction that
    wrote it (PostgreSQL's xmin)."""
    return {
        feature_id: (customer_id, version)
        for feature_id, customer_id, version in query(
            env, "select feature_id, customer_id, xmin::text from documents.ml_features"
        )
    }


def _profile_versions(env) -> dict[str, str]:
    """Each customer profile's transaction that wrote it (xmin)."""
    return dict(
        query(env, "select customer_id, xmin::text from documents.customer_profiles")
    )


def _assert_changed_profiles_rewritten(env, before) -> None:
    """The day of changes writes again the profiles it changed (Alice's
    email, the newcomer, Dana's card detached: her profile lists no card
    now) and keeps the others: some profile keeps the transaction that
    wrote it. That every profile equals a full refresh is checked after."""
    after = _profile_versions(env)
    rewritten = {key for key, version in after.items() if before.get(key) != version}
    assert {"cus_fx_alice", "cus_fx_new", "cus_fx_dana"} <= rewritten, sorted(rewritten)
    assert set(after) - rewritten, "every profile was written again"
    assert one(
        env,
        "select document -> 'payment_methods' from documents.customer_profiles"
        " where customer_id = 'cus_fx_dana'",
    ) == ([],)


def _assert_only_changed_features_rewritten(env, before) -> None:
    """The day of changes writes again every churn document (measured at the
    latest load) and the fraud documents of the customers whose charges,
    disputes or record it loaded; the other fraud documents keep the
    transaction that wrote them. Emil's dispute is no longer a fraud."""
    after = _feature_versions(env)
    (latest,) = one(env, "select max(loaded_at) from oltp.customers")
    loaded = {
        row[0]
        for row in query(
            env,
            "select customer_id from oltp.customers where loaded_at = %(at)s"
            " union select customer_id from oltp.charges where loaded_at = %(at)s"
            " union select charges.customer_id from oltp.disputes"
            " inner join oltp.charges on disputes.charge_id = charges.charge_id"
            " where disputes.loaded_at = %(at)s",
            {"at": latest},
        )
    }
    assert "cus_fx_emil" in loaded and "cus_fx_new" in loaded, sorted(loaded)
    rewritten = {
        key
        for key, (_, version) in after.items()
        if before.get(key, ("", ""))[1] != version
    }
    assert {key for key in after if key.startswith("churn:")} <= rewritten
    fraud_rewritten = {after[key][0] for key in rewritten if key.startswith("fraud:")}
    assert fraud_rewritten <= loaded, sorted(fraud_rewritten - loaded)
    kept = {key for key in after if key.startswith("fraud:")} - rewritten
    assert kept, "every fraud document was written again"
    assert one(
        env,
        "select document ->> 'label_fraud' from documents.ml_features"
        " where feature_id = 'fraud:ch_fx0015'",
    ) == ("false",)


def _price_ratio_lines(env) -> list[tuple[str]]:
    """The invoices of the lines that stand for VOIDED_PRICE's tax share."""
    return query(
        env,
        "select lines.invoice_id from marts.int_invoice_lines_taxed as taxed"
        " inner join oltp.invoice_line_items as lines"
        " on taxed.invoice_line_item_id = lines.invoice_line_item_id"
        " where taxed.price_id = %s and taxed.is_ratio_of_price",
        (VOIDED_PRICE,),
    )


def _analyzed(env, last_analyze: str) -> list[tuple[str, object]]:
    """The warehouse's tables whose last ANALYZE (not autovacuum's) `is
    null` or `is not null`, with its time: every table a build writes is
    analyzed when it is new, an incremental one later only when a run
    changed enough of it (macros/oltp.sql)."""
    return query(
        env,
        "select schemaname || '.' || relname, last_analyze"
        " from pg_stat_user_tables"
        " where schemaname in ('oltp', 'marts', 'documents')"
        f" and last_analyze {last_analyze} order by 1",
    )


def _assert_no_key_list_filters(ran: set[str]) -> None:
    """No model, as an incremental build compiled it, filters by `not in
    (select ...)` or by `... or x in (select ...)`: PostgreSQL runs both as
    a filter over a list, hashed only while it fits in work_mem, and past
    that compares every row with every entry (docs/style.md)."""
    compiled = DBT_TARGET / "compiled" / "stripe_warehouse"
    paths = sorted(compiled.rglob("*.sql"))
    assert len(paths) >= len([node for node in ran if node.startswith("model.")])
    list_filter = re.compile(
        r"\b(not|or\s+[\w.\"]+)\s+in\s*\(\s*select\b", re.IGNORECASE
    )
    found = [
        str(p.relative_to(compiled)) for p in paths if list_filter.search(p.read_text())
    ]
    assert found == [], found


def _assert_watermarks_are_literals(ran: set[str]) -> None:
    """An incremental build compiles the watermark (the latest `loaded_at`
    a model holds) as a literal where it finds the keys to rebuild, so the
    staging rows loaded since are read through the raw tables' index on
    the load time, and as a subquery where its rows go on into joins."""
    compiled = DBT_TARGET / "compiled" / "stripe_warehouse" / "models"
    charges = (compiled / "oltp" / "charges.sql").read_text()
    keys = re.findall(r"any\(array\((.*?)\)\)\s*$", charges, re.DOTALL | re.MULTILINE)
    assert keys, "no key array in charges"
    literal = re.compile(r"loaded_at > cast\('\d{4}-\d\d-\d\d [^']+' as")
    for found in keys:
        assert len(literal.findall(found)) == found.count("loaded_at >"), found
    assert "max(watermark.loaded_at)" in charges.split("any(array(")[-1]
    assert "model.stripe_warehouse.charges" in ran


def _assert_staging_views_read_new_rows_by_index(env) -> None:
    """Every staging view's filter on `loaded_at` can be answered by its raw
    table's index on the load time (the extractor's, on the views' own
    expression): with sequential scans priced out, no raw table is read
    whole. A change to either expression alone breaks this."""
    views = query(
        env,
        "select table_name from information_schema.columns"
        " where table_schema = 'staging' and column_name = 'loaded_at'",
    )
    assert len(views) >= 15
    read_whole = {}
    with connect(env) as conn, conn.cursor() as cur:
        cur.execute("set enable_seqscan = off")
        for (view,) in views:
            cur.execute(
                f"explain (verbose) select count(*) from staging.{view}"
                " where loaded_at > cast('2100-01-01' as timestamptz)"
            )
            plan = "\n".join(line for (line,) in cur.fetchall())
            scans = re.findall(r"Seq Scan on stripe_raw\.(\w+)", plan)
            if scans or "__loaded_at" not in plan:
                read_whole[view] = scans
    assert read_whole == {}, read_whole


def _assert_new_code_rebuilds_incremental_models_from_scratch(env) -> None:
    """An upgrade of the project changes the code of an incremental model
    whose raw tables did not change: make build builds it from scratch, so
    rows written by the old code are written again (an incremental run
    would read only rows loaded since the last build: none)."""
    conn = connect(env)
    with conn.cursor() as cur:
        state = state_dir(dict(env, DBT_TARGET_PATH=str(DBT_TARGET)), cur)
    conn.close()
    saved = json.loads((state / "manifest.json").read_text())
    node = saved["nodes"]["model.stripe_warehouse.fct_refunds"]
    node["raw_code"] += "\n-- the code of an earlier release"
    (state / "manifest.json").write_text(json.dumps(saved))
    (refunds,) = one(env, "select count(*) from marts.fct_refunds")
    assert refunds > 0
    _execute(env, "update marts.fct_refunds set reason = 'written by old code'")

    output, ran = changed_build(env)
    assert "no changed raw table" in output
    assert "from scratch (--full-refresh)" in output
    assert re.search(r"since the last passing build \([^)]*\bfct_refunds\b", output)
    assert "model.stripe_warehouse.fct_refunds" in ran
    assert "model.stripe_warehouse.fct_charges" not in ran
    assert one(
        env,
        "select count(*) from marts.fct_refunds where reason = 'written by old code'",
    ) == (0,)
    assert one(env, "select count(*) from marts.fct_refunds") == (refunds,)


def _assert_left_out_tests_are_constraints(env, output: str, ran: set[str]) -> None:
    """make build leaves out the data tests that repeat an enforced
    constraint, and only those: each one it left out has its constraint in
    the database (read from PostgreSQL's catalog, not from the manifest),
    and the tests no constraint stands for ran."""
    manifest = json.loads((DBT_TARGET / "manifest.json").read_text())
    nodes = manifest["nodes"]
    left_out = set(enforced_key_tests(manifest))
    assert f"build: {len(left_out)} data tests are left to PostgreSQL" in output
    assert len(left_out) > 100
    tests = {n["name"]: n for n in nodes.values() if n["resource_type"] == "test"}
    assert {tests[name]["unique_id"] for name in left_out}.isdisjoint(ran)
    assert {n["unique_id"] for name, n in tests.items() if name not in left_out} <= ran
    relation = {
        uid: f"{n['schema']}.{n['alias']}"
        for uid, n in nodes.items()
        if n["resource_type"] in ("model", "seed")
    }
    by_name = {
        n["name"]: uid for uid, n in nodes.items() if n["resource_type"] == "model"
    }
    for name in sorted(left_out):
        test = tests[name]
        kind = test["test_metadata"]["name"]
        kwargs = test["test_metadata"]["kwargs"]
        table = relation[test["attached_node"]]
        if kind == "not_null":
            held = query(
                env,
                "select attnotnull from pg_attribute"
                " where attrelid = %s::regclass and attname = %s",
                (table, test["column_name"]),
            ) == [(True,)]
        elif kind in ("unique", "unique_combination_of_columns"):
            columns = kwargs.get("combination") or [test["column_name"]]
            held = bool(
                query(
                    env,
                    "select 1 from pg_index i where i.indrelid = %s::regclass"
                    " and i.indisunique and (select array_agg(attname::text"
                    " order by attname) from pg_attribute a where a.attrelid ="
                    " i.indrelid and a.attnum = any(i.indkey)) = %s",
                    (table, sorted(columns)),
                )
            )
        else:
            parent = relation[by_name[re.search(r"ref\('(\w+)'\)", kwargs["to"])[1]]]
            held = bool(
                query(
                    env,
                    "select 1 from pg_constraint c where c.contype = 'f'"
                    " and c.conrelid = %s::regclass and c.confrelid = %s::regclass"
                    " and c.conkey = array[(select attnum from pg_attribute"
                    " where attrelid = c.conrelid and attname = %s)]"
                    " and c.confkey = array[(select attnum from pg_attribute"
                    " where attrelid = c.confrelid and attname = %s)]",
                    (table, parent, test["column_name"], kwargs["field"]),
                )
            )
        assert held, (
            f"{name} was left out of make build, but {table} has no such constraint"
        )


def _fixture_charge(**changes) -> dict:
    """The fixture snapshot's first charge, with `changes`."""
    line = (FIXTURE_SNAPSHOT / "charges.jsonl").read_text().splitlines()[0]
    return dict(json.loads(line), **changes)


def _load_later_charge(env, tmp_path: Path, charge: dict, load_id: str) -> None:
    """Loads `charge` alone into raw, as the load `load_id`."""
    later = tmp_path / "later"
    later.mkdir(exist_ok=True)
    shutil.copy(FIXTURE_SNAPSHOT / "manifest.json", later)
    (later / "charges.jsonl").write_text(json.dumps(charge) + "\n")
    raw_from_snapshot(env, later, load_id)


def _execute(env, statement: str) -> None:
    conn = connect(env)
    with conn, conn.cursor() as cur:
        cur.execute(statement)
    conn.close()


def test_incremental_build_tests_the_rows_it_wrote_until_they_pass(stack_env, tmp_path):
    build_charges = (
        "build",
        "--select",
        "charges",
        "--exclude",
        "test_type:unit",
        "--indirect-selection",
        "cautious",
    )
    with fresh_database(stack_env) as env:
        raw_from_snapshot(env, FIXTURE_SNAPSHOT, FIXTURE_LOAD_ID)
        dbt(env, "build", "--select", "+charges", *build_charges[3:])
        (watermark,) = one(
            env,
            "select loaded_at from dbt_meta.build_watermarks"
            " where model_id = 'model.stripe_warehouse.charges'",
        )
        assert watermark == one(env, "select max(loaded_at) from oltp.charges")[0]

        # A row the last passing build tested is not read again by the next
        # one; `dbt test` still reads every row.
        _execute(
            env,
            "update oltp.charges set status = 'bogus' where charge_id = 'ch_fx0012'",
        )
        assert "ERROR=0" in dbt(env, *build_charges).stdout
        tested_all = dbt(env, "test", *build_charges[1:], check=False)
        assert tested_all.returncode != 0
        assert "accepted_values_charges_status" in tested_all.stdout
        _execute(
            env,
            "update oltp.charges set status = 'succeeded'"
            " where charge_id = 'ch_fx0012'",
        )

        # A new row that fails stays under test until it is fixed.
        bogus = _fixture_charge(id="ch_fx_bogus", status="bogus")
        _load_later_charge(env, tmp_path, bogus, "1792540800.000003")
        failed = dbt(env, *build_charges, check=False)
        assert failed.returncode != 0
        assert "accepted_values_charges_status" in failed.stdout
        # The failed build kept the watermark, below the new row's load, and
        # the test reads the rows above it: the next build tests the row
        # again. The watermark is in the test's SQL as a literal, which
        # PostgreSQL plans with the index on loaded_at.
        (compiled,) = (DBT_TARGET / "run").glob(
            "**/accepted_values_charges_status*.sql"
        )
        assert (
            f"loaded_at > cast('{watermark:%Y-%m-%d %H:%M:%S}" in compiled.read_text()
        )
        assert one(
            env,
            "select loaded_at from dbt_meta.build_watermarks"
            " where model_id = 'model.stripe_warehouse.charges'",
        ) == (watermark,)
        bogus["status"] = "failed"
        _load_later_charge(env, tmp_path, bogus, "1792540800.000004")
        assert "ERROR=0" in dbt(env, *build_charges).stdout

        # The charges' amounts are one test of the staging view (tested
        # together, so a full build reads each document once); a charge
        # that lacks its last amount and is not deleted fails it.
        unrefunded = _fixture_charge(id="ch_fx_no_refunded_amount")
        del unrefunded["amount_refunded"]
        _load_later_charge(env, tmp_path, unrefunded, "1792540800.000005")
        failed = dbt(
            env,
            "test",
            "--select",
            "stg_stripe__charges",
            "--indirect-selection",
            "cautious",
            check=False,
        )
        assert failed.returncode != 0
        assert "FAIL 1 is_null_only_when_stg_stripe__charges" in failed.stdout
