"""The committed ER diagrams match the models, and the generator draws keys
and cardinalities the way tools/checks/erd.py documents. `dbt parse` only (shared
with test_structure in the same pytest process), no database."""

from __future__ import annotations

import difflib
import hashlib
import warnings

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
    assert not problems, (
        "the committed ER diagrams differ from the models: run `make erd` "
        "and commit schemas/\n" + "\n".join(problems)
    )
    _warn_when_images_lag()


def _warn_when_images_lag():
    """Rendering needs node and chromium, so stale images only warn: the
    stamp make erd-render writes names the .mmd files the images show."""
    stamp = erd.SCHEMAS / "rendered-from.sha256"
    rendered = stamp.read_text().split() if stamp.exists() else []
    for path in sorted(erd.SCHEMAS.glob("*.mmd")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest not in rendered:
            warnings.warn(
                f"schemas/{path.stem}.svg/.png do not show the current "
                f"{path.name}: run `make erd-render` (node and chromium)",
                stacklevel=2,
            )


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
    assert 'text order_id PK, FK "orders.order_id"' in text
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
