"""The API client and extraction under faults, against a tiny in-test server.

The server answers from a script of canned responses on 127.0.0.1 and records
when each request arrived; every test starts and stops its own.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import orjson
import pytest

from extract import settings
from extract.api import ApiExtraction, ListingFailed, TablePlan
from extract.client import RateLimiter, RetriesExhausted, StripeClient
from extract.errors import UserError
from extract.progress import Progress
from tools.fake_stripe import replay, synth

# (status, headers, body) or None to drop the connection without an answer.
Answer = tuple[int, dict[str, str], dict] | None
Route = Callable[[str, dict[str, str]], Answer]


class FakeStripe:
    def __init__(self, route: Route) -> None:
        self.route = route
        self.arrivals: list[float] = []
        self.paths: list[str] = []
        self.queries: list[tuple[str, dict[str, str]]] = []
        self.headers: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                fake.arrivals.append(time.monotonic())
                url = urlparse(self.path)
                fake.paths.append(url.path)
                fake.headers.append(dict(self.headers))
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.queries.append((url.path, query))
                answer = fake.route(url.path, query)
                if answer is None:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                status, headers, body = answer
                payload = json.dumps(body).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeStripe:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def scripted(*answers: Answer) -> Route:
    """Answers in order, then 200 with an empty object forever."""
    queue = list(answers)
    lock = threading.Lock()

    def route(path: str, query: dict[str, str]) -> Answer:
        with lock:
            if queue:
                return queue.pop(0)
        return 200, {}, {"id": "ok", "object": "thing"}

    return route


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(settings, "BACKOFF_BASE_SECONDS", 0.01)
    monkeypatch.setattr(settings, "BACKOFF_CAP_SECONDS", 0.05)


def client_for(fake: FakeStripe, rate: float = 1000, retries: int = 4) -> StripeClient:
    return StripeClient(fake.base, "sk_test_fake", rate, max_retries=retries, timeout=5)


def test_429_with_should_retry_is_retried_and_version_is_pinned():
    limited = (429, {"Stripe-Should-Retry": "true"}, {"error": {"message": "slow"}})
    with FakeStripe(scripted(limited, limited)) as fake:
        assert client_for(fake).get("/v1/customers/cus_1")["id"] == "ok"
    assert len(fake.paths) == 3
    assert {h["Stripe-Version"] for h in fake.headers} == {settings.STRIPE_API_VERSION}


def test_should_retry_false_is_not_retried():
    refused = (500, {"Stripe-Should-Retry": "false"}, {"error": {"message": "no"}})
    with FakeStripe(scripted(refused)) as fake, pytest.raises(RetriesExhausted):
        client_for(fake).get("/v1/customers/cus_1")
    assert len(fake.paths) == 1


def test_5xx_and_dropped_connections_are_retried_until_an_answer():
    error = (503, {}, {"error": {"message": "busy"}})
    with FakeStripe(scripted(error, None, error, None)) as fake:
        assert client_for(fake, retries=5).get("/v1/charges/ch_1")["id"] == "ok"
    assert len(fake.paths) == 5


def test_a_call_with_fewer_retries_still_outlasts_dropped_connections():
    """A first page allowed one retry for its filter's sake is still retried
    through drops: a drop says nothing about the filter."""
    with FakeStripe(scripted(None, None, None)) as fake:
        page = client_for(fake, retries=4).get("/v1/charges", max_retries=1)
    assert page["id"] == "ok"
    assert len(fake.paths) == 4


def test_retries_are_bounded_and_end_in_a_clear_error():
    error = (502, {}, {"error": {"message": "bad gateway"}})
    with (
        FakeStripe(scripted(*[error] * 10)) as fake,
        pytest.raises(UserError, match="HTTP 502"),
    ):
        client_for(fake, retries=3).get("/v1/charges/ch_1")
    assert len(fake.paths) == 4


def test_bad_key_names_the_fix():
    denied = (401, {}, {"error": {"message": "Invalid API Key provided"}})
    with (
        FakeStripe(scripted(denied)) as fake,
        pytest.raises(UserError, match="STRIPE_API_KEY") as caught,
    ):
        client_for(fake).get("/v1/events")
    assert "sk_test_fake" not in str(caught.value)


def max_in_any_second(arrivals: list[float]) -> int:
    arrivals = sorted(arrivals)
    best, start = 0, 0
    for end, at in enumerate(arrivals):
        while at - arrivals[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_rate_ceiling_is_never_exceeded_by_parallel_callers():
    rate, callers, each = 20, 6, 10
    with FakeStripe(scripted()) as fake:
        client = client_for(fake, rate=rate)
        # The limiter decides when a request starts; when the in-test server's
        # thread gets to note its arrival depends on the GIL and a busy CI
        # machine, so the ceiling is checked on the starts, and the server's
        # count proves that every request it saw had waited for one.
        starts: list[float] = []
        acquire = client.limiter.acquire

        def timed_acquire(priority: int = 0) -> float:
            start = acquire(priority)
            starts.append(start)
            return start

        client.limiter.acquire = timed_acquire
        threads = [
            threading.Thread(
                target=lambda: [client.get("/v1/customers/cus_1") for _ in range(each)]
            )
            for _ in range(callers)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    assert len(fake.arrivals) == len(starts) == callers * each
    assert max_in_any_second(starts) <= rate
    # ... and the ceiling is used, not just respected.
    assert elapsed < callers * each / rate * 1.25


def test_rate_limiter_gives_the_next_start_to_the_lowest_priority_waiting():
    limiter = RateLimiter(10)  # a start every ~0.1 s
    order: list[str] = []

    def take(name: str, priority: int) -> None:
        limiter.acquire(priority)
        order.append(name)

    limiter.acquire()  # the next start is ~0.1 s away: the others queue
    background = [
        threading.Thread(target=take, args=(f"child-{n}", 1)) for n in range(3)
    ]
    for thread in background:
        thread.start()
        time.sleep(0.005)
    time.sleep(0.01)
    listing = threading.Thread(target=take, args=("list", 0))
    listing.start()
    for thread in [*background, listing]:
        thread.join()
    # Queued last, taken first; the children keep their order among themselves.
    assert order == ["list", "child-0", "child-1", "child-2"]


def test_rate_limiter_rejects_nonsense():
    with pytest.raises(ValueError):
        RateLimiter(0)


def stripe_list(objects: list[dict], query: dict[str, str]) -> dict:
    limit = int(query.get("limit", 10))
    start = 0
    if "starting_after" in query:
        start = [o["id"] for o in objects].index(query["starting_after"]) + 1
    page = objects[start : start + limit]
    return {"object": "list", "data": page, "has_more": start + limit < len(objects)}


def long_invoice(**fields) -> tuple[list[dict], dict]:
    """Invoice in_1's 25 lines, and the invoice, which embeds the first ten."""
    lines = [{"id": f"il_{n:02d}", "object": "line_item"} for n in range(25)]
    embedded = stripe_list(lines, {"limit": "10"}) | {"object": "list"}
    invoice = {"id": "in_1", "object": "invoice", "created": 5, "lines": embedded}
    return lines, invoice | fields


def small_stripe() -> Route:
    """Customers past one page, an invoice with 25 lines, a 12-item subscription."""
    customers = [
        {"id": f"cus_{n:03d}", "object": "customer", "created": n} for n in range(150)
    ]
    items = [{"id": f"si_{n:02d}", "object": "subscription_item"} for n in range(12)]
    lines, invoice = long_invoice(client_secret="secret")
    subscription = {
        "id": "sub_1",
        "object": "subscription",
        "created": 6,
        "items": stripe_list(items, {"limit": "10"}),
    }
    methods = [{"id": "pm_1", "object": "payment_method", "customer": "cus_000"}]

    def route(path: str, query: dict[str, str]) -> Answer:
        if path == "/v1/customers":
            return 200, {}, stripe_list(customers, query)
        if path == "/v1/invoices":
            return 200, {}, stripe_list([invoice], query)
        if path == "/v1/invoices/in_1/lines":
            return 200, {}, stripe_list(lines, query)
        if path == "/v1/subscriptions":
            assert query.get("status") == "all"
            assert query.get("expand[]") == "data.discounts"
            return 200, {}, stripe_list([subscription], query)
        if path == "/v1/subscription_items":
            assert query["subscription"] == "sub_1"
            return 200, {}, stripe_list(items, query)
        if path == "/v1/customers/cus_000/payment_methods":
            return 200, {}, stripe_list(methods, query)
        if path.startswith("/v1/customers/") and path.endswith("/payment_methods"):
            return 200, {}, stripe_list([], query)
        if path in ("/v1/disputes", "/v1/prices"):
            return 404, {}, {"error": {"message": "Unrecognized request URL"}}
        return 200, {}, stripe_list([], query)

    return route


class CollectingSink:
    def __init__(self) -> None:
        self.rows: dict[str, list] = {}
        self.finished: dict[str, int | None] = {}
        self.lock = threading.Lock()

    def emit(self, table: str, rows: list) -> None:
        with self.lock:
            self.rows.setdefault(table, []).extend(rows)

    def finish(self, table: str, cursor: int | None, note: str = "") -> None:
        self.finished[table] = cursor

    def ids(self, table: str) -> list[str]:
        return [obj["id"] for obj, _, _ in self.rows.get(table, [])]


def full_extraction(fake: FakeStripe) -> CollectingSink:
    sink = CollectingSink()
    plans = {r.name: TablePlan(full=True) for r in settings.RESOURCES}
    ApiExtraction(client_for(fake), plans, None, sink, Progress()).run()
    return sink


def test_every_page_and_embedded_lists_past_ten_are_extracted():
    with FakeStripe(small_stripe()) as fake:
        sink = full_extraction(fake)
    assert sorted(sink.ids("customers")) == [f"cus_{n:03d}" for n in range(150)]
    assert sorted(sink.ids("invoice_line_items")) == [f"il_{n:02d}" for n in range(25)]
    assert {parent for _, parent, _ in sink.rows["invoice_line_items"]} == {"in_1"}
    assert sorted(sink.ids("subscription_items")) == [f"si_{n:02d}" for n in range(12)]
    assert sink.rows["payment_methods"] == [
        (
            {"id": "pm_1", "object": "payment_method", "customer": "cus_000"},
            "cus_000",
            False,
        )
    ]
    assert set(sink.finished) == {r.name for r in settings.RESOURCES}
    assert "disputes" not in sink.rows and sink.finished["customers"] == 149


def test_a_fault_mid_listing_loses_and_duplicates_nothing():
    """Drops and 5xx between pages are retried; each object arrives once."""
    inner = small_stripe()
    hits = {"n": 0}

    def flaky(path: str, query: dict[str, str]) -> Answer:
        if path == "/v1/customers" and "starting_after" in query:
            hits["n"] += 1
            if hits["n"] == 1:
                return None
            if hits["n"] == 2:
                return 500, {}, {"error": {"message": "oops"}}
        return inner(path, query)

    with FakeStripe(flaky) as fake:
        sink = full_extraction(fake)
    ids = sink.ids("customers")
    assert len(ids) == len(set(ids)) == 150


def test_unfiltered_fallback_when_created_filter_is_refused():
    inner = small_stripe()

    def no_filters(path: str, query: dict[str, str]) -> Answer:
        if "created[gte]" in query:
            return 400, {}, {"error": {"message": "Unexpected created"}}
        return inner(path, query)

    sink = CollectingSink()
    plans = {r.name: TablePlan(full=False, since=140) for r in settings.RESOURCES}
    with FakeStripe(no_filters) as fake:
        ApiExtraction(client_for(fake), plans, None, sink, Progress()).run()
    assert sorted(sink.ids("customers")) == [f"cus_{n:03d}" for n in range(140, 150)]


def test_a_child_page_that_fails_ends_the_run_naming_parent_and_page(monkeypatch):
    """No partial list of lines is written as the invoice's whole list."""
    monkeypatch.setattr(settings, "PAGE_LIMIT", 10)  # 25 lines: three pages
    inner = small_stripe()

    def lines_fail(path: str, query: dict[str, str]) -> Answer:
        if path == "/v1/invoices/in_1/lines" and "starting_after" in query:
            return 500, {}, {"error": {"message": "lines unavailable"}}
        return inner(path, query)

    sink = CollectingSink()
    plans = {r.name: TablePlan(full=True) for r in settings.RESOURCES}
    with (
        FakeStripe(lines_fail) as fake,
        pytest.raises(ListingFailed) as caught,
    ):
        ApiExtraction(client_for(fake), plans, None, sink, Progress()).run()
    message = str(caught.value)
    assert message.startswith("invoice in_1: lines page after il_09 failed")
    assert "failed after 4 retries: HTTP 500 lines unavailable" in message
    assert "re-run make extract" in message
    assert isinstance(caught.value, UserError)  # exit 2, one error line
    assert "invoice_line_items" not in sink.rows


def test_first_load_from_the_replay_server_lands_every_id_once(tmp_path):
    """The replay server orders a subscription's items newest first, not as
    the subscription embeds them: children past ten are listed whole."""
    snapshot = tmp_path / "snap"
    synth.generate(
        synth.SynthSettings(300, 7, synth.parse_now(synth.DEFAULT_NOW), snapshot, False)
    )
    with replay.ReplayServer(snapshot, api_key="sk_test_fake") as server:
        sink = CollectingSink()
        plans = {r.name: TablePlan(full=True) for r in settings.RESOURCES}
        client = StripeClient(server.url, "sk_test_fake", 1000, timeout=5)
        ApiExtraction(client, plans, None, sink, Progress()).run()
    cut = 0
    for line in (snapshot / "subscriptions.jsonl").read_text().splitlines():
        cut += orjson.loads(line)["items"]["has_more"]
    assert cut, "the company needs a subscription with more than ten items"
    for table in sink.rows:
        ids = sink.ids(table)
        assert len(ids) == len(set(ids)), table
    expected = {
        orjson.loads(line)["id"]
        for line in (snapshot / "subscription_items.jsonl").read_text().splitlines()
    }
    assert set(sink.ids("subscription_items")) == expected


@pytest.mark.parametrize("incremental", [False, True])
def test_a_retried_first_page_keeps_its_expansion(incremental):
    inner = small_stripe()
    failures = {"left": 3}

    def first_pages_fail(path: str, query: dict[str, str]) -> Answer:
        if path == "/v1/subscriptions" and failures["left"]:
            failures["left"] -= 1
            return 500, {}, {"error": {"message": "try again"}}
        return inner(path, query)

    sink = CollectingSink()
    plans = {
        r.name: TablePlan(full=not incremental, since=1 if incremental else None)
        for r in settings.RESOURCES
    }
    with FakeStripe(first_pages_fail) as fake:
        ApiExtraction(client_for(fake), plans, None, sink, Progress()).run()
    asked = [query for path, query in fake.queries if path == "/v1/subscriptions"]
    assert len(asked) == 4
    assert all(query.get("expand[]") == "data.discounts" for query in asked)
    assert sink.ids("subscriptions") == ["sub_1"]


def test_prices_and_plans_come_with_their_tiers():
    """Listed with expand[]=data.tiers, retrieved (after an event) with tiers."""
    price = {"id": "price_1", "object": "price", "created": 3, "tiers": [{}]}
    event = {
        "id": "evt_1",
        "object": "event",
        "created": 50,
        "type": "price.updated",
        "data": {"object": {"id": "price_1", "object": "price", "created": 3}},
    }

    def route(path: str, query: dict[str, str]) -> Answer:
        if path == "/v1/events":
            return 200, {}, stripe_list([event], query)
        if path == "/v1/prices/price_1":
            return 200, {}, price
        return 200, {}, stripe_list([], query)

    sink = CollectingSink()
    plans = {r.name: TablePlan(full=False, since=10) for r in settings.RESOURCES}
    with FakeStripe(route) as fake:
        ApiExtraction(client_for(fake), plans, 40, sink, Progress()).run()
    asked = dict(fake.queries)
    assert asked["/v1/prices"]["expand[]"] == "data.tiers"
    assert asked["/v1/plans"]["expand[]"] == "data.tiers"
    assert asked["/v1/prices/price_1"]["expand[]"] == "tiers"
    assert sink.rows["prices"] == [(price, None, False)]


class StoredFake:
    """What raw holds, per table: (object, parent id) of live rows."""

    def __init__(self, stored: dict[str, list[tuple[dict, str | None]]]) -> None:
        self.stored = stored
        self.asked: list[tuple[str, list[str]]] = []

    def live_ids(self, table: str) -> set[str]:
        return {obj["id"] for obj, _ in self.stored.get(table, [])}

    def rows(self, table: str, ids) -> list:
        ids = set(ids)
        return [(o, p, True) for o, p in self.stored.get(table, []) if o["id"] in ids]

    def children(self, table: str, parent_ids) -> list:
        parent_ids = list(parent_ids)
        self.asked.append((table, parent_ids))
        return [(o, p, True) for o, p in self.stored.get(table, []) if p in parent_ids]

    def known(self, table: str, ids) -> set[str]:
        return self.live_ids(table) & set(ids)


def item(n: int) -> dict:
    return {"id": f"si_{n:02d}", "object": "subscription_item", "created": 6}


@pytest.mark.parametrize("count", [2, 12])
def test_an_updated_subscription_flags_the_items_it_no_longer_has(count):
    """customer.subscription.updated, one item removed: raw gets it flagged,
    whether the items fit the embedded page (2) or are paged (12)."""
    removed = {"id": "si_gone", "object": "subscription_item", "created": 4}
    items = [item(n) for n in range(count)]
    subscription = {
        "id": "sub_1",
        "object": "subscription",
        "created": 6,
        "items": stripe_list(items, {"limit": "10"}),
    }
    event = {
        "id": "evt_1",
        "object": "event",
        "created": 50,
        "type": "customer.subscription.updated",
        "data": {"object": {"id": "sub_1", "object": "subscription"}},
    }

    def route(path: str, query: dict[str, str]) -> Answer:
        if path == "/v1/events":
            return 200, {}, stripe_list([event], query)
        if path == "/v1/subscriptions/sub_1":
            return 200, {}, subscription
        if path == "/v1/subscription_items":
            return 200, {}, stripe_list(items, query)
        return 200, {}, stripe_list([], query)

    stored = StoredFake(
        {"subscription_items": [(removed, "sub_1"), (item(0), "sub_1")]}
    )
    sink = CollectingSink()
    plans = {r.name: TablePlan(full=False, since=10) for r in settings.RESOURCES}
    with FakeStripe(route) as fake:
        ApiExtraction(client_for(fake), plans, 40, sink, Progress(), stored).run()
    rows = sink.rows["subscription_items"]
    assert [row for row in rows if row[2]] == [(removed, "sub_1", True)]
    assert sorted(sink.ids("subscription_items")) == sorted(
        ["si_gone", *(i["id"] for i in items)]
    )
    assert stored.asked == [("subscription_items", ["sub_1"])]


def test_a_new_subscription_needs_no_look_at_stored_items():
    """Created after the table's cursor: raw cannot hold its items yet."""
    sink = CollectingSink()
    stored = StoredFake({})
    plans = {r.name: TablePlan(full=False, since=1) for r in settings.RESOURCES}
    with FakeStripe(small_stripe()) as fake:
        ApiExtraction(client_for(fake), plans, 0, sink, Progress(), stored).run()
    assert len(sink.ids("subscription_items")) == 12
    assert stored.asked == []


def test_a_draft_invoice_that_lost_a_line_flags_it():
    """A draft invoice can lose lines (a finalized one cannot): same rule."""
    kept = {"id": "il_1", "object": "line_item"}
    lost = {"id": "il_2", "object": "line_item"}
    invoice = {
        "id": "in_1",
        "object": "invoice",
        "created": 20,
        "status": "draft",
        "lines": stripe_list([kept], {}),
    }

    def route(path: str, query: dict[str, str]) -> Answer:
        if path == "/v1/invoices":
            return 200, {}, stripe_list([invoice], query)
        return 200, {}, stripe_list([], query)

    stored = StoredFake({"invoice_line_items": [(kept, "in_1"), (lost, "in_1")]})
    sink = CollectingSink()
    plans = {r.name: TablePlan(full=False, since=20) for r in settings.RESOURCES}
    with FakeStripe(route) as fake:
        ApiExtraction(client_for(fake), plans, 0, sink, Progress(), stored).run()
    assert sink.rows["invoice_line_items"] == [
        (kept, "in_1", False),
        (lost, "in_1", True),
    ]


def test_a_full_reload_flags_items_no_longer_listed():
    removed = {"id": "si_gone", "object": "subscription_item", "created": 4}
    stored = StoredFake(
        {"subscription_items": [(removed, "sub_1"), (item(0), "sub_1")]}
    )
    sink = CollectingSink()
    plans = {r.name: TablePlan(full=True, has_rows=True) for r in settings.RESOURCES}
    with FakeStripe(small_stripe()) as fake:
        ApiExtraction(client_for(fake), plans, None, sink, Progress(), stored).run()
    rows = sink.rows["subscription_items"]
    assert [row for row in rows if row[2]] == [(removed, "sub_1", True)]
    assert len(rows) == 13


def test_a_list_page_that_fails_ends_the_run_naming_table_and_page():
    inner = small_stripe()

    def second_page_fails(path: str, query: dict[str, str]) -> Answer:
        if path == "/v1/customers" and "starting_after" in query:
            return 503, {}, {"error": {"message": "busy"}}
        return inner(path, query)

    with (
        FakeStripe(second_page_fails) as fake,
        pytest.raises(ListingFailed, match="re-run make extract") as caught,
    ):
        full_extraction(fake)
    assert str(caught.value).startswith(
        "customers: page after cus_099 failed after 4 retries: HTTP 503 busy;"
    )


def test_a_detached_payment_method_that_a_charge_names_is_retrieved_by_id():
    """Stripe lists payment methods per customer only: one detached (customer
    null) that a charge or payment intent names arrives by retrieval."""
    inner = small_stripe()
    detached = {"id": "pm_gone", "object": "payment_method", "customer": None}
    charge = {"id": "ch_1", "object": "charge", "created": 3}
    intent = {"id": "pi_1", "object": "payment_intent", "created": 3}
    retrieved = []

    def with_detached(path: str, query: dict[str, str]) -> Answer:
        if path == "/v1/charges":
            named = [charge | {"payment_method": "pm_gone"}]
            return 200, {}, stripe_list(named, query)
        if path == "/v1/payment_intents":
            named = [intent | {"payment_method": "pm_1"}]  # listed under cus_000
            return 200, {}, stripe_list(named, query)
        if path.startswith("/v1/payment_methods/"):
            retrieved.append(path)
            return 200, {}, detached
        return inner(path, query)

    with FakeStripe(with_detached) as fake:
        sink = full_extraction(fake)
    assert sorted(sink.ids("payment_methods")) == ["pm_1", "pm_gone"]
    assert (detached, None, False) in sink.rows["payment_methods"]
    assert retrieved == ["/v1/payment_methods/pm_gone"]
    assert "payment_methods" in sink.finished


def test_a_first_load_keeps_each_id_once():
    """A first load is a `replace`, which deduplicates nothing: an object
    arriving twice in one load (a subscription's embedded items and then its
    whole list) must still be one row."""
    from extract.rows import RowBatch
    from extract.sources import once_per_id

    def batch(ids: list[str]):
        rows = RowBatch("subscription_items", "v")
        for object_id in ids:
            rows.add({"id": object_id, "object": "subscription_item"}, None, "sub_1")
        return rows.to_table()

    first_ten = [f"si_{n:02d}" for n in range(10)]
    whole = [f"si_{n:02d}" for n in range(12)]
    out = list(
        once_per_id("subscription_items", iter([batch(first_ten), None, batch(whole)]))
    )
    ids = [i for table in out if table is not None for i in table["id"].to_pylist()]
    assert ids == whole


def changed_objects_stripe() -> tuple[Route, list[dict]]:
    """A Stripe whose lists hold nothing new and whose events say five
    objects changed: a customer and a charge in the pinned version (their
    events stand in), the charge's older event first; a customer deleted;
    a subscription (discounts expanded); a refund whose event is in an older
    API version. Retrieves answer what the objects are now."""
    pinned, old = settings.STRIPE_API_VERSION, "2020-08-27"
    now = {
        "cus_1": {"id": "cus_1", "object": "customer", "email": "new@example.com"},
        "ch_1": {"id": "ch_1", "object": "charge", "amount_refunded": 500},
        "sub_1": {"id": "sub_1", "object": "subscription", "discounts": []},
        "re_1": {"id": "re_1", "object": "refund", "amount": 500},
    }
    stale_charge = dict(now["ch_1"], amount_refunded=0)
    gone = {"id": "cus_2", "object": "customer"}
    events = [  # newest first, as Stripe lists them
        ("evt_5", 2005, "charge.refunded", now["ch_1"], pinned),
        ("evt_4", 2004, "customer.deleted", gone, pinned),
        ("evt_3", 2003, "customer.subscription.updated", now["sub_1"], pinned),
        ("evt_2", 2002, "refund.created", now["re_1"], old),
        ("evt_1", 2001, "customer.updated", now["cus_1"], pinned),
        ("evt_0", 2000, "charge.succeeded", stale_charge, pinned),
    ]
    listed = [
        {
            "id": evid,
            "object": "event",
            "created": created,
            "type": kind,
            "api_version": version,
            "data": {"object": obj},
        }
        for evid, created, kind, obj, version in events
    ]

    def route(path: str, query: dict[str, str]) -> Answer:
        if path == "/v1/events":
            return 200, {}, stripe_list(listed, query)
        object_id = path.rsplit("/", 1)[-1]
        if object_id in now and path.count("/") == 3:
            return 200, {}, now[object_id]
        if object_id == "cus_2":
            return 404, {}, {"error": {"message": "No such customer"}}
        return 200, {}, stripe_list([], query)

    return route, listed


@pytest.mark.parametrize("stand_in", [True, False])
def test_changed_objects_come_from_their_events_where_they_stand_in(stand_in):
    """The events' own objects replace the retrieves of the customer and
    the charge, and the rows are those the retrieves write."""
    route, _ = changed_objects_stripe()
    plans = {
        r.name: TablePlan(full=False, since=3000, has_rows=True)
        for r in settings.RESOURCES
    }
    sink = CollectingSink()
    with FakeStripe(route) as fake:
        extraction = ApiExtraction(
            client_for(fake), plans, 1000, sink, Progress(), stand_in=stand_in
        )
        extraction.run()
    retrieved = sorted(
        path.rsplit("/", 1)[-1]
        for path in fake.paths
        if path.count("/") == 3 and "payment_methods" not in path
    )
    expected = ["cus_2", "re_1", "sub_1"] + ([] if stand_in else ["ch_1", "cus_1"])
    assert retrieved == sorted(expected)
    written = {
        table: sorted(
            (obj["id"], obj.get("email") or obj.get("amount_refunded"), gone)
            for obj, _, gone in rows
        )
        for table, rows in sink.rows.items()
        if table in ("customers", "charges", "subscriptions", "refunds")
    }
    assert written == {
        "customers": [("cus_1", "new@example.com", False), ("cus_2", None, True)],
        "charges": [("ch_1", 500, False)],
        "subscriptions": [("sub_1", None, False)],
        "refunds": [("re_1", None, False)],
    }
