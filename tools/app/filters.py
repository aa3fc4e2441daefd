"""The sidebar: page, currency, date range, product."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import streamlit as st

from tools.app.context import View, month_before

DEFAULT_MONTHS = 12


def _reporting_option(reporting: str) -> str:
    return f"Reporting currency ({reporting.upper()})"


def currency(currencies: pd.DataFrame) -> tuple[str | None, str, tuple[str, ...]]:
    """The chosen currency (None: reporting), the reporting currency, and
    the currencies in use that have no FX rate."""
    reporting_rows = currencies.loc[currencies["is_reporting_currency"]]
    reporting = (
        reporting_rows["currency_code"].iloc[0] if not reporting_rows.empty else "usd"
    )
    used = currencies.loc[currencies["is_used"]]
    unconverted = tuple(used.loc[~used["has_fx_rate"], "currency_code"])
    options = [_reporting_option(reporting), *used["currency_code"].str.upper()]
    choice = st.sidebar.selectbox("Currency", options, key="currency")
    chosen = None if choice == options[0] else choice.lower()
    return chosen, reporting, unconverted


def dates(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    default_start = max(first, month_before(last.replace(day=1), DEFAULT_MONTHS - 1))
    picked = st.sidebar.date_input(
        "Dates",
        value=(default_start, last),
        min_value=first,
        max_value=last,
        key="dates",
    )
    if isinstance(picked, tuple | list) and len(picked) == 2:
        return picked[0], picked[1]
    start = picked[0] if isinstance(picked, tuple | list) and picked else default_start
    return start, last  # the second day not picked yet


def product(products: pd.DataFrame) -> tuple[str | None, str | None]:
    names = dict(zip(products["product_id"], products["product_name"], strict=True))
    options = [None, *names]
    chosen = st.sidebar.selectbox(
        "Product",
        options,
        format_func=lambda pid: "All products" if pid is None else names[pid],
        key="product",
        help="Narrows the MRR tiles and the MRR by product and interval charts.",
    )
    return chosen, names.get(chosen)


def apply(view: View) -> View:
    """The view with the sidebar's choices filled in."""
    currencies = view.frame("currencies")
    chosen, reporting, unconverted = currency(currencies)
    last = view.measured_on_date or view.latest_revenue_date or dt.date.today()
    if view.latest_revenue_date:
        last = max(last, view.latest_revenue_date)
    first = view.first_month or month_before(last.replace(day=1), DEFAULT_MONTHS)
    start, end = dates(first, last)
    product_id, product_name = product(view.frame("products"))
    return dataclasses.replace(
        view,
        currency=chosen,
        reporting_currency=reporting,
        unconverted=unconverted,
        start_date=start,
        end_date=end,
        product_id=product_id,
        product_name=product_name,
    )
