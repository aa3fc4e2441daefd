"""Description coverage counts what the database has, not only what the yml
names. Hand-made manifest and catalog; no dbt run."""

from __future__ import annotations

import re

from tools.checks import docs_coverage
from tools.checks.manifest import PROJECT


def _model(name, description, columns):
    return {
        "unique_id": f"model.{PROJECT}.{name}",
        "resource_type": "model",
        "package_name": PROJECT,
        "name": name,
        "description": description,
        "columns": {c: {"name": c, "description": d} for c, d in columns.items()},
    }


def test_a_column_only_the_database_has_counts_as_undescribed():
    orders = _model("orders", "Orders.", {"order_id": "Key.", "note": ""})
    helper = _model("int_helper", "", {"x": "An x."})
    manifest = {
        "nodes": {orders["unique_id"]: orders, helper["unique_id"]: helper},
        "sources": {},
    }
    catalog = {
        "nodes": {
            orders["unique_id"]: {
                "columns": {"ORDER_ID": {}, "note": {}, "amount": {}},
            }
        }
    }
    tallies = docs_coverage.coverage(manifest, catalog)
    assert (tallies["models"].described, tallies["models"].total) == (1, 2)
    columns = tallies["model columns"]
    # orders: order_id described, note empty, amount only in the database;
    # int_helper is not in the catalog (ephemeral): its yml column counts
    assert (columns.described, columns.total) == (2, 4)
    assert sorted(columns.missing) == [
        f"model.{PROJECT}.orders.amount",
        f"model.{PROJECT}.orders.note",
    ]
    text = docs_coverage.report(tallies)
    assert "no description: model.stripe_warehouse.int_helper" in text
    assert re.search(r"^all +3 +6 +50\.0%$", text, re.MULTILINE), text
