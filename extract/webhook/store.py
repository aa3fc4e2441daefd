"""Writes one webhook event into the raw layer, in one transaction.

The event lands in `stripe_raw.events` (once per event id) and its object in
the raw table of its type, with the columns the pipeline writes (the raw
contract: id, object, created, livemode, is_deleted, data, api_version,
parent_id on child tables, dlt's `_dlt_load_id` and `_dlt_id`). The load id
of a webhook row is the time it was written, so the incremental models pick
it up like a batch load's rows.

Order: Stripe does not deliver events in order. `stripe_webhooks.
object_versions` remembers, per object, the event whose state raw holds;
an event older than that state is recorded but not applied. When the
pipeline rewrote the row since (another `_dlt_id`), the state is as new as
that load's start.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from queue import Empty, LifoQueue
from typing import Any

import orjson
import psycopg2
from psycopg2 import errors, sql

from extract import rows, settings
from extract.errors import UserError

RAW_SCHEMA = "stripe_raw"
STATE_SCHEMA = "stripe_webhooks"
# Errors after which the same transaction can succeed on a new connection.
RETRYABLE = (
    psycopg2.OperationalError,
    psycopg2.InterfaceError,
    errors.DeadlockDetected,
    errors.SerializationFailure,
    errors.LockNotAvailable,
)
# Subscription objects stay listable once canceled: their `.deleted` event
# ends them, it does not delete them.
NOT_DELETIONS = frozenset({"customer.subscription.deleted"})
# Children a parent embeds: (parent table, its field, child table).
EMBEDDED = {r.parent: (r.embedded, r.name) for r in settings.RESOURCES if r.embedded}
# A parent's id on a child object whose list does not say it.
CHILD_PARENT_FIELD = {"payment_methods": "customer"}


@dataclass(frozen=True)
class Outcome:
    """What became of one delivery."""

    duplicate: bool
    # applied | stale (older than the state raw holds) | stored (type not
    # applied: no raw table for its object)
    result: str
    table: str | None = None


def event_rank(event_type: str) -> int:
    """Ties within one second: a creation comes first, a deletion last."""
    if event_type.endswith(".created"):
        return 0
    if event_type.endswith(".deleted") and event_type not in NOT_DELETIONS:
        return 2
    return 1


def is_deletion(event_type: str, obj: Mapping[str, Any]) -> bool:
    return bool(obj.get("deleted")) or (
        event_type.endswith(".deleted") and event_type not in NOT_DELETIONS
    )


def new_load_id() -> str:
    """A load id in dlt's format: epoch seconds with microseconds, as text."""
    return f"{time.time():.6f}"


class Store:
    """A small pool of connections and the one transaction per event."""

    def __init__(self, environ: Mapping[str, str], pool_size: int = 8) -> None:
        self.environ = environ
        self.idle: LifoQueue = LifoQueue(maxsize=pool_size)
        self.raw_tables: set[str] = set()

    def _connect(self):
        env = self.environ
        return psycopg2.connect(
            host=env["PGHOST"],
            port=env.get("PGPORT") or 5432,
            user=env["PGUSER"],
            password=env.get("PGPASSWORD", ""),
            dbname=env["PGDATABASE"],
            connect_timeout=5,
            application_name="stripe-webhooks",
        )

    @contextmanager
    def connection(self) -> Iterator[Any]:
        try:
            conn = self.idle.get_nowait()
        except Empty:
            conn = self._connect()
        try:
            yield conn
        except BaseException:
            conn.close()
            raise
        try:
            self.idle.put_nowait(conn)
        except Exception:
            conn.close()

    def close(self) -> None:
        while True:
            try:
                self.idle.get_nowait().close()
            except Empty:
                return

    def prepare(self) -> None:
        """The bookkeeping table, and an index on id of each raw table (the
        pipeline's tables have none; every event looks its object up)."""
        try:
            with self.connection() as conn, conn, conn.cursor() as cur:
                cur.execute(
                    "select table_name from information_schema.tables "
                    "where table_schema = %s",
                    (RAW_SCHEMA,),
                )
                existing = {name for (name,) in cur.fetchall()}
                self.raw_tables = existing & set(settings.RESOURCES_BY_NAME)
                if "events" not in self.raw_tables:
                    raise UserError(
                        f"{RAW_SCHEMA}.events does not exist in database "
                        f"{self.environ['PGDATABASE']}: the receiver writes into "
                        "the tables the pipeline creates; run `make extract` "
                        "once, then `make listen`."
                    )
                cur.execute(f"create schema if not exists {STATE_SCHEMA}")
                cur.execute(
                    f"create table if not exists {STATE_SCHEMA}.object_versions ("
                    " raw_table text not null, object_id text not null,"
                    " event_id text not null, event_created bigint not null,"
                    " event_rank smallint not null, dlt_id text not null,"
                    " applied_at timestamptz not null default now(),"
                    " primary key (raw_table, object_id))"
                )
                for table in sorted(self.raw_tables):
                    cur.execute(
                        sql.SQL("create index if not exists {} on {} (id)").format(
                            sql.Identifier(f"{table}_webhook_id_idx"),
                            sql.Identifier(RAW_SCHEMA, table),
                        )
                    )
        except psycopg2.OperationalError as exc:
            first = (str(exc).strip().splitlines() or ["no answer"])[0]
            raise UserError(
                f"cannot reach the warehouse ({first}); start it with `make up` "
                "or fix the PG* variables."
            ) from None

    def record(self, event: dict) -> Outcome:
        """Store the event and apply its object; commits before returning."""
        with self.connection() as conn:
            try:
                with conn.cursor() as cur:
                    outcome = self._record(cur, event)
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
        return outcome

    def _record(self, cur, event: dict) -> Outcome:
        # Share row exclusive: one writer a table at a time, the pipeline's
        # merge included, so an id is never inserted twice.
        self._lock(cur, "events")
        cur.execute("select 1 from stripe_raw.events where id = %s", (event["id"],))
        if cur.fetchone() is not None:
            return Outcome(duplicate=True, result="duplicate")
        self._write_row(cur, "events", rows.scrub(event), event, deleted=False)
        obj = event["data"]["object"]
        resource = settings.RESOURCE_BY_OBJECT.get(obj.get("object"))
        table = resource.name if resource else None
        if table is None or table == "events" or table not in self.raw_tables:
            return Outcome(duplicate=False, result="stored", table=table)
        applied = self._apply(cur, table, obj, event)
        embedded = EMBEDDED.get(table)
        if applied and embedded:
            field, child_table = embedded
            page = obj.get(field) or {}
            # Only a whole list: the rest of a cut one is the pipeline's job.
            if child_table in self.raw_tables and not page.get("has_more"):
                for child in page.get("data") or []:
                    self._apply(cur, child_table, child, event, parent_id=obj["id"])
        return Outcome(False, "applied" if applied else "stale", table)

    def _lock(self, cur, table: str) -> None:
        cur.execute(
            sql.SQL("lock table {} in share row exclusive mode").format(
                sql.Identifier(RAW_SCHEMA, table)
            )
        )

    def _apply(
        self, cur, table: str, obj: dict, event: dict, parent_id: str | None = None
    ) -> bool:
        """Upsert one object unless raw holds a newer state of it."""
        self._lock(cur, table)
        rank = event_rank(event["type"])
        cur.execute(
            sql.SQL(
                "select raw._dlt_id, raw._dlt_load_id, version.dlt_id,"
                " version.event_created, version.event_rank"
                " from {} as raw left join stripe_webhooks.object_versions"
                " as version on version.raw_table = %s"
                " and version.object_id = raw.id where raw.id = %s"
            ).format(sql.Identifier(RAW_SCHEMA, table)),
            (table, obj["id"]),
        )
        current = cur.fetchone()
        if current is not None:
            dlt_id, load_id, version_dlt_id, version_created, version_rank = current
            if version_dlt_id == dlt_id:
                state = (version_created, version_rank)
            else:
                # Written by the pipeline: its state is at least as new as the
                # load's start (-1: an event of that very second still wins).
                state = (int(float(load_id)), -1)
            if (event["created"], rank) < state:
                return False
        if table in settings.CHILD_TABLES and parent_id is None:
            parent = obj.get(CHILD_PARENT_FIELD.get(table, ""))
            parent_id = parent.get("id") if isinstance(parent, dict) else parent
        dlt_id = self._write_row(
            cur,
            table,
            rows.scrub(obj),
            event,
            deleted=is_deletion(event["type"], obj),
            parent_id=parent_id,
            replace=current is not None,
        )
        cur.execute(
            "insert into stripe_webhooks.object_versions as version"
            " (raw_table, object_id, event_id, event_created, event_rank, dlt_id)"
            " values (%s, %s, %s, %s, %s, %s) on conflict (raw_table, object_id)"
            " do update set event_id = excluded.event_id,"
            " event_created = excluded.event_created,"
            " event_rank = excluded.event_rank, dlt_id = excluded.dlt_id,"
            " applied_at = now()",
            (table, obj["id"], event["id"], event["created"], rank, dlt_id),
        )
        return True

    def _write_row(
        self,
        cur,
        table: str,
        obj: dict,
        event: dict,
        deleted: bool,
        parent_id: str | None = None,
        replace: bool = False,
    ) -> str:
        created = obj.get("created")
        values = {
            "object": obj.get("object"),
            "created": created if isinstance(created, int) else None,
            "livemode": obj.get("livemode"),
            "is_deleted": deleted,
            "data": orjson.dumps(obj).decode(),
            "api_version": event.get("api_version"),
            "_dlt_load_id": new_load_id(),
            "_dlt_id": secrets.token_urlsafe(10),
        }
        if table in settings.CHILD_TABLES:
            values["parent_id"] = parent_id
        target = sql.Identifier(RAW_SCHEMA, table)
        if replace:
            statement = sql.SQL("update {} set {} where id = %s").format(
                target,
                sql.SQL(", ").join(
                    sql.SQL("{} = %s").format(sql.Identifier(c)) for c in values
                ),
            )
            cur.execute(statement, [*values.values(), obj["id"]])
        else:
            columns = ["id", *values]
            statement = sql.SQL("insert into {} ({}) values ({})").format(
                target,
                sql.SQL(", ").join(map(sql.Identifier, columns)),
                sql.SQL(", ").join(sql.Placeholder() * len(columns)),
            )
            cur.execute(statement, [obj["id"], *values.values()])
        return values["_dlt_id"]
