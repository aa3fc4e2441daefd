"""Fraud: dispute, refund and decline rates; declines by code; Radar risk."""

from __future__ import annotations

import streamlit as st

from tools.app import charts
from tools.app.context import View

TITLE = "Fraud"
SLUG = "fraud"
RISK_LEVELS = {
    "risk_normal": "normal",
    "risk_elevated": "elevated",
    "risk_highest": "highest",
    "risk_not_assessed": "not assessed",
}


def _rates(view: View) -> None:
    monthly = view.frame(
        "fraud_monthly", start_month=view.start_month, end_month=view.end_month
    )
    if monthly.empty:
        st.info("No charges in these months: widen the date range.")
        return
    st.subheader("Rates per month")
    st.altair_chart(
        charts.rate_lines(
            monthly, "month", ["dispute_rate", "refund_rate", "decline_rate"]
        ),
        width="stretch",
    )
    st.caption(
        "Decline rate = failed / all charges; refund rate = charges with a"
        " refund / succeeded; dispute rate = disputes / succeeded (all currencies)."
    )


def _declines(view: View) -> None:
    st.subheader("Declines by code")
    declines = view.frame(
        "fraud_declines", start_month=view.start_month, end_month=view.end_month
    )
    if declines.empty:
        st.info("No declined charges in these months.")
        return
    st.altair_chart(
        charts.bars(declines, "decline_code", "decline_rate", "Decline rate", ".1%"),
        width="stretch",
    )


def _segments(view: View, segment: str, title: str) -> None:
    st.subheader(title)
    segments = view.frame(
        "fraud_segments",
        start_month=view.start_month,
        end_month=view.end_month,
        segment=segment,
    )
    if segments.empty:
        st.info("No card charges in these months.")
        return
    risk = segments.rename(columns=RISK_LEVELS)
    st.altair_chart(
        charts.stacked_share(risk, "segment", list(RISK_LEVELS.values())),
        width="stretch",
    )
    shown = ["segment", "charges", "decline_rate", "refund_rate", "dispute_rate"]
    st.dataframe(
        segments[shown].set_index("segment"),
        width="stretch",
        column_config={
            rate: st.column_config.NumberColumn(format="percent") for rate in shown[2:]
        },
    )


def render(view: View) -> None:
    st.title("Fraud")
    st.caption(
        f"Charges created {view.start_month:%b %Y} to {view.end_month:%b %Y};"
        " Radar risk levels as shares of each segment's charges."
    )
    _rates(view)
    _declines(view)
    left, right = st.columns(2)
    with left:
        _segments(view, "card_brand", "By card brand")
    with right:
        _segments(view, "card_country", "By card country")
