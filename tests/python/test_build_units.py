"""`make build`'s choice of nodes (tools/build), without a warehouse."""

from __future__ import annotations

import json

import pytest

from tools.build.__main__ import builds_everything, selection


@pytest.mark.parametrize(
    ("env", "args", "reason"),
    [
        ({}, [], None),
        ({"FULL_REFRESH": "yes"}, [], "a full refresh builds everything"),
        ({}, ["--full-refresh"], "a full refresh builds everything"),
        ({"BUILD_ALL": "1"}, [], "BUILD_ALL is set"),
        ({"BUILD_ALL": "0"}, [], None),
        ({}, ["--select", "fct_mrr"], "the arguments select the nodes"),
        ({}, ["--exclude=marts"], "the arguments select the nodes"),
        ({}, ["--exclude-resource-type", "test"], "the arguments select the nodes"),
        ({"WAREHOUSE": "duckdb"}, [], "WAREHOUSE=duckdb builds everything"),
    ],
)
def test_what_builds_every_node(env, args, reason):
    assert builds_everything(env, args) == reason


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
