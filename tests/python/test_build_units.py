"""`make build`'s choice of nodes (tools/build), without a warehouse."""

from __future__ import annotations

import json

import pytest

from tools.build.__main__ import builds_everything, passes_through, selection


@pytest.mark.parametrize(
    ("env", "args", "reason"),
    [
        ({}, [], None),
        ({"FULL_REFRESH": "yes"}, [], "a full refresh builds everything"),
        ({}, ["--full-refresh"], "a full refresh builds everything"),
        ({"BUILD_ALL": "1"}, [], "BUILD_ALL is set"),
        ({"BUILD_ALL": "0"}, [], None),
    ],
)
def test_what_builds_every_node(env, args, reason):
    assert builds_everything(env, args) == reason


@pytest.mark.parametrize(
    ("env", "args", "passes"),
    [
        ({}, [], False),
        ({}, ["--full-refresh"], False),
        ({}, ["--select", "fct_mrr"], True),
        ({}, ["--exclude=marts"], True),
        ({}, ["--exclude-resource-type", "test"], True),
        ({"WAREHOUSE": "duckdb"}, [], True),
        ({"WAREHOUSE": "spark"}, [], True),
    ],
)
def test_what_runs_dbt_as_asked(env, args, passes):
    assert passes_through(env, args) is passes


def test_selects_downstream_of_the_tables_whose_mark_moved(tmp_path):
    sources = {
        f"source.stripe_warehouse.stripe.{name}": {
            "source_name": "stripe",
            "name": name,
            "identifier": name,
        }
        for name in ("customers", "charges", "payouts")
    }
    (tmp_path / "manifest.json").write_text(json.dumps({"sources": sources}))
    saved = {"customers": [3, "100.1"], "charges": [5, "100.1"], "payouts": [0, None]}
    (tmp_path / "marks.json").write_text(json.dumps({"marks": saved}))

    assert selection(tmp_path, saved) == (["state:modified+"], [])
    now = dict(saved, charges=[5, "200.2"], payouts=[1, "200.2"], _other=[1, "1"])
    selectors, changed = selection(tmp_path, now)
    assert changed == ["charges", "payouts"]
    assert selectors == [
        "source:stripe.charges+",
        "source:stripe.payouts+",
        "state:modified+",
    ]
    # a raw table missing now counts as changed too
    assert selection(tmp_path, {k: v for k, v in now.items() if k != "customers"})[
        1
    ] == ["charges", "customers", "payouts"]
