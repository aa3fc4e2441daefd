"""Project-structure rules (tools/checks/structure.py) hold on the real project, and
each rule fails on a tiny hand-made manifest that breaks it. `dbt parse`
once per pytest process (shared with test_erd), no database."""

from __future__ import annotations

import copy

import pytest

from tools.checks import manifest as mf
from tools.checks import structure

P = mf.PROJECT


def test_the_project_follows_every_rule():
    found = structure.violations(mf.fresh_manifest())
    bad = structure.unexpected(found)
    assert not bad, "project-structure violations:\n" + "\n".join(map(str, bad))


def test_every_known_exception_is_still_needed():
    found = {(v.model, v.rule) for v in structure.violations(mf.fresh_manifest())}
    stale = set(structure.KNOWN_EXCEPTIONS) - found
    assert not stale, (
        f"{sorted(stale)} no longer violate their rule: remove them from "
        "KNOWN_EXCEPTIONS in tools/checks/structure.py"
    )


# A tiny project that follows every rule; each negative test breaks one.


def _node(kind, name, folder=None, parents=(), columns=None, **extra):
    node = {
        "unique_id": f"{kind}.{P}.{name}",
        "resource_type": kind,
        "package_name": P,
        "name": name,
        "fqn": [P, folder, name] if folder else [P, name],
        "config": {"materialized": extra.pop("materialized", "table")},
        "constraints": [],
        "depends_on": {"nodes": list(parents)},
        "description": f"The {name}.",
        "columns": {
            c: {"name": c, "description": f"The {c}.", "constraints": []}
            for c in (columns or [])
        },
    }
    node.update(extra)
    return node


def _source(name):
    node = _node("source", name, columns=["id", "data"])
    node.update(unique_id=f"source.{P}.stripe.{name}", source_name="stripe")
    node["columns"]["data"]["config"] = {"meta": {"pii": True}}
    return node


def _test(model, name, column=None, kind="model", **kwargs):
    return {
        "unique_id": f"test.{P}.{name}_{model}_{column}",
        "resource_type": "test",
        "package_name": P,
        "name": f"{name}_{model}_{column}",
        "attached_node": f"{kind}.{P}.{model}",
        "column_name": column,
        "test_metadata": {"name": name, "kwargs": kwargs},
        "config": {"where": None},
        "depends_on": {"nodes": []},
    }


def _key_tests(model, column):
    return [_test(model, "unique", column), _test(model, "not_null", column)]


def _good_manifest():
    source = _source("accounts")
    staging = _node(
        "model",
        "stg_stripe__accounts",
        "staging",
        [source["unique_id"]],
        ["account_id", "email"],
        materialized="view",
    )
    staging["columns"]["email"]["config"] = {"meta": {"pii": True}}
    accounts = _node(
        "model", "accounts", "oltp", [staging["unique_id"]], ["account_id"]
    )
    accounts["columns"]["account_id"]["constraints"] = [{"type": "primary_key"}]
    orders = _node(
        "model",
        "orders",
        "oltp",
        [staging["unique_id"], accounts["unique_id"]],
        ["order_id", "account_id"],
    )
    orders["columns"]["order_id"]["constraints"] = [{"type": "primary_key"}]
    orders["columns"]["account_id"]["constraints"] = [
        {"type": "foreign_key", "to": "ref('accounts')", "to_columns": ["account_id"]}
    ]
    dim = _node(
        "model", "dim_accounts", "marts", [accounts["unique_id"]], ["account_id"]
    )
    fct = _node(
        "model",
        "fct_orders",
        "marts",
        [orders["unique_id"], dim["unique_id"]],
        ["order_id"],
        description="Grain: one row per order.",
    )
    tests = [
        *_key_tests("stg_stripe__accounts", "account_id"),
        *_key_tests("accounts", "account_id"),
        *_key_tests("orders", "order_id"),
        *_key_tests("dim_accounts", "account_id"),
        _test("fct_orders", "unique_combination_of_columns", combination=["order_id"]),
        _test(
            "orders",
            "relationships",
            "account_id",
            to="ref('accounts')",
            field="account_id",
        ),
    ]
    exposure = {
        "unique_id": f"exposure.{P}.finance",
        "name": "finance",
        "depends_on": {"nodes": [fct["unique_id"]]},
    }
    nodes = [staging, accounts, orders, dim, fct, *tests]
    return {
        "nodes": {n["unique_id"]: n for n in nodes},
        "sources": {source["unique_id"]: source},
        "exposures": {exposure["unique_id"]: exposure},
    }


def _model(manifest, name):
    return manifest["nodes"][f"model.{P}.{name}"]


def _add(manifest, node):
    manifest["nodes"][node["unique_id"]] = node


def test_the_hand_made_project_is_clean():
    assert structure.violations(_good_manifest()) == []


def _reads_source(m):
    _model(m, "fct_orders")["depends_on"]["nodes"].append(f"source.{P}.stripe.accounts")


def _reads_covered_staging(m):
    _model(m, "fct_orders")["depends_on"]["nodes"].append(
        f"model.{P}.stg_stripe__accounts"
    )


def _staging_reads_oltp(m):
    _model(m, "stg_stripe__accounts")["depends_on"]["nodes"].append(
        f"model.{P}.accounts"
    )


def _oltp_reads_marts(m):
    _model(m, "orders")["depends_on"]["nodes"].append(f"model.{P}.dim_accounts")


def _model_outside_layers(m):
    _add(m, _node("model", "loose", None, columns=[]))
    m["nodes"][f"model.{P}.loose"]["fqn"] = [P, "loose"]


def _no_key_test(m):
    del m["nodes"][f"test.{P}.unique_dim_accounts_account_id"]


def _conditional_key_test(m):
    m["nodes"][f"test.{P}.unique_accounts_account_id"]["config"]["where"] = "x"


def _model_undescribed(m):
    _model(m, "orders")["description"] = " "


def _column_undescribed(m):
    _model(m, "orders")["columns"]["account_id"]["description"] = ""


def _source_column_undescribed(m):
    m["sources"][f"source.{P}.stripe.accounts"]["columns"]["id"]["description"] = ""


def _fk_untested(m):
    del m["nodes"][f"test.{P}.relationships_orders_account_id"]


def _fk_tested_elsewhere(m):
    test = m["nodes"][f"test.{P}.relationships_orders_account_id"]
    test["test_metadata"]["kwargs"]["to"] = "ref('dim_accounts')"


def _staging_misnamed(m):
    _model(m, "stg_stripe__accounts")["name"] = "stripe_accounts"


def _staging_unknown_resource(m):
    _model(m, "stg_stripe__accounts")["name"] = "stg_stripe__widgets"


def _oltp_singular(m):
    _model(m, "orders")["name"] = "order"


def _oltp_helper_materialized(m):
    _model(m, "orders")["name"] = "int_orders_unpacked"


def _marts_unprefixed(m):
    _model(m, "fct_orders")["name"] = "orders_report"


def _pii_untagged(m):
    del _model(m, "stg_stripe__accounts")["columns"]["email"]["config"]


def _pii_tag_false(m):
    _model(m, "stg_stripe__accounts")["columns"]["email"]["config"]["meta"] = {
        "pii": False
    }


def _raw_data_untagged(m):
    del m["sources"][f"source.{P}.stripe.accounts"]["columns"]["data"]["config"]


def _fact_without_grain(m):
    _model(m, "fct_orders")["description"] = "Orders with their account."


def _exposure_reads_oltp(m):
    m["exposures"][f"exposure.{P}.finance"]["depends_on"]["nodes"] = [
        f"model.{P}.orders"
    ]


@pytest.mark.parametrize(
    ("breaks", "model", "rule"),
    [
        (_reads_source, "fct_orders", "source_only_in_staging"),
        (_reads_covered_staging, "fct_orders", "layer_order"),
        (_staging_reads_oltp, "stg_stripe__accounts", "layer_order"),
        (_oltp_reads_marts, "orders", "layer_order"),
        (_model_outside_layers, "loose", "layer_order"),
        (_no_key_test, "dim_accounts", "primary_key_test"),
        (_conditional_key_test, "accounts", "primary_key_test"),
        (_model_undescribed, "orders", "description"),
        (_column_undescribed, "orders", "description"),
        (_source_column_undescribed, "source stripe.accounts", "description"),
        (_fk_untested, "orders", "fk_relationships_test"),
        (_fk_tested_elsewhere, "orders", "fk_relationships_test"),
        (_staging_misnamed, "stripe_accounts", "naming"),
        (_staging_unknown_resource, "stg_stripe__widgets", "naming"),
        (_oltp_singular, "order", "naming"),
        (_oltp_helper_materialized, "int_orders_unpacked", "naming"),
        (_marts_unprefixed, "orders_report", "naming"),
        (_pii_untagged, "stg_stripe__accounts", "pii_tagged"),
        (_pii_tag_false, "stg_stripe__accounts", "pii_tagged"),
        (_raw_data_untagged, "source stripe.accounts", "pii_tagged"),
        (_fact_without_grain, "fct_orders", "fact_grain"),
        (_exposure_reads_oltp, "exposure finance", "exposures_read_marts"),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_each_rule_fails_on_a_project_that_breaks_it(breaks, model, rule):
    manifest = copy.deepcopy(_good_manifest())
    breaks(manifest)
    found = structure.violations(manifest)
    assert (model, rule) in {(v.model, v.rule) for v in found}, found
    message = next(str(v) for v in found if (v.model, v.rule) == (model, rule))
    assert model in message and rule in message


def test_marts_may_read_staging_without_an_oltp_entity():
    """stg_stripe__events has no OLTP table: marts read it from staging."""
    m = _good_manifest()
    events_source = _source("events")
    m["sources"][events_source["unique_id"]] = events_source
    events = _node(
        "model",
        "stg_stripe__events",
        "staging",
        [events_source["unique_id"]],
        ["event_id"],
        materialized="view",
    )
    _add(m, events)
    for test in _key_tests("stg_stripe__events", "event_id"):
        _add(m, test)
    _model(m, "fct_orders")["depends_on"]["nodes"].append(events["unique_id"])
    assert structure.violations(m) == []


def test_ephemeral_helpers_need_no_key_test():
    m = _good_manifest()
    helper = _node(
        "model",
        "int_orders_unpacked",
        "oltp",
        [f"model.{P}.stg_stripe__accounts"],
        ["order_id"],
        materialized="ephemeral",
    )
    _add(m, helper)
    assert structure.violations(m) == []
