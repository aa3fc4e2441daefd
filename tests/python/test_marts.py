"""The marts built on the hand-made fixture snapshot (tests/fixtures/snapshot).

The fixture's business is small enough to check MRR by hand (see
tests/fixtures/build_snapshot.py): Alice pays 20 + 3 x 5 usd a month with a
forever 10 % coupon and goes to 5 seats on 15 August; Bruno 200 eur a year
with a once coupon; Chiyo 1500 jpy a week x 2, past_due; Dana trialing;
Emil 20 usd a month until he cancels on 15 July; Greta 20 usd plus a metered
item; Lena a legacy 49 usd plan with the forever 10 % coupon. The snapshot
was captured on 2026-10-20, the load time the tests give it.
"""

from __future__ import annotations

import json
import re
import sys
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import DBT_TARGET, FIXTURE_LOAD_ID, connect, query, run

DBT = str(Path(sys.executable).parent / "dbt")
CAPTURED_AT = datetime(2026, 10, 20, tzinfo=UTC)
MONTHS = [date(2026, month, 1) for month in range(5, 11)]
FACTS = [
    "fct_charges",
    "fct_refunds",
    "fct_disputes",
    "fct_invoices",
    "fct_invoice_line_items",
    "fct_balance_transactions",
    "fct_mrr",
]


def _load_id(at: datetime) -> str:
    return f"{at.timestamp():.6f}"


def _build(env: dict[str, str], *args: str) -> float:
    """dbt build of the models, seeds and snapshots (the data tests of an
    incremental build are test_dbt_oltp's business); the seconds it took."""
    started = time.monotonic()
    models_only = ("--exclude-resource-type", "test", "--exclude-resource-type")
    run([DBT, "build", *models_only, "unit_test", *args], env, timeout=1200)
    return time.monotonic() - started


@pytest.fixture(scope="module")
def marts_env(oltp_warehouse: dict[str, str]) -> dict[str, str]:
    """The session's fixture warehouse (conftest.oltp_warehouse: the fixture
    snapshot loaded as of CAPTURED_AT and every layer built once). The tests
    below only read it, except the last ones, which say so; no later module
    uses it.
    """
    assert FIXTURE_LOAD_ID.startswith(f"{CAPTURED_AT.timestamp():.0f}.")
    return oltp_warehouse


def _mrr(env: dict[str, str]) -> dict[tuple[str, date], tuple[str, Decimal]]:
    rows = query(
        env,
        "select subscription_id, month, movement, mrr_amount from marts.fct_mrr",
    )
    return {(sub, month): (movement, amount) for sub, month, movement, amount in rows}


def test_mrr_of_hand_checkable_subscriptions(marts_env):
    mrr = _mrr(marts_env)
    # Alice: (20 + 3 x 5) x 0.9, then 5 seats from the 15 August proration.
    for month in MONTHS[:3]:
        assert mrr["sub_fx_alice", month][1] == Decimal("31.5")
    assert mrr["sub_fx_alice", MONTHS[0]][0] == "new"
    assert mrr["sub_fx_alice", MONTHS[3]] == ("expansion", Decimal("40.5"))
    assert mrr["sub_fx_alice", MONTHS[5]] == ("unchanged", Decimal("40.5"))
    # Bruno: 200 eur a year is 16.666667 a month; the once coupon is ignored.
    assert mrr["sub_fx_bruno", date(2026, 6, 1)] == ("new", Decimal("16.666667"))
    # Chiyo: jpy has no minor unit; 1500 x 2 x 52 / 12; past_due counts.
    assert mrr["sub_fx_chiyo", date(2026, 9, 1)] == ("new", Decimal("13000"))
    assert mrr["sub_fx_chiyo", date(2026, 10, 1)][1] == Decimal("13000")
    # Emil: canceled on 15 July, so July's month end has nothing.
    assert mrr["sub_fx_emil", date(2026, 6, 1)][1] == Decimal("20")
    assert mrr["sub_fx_emil", date(2026, 7, 1)] == ("churn", Decimal("0"))
    assert ("sub_fx_emil", date(2026, 8, 1)) not in mrr
    # Greta: the metered item counts zero.
    assert mrr["sub_fx_greta", date(2026, 8, 1)] == ("new", Decimal("20"))
    # Lena (pre-2025 shapes): 49 x 0.9.
    assert mrr["sub_fx_lena", date(2026, 10, 1)][1] == Decimal("44.1")
    # Dana is trialing: never any MRR.
    assert not [key for key in mrr if key[0] == "sub_fx_dana"]


def test_mrr_roll_forward_per_month(marts_env):
    rows = query(
        marts_env,
        "select currency, month, starting_mrr_amount, new_mrr_amount,"
        " expansion_mrr_amount, reactivation_mrr_amount,"
        " contraction_mrr_amount, churned_mrr_amount, ending_mrr_amount"
        " from marts.metrics_mrr_monthly order by currency, month",
    )
    previous: dict[str, Decimal] = {}
    endings: dict[str, list[Decimal]] = {}
    for currency, _month, start, new, expand, react, contract, churn, end in rows:
        assert start + new + expand + react - contract - churn == end
        assert start == previous.get(currency, Decimal(0))
        previous[currency] = end
        endings.setdefault(currency, []).append(end)
    # Alice + Emil + Lena; Emil churns in July; Greta starts in August
    # while Alice expands by 9.
    usd = [Decimal(v) for v in ("95.6", "95.6", "75.6", "104.6", "104.6", "104.6")]
    assert endings["usd"] == usd
    assert endings["eur"] == [Decimal("16.666667")] * 5
    assert endings["jpy"] == [Decimal("13000")] * 2


def test_money_marts_carry_reporting_currency(marts_env):
    # jpy stays in yen (no division by 100) and converts at the seed's rate.
    rows = query(
        marts_env,
        "select fct.amount, fct.reporting_amount, rates.rate_to_reporting"
        " from marts.fct_charges as fct"
        " inner join marts.int_fx_rates_daily as rates"
        " on rates.currency = fct.currency and rates.rate_date = fct.created_date"
        " where fct.currency = 'jpy'",
    )
    assert rows
    for amount, reporting_amount, rate in rows:
        assert amount == Decimal(3000)
        assert reporting_amount == round(amount * rate, 6)


# The facts that convert several amounts of each row (the rate joined once
# per row, macros/marts/fx.sql): their date column and converted amounts.
CONVERTED = {
    "fct_invoices": (
        "created_date",
        "subtotal discount_amount tax_amount total amount_due amount_paid"
        " amount_remaining",
    ),
    "fct_charges": ("created_date", "amount amount_captured amount_refunded fee"),
    "fct_balance_transactions": ("created_date", "amount fee net"),
    "fct_invoice_line_items": ("invoice_created_date", "amount net_amount"),
}


@pytest.mark.parametrize("model", sorted(CONVERTED))
def test_every_converted_amount_is_the_amount_at_its_days_rate(marts_env, model):
    """Each row's reporting amounts are its amounts times the rate of its
    currency on its date, rounded to six places, here in Python; null
    only where the rates have no such day."""
    date_column, columns = CONVERTED[model]
    columns = columns.split()
    selected = ", ".join(f"fct.{c}, fct.reporting_{c}" for c in columns)
    rows = query(
        marts_env,
        f"select rates.rate_to_reporting, {selected} from marts.{model} as fct"
        " left join marts.int_fx_rates_daily as rates"
        " on rates.currency = fct.currency"
        f" and rates.rate_date = fct.{date_column}",
    )
    assert rows
    for rate, *values in rows:
        for amount, converted in zip(values[::2], values[1::2], strict=True):
            if rate is None or amount is None:
                assert converted is None
            else:
                assert converted == round(amount * rate, 6), (model, amount, rate)


def test_every_fact_row_resolves_to_its_dimensions(marts_env):
    unresolved = query(
        marts_env,
        "select count(*) from marts.fct_charges as fct"
        " left join marts.dim_customers as customers using (customer_id)"
        " left join marts.dim_payment_methods as methods using (payment_method_id)"
        " left join marts.dim_date as dates on dates.date_day = fct.created_date"
        " where customers.customer_id is null or methods.payment_method_id is null"
        " or dates.date_day is null",
    )
    assert unresolved == [(0,)]
    # The charge of a customer no list returns points at a placeholder, the
    # one-off charges without a payment method at the unknown member.
    unknown = query(
        marts_env,
        "select count(*) from marts.fct_charges where payment_method_id = 'unknown'",
    )
    assert unknown[0][0] >= 2


def test_incremental_rebuild_changes_nothing(marts_env):
    counts = {
        fact: query(marts_env, f"select count(*) from marts.{fact}")[0][0]
        for fact in FACTS
    }
    mrr = _mrr(marts_env)
    seconds = _build(marts_env)
    print(f"\nincremental dbt build, nothing new: {seconds:.1f} s")
    for fact, count in counts.items():
        assert query(marts_env, f"select count(*) from marts.{fact}")[0][0] == count
    assert _mrr(marts_env) == mrr


def test_a_later_load_updates_marts_and_snapshot_keeps_history(marts_env):
    """Mutates the module's database: Greta cancels on 10 October."""
    later = datetime(2026, 10, 21, tzinfo=UTC)
    canceled = int(datetime(2026, 10, 10, tzinfo=UTC).timestamp())
    conn = connect(marts_env)
    with conn, conn.cursor() as cur:
        cur.execute(
            "update stripe_raw.subscriptions set data = data || %s::jsonb,"
            " _dlt_load_id = %s where id = 'sub_fx_greta'",
            (
                json.dumps(
                    {
                        "status": "canceled",
                        "canceled_at": canceled,
                        "ended_at": canceled,
                    }
                ),
                _load_id(later),
            ),
        )
    conn.close()
    seconds = _build(marts_env)
    print(f"\nincremental dbt build after a change: {seconds:.1f} s")
    mrr = _mrr(marts_env)
    assert mrr["sub_fx_greta", date(2026, 10, 1)] == ("churn", Decimal("0"))
    assert mrr["sub_fx_greta", date(2026, 9, 1)][1] == Decimal("20")
    versions = query(
        marts_env,
        "select status, dbt_valid_to is null from snapshots.subscriptions_snapshot"
        " where subscription_id = 'sub_fx_greta' order by dbt_valid_from",
    )
    assert versions == [("active", False), ("canceled", True)]
    # The snapshot compared only the rows loaded since its newest version.
    results = json.loads((DBT_TARGET / "run_results.json").read_text())["results"]
    compiled = {r["unique_id"]: r["compiled_code"] for r in results}
    snapshot_sql = compiled["snapshot.stripe_warehouse.subscriptions_snapshot"]
    watermark = re.search(r"where loaded_at > cast\('([^']+)'", snapshot_sql)
    assert watermark, snapshot_sql
    assert query(
        marts_env,
        "select %s::timestamptz = to_timestamp(%s::double precision)",
        (watermark.group(1), FIXTURE_LOAD_ID),
    ) == [(True,)]
