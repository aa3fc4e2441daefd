"""The counts after the chaos: raw against a clean load of the snapshot,
and the webhook receiver against out-of-order, repeated deliveries."""

from __future__ import annotations

import concurrent.futures
import copy
import random
import secrets
import threading
from collections import Counter
from pathlib import Path

import orjson
import requests

from extract import config, rows, settings
from extract.snapshot import open_snapshot, read_objects
from extract.webhook.store import event_rank, is_deletion
from tools.bench.runs import data_tables
from tools.bench.webhooks import post_signed, receiver
from tools.stack.cli import connect

RAW = "stripe_raw"
DELIVERY_THREADS = 4


EXAMPLES = 10  # ids listed per table and kind of difference


def raw_rows(env: dict[str, str]) -> dict[str, dict[str, list[tuple]]]:
    """Per raw table (dlt's own aside), every row's (data hash, deleted flag)
    by id: a list, so an id stored twice shows."""
    conn = connect(env)
    try:
        with conn.cursor() as cur:
            tables: dict[str, dict[str, list[tuple]]] = {}
            for table in data_tables(cur, RAW):
                cur.execute(
                    f'select id, md5(data::text), is_deleted from {RAW}."{table}"'
                )
                by_id = tables.setdefault(table, {})
                for object_id, digest, deleted in cur.fetchall():
                    by_id.setdefault(object_id, []).append((digest, deleted))
            return tables
    finally:
        conn.close()


def compare_raw(chaos_env: dict[str, str], reference_env: dict[str, str]) -> dict:
    """Objects lost (in the reference, not in raw), duplicated (an id more
    than once), extra (in raw only) and changed (another `data` or deleted
    flag), in total and by table."""
    chaos, reference = raw_rows(chaos_env), raw_rows(reference_env)
    totals: Counter = Counter()
    by_table: dict[str, dict] = {}
    for table in sorted(set(chaos) | set(reference)):
        got, want = chaos.get(table, {}), reference.get(table, {})
        counts = {
            "lost": len(want.keys() - got.keys()),
            "duplicated": sum(len(found) - 1 for found in got.values()),
            "extra": len(got.keys() - want.keys()),
            "changed": sum(got[i][0] != want[i][0] for i in got.keys() & want.keys()),
        }
        totals.update(counts)
        totals["objects"] += len(want)
        if any(counts.values()):
            # The first ids of each kind, to look them up afterwards.
            by_table[table] = counts | {
                "lost_ids": sorted(want.keys() - got.keys())[:EXAMPLES],
                "extra_ids": sorted(got.keys() - want.keys())[:EXAMPLES],
            }
    return {
        **{k: totals[k] for k in ("objects", "lost", "duplicated")},
        **{
            "extra": totals["extra"],
            "changed": totals["changed"],
            "by_table": by_table,
        },
    }


def snapshot_events(directory: Path, count: int, seed: int) -> list[dict]:
    """A seeded sample of the snapshot's events whose object has a raw table."""
    files, _ = open_snapshot(directory)
    if "events" not in files:
        return []
    events = [
        event
        for event, _ in read_objects(files["events"])
        if (event.get("data") or {}).get("object", {}).get("object")
        in settings.RESOURCE_BY_OBJECT
    ]
    return random.Random(seed).sample(events, min(count, len(events)))


def latest_versions(events: list[dict]) -> dict[tuple[str, str], dict]:
    """Per (raw table, object id), the event whose state must win: the latest
    by (created, rank); objects whose latest two tie are left out, as their
    winner depends on the order of delivery."""
    by_object: dict[tuple[str, str], list[dict]] = {}
    for event in events:
        obj = event["data"]["object"]
        table = settings.RESOURCE_BY_OBJECT[obj["object"]].name
        by_object.setdefault((table, obj["id"]), []).append(event)
    latest = {}
    for key, candidates in by_object.items():
        ranked = sorted(
            candidates,
            key=lambda e: (e["created"], event_rank(e["type"])),
            reverse=True,
        )
        order = [(e["created"], event_rank(e["type"])) for e in ranked[:2]]
        if len(order) == 1 or order[0] != order[1]:
            latest[key] = ranked[0]
    return latest


def existing_ids(env: dict[str, str], keys) -> set[tuple[str, str]]:
    """The (table, id) pairs raw already holds: a pipeline load's state
    outranks an older event, so they are not the receiver's to decide."""
    found = set()
    conn = connect(env)
    try:
        with conn.cursor() as cur:
            for table in {table for table, _ in keys}:
                ids = [object_id for t, object_id in keys if t == table]
                cur.execute("select to_regclass(%s) is not null", (f'{RAW}."{table}"',))
                if not cur.fetchone()[0]:
                    continue
                cur.execute(
                    f'select id from {RAW}."{table}" where id = any(%s)', (ids,)
                )
                found.update((table, object_id) for (object_id,) in cur.fetchall())
    finally:
        conn.close()
    return found


def deliver_all(url: str, bodies: list[bytes], secret: str) -> Counter:
    """POST every body, a few at a time; the answers' statuses counted."""
    local = threading.local()

    def deliver(body: bytes) -> int:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        return post_signed(session, url, body, secret).status_code

    with concurrent.futures.ThreadPoolExecutor(DELIVERY_THREADS) as pool:
        return Counter(pool.map(deliver, bodies))


def stored_events(env: dict[str, str], ids: list[str]) -> Counter:
    conn = connect(env)
    try:
        with conn.cursor() as cur:
            cur.execute(
                f"select id, count(*) from {RAW}.events where id = any(%s) group by id",
                (ids,),
            )
            return Counter(dict(cur.fetchall()))
    finally:
        conn.close()


def stale_objects(env: dict[str, str], latest: dict[tuple[str, str], dict]) -> int:
    """Objects whose raw row is not their latest event's state."""
    stale = 0
    conn = connect(env)
    try:
        with conn.cursor() as cur:
            for (table, object_id), event in latest.items():
                cur.execute(
                    f'select data, is_deleted from {RAW}."{table}" where id = %s',
                    (object_id,),
                )
                found = cur.fetchall()
                obj = rows.scrub(copy.deepcopy(event["data"]["object"]))
                wanted = [(obj, is_deletion(event["type"], obj))]
                stale += [(data, deleted) for data, deleted in found] != wanted
    finally:
        conn.close()
    return stale


def webhook_check(
    env: dict[str, str], snapshot: Path, count: int, seed: int, out_dir: Path
) -> dict:
    """Deliver a sample of the snapshot's events, shuffled, each twice, to the
    receiver on env's database (raw tables made by one load); count events
    stored other than once and objects not at their latest event's state."""
    events = snapshot_events(snapshot, count, seed)
    latest = latest_versions(events)
    for key in existing_ids(env, list(latest)):
        latest.pop(key)
    bodies = [orjson.dumps(event) for event in events] * 2
    random.Random(seed).shuffle(bodies)
    secret = "whsec_" + secrets.token_hex(16)
    port = config.choose_port(out_dir / "webhook.port", 61500, None)
    hook_env = dict(env, STRIPE_WEBHOOK_SECRET=secret, WEBHOOK_PORT=str(port))
    with receiver(hook_env, out_dir / "webhooks.log") as url:
        statuses = deliver_all(url, bodies, secret)
    stored = stored_events(env, [event["id"] for event in events])
    return {
        "events": len(events),
        "deliveries": len(bodies),
        "refused": sum(n for status, n in statuses.items() if status != 200),
        "stored_twice": sum(1 for n in stored.values() if n > 1),
        "missing": len(events) - len(stored),
        "objects_checked": len(latest),
        "objects_stale": stale_objects(env, latest),
    }
