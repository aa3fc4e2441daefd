"""`make build`'s choice of nodes (tools/build), without a warehouse."""

from __future__ import annotations

import json
import os
import sys

import pytest
from conftest import run

from tools.build.__main__ import (
    builds_everything,
    enforced_key_tests,
    passes_through,
    selection,
    unit_test_exclusion,
)
from tools.build.schedule import (
    critical_path_scores,
    longest_path_first,
    node_seconds,
    record_seconds,
)


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


@pytest.mark.parametrize(
    ("env", "args", "excluded"),
    [
        ({}, [], True),
        ({}, ["--full-refresh"], True),
        ({"WAREHOUSE": "duckdb"}, [], True),
        ({"UNIT_TESTS": "1"}, [], False),
        ({"UNIT_TESTS": "no"}, [], True),
        ({}, ["--select", "fct_mrr"], False),
        ({}, ["--exclude-resource-type=test"], False),
    ],
)
def test_a_scheduled_build_leaves_unit_tests_to_make_test(env, args, excluded):
    expected = ["--exclude-resource-type", "unit_test"] if excluded else []
    assert unit_test_exclusion(env, args) == expected


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


def _test(name, kind, model, column=None, **kwargs):
    return {
        "resource_type": "test",
        "name": name,
        "attached_node": f"model.p.{model}",
        "column_name": column,
        "test_metadata": {"name": kind, "kwargs": kwargs},
    }


def _relationships(name, column, to):
    return _test(name, "relationships", "charges", column, to=to, field=column)


def test_leaves_to_postgres_only_the_tests_an_enforced_constraint_makes():
    not_null = {"type": "not_null"}
    charges = {
        "resource_type": "model",
        "name": "charges",
        "relation_name": '"db"."oltp"."charges"',
        "contract": {"enforced": True},
        "constraints": [{"type": "primary_key", "columns": ["charge_id"]}],
        "columns": {
            "charge_id": {"constraints": []},
            "customer_id": {
                "constraints": [
                    not_null,
                    {
                        "type": "foreign_key",
                        "to": '"db"."oltp"."customers"',
                        "to_columns": ["customer_id"],
                    },
                ]
            },
            # as a parsed manifest writes it (a compiled one renders it)
            "intent_id": {
                "constraints": [
                    {
                        "type": "foreign_key",
                        "to": "ref('intents')",
                        "to_columns": ["intent_id"],
                    }
                ]
            },
            "status": {"constraints": []},
            "invoice_id": {"constraints": []},
        },
    }
    customers = {
        "resource_type": "model",
        "name": "customers",
        "relation_name": '"db"."oltp"."customers"',
        "contract": {"enforced": False},
        "constraints": [{"type": "primary_key", "columns": ["customer_id"]}],
        "columns": {"customer_id": {"constraints": []}},
    }
    tests = [
        _test("pk_not_null", "not_null", "charges", "charge_id"),
        _test("pk_unique", "unique", "charges", "charge_id"),
        _test("fk_not_null", "not_null", "charges", "customer_id"),
        _relationships("fk", "customer_id", "ref('customers')"),
        _relationships("fk_parsed", "intent_id", "ref( 'intents' )"),
        # a relationships test to another model or column than the key's
        _relationships("fk_elsewhere", "customer_id", "ref('dim_customers')"),
        _test("status_not_null", "not_null", "charges", "status"),
        _test("status_values", "accepted_values", "charges", "status"),
        _test("invoice_unique", "unique", "charges", "invoice_id"),
        _test(
            "pair",
            "unique_combination_of_columns",
            "charges",
            combination=["charge_id"],
        ),
        _test(
            "pair_other",
            "unique_combination_of_columns",
            "charges",
            combination=["charge_id", "status"],
        ),
        # a contract not enforced (another engine's) stands for nothing
        _test("unenforced_pk", "unique", "customers", "customer_id"),
    ]
    # a table with no contract whose post-hook makes a unique index
    documents = {
        "resource_type": "model",
        "name": "documents",
        "relation_name": '"db"."documents"."documents"',
        "contract": {"enforced": False},
        "config": {
            "post-hook": [
                {"sql": "{{ gin_index('document', 'jsonb_path_ops') }}"},
                {"sql": "{{ unique_index(this, 'document_id') }}"},
            ]
        },
        "columns": {"document_id": {"constraints": []}},
    }
    tests += [
        _test("document_unique", "unique", "documents", "document_id"),
        # a unique index says nothing of nulls, or of other columns
        _test("document_not_null", "not_null", "documents", "document_id"),
        _test("document_kind_unique", "unique", "documents", "kind"),
    ]
    nodes = {
        "model.p.charges": charges,
        "model.p.customers": customers,
        "model.p.documents": documents,
    }
    nodes |= {f"test.p.{t['name']}": t for t in tests}
    assert enforced_key_tests({"nodes": nodes}) == [
        "document_unique",
        "fk",
        "fk_not_null",
        "fk_parsed",
        "pair",
        "pk_not_null",
        "pk_unique",
    ]


def test_build_and_stack_start_without_loading_dlt():
    """make build and every make target pass through tools.stack, and a
    build with nothing changed is all start-up: importing dlt there cost
    each process more than a second (docs/benchmarks.md)."""
    probe = (
        "import sys, tools.build.__main__, tools.stack.cli, extract.config;"
        " print(sorted(m for m in sys.modules if m.split('.')[0] == 'dlt'))"
    )
    found = run([sys.executable, "-c", probe], dict(os.environ))
    assert found.stdout.strip() == "[]"


class _Manifest:
    """What dbt's GraphQueue asks of a manifest: each node by its id."""

    def expect(self, node_id):
        return node_id


def _drained(graph):
    """The order one dbt thread takes the graph's nodes in."""
    from dbt.graph.queue import GraphQueue

    queue = GraphQueue(graph.copy(), _Manifest(), set(graph))
    order = []
    while not queue.empty():
        node = queue.get(block=False)
        order.append(node)
        queue.mark_done(node)
    return order


def _chain_beside_short_nodes():
    """A root with a 20-second chain after it, beside two 1-second nodes
    that sort before the chain by name: dbt's depth order runs the short
    nodes first, the longest path runs the chain first."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_edges_from([("a_root", "z_chain1"), ("z_chain1", "z_chain2")])
    graph.add_nodes_from(["b_short", "c_short"])
    seconds = {"a_root": 1, "z_chain1": 10, "z_chain2": 10, "b_short": 1, "c_short": 1}
    return graph, seconds


def test_ready_nodes_start_longest_path_first():
    graph, seconds = _chain_beside_short_nodes()
    assert _drained(graph) == ["a_root", "b_short", "c_short", "z_chain1", "z_chain2"]
    with longest_path_first(seconds):
        assert _drained(graph) == [
            "a_root",
            "z_chain1",
            "z_chain2",
            "b_short",
            "c_short",
        ]
    # dbt's own order again once the build is over
    assert _drained(graph)[1] == "b_short"


def test_a_node_scores_the_seconds_of_its_longest_path_to_the_end():
    graph, seconds = _chain_beside_short_nodes()
    graph.add_edge("b_short", "z_chain2")
    scores = critical_path_scores(graph, seconds)
    assert scores == {
        "a_root": -21,
        "z_chain1": -20,
        "z_chain2": -10,
        "b_short": -11,
        "c_short": -1,
    }
    # a node with no recorded time counts as the median node (1 s here)
    del seconds["z_chain1"]
    assert critical_path_scores(graph, seconds)["a_root"] == -12


def test_node_seconds_keep_the_latest_time_of_every_node(tmp_path):
    path = tmp_path / "build-state" / "node-seconds.json"
    assert node_seconds(path) == {}
    first = tmp_path / "first.json"
    first.write_text(
        json.dumps(
            {
                "results": [
                    {"unique_id": "model.p.a", "execution_time": 2.5},
                    {"unique_id": "test.p.t", "execution_time": 0.1234},
                ]
            }
        )
    )
    record_seconds(path, first)
    second = tmp_path / "second.json"
    second.write_text(
        json.dumps({"results": [{"unique_id": "model.p.a", "execution_time": 0.5}]})
    )
    record_seconds(path, second)
    assert node_seconds(path) == {"model.p.a": 0.5, "test.p.t": 0.123}
    path.write_text("not json")
    assert node_seconds(path) == {}
