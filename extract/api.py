"""Reads the Stripe API for one run: full or incremental per table, in parallel.

The first run of a table lists everything. Later runs list what was created
since the table's cursor and re-fetch what /v1/events says changed, so raw
holds each object's latest state; an object that is gone keeps its row,
flagged deleted. Child tables (invoice lines, subscription items, payment
methods) come with their parents. Output goes to a sink, table by table.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Protocol

from extract import settings
from extract.client import ApiError, RetriesExhausted, StripeClient
from extract.errors import UserError
from extract.payouts import payout_links
from extract.progress import Progress
from extract.settings import RESOURCES_BY_NAME, Resource

log = logging.getLogger("extract")

# One emitted object: (object, parent id, is_deleted).
Row = tuple[dict, str | None, bool]


@dataclass(frozen=True)
class TablePlan:
    """What this run does for one table."""

    full: bool
    # Incremental runs list objects created at or after this (epoch seconds).
    since: int | None = None
    # A full reload of a table that already has rows flags the vanished ones.
    has_rows: bool = False


class Sink(Protocol):
    """Where an extraction's rows go: dlt's queues, or a snapshot directory."""

    def emit(self, table: str, rows: list[Row]) -> None: ...
    def finish(self, table: str, cursor: int | None) -> None: ...


class EndpointMissing(Exception):
    """The Stripe in use does not offer this list endpoint."""


class ListingFailed(UserError):
    """A page of a list could not be read: the run stops rather than write a
    partial list as if it were the whole one. The message names the list
    (a table, or a parent's children) and the page."""

    def __init__(self, what: str, last_id: str | None, exc: Exception) -> None:
        where = f"page after {last_id}" if last_id else "first page"
        if isinstance(exc, RetriesExhausted):
            failure = f"failed after {exc.retries} retries: {exc.detail}"
        else:
            failure = f"failed: {exc}"
        super().__init__(
            f"{what} {where} {failure}; nothing of this run is loaded: re-run "
            "make extract, it resumes from the last complete load"
        )


class StoredRows(Protocol):
    """What the warehouse already holds, for flagging vanished objects."""

    def live_ids(self, table: str) -> set[str]: ...
    def rows(self, table: str, ids: Iterable[str]) -> list[Row]: ...
    def children(self, table: str, parent_ids: Iterable[str]) -> list[Row]: ...
    def known(self, table: str, ids: Iterable[str]) -> set[str]: ...


# Dropped, one at a time, when a Stripe refuses them on a list's first page.
_OPTIONAL_PARAMS = ("created[gte]", "expand[]")
# Also dropped when the first page keeps failing with a 5xx (the local Stripe
# answers 500 to it): listing without it is as correct, the caller filters.
# An expansion is dropped on a 400 only: a 5xx is retried like any page, since
# listing without it loses the expanded objects (a subscription's discounts).
_DROPPED_ON_5XX = "created[gte]"

# Line items have no endpoint of their own: they come with their invoice.
_NOT_RETRIEVABLE = frozenset({"invoice_line_items", "events"})
# Tables whose changed objects are always retrieved, never taken from their
# event: their rows hold expanded fields (a subscription's discounts, a
# price's or plan's tiers) that an event carries as ids or leaves out.
_RETRIEVED_ON_CHANGE = frozenset(r.name for r in settings.RESOURCES if r.expand)

# Parent table -> its child tables.
_CHILDREN = {
    parent.name: tuple(r.name for r in settings.RESOURCES if r.parent == parent.name)
    for parent in settings.RESOURCES
    if any(r.parent == parent.name for r in settings.RESOURCES)
}
# Parent table -> its children listed in a field of the parent (first page).
_EMBEDDED_CHILDREN = {
    r.parent: r for r in settings.RESOURCES if r.parent and r.embedded
}
# ... and the other way: child table -> its parent table.
_EMBEDDED_TABLES = {r.name: r.parent for r in _EMBEDDED_CHILDREN.values()}
# Tables whose objects name a payment method: one detached from its customer
# (customer null) is in no customer's list, so it is retrieved by id. The
# fields that name one: a charge's or payment intent's `payment_method`, a
# subscription's or invoice's `default_payment_method`, a customer's
# `invoice_settings.default_payment_method` (a detached card can stay a
# subscription's default).
PAYMENT_METHOD_REFERRERS = frozenset(
    {"charges", "payment_intents", "subscriptions", "invoices", "customers"}
)
_PAYMENT_METHOD_FIELDS = (
    ("payment_method",),
    ("default_payment_method",),
    ("invoice_settings", "default_payment_method"),
)


def payment_methods_named(objs: Iterable[dict]) -> set[str]:
    """The payment methods these objects name (an id, or the object when
    expanded) in any of the fields above."""
    named = set()
    for obj in objs:
        for path in _PAYMENT_METHOD_FIELDS:
            method: Any = obj
            for key in path:
                method = method.get(key) if isinstance(method, dict) else None
            method = method.get("id") if isinstance(method, dict) else method
            if isinstance(method, str):
                named.add(method)
    return named


def _stands_in(event: dict, table: str) -> bool:
    """Whether an event's object is what retrieving it returns now, so the
    request can be saved: an event in the pinned API version (the shape the
    extractor asks for), not a deletion (whose meaning varies: a customer
    is gone, a subscription only canceled, so Stripe is asked), and of a
    table without expanded fields. The newest event of an object carries
    its latest state; a later change has an event of its own, which the
    next run reads."""
    return (
        event.get("api_version") == settings.STRIPE_API_VERSION
        and not str(event.get("type") or "").endswith(".deleted")
        and table not in _RETRIEVED_ON_CHANGE
    )


class _NoIds(set):
    """The ids of a run that needs none of them: adding keeps nothing."""

    def add(self, _item: str) -> None:
        pass


class ApiExtraction:
    """One run against the Stripe API: every table, its children, its changes.

    Longer than 150 lines on purpose: its methods share one run's state (the
    plans, the stop event, the child listings in flight and their pools), and
    its sections (orchestration, a table with its children, updates and
    deletions, plumbing) read top to bottom.
    """

    def __init__(
        self,
        client: StripeClient,
        plans: dict[str, TablePlan],
        events_since: int | None,
        sink: Sink,
        progress: Progress,
        stored_rows: StoredRows | None = None,
        stand_in: bool = True,
    ) -> None:
        self.client = client
        # Whether an event's object may stand in for retrieving it.
        self.stand_in = stand_in
        self.plans = plans
        self.events_since = events_since
        self.sink = sink
        self.progress = progress
        self.stored_rows = stored_rows
        self.stop = threading.Event()
        self._pm_path_fallback = False
        # Child listings in flight, per child table: (parent, future). Only
        # the parent table's task touches its children's list.
        self._pending: dict[str, list[tuple[dict, Future]]] = defaultdict(list)
        self._child_pools: dict[str, ThreadPoolExecutor] = {}
        # Payment methods that other objects name (PAYMENT_METHOD_REFERRERS),
        # and those listed under customers (set by the customers' task, which leaves
        # the table open until the detached ones are retrieved).
        self._referenced_methods: set[str] = set()
        self._listed_methods: set[str] | None = None
        self._lock = threading.Lock()

    # -- orchestration -----------------------------------------------------

    def run(self) -> None:
        """Every table in parallel; events first in the queue, since the other
        tables need what they say changed once their own listing is done."""
        tops = [
            r
            for r in settings.RESOURCES
            if r.parent is None and r.name != "events" and r.name in self.plans
        ]
        # Parents of child lists first: their children (a request per
        # customer, invoice lines past the first ten) make them the longest.
        tops.sort(key=lambda r: r.name not in _CHILDREN)
        with contextlib.ExitStack() as pools:
            pool = pools.enter_context(
                ThreadPoolExecutor(settings.API_WORKERS, "stripe")
            )
            # A pool per child table, so a request per customer never holds
            # up the invoice lines, nor the lines the customers; their
            # requests yield the rate limit to the lists paged in sequence.
            for children in _CHILDREN.values():
                for child in children:
                    self._child_pools[child] = pools.enter_context(
                        ThreadPoolExecutor(
                            settings.CHILD_WORKERS,
                            f"stripe-{child}",
                            initializer=self.client.lower_thread_priority,
                        )
                    )
            changed = pool.submit(self._events)
            futures = [changed] + [pool.submit(self._table, r, changed) for r in tops]
            try:
                for future in futures:
                    future.result()
                self._detached_payment_methods()
            except BaseException:
                self.stop.set()
                raise

    def _events(self) -> dict[str, dict[str, dict]]:
        """Lists events into the events table; returns changed objects per table."""
        resource = RESOURCES_BY_NAME["events"]
        plan = self.plans["events"]
        since = None if plan.full else plan.since
        if self.events_since is not None:
            since = (
                self.events_since if since is None else min(since, self.events_since)
            )
        params = {"created[gte]": since} if since is not None else {}
        # table -> id -> (created, the newest event's object, whether that
        # object stands for the current one: see _stands_in)
        changed: dict[str, dict[str, tuple[int, dict, bool]]] = defaultdict(dict)
        cursor = plan.since
        for page in self._pages(resource, params):
            rows = []
            for event in page:
                rows.append((event, None, False))
                created = event.get("created") or 0
                cursor = max(cursor or 0, created)
                if self.events_since is None or created < self.events_since:
                    continue
                obj = (event.get("data") or {}).get("object") or {}
                target = settings.RESOURCE_BY_OBJECT.get(obj.get("object"))
                if target is None or "id" not in obj or target.name in _NOT_RETRIEVABLE:
                    continue
                table = target.name
                plan_t = self.plans.get(table) or self.plans.get(target.parent or "")
                if plan_t is None or plan_t.full:
                    continue
                current = self.stand_in and _stands_in(event, table)
                previous = changed[table].get(obj["id"])
                if previous is None or previous[0] < created:
                    changed[table][obj["id"]] = (created, obj, current)
                elif previous[0] == created:
                    # two changes in one second: which is the newer is not
                    # certain, so the object is retrieved
                    changed[table][obj["id"]] = (created, previous[1], False)
            self._emit("events", rows)
        self._finish("events", cursor)
        return {
            t: {i: (o, current) for i, (_, o, current) in objs.items()}
            for t, objs in changed.items()
        }

    # -- one top-level table with its children ---------------------------------

    def _table(self, resource: Resource, changed: Future) -> None:
        plan = self.plans[resource.name]
        tables = (resource.name, *_CHILDREN.get(resource.name, ()))
        # Ids listed this run: what events need not re-fetch, and what a full
        # reload of stored rows compares with. A first full load needs
        # neither, and keeps none (millions of ids on a large account).
        keep_ids = not plan.full or plan.has_rows
        seen: dict[str, set[str]] = {
            table: set() if keep_ids or table == "payment_methods" else _NoIds()
            for table in tables
        }
        if "payment_methods" in seen:
            self._listed_methods = seen["payment_methods"]
        cursor = plan.since
        params: dict[str, Any] = dict(resource.params)
        if resource.expand:
            params["expand[]"] = [f"data.{field}" for field in resource.expand]
        if not plan.full and plan.since is not None:
            params["created[gte]"] = plan.since
        links = None
        if resource.name == "balance_transactions":  # the payout of each
            links = payout_links(self.client, params.get("created[gte]"), self.stop)
            if links and links.older:
                self._emit_with_children(resource.name, links.older, seen)
        try:
            for page in self._pages(resource, params):
                objs = [
                    obj
                    for obj in page
                    if plan.full
                    or not plan.since
                    or (obj.get("created") or 0) >= plan.since
                ]
                for obj in objs:
                    cursor = max(cursor or 0, obj.get("created") or 0)
                if links is not None:
                    links.mark(objs)
                self._emit_with_children(resource.name, objs, seen)
            self._drain_children(seen)
        except EndpointMissing:
            log.info(
                "%s: %s is not offered by the Stripe at %s; the table stays empty",
                resource.name,
                resource.path,
                self.client.api_base,
            )
            for table in tables:
                self._finish(table, plan.since, "not offered by this Stripe")
            if "payment_methods" in tables:
                self._listed_methods = None  # finished here already
            return
        for table in tables:
            updates = changed.result().get(table, {})
            self._apply_changes(resource.name, table, updates, seen)
            self._drain_children(seen)
        # Payment methods stay open: _detached_payment_methods finishes them.
        tables = tuple(t for t in tables if t != "payment_methods")
        if plan.full and plan.has_rows and self.stored_rows is not None:
            for table in tables:
                self._flag_vanished(table, seen[table])
        for table in tables:
            self._finish(table, cursor if table == resource.name else None)

    def _emit_with_children(
        self, table: str, objs: list[dict], seen: dict[str, set[str]]
    ) -> None:
        rows = []
        for obj in objs:
            seen[table].add(obj["id"])
            rows.append((obj, None, bool(obj.get("deleted"))))
        self._emit(table, rows)
        if table in PAYMENT_METHOD_REFERRERS:
            self._note_payment_methods(objs)
        embedded = _EMBEDDED_CHILDREN.get(table)
        if embedded:
            whole = []
            for obj in objs:
                first_page = obj.get(embedded.embedded) or {}
                if first_page.get("has_more"):
                    # Listed from its own endpoint while listing goes on.
                    self._submit_child(
                        embedded.name, obj, seen, self._embedded, embedded
                    )
                else:
                    whole.append((obj, list(first_page.get("data") or [])))
            self._emit_families(embedded.name, whole, seen)
        elif table == "customers":
            # One request per customer: in flight while the next page is listed.
            for obj in objs:
                if not obj.get("deleted"):
                    self._submit_child(
                        "payment_methods", obj, seen, self._payment_methods
                    )

    def _submit_child(self, table, parent, seen, listing, *args) -> None:
        pending = self._pending[table]
        pending.append(
            (parent, self._child_pools[table].submit(listing, parent, *args))
        )
        if len(pending) > settings.PENDING_CHILD_LISTINGS:
            # Far enough ahead: emit the older half before listing more.
            self._drain_children(seen, table, keep=len(pending) // 2)

    def _drain_children(
        self, seen: dict[str, set[str]], table: str | None = None, keep: int = 0
    ) -> None:
        """Emit the children of listings in flight, oldest first, all but the
        newest `keep`; every child table of this task when `table` is None."""
        for child in [table] if table else [t for t in seen if t in self._pending]:
            pending = self._pending[child]
            done, self._pending[child] = (
                pending[: len(pending) - keep],
                pending[len(pending) - keep :],
            )
            families = [(parent, future.result()) for parent, future in done]
            self._emit_families(child, families, seen)

    def _emit_families(
        self,
        table: str,
        families: list[tuple[dict, list[dict] | None]],
        seen: dict[str, set[str]],
        whole: bool = True,
    ) -> None:
        """Children under their parents; `whole`: each list is all the parent
        has now (None: the parent went away meanwhile, nothing is known)."""
        rows, listed = [], {}
        for parent, children in families:
            if children is None:
                continue
            listed[parent["id"]] = {child["id"] for child in children}
            for child in children:
                seen[table].add(child["id"])
                rows.append((child, parent["id"], False))
        if rows:
            self._emit(table, rows, pages=0)
        if whole and _EMBEDDED_TABLES.get(table):
            self._retire_children(table, families, listed, seen)

    def _retire_children(
        self,
        table: str,
        families: list[tuple[dict, list[dict] | None]],
        listed: dict[str, set[str]],
        seen: dict[str, set[str]],
    ) -> None:
        """A parent listed again replaces its children: the stored ones its
        list no longer holds (an item removed from a subscription, a line
        gone from a draft invoice) are written again, with their last data,
        flagged deleted. Incremental runs only: a full reload flags them by
        comparing every id (`_flag_vanished`), a first load has none stored.
        Only a parent that may be stored is looked up: one created after the
        parent table's cursor is new to raw."""
        plan = self.plans.get(_EMBEDDED_TABLES[table])
        if plan is None or plan.full or self.stored_rows is None:
            return
        maybe_stored = [
            parent["id"]
            for parent, children in families
            if children is not None
            and (plan.since is None or (parent.get("created") or 0) <= plan.since)
        ]
        if not maybe_stored:
            return
        stale = [
            row
            for row in self.stored_rows.children(table, maybe_stored)
            if row[0]["id"] not in listed[row[1]]
        ]
        if stale:
            log.info(
                "%s: %d no longer listed under their re-fetched parent, "
                "flagged deleted",
                table,
                len(stale),
            )
            for obj, _, _ in stale:
                seen[table].add(obj["id"])
            self._emit(table, stale, pages=0)

    def _embedded(self, parent: dict, child: Resource) -> list[dict] | None:
        """An embedded list whose first page is cut (has_more), whole, from its
        own endpoint; None if the parent went away since it was listed.

        Listed from the start, not after the embedded page's last id: the
        endpoint need not order the children as the parent embeds them (a
        subscription's items), and paging after an id of one order through
        the other repeats and skips children.
        """
        if self.stop.is_set():
            return None
        return self._child_listing(parent, child.embedded, *child.listing(parent["id"]))

    def _child_listing(
        self, parent: dict, field: str, path: str, params: dict
    ) -> list[dict] | None:
        """Every page of a parent's child list, each id once; None if the
        parent is gone. A page that cannot be read ends the run, naming the
        parent and the page: a partial list is never written as the whole."""
        items: list[dict] = []
        ids: set[str] = set()
        try:
            for page in self.client.pages(path, params):
                for item in page:
                    if item["id"] not in ids:
                        ids.add(item["id"])
                        items.append(item)
        except (ApiError, RetriesExhausted) as exc:
            if exc.status == 404 and getattr(exc, "code", None) == "resource_missing":
                log.info(
                    "%s %s: gone since it was listed; its %s are left as they were",
                    parent.get("object"),
                    parent["id"],
                    field,
                )
                return None
            what = f"{parent.get('object')} {parent['id']}: {field}"
            raise ListingFailed(what, items[-1]["id"] if items else None, exc) from exc
        return items

    def _payment_methods(self, customer: dict) -> list[dict]:
        if self.stop.is_set():
            return []
        resource = RESOURCES_BY_NAME["payment_methods"]
        if not self._pm_path_fallback:
            try:
                return self._collect(*resource.listing(customer["id"]))
            except ApiError as exc:
                if exc.status != 404:
                    raise
                if exc.code == "resource_missing":
                    return []  # the customer went away since it was listed
                # No such route: a local Stripe lists them only as
                # /v1/payment_methods?customer=...&type=card.
                self._pm_path_fallback = True
        return self._collect(*resource.listing(customer["id"], fallback=True))

    def _note_payment_methods(self, objs: list[dict]) -> None:
        named = payment_methods_named(objs)
        with self._lock:
            self._referenced_methods |= named

    def _detached_payment_methods(self) -> None:
        """Payment methods that other objects name (PAYMENT_METHOD_REFERRERS)
        and no customer lists, retrieved one by one and kept when detached
        (customer null);
        then the payment methods table is complete and finishes."""
        listed = self._listed_methods
        if listed is None:  # customers were not listed: nothing to finish
            return
        missing = self._referenced_methods - listed
        plan = self.plans["payment_methods"]
        if missing and not plan.full and self.stored_rows is not None:
            missing -= self.stored_rows.known("payment_methods", missing)
        resource = RESOURCES_BY_NAME["payment_methods"]
        found = []
        for method_id in sorted(missing):
            method = self._retrieve(resource, method_id)
            # Only a method without a customer is detached. One that still
            # names a customer no list holds belongs to a deleted customer
            # (Stripe's test doubles keep the link): a full reload flags it
            # vanished, as the customer's deletion event does incrementally.
            if method is not None and method.get("customer") is None:
                found.append((method, None, bool(method.get("deleted"))))
                listed.add(method_id)
        if found:
            log.info(
                "payment_methods: %d detached from their customer, retrieved by id",
                len(found),
            )
            self._emit("payment_methods", found, pages=0)
        if plan.full and plan.has_rows and self.stored_rows is not None:
            self._flag_vanished("payment_methods", listed)
        self._finish("payment_methods", None)

    def _collect(self, path: str, params: dict | None = None) -> list[dict]:
        items: list[dict] = []
        for page in self.client.pages(path, params):
            items.extend(page)
        return items

    # -- updates and deletions -------------------------------------------------

    def _apply_changes(
        self,
        owner: str,
        table: str,
        changed: dict[str, tuple[dict, bool]],
        seen: dict[str, set[str]],
    ) -> None:
        """Write the objects events say changed: the event's own object where
        it stands for the current one, else re-fetched; gone ones keep a
        flagged row."""
        todo = [(i, change) for i, change in changed.items() if i not in seen[table]]
        if not todo:
            return
        resource = RESOURCES_BY_NAME[table]
        fresh, gone = [], []
        from_events = 0
        for object_id, (event_object, current_in_event) in todo:
            if current_in_event:
                fresh.append(event_object)
                from_events += 1
                continue
            current = self._retrieve(resource, object_id)
            if current is None or current.get("deleted"):
                gone.append((event_object, event_object.get("customer"), True))
                seen[table].add(object_id)
            else:
                fresh.append(current)
        log.info(
            "%s: %d changed objects from their events, %d retrieved",
            table,
            from_events,
            len(todo) - from_events,
        )
        if table == owner:
            self._emit_with_children(table, fresh, seen)
        else:
            parent_key = "customer" if table == "payment_methods" else "subscription"
            families = [({"id": obj.get(parent_key)}, [obj]) for obj in fresh]
            self._emit_families(table, families, seen, whole=False)
        if gone and self.stored_rows is not None:
            # Only what raw already holds gets a deleted row: an object made and
            # deleted between two runs is absent from a clean load too.
            known = self.stored_rows.known(table, [obj["id"] for obj, _, _ in gone])
            gone = [row for row in gone if row[0]["id"] in known]
        if gone:
            if table != "payment_methods":
                gone = [(obj, None, True) for obj, _, _ in gone]
            self._emit(table, gone, pages=0)
        if gone and table == "customers" and self.stored_rows is not None:
            # Deleting a customer detaches its payment methods.
            ids = [obj["id"] for obj, _, _ in gone]
            detached = self.stored_rows.children("payment_methods", ids)
            self._emit("payment_methods", detached, pages=0)

    def _retrieve(self, resource: Resource, object_id: str) -> dict | None:
        path = f"/v1/{resource.name}/{object_id}"
        params = {"expand[]": list(resource.expand)} if resource.expand else None
        try:
            return self.client.get(path, params)
        except ApiError as exc:
            if exc.status == 404:
                return None
            if exc.status == 400 and params:
                return self._retrieve(replace(resource, expand=()), object_id)
            raise

    def _flag_vanished(self, table: str, seen: set[str]) -> None:
        """A full reload flags stored objects the API no longer lists."""
        vanished = self.stored_rows.live_ids(table) - seen
        if not vanished:
            return
        rows = self.stored_rows.rows(table, vanished)
        log.info(
            "%s: %d stored objects no longer listed, flagged deleted", table, len(rows)
        )
        self._emit(table, rows, pages=0)

    # -- plumbing ------------------------------------------------------------------

    def _pages(
        self, resource: Resource, params: dict[str, Any], patient: bool = False
    ) -> Iterator[list]:
        """Pages of a list endpoint; refused optional parameters are dropped.

        Some Stripes (the local one) reject the `created` filter or an
        expansion (400), or choke on the filter (500). Listing without the
        filter is still correct, since the caller filters by `created` itself,
        so a first page with it is retried once only before it goes (a drop
        or a timeout, which says nothing of the filter, gets every retry). Without
        the expansion the field keeps its ids, which staging reads too, but
        objects are lost: it goes on a 400 alone, never on a 5xx or a drop.
        """
        optional = [key for key in _OPTIONAL_PARAMS if key in params]
        quick = _DROPPED_ON_5XX in params and not patient
        last_id = None
        try:
            for page in self.client.pages(
                resource.path, params, first_page_retries=1 if quick else None
            ):
                optional = []  # the first page was accepted
                if self.stop.is_set():
                    return
                yield page
                last_id = page[-1]["id"] if page else last_id
        except (ApiError, RetriesExhausted) as exc:
            if exc.status == 404:
                raise EndpointMissing(resource.path) from None
            if optional and quick and exc.status == 429:
                # Rate-limited, not refused: the same page, every retry.
                yield from self._pages(resource, params, patient=True)
                return
            refused = exc.status == 400 or (quick and exc.status >= 500)
            if not optional or not refused:
                raise ListingFailed(resource.name + ":", last_id, exc) from exc
            log.info(
                "%s: %s refused (HTTP %s), listing without it",
                resource.name,
                optional[0],
                exc.status,
            )
            rest = {k: v for k, v in params.items() if k != optional[0]}
            yield from self._pages(resource, rest)

    def _emit(self, table: str, rows: list[Row], pages: int = 1) -> None:
        self.sink.emit(table, rows)
        self.progress.add(table, len(rows), pages)

    def _finish(self, table: str, cursor: int | None, note: str = "") -> None:
        self.sink.finish(table, cursor)
        self.progress.done(table, note)
