"""Description coverage of the dbt docs (`make docs` prints it).

    python -m tools.checks.docs_coverage [--target target] [--fail-under 100]

Reads target/manifest.json and target/catalog.json (written by `dbt docs
generate`). The catalog lists the columns the relations really have in the
database, so a column the SQL selects but no yml names counts as not
described; models the catalog lacks (ephemeral ones, or not built yet) are
counted by their yml columns. Prints, per resource type, how many objects
and columns have a description, then every one that has none.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from extract.errors import UserError, run_main
from tools.checks.manifest import PROJECT, ROOT


@dataclass
class Tally:
    described: int = 0
    total: int = 0
    missing: list[str] = field(default_factory=list)

    def add(self, label: str, text: str | None) -> None:
        self.total += 1
        if text and text.strip():
            self.described += 1
        else:
            self.missing.append(label)

    def percent(self) -> float:
        return 100.0 * self.described / self.total if self.total else 100.0


def _documented(manifest: dict) -> list[dict]:
    nodes = [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] in ("model", "snapshot", "seed")
        and n["package_name"] == PROJECT
    ]
    return sorted([*nodes, *manifest["sources"].values()], key=lambda n: n["unique_id"])


def coverage(manifest: dict, catalog: dict) -> dict[str, Tally]:
    """{resource type: objects, resource type + ' columns': columns}."""
    tallies: dict[str, Tally] = {}
    relations = {**catalog.get("nodes", {}), **catalog.get("sources", {})}
    for node in _documented(manifest):
        kind = node["resource_type"]
        objects = tallies.setdefault(f"{kind}s", Tally())
        columns = tallies.setdefault(f"{kind} columns", Tally())
        objects.add(node["unique_id"], node.get("description"))
        described = {
            name.lower(): column.get("description")
            for name, column in node["columns"].items()
        }
        in_database = relations.get(node["unique_id"], {}).get("columns")
        names = [c.lower() for c in in_database] if in_database else list(described)
        for name in sorted(names):
            columns.add(f"{node['unique_id']}.{name}", described.get(name))
    return tallies


def report(tallies: dict[str, Tally]) -> str:
    lines = [f"{'':20} {'described':>9} {'total':>6} {'coverage':>9}"]
    for kind, tally in tallies.items():
        lines.append(
            f"{kind:20} {tally.described:9d} {tally.total:6d} {tally.percent():8.1f}%"
        )
    everything = Tally(
        sum(t.described for t in tallies.values()),
        sum(t.total for t in tallies.values()),
    )
    lines.append(
        f"{'all':20} {everything.described:9d} {everything.total:6d} "
        f"{everything.percent():8.1f}%"
    )
    for tally in tallies.values():
        for label in tally.missing:
            lines.append(f"no description: {label}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--target",
        type=Path,
        default=Path(os.environ.get("DBT_TARGET_PATH") or ROOT / "target"),
        help="dbt's target folder (default: DBT_TARGET_PATH, else target/)",
    )
    parser.add_argument(
        "--fail-under",
        type=float,
        default=0.0,
        help="exit 1 when any coverage is below this percentage",
    )
    args = parser.parse_args(argv)
    try:
        manifest = json.loads((args.target / "manifest.json").read_text())
        catalog = json.loads((args.target / "catalog.json").read_text())
    except FileNotFoundError as error:
        raise UserError(
            f"{error.filename} is missing: run `make docs` first "
            "(it needs the warehouse: `make up`, and `make build` for columns)"
        ) from None
    tallies = coverage(manifest, catalog)
    print(report(tallies))
    worst = min((t.percent() for t in tallies.values()), default=100.0)
    return 1 if worst < args.fail_under else 0


if __name__ == "__main__":
    run_main(main)
