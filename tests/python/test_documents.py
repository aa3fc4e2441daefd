"""The document collections (schema documents) on the fixture warehouse:
every document valid against its JSON Schema, counts and contents checked
against the fixture snapshot's files, search, Parquet features, check-db."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import FIXTURE_SNAPSHOT, ROOT, query, run
from jsonschema import Draft202012Validator, FormatChecker

SCHEMAS = ROOT / "schemas" / "documents"
COLLECTIONS = ("event_log", "customer_profiles", "customer_feedback", "ml_features")
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _is_timestamp(value: object) -> bool:
    return not isinstance(value, str) or datetime.fromisoformat(value) is not None


def fixture_objects(resource: str) -> list[dict]:
    path = FIXTURE_SNAPSHOT / f"{resource}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line]


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_every_document_matches_its_json_schema(oltp_warehouse, collection):
    schema = json.loads((SCHEMAS / f"{collection}.json").read_text())
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=FORMATS)
    documents = [
        row[0]
        for row in query(oltp_warehouse, f"select document from documents.{collection}")
    ]
    assert documents
    errors = [
        f"{error.json_path}: {error.message}"
        for document in documents
        for error in validator.iter_errors(document)
    ]
    assert errors == []
    assert {document["schema_version"] for document in documents} == {1}


def test_collections_hold_one_document_per_source_object(oltp_warehouse):
    customers = {c["id"] for c in fixture_objects("customers")}
    charges = {c["id"] for c in fixture_objects("charges")}
    events = {e["id"] for e in fixture_objects("events")}
    rows = dict(
        query(
            oltp_warehouse,
            "select 'event_log', array_agg(event_id) from documents.event_log"
            " union all select 'profiles', array_agg(customer_id)"
            " from documents.customer_profiles"
            " union all select feature_set, array_agg(entity_id)"
            " from documents.ml_features group by feature_set",
        )
    )
    assert set(rows["event_log"]) == events
    assert customers <= set(rows["profiles"])
    assert customers <= set(rows["churn"])
    assert set(rows["fraud"]) == charges


def test_feedback_comes_from_cancellations_disputes_and_refunds(oltp_warehouse):
    expected = {
        s["id"]: (s["customer"], s["cancellation_details"]["comment"])
        for s in fixture_objects("subscriptions")
        if (s.get("cancellation_details") or {}).get("comment")
    }
    charge_customer = {c["id"]: c.get("customer") for c in fixture_objects("charges")}
    for dispute in fixture_objects("disputes"):
        text = (dispute.get("evidence") or {}).get("uncategorized_text")
        expected[dispute["id"]] = (charge_customer[dispute["charge"]], text)
    for refund in fixture_objects("refunds"):
        expected[refund["id"]] = (
            charge_customer[refund["charge"]],
            refund.get("description"),
        )
    found = query(
        oltp_warehouse,
        "select feedback_id, customer_id, document->>'text'"
        " from documents.customer_feedback",
    )
    assert {row[0]: (row[1], row[2]) for row in found} == expected


def test_search_ranks_the_matching_comment_first(oltp_warehouse):
    canceled = next(
        s
        for s in fixture_objects("subscriptions")
        if "expensive" in ((s.get("cancellation_details") or {}).get("comment") or "")
    )
    result = run(
        [sys.executable, "-m", "tools.documents", "search", "too expensive"],
        oltp_warehouse,
    )
    first = result.stdout.splitlines()[0]
    day = datetime.fromtimestamp(canceled["canceled_at"], UTC).date().isoformat()
    assert first.startswith(f"{day}  {canceled['customer']}")
    assert "cancellation" in first and "[expensive]" in first
    assert "match(es) in" in result.stdout
    empty = run(
        [sys.executable, "-m", "tools.documents", "search", ""],
        oltp_warehouse,
        check=False,
    )
    assert empty.returncode == 2 and 'Q="too expensive"' in empty.stdout


def test_features_parquet_and_fraud_label(oltp_warehouse, tmp_path: Path):
    run(
        [sys.executable, "-m", "tools.documents", "features", "--out", str(tmp_path)],
        oltp_warehouse,
    )
    fraud = pq.read_table(tmp_path / "fraud.parquet").to_pylist()
    churn = pq.read_table(tmp_path / "churn.parquet").to_pylist()
    assert {row["charge_id"] for row in fraud} == {
        c["id"] for c in fixture_objects("charges")
    }
    fraudulent = {
        d["charge"] for d in fixture_objects("disputes") if d["reason"] == "fraudulent"
    }
    assert fraudulent
    labels = {row["charge_id"]: row["label_fraud"] for row in fraud}
    assert all(labels[charge] is True for charge in fraudulent)
    paid_clean = [
        c["id"]
        for c in fixture_objects("charges")
        if c.get("paid") and c["id"] not in fraudulent and not c.get("disputed")
    ]
    assert paid_clean and all(labels[c] is False for c in paid_clean)
    assert {row["customer_id"] for row in churn} >= {
        c["id"] for c in fixture_objects("customers")
    }


def test_check_db_reconciles_document_counts(oltp_warehouse):
    from tools.checks.check_documents import DOCUMENT_COUNTS

    for name, documents_sql, source_sql in DOCUMENT_COUNTS:
        assert query(oltp_warehouse, documents_sql) == query(
            oltp_warehouse, source_sql
        ), name
