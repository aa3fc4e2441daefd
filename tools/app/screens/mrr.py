"""MRR: movements, the roll-forward, MRR by product and interval, cohorts."""

from __future__ import annotations

import streamlit as st

from tools.app import charts, fmt
from tools.app.context import View

TITLE = "MRR"
SLUG = "mrr"
ROLL_FORWARD = {
    "month": "Month",
    "starting_mrr": "Starting",
    "new_mrr": "+ New",
    "expansion_mrr": "+ Expansion",
    "reactivation_mrr": "+ Reactivation",
    "contraction_mrr": "− Contraction",
    "churned_mrr": "− Churn",
    "fx_effect_mrr": "± FX",
    "ending_mrr": "Ending",
    "active_subscriptions": "Subscriptions",
    "new_subscriptions": "New subs",
    "churned_subscriptions": "Churned subs",
}


def _movements(view: View) -> None:
    monthly = view.frame("mrr_monthly", **view.months)
    if monthly.empty:
        st.info(
            "No MRR in these months: widen the date range, or run `make build`"
            " if the warehouse has new data."
        )
        return
    st.subheader("MRR movements")
    st.altair_chart(
        charts.mrr_movements(monthly, view.display_currency.upper()),
        width="stretch",
    )
    st.subheader("Roll-forward")
    table = monthly[[c for c in ROLL_FORWARD if c in monthly.columns]].copy()
    if view.currency:
        table = table.drop(columns=["fx_effect_mrr"])
    table["month"] = table["month"].dt.strftime("%Y-%m")
    table = fmt.cents(table)
    st.dataframe(
        table.rename(columns=ROLL_FORWARD).set_index("Month").T,
        width="stretch",
    )
    if not view.currency:
        st.caption(
            "In the reporting currency each month's movements are converted at"
            " that month's measuring rate; ± FX is what the rates' changes add"
            " to the roll-forward."
        )


def _mrr_split(view: View, query: str, by: str, title: str) -> None:
    """MRR per month split by one attribute, as stacked areas."""
    st.subheader(title)
    split = view.frame(query, **view.months, product_id=view.product_id)
    if split.empty:
        st.info(f"No {title} in these months.")
        return
    chart = charts.stacked_area(split, "month", "mrr", by, view.currency_label)
    st.altair_chart(chart, width="stretch")


def _by_product_and_interval(view: View) -> None:
    left, right = st.columns(2)
    with left:
        _mrr_split(view, "product_mrr", "product", "MRR by product")
    with right:
        if view.has("int_subscription_items_valued_monthly"):
            _mrr_split(view, "interval_mrr", "plan_interval", "MRR by plan interval")
        else:
            st.subheader("MRR by plan interval")
            st.info("The valued subscription items are not built: run `make build`.")


def _cohorts(view: View) -> None:
    st.subheader("Customer retention by cohort")
    if not view.has("metrics_mrr_cohorts"):
        st.info("The cohort rollup is not built: run `make build`.")
        return
    cohorts = view.frame("cohorts", **view.months)
    if cohorts.empty:
        st.info("No customer started a subscription with MRR in these months.")
        return
    st.caption(
        "Customers grouped by the month of their first subscription with MRR;"
        " each cell is the share of the cohort with MRR that many months later."
    )
    st.altair_chart(charts.cohort_heatmap(cohorts), width="stretch")


def render(view: View) -> None:
    st.title("MRR")
    st.caption(
        f"In {view.currency_label}, {view.start_month:%b %Y} to {view.end_month:%b %Y}."
    )
    _movements(view)
    _by_product_and_interval(view)
    _cohorts(view)
