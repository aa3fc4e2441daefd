"""What every page receives: the warehouse, what it holds, and the filters."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

from tools.app import queries

BUILD_HINT = (
    "run `make all` for the demo business, or `make extract build` "
    "(e.g. `SOURCE=json JSON_DIR=... make extract build`) for your data"
)
# The marts every page but Data health needs; without them the warehouse
# has not been built.
CORE_MARTS = (
    "metrics_mrr_monthly",
    "fct_mrr",
    "metrics_revenue_daily",
    "dim_currencies",
    "dim_customers",
)


@dataclasses.dataclass(frozen=True)
class View:
    """The warehouse and the sidebar's choices, as one page sees them."""

    settings: Mapping[str, Any]
    relations: frozenset[str]
    latest_month: dt.date | None = None
    last_full_month: dt.date | None = None
    measured_on_date: dt.date | None = None
    first_month: dt.date | None = None
    latest_revenue_date: dt.date | None = None
    currency: str | None = None  # None: in the reporting currency
    reporting_currency: str = "usd"
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    product_id: str | None = None
    product_name: str | None = None
    unconverted: tuple[str, ...] = ()  # currencies in use without an FX rate

    def has(self, model: str) -> bool:
        return f"marts.{model}" in self.relations

    @property
    def is_built(self) -> bool:
        return all(self.has(model) for model in CORE_MARTS)

    def frame(self, name: str, **params: Any) -> pd.DataFrame:
        return queries.frame(self.settings, name, **params)

    @property
    def display_currency(self) -> str:
        return self.currency or self.reporting_currency

    @property
    def currency_label(self) -> str:
        code = self.display_currency.upper()
        return code if self.currency else f"{code} (reporting)"

    @property
    def start_month(self) -> dt.date | None:
        return self.start_date.replace(day=1) if self.start_date else None

    @property
    def end_month(self) -> dt.date | None:
        return self.end_date.replace(day=1) if self.end_date else None

    @property
    def months(self) -> dict[str, Any]:
        """The month window and currency, the parameters most queries take."""
        return {
            "start_month": self.start_month,
            "end_month": self.end_month,
            "currency": self.currency,
        }

    @property
    def days(self) -> dict[str, Any]:
        """The date window and currency, for the daily marts' queries."""
        return {
            "start_date": self.start_date,
            "end_date": self.end_date,
            "currency": self.currency,
        }


def month_before(month: dt.date, count: int = 1) -> dt.date:
    index = month.year * 12 + month.month - 1 - count
    return dt.date(index // 12, index % 12 + 1, 1)
