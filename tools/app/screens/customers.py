"""Customers: a searchable list with lifetime figures, and one customer."""

from __future__ import annotations

import streamlit as st

from tools.app import charts, fmt, pii
from tools.app.context import View

TITLE = "Customers"
SLUG = "customers"
LIFETIME_MODEL = "metrics_customer_lifetime"


def _search(view: View):
    search_pii = pii.show_pii()
    hint = "id, email or name" if search_pii else "customer id"
    text = st.text_input(f"Search ({hint})", key="customer_search").strip()
    params = {
        "search": text,
        "search_pii": search_pii,
        "currency": view.currency,
        "latest_month": view.latest_month,
    }
    found = view.frame("customers_search", **params)
    if view.has(LIFETIME_MODEL) and not found.empty:
        found = _with_lifetime_mart(view, found)
    if found.empty:
        st.info("No customer matches." if text else "No customers yet.")
        return found
    st.caption(
        f"Up to 200 customers, most MRR first; amounts in {view.currency_label}."
        + ("" if search_pii else " Personal columns are hidden (APP_SHOW_PII=1).")
    )
    st.dataframe(fmt.cents(found).set_index("customer_id"), width="stretch", height=320)
    return found


def _customer(view: View, customer_id: str) -> None:
    header = view.frame("customer", customer_id=customer_id)
    if header.empty:
        st.info(f"No customer {customer_id}.")
        return
    st.subheader(f"Customer {customer_id}")
    st.dataframe(header.set_index("customer_id"), width="stretch")
    history = view.frame("customer_mrr", customer_id=customer_id)
    if not history.empty:
        st.markdown("**MRR history** (currency of each subscription)")
        st.altair_chart(
            charts.line(history, "month", "mrr", "currency", "MRR"),
            width="stretch",
        )
    sections = [
        ("Subscriptions", "customer_subscriptions"),
        ("Invoices", "customer_invoices"),
        ("Charges", "customer_charges"),
    ]
    for title, query in sections:
        rows = view.frame(
            query, customer_id=customer_id, latest_month=view.latest_month
        )
        st.markdown(f"**{title}**")
        if rows.empty:
            st.caption(f"No {title.lower()}.")
        else:
            st.dataframe(rows, width="stretch", hide_index=True)


def _with_lifetime_mart(view: View, found):
    """The list with the lifetime mart's columns in place of the figures
    summed from the facts."""
    lifetime = view.frame("customer_lifetime", customer_ids=list(found["customer_id"]))
    summed = ["paid_charges", "lifetime_net_paid", "last_charge_at"]
    kept = found.drop(columns=summed)
    extra = [c for c in lifetime.columns if c == "customer_id" or c not in kept]
    return kept.merge(lifetime[extra], on="customer_id", how="left")


def render(view: View) -> None:
    st.title("Customers")
    found = _search(view)
    if found.empty:
        return
    options = list(found["customer_id"])
    chosen = st.selectbox("Customer", options, index=0, key="customer_id")
    if chosen:
        _customer(view, chosen)
