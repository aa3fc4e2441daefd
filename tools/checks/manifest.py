"""dbt's manifest, read by the diagram, structure and coverage tools.

`dbt parse` writes target/manifest.json without touching the database (the
profile only has to render), so every check built on it is cheap: a few
seconds, no warehouse. The helpers here turn the manifest's nodes into the
few facts the tools need: a model's layer, its key constraints, the tests
attached to its columns, a ref's target name.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from extract.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "stripe_warehouse"
LAYERS = ("staging", "oltp", "marts", "documents")
_REF = re.compile(r"""ref\(\s*(?:['"][^'"]+['"]\s*,\s*)?['"]([^'"]+)['"]""")


class ManifestError(UserError):
    """dbt could not parse the project; the message carries dbt's output."""


def dbt_parse(target_path: Path) -> dict:
    """Run `dbt parse` into target_path and return the manifest it wrote."""
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        sys.executable,
        "-m",
        "tools.stack",
        "exec",
        "--",
        str(dbt),
        "parse",
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path / "logs"),
        "--quiet",
    ]
    result = subprocess.run(
        command,
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    manifest = target_path / "manifest.json"
    if result.returncode != 0 or not manifest.exists():
        raise ManifestError(
            f"dbt parse failed (exit {result.returncode}); fix the project "
            f"files it names, then run again:\n{result.stdout}"
        )
    return json.loads(manifest.read_text())


@functools.cache
def fresh_manifest() -> dict:
    """The manifest of the working tree, parsed once per process into a
    temporary target, so a developer's target/ and partial-parse state are
    never involved (tests compare against exactly what the files say)."""
    with tempfile.TemporaryDirectory(prefix="dbt-parse-") as target:
        return dbt_parse(Path(target))


def models(manifest: dict) -> Iterator[dict]:
    """This project's models, in a stable order."""
    for unique_id in sorted(manifest["nodes"]):
        node = manifest["nodes"][unique_id]
        if node["resource_type"] == "model" and node["package_name"] == PROJECT:
            yield node


def layer(node: dict) -> str | None:
    """staging, oltp, marts or documents: the first folder under models/."""
    folder = node["fqn"][1] if len(node["fqn"]) > 2 else None
    return folder if folder in LAYERS else None


def ref_name(expression: str) -> str:
    """The model name in "ref('x')" or "ref('package', 'x')"."""
    match = _REF.search(expression or "")
    if not match:
        raise ValueError(f"not a ref(): {expression!r}")
    return match.group(1)


def primary_key(node: dict) -> list[str]:
    """Columns of the contract's primary key (column or model level)."""
    for constraint in node.get("constraints", []):
        if constraint["type"] == "primary_key":
            return list(constraint.get("columns") or [])
    return [
        name
        for name, column in node["columns"].items()
        if any(c["type"] == "primary_key" for c in column.get("constraints", []))
    ]


def foreign_keys(node: dict) -> list[tuple[list[str], str, list[str]]]:
    """(columns, referenced model, referenced columns) of every contract
    foreign key, column-level and model-level, in declaration order."""
    keys = []
    for name, column in node["columns"].items():
        for constraint in column.get("constraints", []):
            if constraint["type"] == "foreign_key":
                keys.append(
                    (
                        [name],
                        ref_name(constraint["to"]),
                        list(constraint.get("to_columns") or [name]),
                    )
                )
    for constraint in node.get("constraints", []):
        if constraint["type"] == "foreign_key":
            keys.append(
                (
                    list(constraint["columns"]),
                    ref_name(constraint["to"]),
                    list(constraint.get("to_columns") or constraint["columns"]),
                )
            )
    return keys


def tests_on(manifest: dict, node: dict) -> Iterator[dict]:
    """Generic data tests attached to node, each as {name, column, kwargs,
    where} (where: the test's `where` filter, None when unconditional)."""
    for unique_id in sorted(manifest["nodes"]):
        test = manifest["nodes"][unique_id]
        if (
            test["resource_type"] == "test"
            and test.get("attached_node") == node["unique_id"]
            and test.get("test_metadata")
        ):
            yield {
                "name": test["test_metadata"]["name"],
                "column": test.get("column_name"),
                "kwargs": test["test_metadata"].get("kwargs", {}),
                "where": test["config"].get("where"),
            }


def not_null_columns(manifest: dict, node: dict) -> set[str]:
    """Columns that can never be null: primary key, not_null constraint, or
    an unconditional not_null test."""
    columns = set(primary_key(node))
    for name, column in node["columns"].items():
        if any(c["type"] == "not_null" for c in column.get("constraints", [])):
            columns.add(name)
    for test in tests_on(manifest, node):
        if test["name"] == "not_null" and not test["where"]:
            columns.add(test["column"])
    return columns


def column_meta(column: dict) -> dict:
    """A column's meta, whether written as `meta:` or under `config:`."""
    return {**column.get("meta", {}), **column.get("config", {}).get("meta", {})}
