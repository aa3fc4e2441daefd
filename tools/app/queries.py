"""The app's queries: SQL files in sql/, run through db, cached briefly.

Every query aggregates in the warehouse and returns at most a page's worth
of rows; no page reads a fact table row by row. Parameters are psycopg2's
named placeholders; `currency` None means "in the reporting currency".
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from tools.app import db, pii

SQL_DIR = Path(__file__).with_name("sql")
CACHE_SECONDS = 300


@functools.cache
def sql_text(name: str, engine: str = "postgres") -> str:
    """sql/<name>.sql, or the engine's own version in sql/<engine>/."""
    own = SQL_DIR / engine / f"{name}.sql"
    return (own if own.is_file() else SQL_DIR / f"{name}.sql").read_text()


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Decimals as floats and dates as timestamps, which charts and tables
    understand; psycopg2 returns Python objects."""
    for column in frame.columns:
        sample = frame[column].dropna()
        if sample.empty:
            continue
        first = sample.iloc[0]
        if isinstance(first, Decimal):
            frame[column] = frame[column].astype(float)
        elif isinstance(first, dt.datetime):
            frame[column] = pd.to_datetime(frame[column], utc=True)
        elif isinstance(first, dt.date):
            frame[column] = pd.to_datetime(frame[column])
    return frame


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False, max_entries=1000)
def _cached(
    warehouse: str, text: str, params: tuple, _settings: Mapping[str, Any]
) -> pd.DataFrame:
    columns, rows = db.fetch(_settings, text, dict(params))
    return _typed(pd.DataFrame.from_records(rows, columns=columns))


def frame(settings: Mapping[str, Any], name: str, **params: Any) -> pd.DataFrame:
    """The result of sql/<name>.sql, without pii-tagged columns."""
    key = db.settings_key(settings)
    text = sql_text(name, db.engine(settings))
    result = _cached(key, text, tuple(sorted(params.items())), settings)
    return pii.drop_pii(result.copy())


def relations(settings: Mapping[str, Any]) -> set[str]:
    """Tables and views the app can see, as 'schema.name'."""
    found = frame(settings, "relations", schemas=list(db.SCHEMAS))
    return set(found["relation"]) if not found.empty else set()
