"""metrics_balance_daily and metrics_revenue_daily equal, row for row and to
the minor unit, an independent Python calculation of the same rules
(tests/reference/ledger.py) on the snapshot the warehouse was built from.
Here the hand-made fixture; the synthetic company of REFERENCE_CUSTOMERS
customers (1,000 unless set) is compared in test_company.py, which
builds that company once for the MRR and the ledger references."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from conftest import FIXTURE_SNAPSHOT, query

from tests.reference import ledger

MODELS = ("metrics_balance_daily", "metrics_revenue_daily")
BALANCE_COLUMNS = (
    "sales_amount, refunds_amount, disputes_amount, other_amount, fee_amount,"
    " net_activity_amount, payouts_amount, payout_fee_amount, balance_amount,"
    " sales_count, refunds_count, disputes_count, other_count, payouts_count,"
    " balance_transaction_count"
)
REVENUE_COLUMNS = (
    "gross_captured_amount, refunded_amount, disputes_lost_amount,"
    " net_sales_amount, charge_count, succeeded_charge_count,"
    " failed_charge_count, refund_count, dispute_count"
)


def _cents(amount: Decimal, currency: str, exponent_of: dict[str, int]) -> int:
    cents = amount.scaleb(exponent_of[currency])
    assert cents == cents.to_integral_value(), (
        f"{amount} {currency}: below the minor unit"
    )
    return int(cents)


def _warehouse_rows(env: dict[str, str], model: str, columns: str) -> dict:
    rows = query(env, f"select date_day, currency, {columns} from marts.{model}")
    return {(day, currency): values for day, currency, *values in rows}


def _expected_balance(directory: Path) -> dict:
    return {
        key: (
            *(row.amount[kind] for kind in ("sales", "refunds", "disputes", "other")),
            row.fee,
            row.net_activity,
            row.amount["payouts"],
            row.payout_fee,
            row.balance,
            *(row.count[kind] for kind in ledger.CLASSES),
            row.transaction_count,
        )
        for key, row in ledger.balance_daily(directory).items()
    }


def _expected_revenue(directory: Path) -> dict:
    return {
        key: (
            row.gross_captured,
            row.refunded,
            row.disputes_lost,
            row.net_sales,
            row.charge_count,
            row.succeeded_charge_count,
            row.failed_charge_count,
            row.refund_count,
            row.dispute_count,
        )
        for key, row in ledger.revenue_daily(directory).items()
    }


def _in_minor_units(rows: dict, money_columns: int, exponent_of) -> dict:
    return {
        (day, currency): tuple(
            _cents(value, currency, exponent_of) if index < money_columns else value
            for index, value in enumerate(values)
        )
        for (day, currency), values in rows.items()
    }


def assert_matches_reference(env: dict[str, str], directory: Path) -> None:
    exponent_of = ledger.exponents()
    for model, columns, expected, money in (
        ("metrics_balance_daily", BALANCE_COLUMNS, _expected_balance(directory), 9),
        ("metrics_revenue_daily", REVENUE_COLUMNS, _expected_revenue(directory), 4),
    ):
        actual = _in_minor_units(
            _warehouse_rows(env, model, columns), money, exponent_of
        )
        assert expected, f"the snapshot gives {model} no rows"
        missing = sorted(set(expected) - set(actual))
        extra = sorted(set(actual) - set(expected))
        assert not missing and not extra, (
            f"{model}: rows only in the reference {missing[:5]},"
            f" only in the warehouse {extra[:5]}"
        )
        wrong = [
            (key, expected[key], actual[key])
            for key in sorted(expected)
            if expected[key] != actual[key]
        ]
        assert not wrong, f"{model} ({columns}) differs from the reference: {wrong[:5]}"


def test_fixture_ledger_matches_reference(oltp_warehouse):
    assert_matches_reference(oltp_warehouse, FIXTURE_SNAPSHOT)
