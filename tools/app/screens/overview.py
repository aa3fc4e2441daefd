"""Overview: the business in eight tiles, each against the month before."""

from __future__ import annotations

import streamlit as st

from tools.app import charts, fmt
from tools.app.context import View, month_before

TITLE = "Overview"
SLUG = "overview"
NET_SALES_DAYS = 30


def _tile(column, label, value, delta, *, inverse=False, **extra) -> None:
    """st.metric, with an unchanged figure shown neither good nor bad."""
    flat = delta is not None and delta.lstrip("+-").startswith("0.0")
    column.metric(
        label,
        value,
        delta,
        delta_color="off" if flat else ("inverse" if inverse else "normal"),
        delta_arrow="off" if flat else "auto",
        **extra,
    )


def _row(frame, month, column):
    if frame.empty:
        return None
    match = frame.loc[frame["month"].dt.date == month, column]
    return None if match.empty else match.iloc[0]


def _mrr_tiles(view: View) -> None:
    latest = view.latest_month
    previous = month_before(latest)
    window = {"start_month": previous, "end_month": latest}
    if view.product_id:
        products = view.frame(
            "product_mrr", **window, currency=view.currency, product_id=view.product_id
        )
        mrr = products.groupby("month", as_index=False)[
            ["mrr", "active_subscriptions"]
        ].sum()
        mrr = mrr.rename(columns={"mrr": "ending_mrr"})
    else:
        mrr = view.frame("mrr_monthly", **window, currency=view.currency)
    customers = view.frame("customers_monthly", **window, currency=view.currency)
    now, before = (_row(mrr, m, "ending_mrr") for m in (latest, previous))
    subs_now, subs_before = (
        _row(mrr, m, "active_subscriptions") for m in (latest, previous)
    )
    cust_now, cust_before = (
        _row(customers, m, "active_customers") for m in (latest, previous)
    )
    currency = view.display_currency
    columns = st.columns(4)
    _tile(
        columns[0], "MRR", fmt.money(now or 0, currency), fmt.delta_percent(now, before)
    )
    _tile(
        columns[1],
        "ARR",
        fmt.money((now or 0) * 12, currency),
        fmt.delta_percent(now, before),
    )
    _tile(
        columns[2],
        "Active subscriptions",
        fmt.count(subs_now or 0),
        fmt.delta_percent(subs_now, subs_before),
    )
    _tile(
        columns[3],
        "Active customers",
        fmt.count(cust_now or 0),
        fmt.delta_percent(cust_now, cust_before),
        help="Customers with a subscription with MRR at the month's end"
        " (every product).",
    )


def _churn_rates(view: View, month):
    """Customer and revenue churn rates of a month, None when not measurable."""
    window = {"start_month": month, "end_month": month, "currency": view.currency}
    customers = view.frame("customers_monthly", **window)
    mrr = view.frame("mrr_monthly", **window)
    customer_rate = revenue_rate = None
    starting = _row(customers, month, "starting_customers")
    if starting:
        customer_rate = _row(customers, month, "churned_customers") / starting
    starting_mrr = _row(mrr, month, "starting_mrr")
    if starting_mrr:
        lost = _row(mrr, month, "churned_mrr") + _row(mrr, month, "contraction_mrr")
        revenue_rate = lost / starting_mrr
    return customer_rate, revenue_rate


def _sales_and_churn_tiles(view: View) -> None:
    columns = st.columns(4)
    if view.latest_revenue_date:
        sales = view.frame(
            "net_sales",
            end_date=view.latest_revenue_date,
            window_days=NET_SALES_DAYS,
            currency=view.currency,
        ).iloc[0]
        _tile(
            columns[0],
            f"Net sales, last {NET_SALES_DAYS} days",
            fmt.money(sales["net_sales"], view.display_currency),
            fmt.delta_percent(
                sales["net_sales"],
                sales["previous_net_sales"],
                f"vs prior {NET_SALES_DAYS} days",
            ),
            help="Captured minus refunded minus disputes lost (presentment),"
            f" the {NET_SALES_DAYS} days to {view.latest_revenue_date:%Y-%m-%d}"
            f" against the {NET_SALES_DAYS} days before.",
        )
    else:
        _tile(columns[0], f"Net sales, last {NET_SALES_DAYS} days", "–", None)
    full = view.last_full_month
    if full is None:
        columns[1].caption("No full month measured yet: churn rates need one.")
        return
    customer_rate, revenue_rate = _churn_rates(view, full)
    before_customer, before_revenue = _churn_rates(view, month_before(full))
    _tile(
        columns[1],
        f"Customer churn, {full:%b %Y}",
        fmt.percent(customer_rate),
        fmt.delta_points(customer_rate, before_customer),
        inverse=True,
        help="Customers with MRR at the start of the month who have none at"
        " its end, over the customers with MRR at its start.",
    )
    _tile(
        columns[2],
        f"Revenue churn, {full:%b %Y}",
        fmt.percent(revenue_rate),
        fmt.delta_points(revenue_rate, before_revenue),
        inverse=True,
        help="Churned plus contraction MRR over the month's starting MRR"
        " (gross MRR churn).",
    )
    _tile(columns[3], "Measured on", f"{view.measured_on_date:%Y-%m-%d}", None)


def render(view: View) -> None:
    st.title("Overview")
    st.caption(
        f"In {view.currency_label}. MRR of {view.latest_month:%B %Y}, measured on"
        f" {view.measured_on_date:%Y-%m-%d}; changes against the month before."
        + (f" MRR tiles: {view.product_name} only." if view.product_id else "")
    )
    _mrr_tiles(view)
    _sales_and_churn_tiles(view)
    _trends(view)


def _trends(view: View) -> None:
    left, right = st.columns(2)
    with left:
        st.subheader("MRR")
        monthly = view.frame("mrr_monthly", **view.months)
        if monthly.empty:
            st.info("No MRR in these months.")
        else:
            st.altair_chart(
                charts.area(monthly, "month", "ending_mrr", view.currency_label),
                width="stretch",
            )
    with right:
        st.subheader("Net sales per week")
        weeks = view.frame(
            "revenue_periods",
            **view.days,
            grain="week",
        )
        if weeks.empty:
            st.info("No charges in these dates.")
        else:
            st.altair_chart(
                charts.weekly_bars(weeks, "period", "net_sales", view.currency_label),
                width="stretch",
            )
