"""check-db's document section: each collection's count against the rows of
OLTP (or raw) it is built from, one document each."""

from __future__ import annotations


def relation_exists(cur, schema: str, table: str) -> bool:
    """Whether schema.table exists (information_schema: any engine)."""
    cur.execute(
        "select count(*) from information_schema.tables"
        " where table_schema = %s and table_name = %s",
        (schema, table),
    )
    return bool(cur.fetchone()[0])


COLLECTIONS = ("event_log", "customer_profiles", "customer_feedback", "ml_features")
# (collection and filter, what it must equal: a count over OLTP or raw)
DOCUMENT_COUNTS: tuple[tuple[str, str, str], ...] = (
    (
        "event_log",
        "select count(*) from documents.event_log",
        "select count(distinct id) from stripe_raw.events",
    ),
    (
        "customer_profiles",
        "select count(*) from documents.customer_profiles",
        "select count(*) from oltp.customers",
    ),
    (
        "customer_feedback",
        "select count(*) from documents.customer_feedback",
        "select (select count(*) from oltp.subscriptions where"
        " cancellation_feedback is not null or cancellation_comment is not null)"
        " + (select count(*) from oltp.disputes where reason is not null"
        " or evidence_text is not null)"
        " + (select count(*) from oltp.refunds where reason is not null"
        " or description is not null)",
    ),
    (
        "ml_features churn",
        "select count(*) from documents.ml_features where feature_set = 'churn'",
        "select count(*) from oltp.customers where not is_missing_from_source",
    ),
    (
        "ml_features fraud",
        "select count(*) from documents.ml_features where feature_set = 'fraud'",
        "select count(*) from oltp.charges",
    ),
)


def check_documents(cur) -> tuple[list[str], list[str]]:
    """Report lines and problems; a warehouse without the layer is noted."""
    if not all(relation_exists(cur, "documents", name) for name in COLLECTIONS):
        return ["documents: not built (make build)"], []
    lines, problems = ["documents: collection counts against their sources"], []
    for name, documents_sql, source_sql in DOCUMENT_COUNTS:
        cur.execute(documents_sql)
        documents = cur.fetchone()[0]
        cur.execute(source_sql)
        expected = cur.fetchone()[0]
        state = "ok" if documents == expected else "DIFFERENT"
        lines.append(
            f"  {name:<20} {documents:>10} documents {expected:>10} rows  {state}"
        )
        if documents != expected:
            problems.append(f"{name}: {documents} documents for {expected} rows")
    return lines, problems
