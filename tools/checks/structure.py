"""Project-structure rules, checked on dbt's manifest (`dbt parse`).

    python -m tools.checks.structure      print every violation; exit 1 if any

Each rule returns violations that name the model (or source) and the rule.
The rules, and the decisions behind them:

- source_only_in_staging: only models under models/staging call source().
- layer_order: staging reads sources and seeds only; oltp reads staging,
  oltp and seeds; marts read oltp, marts, snapshots (the SCD2 history the
  MRR status history is rebuilt from) and seeds. A marts model may read a
  staging model only when no OLTP model reads it (the resource has no OLTP
  entity: stg_stripe__events, the 30-day event log, feeds the MRR history
  directly); where an OLTP model exists, reading staging skips its keys,
  placeholders and merge and is a violation. documents read what marts
  read, and marts and documents, under the same staging rule.
- primary_key_test: every model that is a relation (not ephemeral: an
  ephemeral model is a CTE inlined into a tested table) has unique and
  not_null tests on one column, or unique_combination_of_columns.
- description: every model and every column in its yml has a description;
  so has every source table and its columns.
- fk_relationships_test: every OLTP foreign-key constraint has a
  relationships test from the same column to the same model and column.
- naming: stg_stripe__<table of the stripe source> in staging; plural
  snake_case in oltp (int_* only for helpers: ephemeral, or tables without
  key constraints, which are no entity of the 3NF layer); dim_, fct_,
  metrics_ or int_ in marts; documents are the named collections
  (DOCUMENT_COLLECTIONS).
- pii_tagged: every column whose name matches a PII pattern (PII_PATTERNS)
  carries `meta: {pii: true}`, in models, snapshots and sources.
- fact_grain: every fct_ and metrics_ model's description states its grain
  ("Grain: one row per ...").
- exposures_read_marts: exposures depend on marts models only.

KNOWN_EXCEPTIONS lists the violations the project carries knowingly, each
with its reason; the tests fail when one is no longer needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extract.errors import run_main
from tools.checks import manifest as mf

# (column name pattern, model name pattern): personal data about a person
# (the customer, a card holder, a payer). Matched with re.search.
PII_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"email", r"."),
    (r"phone", r"."),
    (r"address", r"."),
    (r"shipping", r"."),
    (r"^(customer|billing|cardholder|shipping)_name$", r"."),
    (r"last4|fingerprint|exp_month|exp_year", r"."),
    (r"billing_details", r"."),
    # the verbatim Stripe objects (raw `data`, an event's object and its
    # previous attributes) hold everything above
    (r"^data$|^event_object$|^previous_attributes$", r"."),
    # a customer's free text and address country describe the person
    (r"^description$|^country$", r"customers"),
    # documents holding a person's data or words, and the words themselves
    (r"^document$", r"^(event_log|customer_profiles|customer_feedback)$"),
    (r"^body$|_comment$|^evidence_text$", r"."),
)
STAGING_NAME = re.compile(r"^stg_stripe__([a-z][a-z0-9_]*)$")
SNAKE_PLURAL = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*s$")
MARTS_PREFIXES = ("dim_", "fct_", "metrics_", "int_")
DOCUMENT_COLLECTIONS = (
    "event_log",
    "customer_profiles",
    "customer_feedback",
    "ml_features",
)

# (model, rule) pairs allowed to break a rule, with the reason; none now.
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {}


@dataclass(frozen=True, order=True)
class Violation:
    model: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.model}: [{self.rule}] {self.detail}"


def _parents(manifest: dict, node: dict) -> list[dict]:
    found = []
    for unique_id in node["depends_on"]["nodes"]:
        parent = manifest["nodes"].get(unique_id) or manifest["sources"].get(unique_id)
        if parent is not None:
            found.append(parent)
    return found


def source_only_in_staging(manifest: dict) -> list[Violation]:
    return [
        Violation(
            node["name"],
            "source_only_in_staging",
            f"calls source('{parent['source_name']}', '{parent['name']}'); "
            "only staging models read sources: read the staging model",
        )
        for node in mf.models(manifest)
        if mf.layer(node) != "staging"
        for parent in _parents(manifest, node)
        if parent["resource_type"] == "source"
    ]


def _staging_read_by_oltp(manifest: dict) -> set[str]:
    return {
        parent["name"]
        for node in mf.models(manifest)
        if mf.layer(node) == "oltp"
        for parent in _parents(manifest, node)
        if parent["resource_type"] == "model" and mf.layer(parent) == "staging"
    }


ALLOWED_READS = {
    "staging": {"source", "seed"},
    "oltp": {"staging", "oltp", "seed"},
    "marts": {"oltp", "marts", "snapshot", "seed"},
    "documents": {"oltp", "marts", "documents", "snapshot", "seed"},
}


def layer_order(manifest: dict) -> list[Violation]:
    covered = _staging_read_by_oltp(manifest)
    found = []
    for node in mf.models(manifest):
        own = mf.layer(node)
        if own is None:
            found.append(
                Violation(
                    node["name"],
                    "layer_order",
                    "lives outside models/staging, oltp, marts and documents",
                )
            )
            continue
        for parent in _parents(manifest, node):
            kind = parent["resource_type"]
            if kind == "source":
                continue  # source_only_in_staging reports it
            theirs = mf.layer(parent) if kind == "model" else kind
            if theirs in ALLOWED_READS[own]:
                continue
            if (
                own in ("marts", "documents")
                and theirs == "staging"
                and parent["name"] not in covered
            ):
                continue  # no OLTP entity for this resource: documented above
            hint = (
                f"read the OLTP table built from {parent['name']}"
                if theirs == "staging" and own in ("marts", "documents")
                else f"a {own} model reads only {sorted(ALLOWED_READS[own])}"
            )
            found.append(
                Violation(
                    node["name"],
                    "layer_order",
                    f"reads {theirs} {kind} {parent['name']}; {hint}",
                )
            )
    return found


def primary_key_test(manifest: dict) -> list[Violation]:
    found = []
    for node in mf.models(manifest):
        if node["config"]["materialized"] == "ephemeral":
            continue
        tests = [t for t in mf.tests_on(manifest, node) if not t["where"]]
        if any(t["name"] == "unique_combination_of_columns" for t in tests):
            continue
        unique = {t["column"] for t in tests if t["name"] == "unique"}
        not_null = {t["column"] for t in tests if t["name"] == "not_null"}
        if not unique & not_null:
            found.append(
                Violation(
                    node["name"],
                    "primary_key_test",
                    "no column has both unique and not_null tests (without "
                    "`where`) and no unique_combination_of_columns test: "
                    "add them to the key in the model's yml",
                )
            )
    return found


def _undescribed(node: dict, kind: str) -> list[Violation]:
    found = []
    if not node.get("description", "").strip():
        found.append(Violation(node["name"], "description", f"the {kind} has none"))
    for name, column in node["columns"].items():
        if not column.get("description", "").strip():
            found.append(
                Violation(node["name"], "description", f"column {name} has none")
            )
    return found


def description(manifest: dict) -> list[Violation]:
    found = []
    for node in mf.models(manifest):
        found += _undescribed(node, "model")
    for unique_id in sorted(manifest.get("sources", {})):
        source = manifest["sources"][unique_id]
        for violation in _undescribed(source, "source table"):
            found.append(
                Violation(
                    f"source {source['source_name']}.{source['name']}",
                    violation.rule,
                    violation.detail,
                )
            )
    return found


def fk_relationships_test(manifest: dict) -> list[Violation]:
    found = []
    for node in mf.models(manifest):
        if mf.layer(node) != "oltp":
            continue
        tested = {
            (t["column"], mf.ref_name(t["kwargs"]["to"]), t["kwargs"]["field"])
            for t in mf.tests_on(manifest, node)
            if t["name"] == "relationships"
        }
        for columns, parent, parent_columns in mf.foreign_keys(node):
            for column, parent_column in zip(columns, parent_columns, strict=True):
                if (column, parent, parent_column) not in tested:
                    found.append(
                        Violation(
                            node["name"],
                            "fk_relationships_test",
                            f"foreign key {column} -> {parent}.{parent_column} "
                            "has no relationships test: add one to the column",
                        )
                    )
    return found


def naming(manifest: dict) -> list[Violation]:
    tables = {
        s["name"]
        for s in manifest.get("sources", {}).values()
        if s["source_name"] == "stripe"
    }
    found = []
    for node in mf.models(manifest):
        name, own = node["name"], mf.layer(node)
        problem = None
        if own == "staging":
            match = STAGING_NAME.match(name)
            if not match or match.group(1) not in tables:
                problem = "staging models are stg_stripe__<table of the stripe source>"
        elif own == "oltp":
            helper = name.startswith("int_")
            if (
                helper
                and node["config"]["materialized"] != "ephemeral"
                and (mf.primary_key(node) or mf.foreign_keys(node))
            ):
                problem = (
                    "int_ models in oltp are helpers: ephemeral, or tables "
                    "without key constraints"
                )
            elif not helper and (
                not SNAKE_PLURAL.match(name)
                or name.startswith(("stg_", *MARTS_PREFIXES))
            ):
                problem = "oltp tables are plural snake_case entity names"
        elif own == "marts" and not name.startswith(MARTS_PREFIXES):
            problem = "marts models start with dim_, fct_, metrics_ or int_"
        elif own == "documents" and name not in DOCUMENT_COLLECTIONS:
            problem = f"documents models are the collections {DOCUMENT_COLLECTIONS}"
        if problem:
            found.append(Violation(name, "naming", problem))
    return found


def is_pii(model: str, column: str) -> bool:
    return any(
        re.search(column_pattern, column) and re.search(model_pattern, model)
        for column_pattern, model_pattern in PII_PATTERNS
    )


def pii_tagged(manifest: dict) -> list[Violation]:
    found = []
    nodes = [
        *(
            n
            for n in manifest["nodes"].values()
            if n["resource_type"] in ("model", "snapshot", "seed")
            and n["package_name"] == mf.PROJECT
        ),
        *manifest.get("sources", {}).values(),
    ]
    for node in sorted(nodes, key=lambda n: n["unique_id"]):
        label = (
            f"source {node['source_name']}.{node['name']}"
            if node["resource_type"] == "source"
            else node["name"]
        )
        for name, column in node["columns"].items():
            if (
                is_pii(node["name"], name)
                and mf.column_meta(column).get("pii") is not True
            ):
                found.append(
                    Violation(
                        label,
                        "pii_tagged",
                        f"column {name} holds personal data: add "
                        "`meta: {pii: true}` under its `config:`",
                    )
                )
    return found


def fact_grain(manifest: dict) -> list[Violation]:
    return [
        Violation(
            node["name"],
            "fact_grain",
            "the description does not state the grain: start it with "
            "'Grain: one row per ...'",
        )
        for node in mf.models(manifest)
        if mf.layer(node) == "marts"
        and node["name"].startswith(("fct_", "metrics_"))
        and "grain:" not in node.get("description", "").lower()
    ]


def exposures_read_marts(manifest: dict) -> list[Violation]:
    found = []
    for exposure in sorted(
        manifest.get("exposures", {}).values(), key=lambda e: e["name"]
    ):
        for unique_id in exposure["depends_on"]["nodes"]:
            parent = manifest["nodes"].get(unique_id)
            if parent is None or mf.layer(parent) != "marts":
                found.append(
                    Violation(
                        f"exposure {exposure['name']}",
                        "exposures_read_marts",
                        f"depends on {unique_id}; consumers read marts only",
                    )
                )
    return found


RULES = (
    source_only_in_staging,
    layer_order,
    primary_key_test,
    description,
    fk_relationships_test,
    naming,
    pii_tagged,
    fact_grain,
    exposures_read_marts,
)


def violations(manifest: dict) -> list[Violation]:
    """Every violation of every rule, known exceptions included."""
    return sorted(v for rule in RULES for v in rule(manifest))


def unexpected(found: list[Violation]) -> list[Violation]:
    return [v for v in found if (v.model, v.rule) not in KNOWN_EXCEPTIONS]


def main() -> int:
    manifest = mf.fresh_manifest()  # a ManifestError is a UserError: exit 2
    found = violations(manifest)
    for violation in found:
        reason = KNOWN_EXCEPTIONS.get((violation.model, violation.rule))
        print(f"{violation}" + (f"\n    known exception: {reason}" if reason else ""))
    bad = unexpected(found)
    print(f"{len(bad)} violation(s), {len(found) - len(bad)} known exception(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    run_main(main)
