"""The committed ER diagrams match the models and their images show them, and
the generator draws keys, cardinalities, domains and stars the way
tools/checks/erd.py documents. `dbt parse` only (shared with test_structure in the
same pytest process), no database."""

from __future__ import annotations

import difflib
import hashlib

import pytest

from tools.checks import erd
from tools.checks import manifest as mf


def test_committed_diagrams_match_the_models():
    manifest = mf.fresh_manifest()
    problems = []
    for path, expected in erd.diagrams(manifest).items():
        committed = path.read_text() if path.exists() else ""
        if committed != expected:
            diff = "".join(
                difflib.unified_diff(
                    committed.splitlines(keepends=True),
                    expected.splitlines(keepends=True),
                    f"{path.name} (committed)",
                    f"{path.name} (from the models)",
                    n=1,
                )
            )
            problems.append(diff[:3000])
    leftovers = erd.leftover_files(erd.diagrams(manifest))
    problems += [f"{p.name} is generated but no longer produced" for p in leftovers]
    assert not problems, (
        "the committed ER diagrams differ from the models: run `make erd` "
        "and commit schemas/\n" + "\n".join(problems)
    )


def test_committed_images_show_the_committed_diagrams():
    """make erd-render stamps the digests of the .mmd files it rendered; an
    image beside each diagram and its digest in the stamp mean the README
    and the docs show what the .mmd says."""
    stamp = erd.SCHEMAS / "rendered-from.sha256"
    rendered = stamp.read_text().split() if stamp.exists() else []
    stale = []
    for path in sorted(erd.SCHEMAS.glob("*.mmd")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        images = [path.with_suffix(".svg"), path.with_suffix(".png")]
        if digest not in rendered or not all(i.exists() for i in images):
            stale.append(path.name)
    assert not stale, (
        f"the images of {', '.join(stale)} are stale or missing: run "
        "`make erd-render` (node, and chromium: apt-get install -y chromium) "
        "and commit schemas/"
    )


def test_every_table_and_fact_is_in_a_diagram():
    manifest = mf.fresh_manifest()
    drawn = "".join(erd.diagrams(manifest).values())
    for node in mf.models(manifest):
        name = node["name"]
        if mf.layer(node) == "marts" and name.startswith(("fct_", "dim_", "metrics_")):
            assert f"    {name} {{" in drawn, f"{name} is in no diagram"
    for domain, (_, tables) in erd.OLTP_DOMAINS.items():
        for other, (_, others) in erd.OLTP_DOMAINS.items():
            if other != domain:
                assert not set(tables) & set(others), "a table has one domain"


def _model(name, folder, columns, constraints=(), materialized="table"):
    return {
        "unique_id": f"model.{mf.PROJECT}.{name}",
        "resource_type": "model",
        "package_name": mf.PROJECT,
        "name": name,
        "fqn": [mf.PROJECT, folder, name],
        "config": {"materialized": materialized},
        "constraints": list(constraints),
        "columns": {c["name"]: c for c in columns},
        "description": "",
    }


def _column(name, *constraints, data_type="text"):
    return {"name": name, "data_type": data_type, "constraints": list(constraints)}


def _test(model, name, column=None, where=None, **kwargs):
    return {
        "unique_id": f"test.{mf.PROJECT}.{name}_{model}_{column}",
        "resource_type": "test",
        "attached_node": f"model.{mf.PROJECT}.{model}",
        "column_name": column,
        "test_metadata": {"name": name, "kwargs": {"column_name": column, **kwargs}},
        "config": {"where": where},
    }


def _manifest(*nodes):
    return {"nodes": {n["unique_id"]: n for n in nodes}}


PK = {"type": "primary_key"}
NOT_NULL = {"type": "not_null"}


def _fk(parent, column):
    return {"type": "foreign_key", "to": f"ref('{parent}')", "to_columns": [column]}


def test_oltp_cardinality_follows_nullability_and_keys():
    manifest = _manifest(
        _model("accounts", "oltp", [_column("account_id", PK)]),
        _model(
            "orders",
            "oltp",
            [
                _column("order_id", PK),
                _column("account_id", _fk("accounts", "account_id"), NOT_NULL),
                _column("referrer_id", _fk("accounts", "account_id")),
                _column("note"),
            ],
        ),
        _model(
            "order_extras",
            "oltp",
            [_column("order_id", PK, _fk("orders", "order_id"))],
        ),
        _model(
            "order_lines",
            "oltp",
            [
                _column("order_id", _fk("orders", "order_id")),
                _column("position", data_type="numeric(10, 0)"),
            ],
            constraints=[{"type": "primary_key", "columns": ["order_id", "position"]}],
        ),
        _model("helper", "oltp", [_column("x", PK)], materialized="ephemeral"),
        _model("int_orders_unpacked", "oltp", [_column("order_id")]),
    )
    text = erd.oltp_diagram(manifest)
    assert 'accounts ||--o{ orders : "account_id"' in text
    assert 'accounts |o--o{ orders : "referrer_id"' in text
    assert 'orders ||--o| order_extras : "order_id"' in text
    # a composite key's column is not null, and only part of the key
    assert 'orders ||--o{ order_lines : "order_id"' in text
    assert "numeric position PK" in text
    assert "text order_id PK, FK\n" in text, "the line names the parent"
    assert "note" not in text, "only key columns are drawn"
    assert "helper" not in text, "ephemeral helpers are no tables"
    assert "int_orders_unpacked" not in text, "helper tables are no entities"


def test_marts_relationships_come_from_tests():
    manifest = _manifest(
        _model("dim_accounts", "marts", [_column("account_id", data_type=None)]),
        _model(
            "fct_orders",
            "marts",
            [_column("order_id", data_type=None), _column("account_id")],
        ),
        _model("int_orders_joined", "marts", [_column("account_id")]),
        _test("dim_accounts", "unique", "account_id"),
        _test("dim_accounts", "not_null", "account_id"),
        _test("fct_orders", "unique", "order_id"),
        _test("fct_orders", "not_null", "order_id"),
        _test(
            "fct_orders",
            "relationships",
            "account_id",
            to="ref('dim_accounts')",
            field="account_id",
        ),
        _test(
            "int_orders_joined",
            "relationships",
            "account_id",
            to="ref('dim_accounts')",
            field="account_id",
        ),
    )
    text = erd.marts_diagram(manifest)
    assert 'dim_accounts |o--o{ fct_orders : "account_id"' in text
    assert "key order_id PK" in text
    assert "int_orders_joined" not in text
    manifest["nodes"].update(
        {t["unique_id"]: t for t in [_test("fct_orders", "not_null", "account_id")]}
    )
    assert 'dim_accounts ||--o{ fct_orders : "account_id"' in erd.marts_diagram(
        manifest
    )


def test_output_is_sorted_and_stable():
    nodes = [
        _model("b_table", "oltp", [_column("b_id", PK)]),
        _model("a_table", "oltp", [_column("a_id", PK)]),
    ]
    forward = erd.oltp_diagram(_manifest(*nodes))
    backward = erd.oltp_diagram(_manifest(*reversed(nodes)))
    assert forward == backward
    assert forward.index("a_table {") < forward.index("b_table {")


def test_oltp_domains_draw_outside_parents_with_their_key_only(monkeypatch):
    monkeypatch.setattr(
        erd,
        "OLTP_DOMAINS",
        {"sales": ("Sales", ("orders",)), "accounts": ("Accounts", ("accounts",))},
    )
    manifest = _manifest(
        _model("accounts", "oltp", [_column("account_id", PK), _column("x_id")]),
        _model(
            "orders",
            "oltp",
            [
                _column("order_id", PK),
                _column("account_id", _fk("accounts", "account_id"), NOT_NULL),
            ],
        ),
    )
    sales = erd.oltp_diagrams(manifest)["sales"]
    assert 'accounts ||--o{ orders : "account_id"' in sales
    assert 'text account_id PK "in the accounts diagram"' in sales
    assert "text account_id FK\n" in sales
    accounts = erd.oltp_diagrams(manifest)["accounts"]
    assert "orders" not in accounts, "a child of another domain is not drawn"
    manifest["nodes"].update(
        {n["unique_id"]: n for n in [_model("refunds", "oltp", [_column("r", PK)])]}
    )
    with pytest.raises(erd.DiagramError, match="refunds is in no diagram"):
        erd.oltp_diagrams(manifest)


def test_a_star_has_its_dimensions_and_no_line_to_conformed_ones():
    manifest = _manifest(
        _model("dim_date", "marts", [_column("date_day")]),
        _model("dim_regions", "marts", [_column("region_id")]),
        _model("dim_accounts", "marts", [_column("account_id"), _column("region_id")]),
        _model("dim_unused", "marts", [_column("unused_id")]),
        _model(
            "fct_orders",
            "marts",
            [_column("order_id"), _column("account_id"), _column("order_date")],
        ),
        _test(
            "dim_accounts",
            "relationships",
            "region_id",
            to="ref('dim_regions')",
            field="region_id",
        ),
        _test(
            "fct_orders",
            "relationships",
            "account_id",
            to="ref('dim_accounts')",
            field="account_id",
        ),
        _test(
            "fct_orders",
            "relationships",
            "order_date",
            to="ref('dim_date')",
            field="date_day",
        ),
    )
    text = erd.marts_diagram(manifest, {"fct_orders"}, "Orders", ("dim_date",))
    assert 'dim_accounts |o--o{ fct_orders : "account_id"' in text
    assert 'dim_regions |o--o{ dim_accounts : "region_id"' in text, (
        "a dimension's own parent belongs to the star"
    )
    assert "dim_date" not in text
    assert 'order_date FK "conformed"' in text
    assert "dim_unused" not in text
