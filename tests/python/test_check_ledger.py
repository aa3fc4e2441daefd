"""check-db's ledger section: per settlement currency, raw = OLTP = marts."""

from __future__ import annotations

from tests.python.conftest import connect
from tools.checks.check_db import check_ledger

TABLES = """
create schema stripe_raw;
create schema oltp;
create table stripe_raw.balance_transactions (id text, is_deleted bool, data jsonb);
create table oltp.balance_transactions (
    balance_transaction_id text, currency text, amount_cents bigint,
    fee_cents bigint, net_cents bigint, amount numeric, fee numeric,
    net numeric, is_missing_from_source bool);
insert into stripe_raw.balance_transactions values
    ('txn_1', false, '{"currency": "usd", "amount": 1000, "fee": 59, "net": 941}'),
    ('txn_2', false, '{"currency": "usd", "amount": -941, "fee": 0, "net": -941}'),
    ('txn_3', false, '{"currency": "eur", "amount": 500, "fee": 40, "net": 460}');
insert into oltp.balance_transactions values
    ('txn_1', 'usd', 1000, 59, 941, 10.00, 0.59, 9.41, false),
    ('txn_2', 'usd', -941, 0, -941, -9.41, 0, -9.41, false),
    ('txn_3', 'eur', 500, 40, 460, 5.00, 0.40, 4.60, false),
    ('txn_4', 'eur', null, null, null, null, null, null, true);
"""
MART = """
create schema marts;
create table marts.metrics_balance_daily (
    date_day date, currency text, sales_amount numeric, refunds_amount numeric,
    disputes_amount numeric, other_amount numeric, payouts_amount numeric,
    fee_amount numeric, payout_fee_amount numeric, balance_amount numeric);
insert into marts.metrics_balance_daily values
    ('2026-01-01', 'usd', 10.00, 0, 0, 0, 0, 0.59, 0, 9.41),
    ('2026-01-02', 'usd', 0, 0, 0, 0, -9.41, 0, 0, 0),
    ('2026-01-01', 'eur', 5.00, 0, 0, 0, 0, 0.40, 0, 4.60);
"""


def ledger(env: dict[str, str], *statements: str) -> tuple[list[str], list[str]]:
    conn = connect(env)
    try:
        with conn, conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
            return check_ledger(cur)
    finally:
        conn.close()


def test_ledger_agrees_and_skips_an_absent_mart(new_database):
    lines, problems = ledger(new_database, TABLES)
    assert problems == []
    assert any("metrics_balance_daily is absent" in line for line in lines)
    assert "  usd: raw (59, 59, 0), OLTP (59, 59, 0) (minor units)" in lines


def test_ledger_names_each_difference(new_database):
    lines, problems = ledger(new_database, TABLES, MART)
    assert problems == [], lines
    lines, problems = ledger(
        new_database,
        "update oltp.balance_transactions set fee_cents = 58 where"
        " balance_transaction_id = 'txn_1'",
        "update marts.metrics_balance_daily set fee_amount = 0.41 where"
        " currency = 'eur'",
    )
    assert problems == [
        "usd: raw (59, 59, 0) != OLTP (59, 58, 0)",
        "eur: OLTP (5.000000, 0.400000, 4.600000) != metrics_balance_daily"
        " (5.000000, 0.410000, 4.600000)",
    ]
