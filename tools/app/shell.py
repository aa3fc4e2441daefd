"""The app around the pages: navigation, the warehouse's state, filters.

A page only renders when what it reads exists; every other state (no
server, nothing built, no FX rate) is a sentence naming the command that
fixes it, never a traceback.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from types import ModuleType

import streamlit as st

from tools.app import db, filters, queries
from tools.app.context import BUILD_HINT, View
from tools.app.screens import customers, fraud, health, mrr, overview, revenue

PAGES: dict[str, ModuleType] = {
    page.SLUG: page for page in (overview, mrr, revenue, customers, fraud, health)
}


def _choose_page() -> ModuleType:
    """The sidebar's page, kept in the URL (?page=mrr) so a link opens it."""
    slugs = list(PAGES)
    asked = st.query_params.get("page", slugs[0])
    if "page" not in st.session_state:
        st.session_state["page"] = asked if asked in PAGES else slugs[0]
    slug = st.sidebar.radio(
        "Page", slugs, format_func=lambda s: PAGES[s].TITLE, key="page"
    )
    st.query_params["page"] = slug
    return PAGES[slug]


def _measured(view: View) -> View:
    as_of = view.frame("as_of").iloc[0]

    def day(value) -> dt.date | None:
        return None if value is None or value != value else value.date()

    return dataclasses.replace(
        view,
        latest_month=day(as_of["latest_month"]),
        last_full_month=day(as_of["last_full_month"]),
        measured_on_date=day(as_of["measured_on_date"]),
        latest_revenue_date=day(as_of["latest_revenue_date"]),
        first_month=day(as_of["first_month"]),
    )


def _warn_unconverted(view: View) -> None:
    if view.currency is None and view.unconverted:
        codes = ", ".join(code.upper() for code in view.unconverted)
        st.warning(
            f"No FX rate for {codes}: reporting-currency totals leave it out."
            " Add its rates to seeds/fx_rates.csv and run `make build`, or"
            " pick the currency in the sidebar."
        )


def render() -> None:
    st.set_page_config(page_title="Stripe warehouse", page_icon="📈", layout="wide")
    page = _choose_page()
    settings = db.connection_settings()
    try:
        view = View(settings=settings, relations=frozenset(queries.relations(settings)))
    except db.WarehouseUnavailable as exc:
        if db.engine(settings) != "postgres":
            st.warning(
                f"Cannot open {db.describe(settings)} ({exc}): build it with"
                f" `make all WAREHOUSE={db.engine(settings)}`, and stop a build"
                " still writing to it."
            )
        else:
            st.warning(
                f"No warehouse answers at {db.describe(settings)}: start it"
                " with `make up`, or run the app with `make app`, which"
                " starts it."
            )
        return
    if not view.is_built:
        if page is health:
            health.render(view)
            return
        st.info(f"The warehouse has no marts yet: {BUILD_HINT}.")
        return
    try:
        view = _measured(view)
        if view.latest_month is None:
            st.info(f"The marts are empty: {BUILD_HINT}.")
            if page is health:
                health.render(view)
            return
        view = filters.apply(view)
        _warn_unconverted(view)
        page.render(view)
    except db.NotPermitted as exc:
        st.warning(
            f"The app's role may not read what this page needs ({exc}):"
            " grant it usage and select on schema marts."
        )
    except db.MissingRelation as exc:
        st.info(f"A mart is missing ({exc}): run `make build`.")
