"""The analytics app (tools/app) on the fixture warehouse.

Every page runs through Streamlit's AppTest; the Overview's tiles are
checked against figures known from the fixture business or read straight
from fct_mrr, never through the app's own SQL. The browser test serves the
app on a free loopback port and reads the rendered pages in Debian's
headless chromium.
"""

from __future__ import annotations

import os
from decimal import Decimal

import psycopg2
import pytest
from conftest import ROOT, connect, query

from tools.app import bench, browser, db, pii

PAGES = bench.PAGES
TITLES = {
    "overview": "Overview",
    "mrr": "MRR",
    "revenue": "Revenue",
    "customers": "Customers",
    "fraud": "Fraud",
    "health": "Data health",
}
# Charts each page draws on the fixture business.
CHARTS = {"overview": 2, "mrr": 4, "revenue": 1, "customers": 1, "fraud": 3}
PG_VARS = ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")
# The fixture's USD subscriptions with MRR in its last month (October 2026):
# sub_fx_alice 40.50, sub_fx_greta 20.00 and sub_fx_lena 44.10.
FIXTURE_USD_MRR = Decimal("40.50") + Decimal("20.00") + Decimal("44.10")
SCREENSHOTS = ROOT / "logs" / "app-browser"


def _use(monkeypatch, env: dict[str, str]) -> None:
    for name in PG_VARS:
        monkeypatch.setenv(name, env[name])
    monkeypatch.delenv("APP_SHOW_PII", raising=False)


@pytest.fixture
def app_env(oltp_warehouse, monkeypatch):
    """The fixture warehouse, as the app's PG* variables."""
    _use(monkeypatch, oltp_warehouse)
    return oltp_warehouse


def _execute(env, statement: str, params: tuple = ()) -> None:
    conn = connect(env)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(statement, params)
    finally:
        conn.close()


def _texts(app, kind: str) -> list[str]:
    return [element.value for element in getattr(app, kind)]


def _reporting_mrr(env) -> Decimal:
    [(amount,)] = query(
        env,
        "select sum(reporting_mrr_amount) from marts.fct_mrr"
        " where month = (select max(month) from marts.fct_mrr)",
    )
    return amount


def _money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


@pytest.mark.parametrize("slug", PAGES)
def test_every_page_renders_without_exception(app_env, slug):
    app = bench.run_page(slug)
    assert not app.exception, [e.value for e in app.exception]
    assert _texts(app, "title") == [TITLES[slug]]
    assert len(app.get("vega_lite_chart")) >= CHARTS.get(slug, 0)


def test_overview_tiles_in_usd_are_the_fixture_figures(app_env):
    app = bench.run_page("overview", currency="USD")
    tiles = {metric.label: metric.value for metric in app.metric}
    assert tiles["MRR"] == _money(FIXTURE_USD_MRR) == "$104.60"
    assert tiles["ARR"] == _money(FIXTURE_USD_MRR * 12)
    assert tiles["Active subscriptions"] == "3"
    assert tiles["Active customers"] == "3"
    # No USD subscription churned or shrank in September 2026.
    assert tiles["Customer churn, Sep 2026"] == "0.0%"
    assert tiles["Revenue churn, Sep 2026"] == "0.0%"


def test_overview_mrr_in_reporting_currency_equals_fct_mrr(app_env):
    app = bench.run_page("overview")
    tiles = {metric.label: metric.value for metric in app.metric}
    assert tiles["MRR"] == _money(_reporting_mrr(app_env))


def test_overview_net_sales_are_the_last_30_days_of_revenue(app_env):
    [(expected,)] = query(
        app_env,
        "select coalesce(sum(gross_captured_amount - refunded_amount"
        " - disputes_lost_amount), 0) from marts.metrics_revenue_daily"
        " where currency = 'usd' and date_day > (select max(date_day)"
        " from marts.metrics_revenue_daily) - 30",
    )
    app = bench.run_page("overview", currency="USD")
    tiles = {metric.label: metric.value for metric in app.metric}
    assert tiles["Net sales, last 30 days"] == _money(expected)


def test_pii_columns_hidden_unless_app_show_pii(app_env, monkeypatch):
    assert {"email", "customer_name"} <= pii.pii_columns()["dim_customers"]
    hidden = bench.run_page("customers")
    columns = set(hidden.dataframe[0].value.columns)
    assert not columns & {"email", "customer_name", "country"}
    monkeypatch.setenv("APP_SHOW_PII", "1")
    shown = bench.run_page("customers")
    assert {"email", "customer_name"} <= set(shown.dataframe[0].value.columns)


def test_missing_ledger_is_a_sentence_naming_the_command(app_env):
    app = bench.run_page("revenue")
    has_ledger = query(app_env, "select to_regclass('marts.metrics_balance_daily')")
    if has_ledger[0][0]:
        assert any("ledger" in t.lower() for t in _texts(app, "subheader"))
        assert not any("metrics_balance_daily" in t for t in _texts(app, "info"))
    else:
        assert any(
            "metrics_balance_daily" in text and "make build" in text
            for text in _texts(app, "info")
        )


def test_currency_without_fx_rate_is_a_warning_naming_the_fix(app_env):
    import streamlit as st

    flag = "update marts.dim_currencies set has_fx_rate = %s"
    flag += " where currency_code = 'jpy'"
    _execute(app_env, flag, (False,))
    st.cache_data.clear()
    try:
        app = bench.run_page("overview")
    finally:
        _execute(app_env, flag, (True,))
        st.cache_data.clear()
    assert not app.exception
    assert any(
        "No FX rate for JPY" in text and "make build" in text
        for text in _texts(app, "warning")
    )


def test_unbuilt_warehouse_names_the_command(new_database, monkeypatch):
    _use(monkeypatch, new_database)
    app = bench.run_page("overview")
    assert not app.exception
    assert any("make all" in text for text in _texts(app, "info"))
    health = bench.run_page("health")
    assert not health.exception


def test_no_server_names_the_command(app_env, monkeypatch):
    monkeypatch.setenv("PGPORT", str(browser.free_port()))
    app = bench.run_page("overview")
    assert not app.exception
    assert any("make up" in text for text in _texts(app, "warning"))


def test_connections_are_read_only(app_env):
    conn = db.connect(db.connection_settings(app_env))
    try:
        with conn.cursor() as cur:
            cur.execute("show default_transaction_read_only")
            assert cur.fetchone()[0] == "on"
            with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
                cur.execute("create table marts.app_was_here (id int)")
    finally:
        conn.close()


def test_bench_times_every_page(app_env):
    results = bench.time_pages(pages=("overview", "health"))
    assert set(results) == {"overview", "health"}
    assert all(r["seconds"] > 0 and not r["errors"] for r in results.values())


@pytest.mark.skipif(
    not browser.chromium_path(),
    reason="no chromium: apt-get install -y chromium (.ci/run installs it)",
)
def test_pages_in_a_real_browser(app_env):
    """Each page in headless chromium: its charts drawn, no exception, and
    the Overview's MRR tile showing the fixture's MRR."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **{name: app_env[name] for name in PG_VARS}}
    expected_mrr = _money(_reporting_mrr(app_env))
    with browser.served(env) as url, browser.chromium() as chrome:
        page = browser.open_page(chrome, url, PAGES[0], charts=CHARTS[PAGES[0]])
        try:
            for slug in PAGES:
                if slug != PAGES[0]:
                    browser.switch_to(page, TITLES[slug], charts=CHARTS.get(slug, 0))
                page.screenshot(path=str(SCREENSHOTS / f"{slug}.png"), full_page=True)
                assert page.locator(browser.EXCEPTION).count() == 0
                assert "Traceback" not in page.inner_text("body")
                assert page.locator("h1").first.inner_text() == TITLES[slug]
                assert browser.drawn_charts(page) >= CHARTS.get(slug, 0)
                if slug == "overview":
                    values = page.locator(browser.METRIC).all_inner_texts()
                    assert expected_mrr in values, values
        finally:
            page.close()
    assert all((SCREENSHOTS / f"{slug}.png").stat().st_size > 0 for slug in PAGES)
