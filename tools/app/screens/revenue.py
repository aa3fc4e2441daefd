"""Revenue: presentment sales per period, and the settlement ledger."""

from __future__ import annotations

import streamlit as st

from tools.app import charts, fmt
from tools.app.context import View

TITLE = "Revenue"
SLUG = "revenue"
GRAINS = {"Daily": "day", "Weekly": "week", "Monthly": "month"}
LEDGER_MODEL = "metrics_balance_daily"


def _sales(view: View, grain: str) -> None:
    st.subheader("Sales (presentment)")
    periods = view.frame(
        "revenue_periods",
        **view.days,
        grain=grain,
    )
    if periods.empty:
        st.info(
            "No charges in these dates: widen the date range, or load new data"
            " with `make extract build`."
        )
        return
    st.altair_chart(
        charts.sales_bars(periods, view.display_currency.upper()), width="stretch"
    )
    totals = periods[["gross", "refunds", "disputes_lost", "net_sales"]].sum()
    columns = st.columns(4)
    for column, (label, key) in zip(
        columns,
        [
            ("Gross captured", "gross"),
            ("Refunded", "refunds"),
            ("Disputes lost", "disputes_lost"),
            ("Net sales", "net_sales"),
        ],
        strict=True,
    ):
        column.metric(label, f"{totals[key]:,.2f} {view.display_currency.upper()}")
    table = fmt.cents(periods)
    table["period"] = table["period"].dt.strftime("%Y-%m-%d")
    st.dataframe(table.set_index("period"), width="stretch")


def _ledger(view: View, grain: str) -> None:
    st.subheader("Settlement ledger")
    if not view.has(LEDGER_MODEL):
        st.info(
            f"The settlement ledger ({LEDGER_MODEL}) is not in this warehouse:"
            " run `make build` to build it."
        )
        return
    ledger = view.frame(
        "ledger_periods",
        **view.days,
        grain=grain,
    )
    if ledger.empty:
        st.info("No balance activity in these dates.")
        return
    st.caption(
        "What reached the Stripe balance, in each settlement currency: the"
        " flows of each period and the balance at its last day."
    )
    st.altair_chart(
        charts.line(ledger, "period", "ending_balance", "currency", "Balance"),
        width="stretch",
    )
    table = fmt.cents(ledger)
    table["period"] = table["period"].dt.strftime("%Y-%m-%d")
    st.dataframe(table.set_index(["period", "currency"]), width="stretch")


def render(view: View) -> None:
    st.title("Revenue")
    label = st.segmented_control(
        "Period", list(GRAINS), default="Weekly", key="revenue_grain"
    )
    grain = GRAINS[label or "Weekly"]
    st.caption(
        f"In {view.currency_label}, {view.start_date:%Y-%m-%d} to"
        f" {view.end_date:%Y-%m-%d}. Net sales = captured − refunded − disputes"
        " lost, by the day each happened; fees are in the ledger."
    )
    _sales(view, grain)
    _ledger(view, grain)
