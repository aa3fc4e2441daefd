"""The app's charts, as Altair (Vega-Lite) specifications."""

from __future__ import annotations

import altair as alt
import pandas as pd

MOVEMENTS = {
    "new_mrr": ("New", 1, "#2e7d32"),
    "expansion_mrr": ("Expansion", 1, "#66bb6a"),
    "reactivation_mrr": ("Reactivation", 1, "#a5d6a7"),
    "contraction_mrr": ("Contraction", -1, "#ef9a9a"),
    "churned_mrr": ("Churn", -1, "#c62828"),
}
HEIGHT = 320


def mrr_movements(monthly: pd.DataFrame, currency: str) -> alt.LayerChart:
    """Stacked gains above zero, losses below, the ending MRR as a line;
    months as ordinal labels, so the bars and the line's points align."""
    monthly = monthly.assign(month_label=monthly["month"].dt.strftime("%Y-%m"))
    long = monthly.melt(
        id_vars=["month_label"], value_vars=list(MOVEMENTS), var_name="key"
    )
    long["movement"] = long["key"].map(lambda k: MOVEMENTS[k][0])
    long["amount"] = long["value"] * long["key"].map(lambda k: MOVEMENTS[k][1])
    labels = [label for label, _, _ in MOVEMENTS.values()]
    colours = [colour for _, _, colour in MOVEMENTS.values()]
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("month_label:O", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("sum(amount):Q", title=f"MRR movement ({currency})"),
            color=alt.Color(
                "movement:N",
                scale=alt.Scale(domain=labels, range=colours),
                sort=labels,
                legend=alt.Legend(orient="bottom", title=None),
            ),
            order=alt.Order("movement_order:Q"),
            tooltip=[
                alt.Tooltip("month_label:O", title="month"),
                "movement:N",
                alt.Tooltip("sum(amount):Q", format=",.2f", title="amount"),
            ],
        )
        .transform_calculate(movement_order=f"indexof({labels!r}, datum.movement)")
    )
    line = (
        alt.Chart(monthly)
        .mark_line(point=True, color="#1565c0")
        .encode(
            x=alt.X("month_label:O"),
            y=alt.Y("ending_mrr:Q", title=f"Ending MRR ({currency})"),
            tooltip=[
                alt.Tooltip("month_label:O", title="month"),
                alt.Tooltip("ending_mrr:Q", format=",.2f", title="ending MRR"),
            ],
        )
    )
    return (
        alt.layer(bars, line).resolve_scale(y="independent").properties(height=HEIGHT)
    )


def stacked_area(
    frame: pd.DataFrame, x: str, y: str, colour: str, title: str
) -> alt.Chart:
    return (
        alt.Chart(frame)
        .mark_area()
        .encode(
            x=alt.X(f"yearmonth({x}):T", title=None),
            y=alt.Y(f"sum({y}):Q", title=title),
            color=alt.Color(
                f"{colour}:N",
                scale=alt.Scale(scheme="tableau10"),
                legend=alt.Legend(orient="bottom", columns=4),
            ),
            tooltip=[
                alt.Tooltip(f"yearmonth({x}):T", title="month"),
                f"{colour}:N",
                alt.Tooltip(f"sum({y}):Q", format=",.2f", title=y),
            ],
        )
        .properties(height=HEIGHT)
    )


def cohort_heatmap(cohorts: pd.DataFrame) -> alt.LayerChart:
    cohorts = cohorts.assign(cohort=cohorts["cohort_month"].dt.strftime("%Y-%m"))
    base = alt.Chart(cohorts).encode(
        x=alt.X(
            "months_since:O",
            title="Months since first subscription",
            axis=alt.Axis(labelAngle=0),
        ),
        y=alt.Y("cohort:O", title="Cohort (first month)"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "retention:Q",
            scale=alt.Scale(scheme="blues", domain=[0, 1]),
            legend=alt.Legend(format=".0%", title="Retained"),
        ),
        tooltip=[
            "cohort:O",
            "months_since:O",
            "customers:Q",
            "cohort_customers:Q",
            alt.Tooltip("retention:Q", format=".0%"),
        ],
    )
    labels = base.mark_text(fontSize=12).encode(
        text=alt.Text("retention:Q", format=".0%"),
        color=alt.condition(
            "datum.retention > 0.6", alt.value("white"), alt.value("black")
        ),
    )
    rows = max(cohorts["cohort_month"].nunique(), 1)
    return alt.layer(cells, labels).properties(height=min(32 * rows + 60, 640))


def _period_labels(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Periods as ordinal labels: one band per period, however sparse."""
    return frame.assign(label=frame[column].dt.strftime("%Y-%m-%d"))


def _period_axis() -> alt.X:
    return alt.X(
        "label:O", title=None, axis=alt.Axis(labelAngle=-45, labelOverlap=True)
    )


def sales_bars(periods: pd.DataFrame, currency: str) -> alt.LayerChart:
    """Gross up, refunds and disputes lost down, net sales as a line."""
    periods = _period_labels(periods, "period")
    long = periods.melt(
        id_vars=["label"],
        value_vars=["gross", "refunds", "disputes_lost"],
        var_name="kind",
    )
    long["amount"] = long["value"].where(long["kind"] == "gross", -long["value"])
    order = ["gross", "refunds", "disputes_lost"]
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=_period_axis(),
            y=alt.Y("sum(amount):Q", title=f"Sales ({currency})"),
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(domain=order, range=["#2e7d32", "#f9a825", "#c62828"]),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            tooltip=[
                alt.Tooltip("label:O", title="period"),
                "kind:N",
                alt.Tooltip("sum(amount):Q", format=",.2f", title="amount"),
            ],
        )
    )
    line = (
        alt.Chart(periods)
        .mark_line(point=True, color="#1565c0")
        .encode(
            x=_period_axis(),
            y=alt.Y("net_sales:Q"),
            tooltip=[
                alt.Tooltip("label:O", title="period"),
                alt.Tooltip("net_sales:Q", format=",.2f", title="net sales"),
            ],
        )
    )
    return alt.layer(bars, line).properties(height=HEIGHT)


def rate_lines(frame: pd.DataFrame, x: str, rates: list[str]) -> alt.Chart:
    long = frame.melt(id_vars=[x], value_vars=rates, var_name="rate")
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"yearmonth({x}):T", title=None),
            y=alt.Y("value:Q", axis=alt.Axis(format="%"), title="Rate"),
            color=alt.Color("rate:N", legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip(f"yearmonth({x}):T", title="month"),
                "rate:N",
                alt.Tooltip("value:Q", format=".2%"),
            ],
        )
        .properties(height=HEIGHT)
    )


def bars(
    frame: pd.DataFrame, category: str, value: str, title: str, fmt: str = ",.0f"
) -> alt.Chart:
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(f"{value}:Q", title=title, axis=alt.Axis(format=fmt)),
            y=alt.Y(f"{category}:N", sort="-x", title=None),
            tooltip=[f"{category}:N", alt.Tooltip(f"{value}:Q", format=fmt)],
        )
        .properties(height=alt.Step(26))
    )


def stacked_share(frame: pd.DataFrame, category: str, parts: list[str]):
    long = frame.melt(id_vars=[category], value_vars=parts, var_name="part")
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("sum(value):Q", stack="normalize", title="Share of charges"),
            y=alt.Y(f"{category}:N", title=None),
            color=alt.Color(
                "part:N",
                sort=parts,
                scale=alt.Scale(
                    domain=parts,
                    range=["#66bb6a", "#f9a825", "#c62828", "#bdbdbd"],
                ),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            tooltip=[f"{category}:N", "part:N", "sum(value):Q"],
        )
        .properties(height=alt.Step(26))
    )


def line(frame: pd.DataFrame, x: str, y: str, colour: str, title: str):
    return (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"yearmonth({x}):T", title=None),
            y=alt.Y(f"{y}:Q", title=title),
            color=alt.Color(f"{colour}:N", legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip(f"yearmonth({x}):T"), f"{colour}:N", f"{y}:Q"],
        )
        .properties(height=HEIGHT)
    )


def area(frame: pd.DataFrame, x: str, y: str, title: str) -> alt.Chart:
    return (
        alt.Chart(frame)
        .mark_area(line=True, opacity=0.3)
        .encode(
            x=alt.X(f"yearmonth({x}):T", title=None),
            y=alt.Y(f"{y}:Q", title=title),
            tooltip=[
                alt.Tooltip(f"yearmonth({x}):T", title="month"),
                alt.Tooltip(f"{y}:Q", format=",.2f"),
            ],
        )
        .properties(height=260)
    )


def weekly_bars(frame: pd.DataFrame, x: str, y: str, title: str) -> alt.Chart:
    return (
        alt.Chart(_period_labels(frame, x))
        .mark_bar(color="#1565c0")
        .encode(
            x=_period_axis(),
            y=alt.Y(f"{y}:Q", title=title),
            tooltip=[
                alt.Tooltip("label:O", title="week of"),
                alt.Tooltip(f"{y}:Q", format=",.2f"),
            ],
        )
        .properties(height=260)
    )
