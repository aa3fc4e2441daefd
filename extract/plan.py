"""Per table, what a run of the API extraction does: full or incremental."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from extract import settings
from extract.api import TablePlan

log = logging.getLogger("extract")


def plan_tables(
    states: Mapping[str, Any], now: int, full_refresh: bool
) -> tuple[dict[str, TablePlan], int | None]:
    """Per table: full or incremental; and where events must be read from."""
    plans: dict[str, TablePlan] = {}
    for resource in settings.RESOURCES:
        state = states.get(resource.parent or resource.name) or {}
        synced_at = state.get("synced_at")
        expired = (
            synced_at is not None
            and now - synced_at
            > settings.EVENTS_RETENTION_SECONDS - settings.EVENTS_OVERLAP_SECONDS
        )
        if expired:
            log.info(
                "%s: last synced more than 30 days ago, past the events "
                "window; reloading it in full",
                resource.name,
            )
        full = full_refresh or synced_at is None or expired
        cursor = (states.get(resource.name) or {}).get("cursor")
        plans[resource.name] = TablePlan(
            full=full,
            since=None if full else cursor,
            has_rows=full and synced_at is not None,
        )
    incremental = [
        states[r.name]["synced_at"]
        for r in settings.RESOURCES
        if r.parent is None and not plans[r.name].full and r.name != "events"
    ]
    events_since = (
        min(incremental) - settings.EVENTS_OVERLAP_SECONDS if incremental else None
    )
    return plans, events_since
