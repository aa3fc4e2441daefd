"""python -m tools.documents search "words" [--limit N]
python -m tools.documents features [--out DIR]"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import orjson
import psycopg2
import pyarrow as pa
import pyarrow.parquet as pq

from extract import config
from extract.errors import UserError, run_main
from tools.stack.cli import connect

SEARCH_SQL = """
select
    feedback.feedback_at,
    feedback.customer_id,
    feedback.source_type,
    feedback.reason,
    ts_headline(
        'english', coalesce(feedback.body, feedback.reason, ''), query,
        'MaxWords=18, MinWords=6, StartSel=[, StopSel=]'
    ),
    ts_rank(feedback.search_vector, query) as rank
from documents.customer_feedback as feedback,
    websearch_to_tsquery('english', %s) as query
where feedback.search_vector @@ query
order by rank desc, feedback.feedback_at desc nulls last
limit %s
"""
FEATURE_SETS = ("churn", "fraud")


def _connect(env: dict[str, str]):
    try:
        return connect(env)
    except (KeyError, psycopg2.OperationalError):
        raise UserError(
            "cannot reach the warehouse; start it with `make up` or set the PG* "
            "variables."
        ) from None


def _run(cur, statement: str, params: tuple) -> None:
    try:
        cur.execute(statement, params)
    except psycopg2.errors.UndefinedTable:
        raise UserError(
            "schema documents is not built in this warehouse; run `make all` "
            "(or `make build`) first."
        ) from None


def search(env: dict[str, str], words: str, limit: int) -> list[tuple]:
    if not words.strip():
        raise UserError('nothing to search for; e.g. make search Q="too expensive"')
    with _connect(env) as conn, conn.cursor() as cur:
        _run(cur, SEARCH_SQL, (words, limit))
        return cur.fetchall()


def print_matches(rows: list[tuple], seconds: float) -> None:
    for at, customer, kind, reason, headline, rank in rows:
        day = at.date().isoformat() if at else "          "
        print(
            f"{day}  {customer or '-':<20} {kind:<12} {reason or '-':<22} "
            f"{rank:.3f}  {headline}"
        )
    print(f"{len(rows)} match(es) in {seconds * 1000:.0f} ms", file=sys.stderr)


def write_features(env: dict[str, str], out: Path) -> dict[str, int]:
    """One Parquet file per feature set, one column per document field."""
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    with _connect(env) as conn:
        for feature_set in FEATURE_SETS:
            with conn.cursor(name=f"features_{feature_set}") as cur:
                cur.itersize = 10_000
                _run(
                    cur,
                    "select document::text from documents.ml_features"
                    " where feature_set = %s order by entity_id",
                    (feature_set,),
                )
                documents = [orjson.loads(text) for (text,) in cur]
            table = pa.Table.from_pylist(documents)
            path = out / f"{feature_set}.parquet"
            pq.write_table(table, path)
            written[feature_set] = table.num_rows
            print(f"{path}: {table.num_rows} rows, {table.num_columns} columns")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.documents")
    verbs = parser.add_subparsers(dest="verb", required=True)
    find = verbs.add_parser("search", help="full-text search of customer feedback")
    find.add_argument("words", nargs="?", default="")
    find.add_argument("--limit", type=int, default=10)
    features = verbs.add_parser("features", help="ml_features as Parquet")
    features.add_argument("--out", type=Path, default=config.ROOT / "data/features")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    if args.verb == "search":
        started = time.perf_counter()
        rows = search(env, args.words, args.limit)
        print_matches(rows, time.perf_counter() - started)
    else:
        write_features(env, args.out)
    return 0


if __name__ == "__main__":
    run_main(main)
