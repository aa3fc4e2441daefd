"""Columns the dbt project tags `meta: {pii: true}`, hidden unless APP_SHOW_PII=1.

Read from target/manifest.json when dbt has written one, else from the model
YAML files themselves, so a fresh clone hides the same columns. Every frame
the app shows goes through `drop_pii`; the app's SQL never renames a column
that carries personal data, so the names are enough to find them.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import yaml

from tools.app import db

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "target" / "manifest.json"
APP_SCHEMAS = db.SCHEMAS


def show_pii(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return env.get("APP_SHOW_PII", "").strip().lower() in ("1", "true", "yes")


def _is_pii(column: dict) -> bool:
    meta = {**column.get("meta", {}), **(column.get("config") or {}).get("meta", {})}
    return meta.get("pii") is True


def _from_manifest(manifest: dict) -> dict[str, set[str]]:
    tagged: dict[str, set[str]] = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "model":
            continue
        if node.get("schema") not in APP_SCHEMAS:
            continue
        columns = {n for n, c in node.get("columns", {}).items() if _is_pii(c)}
        if columns:
            tagged.setdefault(node["name"], set()).update(columns)
    return tagged


def _from_yaml(models_dir: Path) -> dict[str, set[str]]:
    tagged: dict[str, set[str]] = {}
    paths = [p for schema in APP_SCHEMAS for p in (models_dir / schema).rglob("*.yml")]
    for path in sorted(paths):
        document = yaml.safe_load(path.read_text()) or {}
        for model in document.get("models") or []:
            columns = {c["name"] for c in model.get("columns") or [] if _is_pii(c)}
            if columns:
                tagged.setdefault(model["name"], set()).update(columns)
    return tagged


@functools.cache
def pii_columns(manifest_path: Path = MANIFEST) -> dict[str, set[str]]:
    """Model name -> its pii-tagged columns, for the models of the schemas
    the app reads."""
    if manifest_path.exists():
        return _from_manifest(json.loads(manifest_path.read_text()))
    return _from_yaml(ROOT / "models")  # the folders are named as the schemas


def pii_names() -> set[str]:
    """Every pii-tagged column name, whatever the model."""
    return set().union(*pii_columns().values()) if pii_columns() else set()


def drop_pii(frame: pd.DataFrame, environ: Mapping[str, str] | None = None):
    """The frame without pii-tagged columns, unless APP_SHOW_PII=1."""
    if show_pii(environ):
        return frame
    return frame.drop(columns=[c for c in frame.columns if c in pii_names()])
