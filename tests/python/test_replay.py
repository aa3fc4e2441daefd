"""fake_stripe.replay: Stripe's list semantics, auth, errors and injected faults."""

from __future__ import annotations

import base64
import gzip
import http.client
import socket
import time
from pathlib import Path

import orjson
import pytest
import stripe

from tools.fake_stripe import replay, synth

KEY = "sk_test_replay_tests"


@pytest.fixture(scope="module")
def snapshot_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("replay") / "snap"
    synth.generate(
        synth.SynthSettings(
            600, 21, synth.parse_now(synth.DEFAULT_NOW), directory, False
        )
    )
    return directory


@pytest.fixture(scope="module")
def server(snapshot_dir):
    with replay.ReplayServer(snapshot_dir, api_key=KEY) as running:
        yield running


def rows(directory: Path, name: str) -> list[dict]:
    packed = directory / f"{name}.jsonl.gz"
    opener = gzip.open if packed.exists() else open
    with opener(packed if packed.exists() else directory / f"{name}.jsonl", "rb") as f:
        return [orjson.loads(line) for line in f]


def newest_first(items: list[dict]) -> list[str]:
    return [
        i["id"]
        for i in sorted(items, key=lambda i: (i["created"], i["id"]), reverse=True)
    ]


class Client:
    """A bare HTTP client: status, headers and JSON, nothing retried."""

    def __init__(self, url: str, key: str | None = KEY, basic: bool = False) -> None:
        self.host, self.port = url.removeprefix("http://").split(":")
        self.key, self.basic = key, basic

    def get(self, path: str) -> tuple[int, dict, dict]:
        conn = http.client.HTTPConnection(self.host, int(self.port), timeout=30)
        headers = {}
        if self.key and self.basic:
            token = base64.b64encode(f"{self.key}:".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        elif self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            return (
                response.status,
                orjson.loads(response.read()),
                dict(response.headers),
            )
        finally:
            conn.close()


def walk(client: Client, path: str, forward: bool = True, limit: int = 7) -> list[str]:
    seen: list[str] = []
    cursor = ""
    sep = "&" if "?" in path else "?"
    while True:
        status, body, _ = client.get(f"{path}{sep}limit={limit}{cursor}")
        assert status == 200, body
        assert body["object"] == "list" and body["url"] == path.split("?")[0]
        assert len(body["data"]) <= limit
        ids = [item["id"] for item in body["data"]]
        seen = seen + ids if forward else ids + seen
        if not body["has_more"]:
            return seen
        anchor = ids[-1] if forward else ids[0]
        cursor = f"&starting_after={anchor}" if forward else f"&ending_before={anchor}"


def test_pages_newest_first_in_both_directions(server, snapshot_dir):
    client = Client(server.url)
    expected = newest_first(rows(snapshot_dir, "customers"))
    assert walk(client, "/v1/customers") == expected
    # Backwards from the oldest object: ending_before pages, same order inside.
    oldest = expected[-1]
    backwards = walk(client, f"/v1/customers?ending_before={oldest}", forward=False)
    assert backwards == expected[:-1]


def test_limit_bounds_and_exclusive_cursors(server):
    client = Client(server.url)
    status, body, _ = client.get("/v1/charges?limit=100")
    assert status == 200 and len(body["data"]) == 100 and body["has_more"]
    assert client.get("/v1/charges?limit=101")[0] == 400
    assert client.get("/v1/charges?limit=0")[0] == 400
    first = body["data"][0]["id"]
    _, after, _ = client.get(f"/v1/charges?limit=3&starting_after={first}")
    assert [c["id"] for c in after["data"]] == [c["id"] for c in body["data"][1:4]]
    status, error, _ = client.get("/v1/charges?starting_after=ch_nope")
    assert status == 400 and error["error"]["param"] == "starting_after"
    _, default, _ = client.get("/v1/charges")
    assert len(default["data"]) == 10


def test_created_filters(server, snapshot_dir):
    client = Client(server.url)
    invoices = rows(snapshot_dir, "invoices")
    pivot = sorted(i["created"] for i in invoices)[len(invoices) // 2]
    for op, keep in (
        ("gt", lambda c: c > pivot),
        ("gte", lambda c: c >= pivot),
        ("lt", lambda c: c < pivot),
        ("lte", lambda c: c <= pivot),
    ):
        expected = newest_first([i for i in invoices if keep(i["created"])])
        got = walk(client, f"/v1/invoices?created[{op}]={pivot}", limit=100)
        assert got == expected, op
    window = walk(
        client,
        f"/v1/invoices?created[gte]={pivot}&created[lt]={pivot + 86400 * 7}",
        limit=100,
    )
    assert window == newest_first(
        [i for i in invoices if pivot <= i["created"] < pivot + 86400 * 7]
    )
    _, exact, _ = client.get(f"/v1/invoices?created={pivot}&limit=100")
    assert exact["data"] and all(i["created"] == pivot for i in exact["data"])


def test_events_filter_by_types_and_type(server, snapshot_dir):
    client = Client(server.url)
    events = rows(snapshot_dir, "events")
    wanted = {"invoice.paid", "charge.refunded"}
    got = walk(
        client, "/v1/events?types[]=invoice.paid&types[]=charge.refunded", limit=100
    )
    assert got == newest_first([e for e in events if e["type"] in wanted])
    single = walk(client, "/v1/events?type=customer.subscription.updated", limit=100)
    assert single == newest_first(
        [e for e in events if e["type"] == "customer.subscription.updated"]
    )
    wildcard = walk(client, "/v1/events?type=customer.*", limit=100)
    assert wildcard == newest_first(
        [e for e in events if e["type"].startswith("customer.")]
    )


def test_nested_lists(server, snapshot_dir):
    client = Client(server.url)
    lines = rows(snapshot_dir, "invoice_line_items")
    by_invoice: dict[str, list[str]] = {}
    for line in lines:
        by_invoice.setdefault(line["invoice"], []).append(line["id"])
    long_id = next(i for i, ids in by_invoice.items() if len(ids) > 10)
    assert walk(client, f"/v1/invoices/{long_id}/lines", limit=4) == by_invoice[long_id]
    subscription = rows(snapshot_dir, "subscriptions")[0]
    items = walk(client, f"/v1/subscription_items?subscription={subscription['id']}")
    assert (
        sorted(items) == sorted(i["id"] for i in subscription["items"]["data"])
        or (subscription["items"]["has_more"])
    )
    assert client.get("/v1/subscription_items")[0] == 400
    assert client.get("/v1/invoices/in_nope/lines")[0] == 404


def test_payment_methods_per_customer(server, snapshot_dir):
    client = Client(server.url)
    methods = rows(snapshot_dir, "payment_methods")
    owners: dict[str, list[dict]] = {}
    for method in methods:
        if method["customer"]:
            owners.setdefault(method["customer"], []).append(method)
    customer = max(owners, key=lambda c: len(owners[c]))
    got = walk(client, f"/v1/customers/{customer}/payment_methods", limit=1)
    assert got == newest_first(owners[customer])
    assert client.get("/v1/customers/cus_nope/payment_methods")[0] == 404


def test_subscriptions_hide_canceled_unless_asked(server, snapshot_dir):
    client = Client(server.url)
    subscriptions = rows(snapshot_dir, "subscriptions")
    everything = walk(client, "/v1/subscriptions?status=all", limit=100)
    assert everything == newest_first(subscriptions)
    default = walk(client, "/v1/subscriptions", limit=100)
    assert default == newest_first(
        [s for s in subscriptions if s["status"] != "canceled"]
    )
    canceled = walk(client, "/v1/subscriptions?status=canceled", limit=100)
    assert canceled and len(default) + len(canceled) == len(everything)


def test_retrieve_404_and_deleted(server, snapshot_dir):
    client = Client(server.url)
    charge = rows(snapshot_dir, "charges")[5]
    status, body, headers = client.get(f"/v1/charges/{charge['id']}")
    assert status == 200 and body == charge
    assert headers["Stripe-Version"] == synth.STRIPE_API_VERSION
    status, body, _ = client.get("/v1/charges/ch_missing")
    assert status == 404 and body["error"]["code"] == "resource_missing"
    assert body["error"]["type"] == "invalid_request_error"
    status, body, _ = client.get("/v1/bananas")
    assert status == 404 and "Unrecognized request URL" in body["error"]["message"]
    deleted = [
        e["data"]["object"]["id"]
        for e in rows(snapshot_dir, "events")
        if e["type"] == "customer.deleted"
    ]
    if deleted:
        status, body, _ = client.get(f"/v1/customers/{deleted[0]}")
        assert status == 200 and body == {
            "id": deleted[0],
            "object": "customer",
            "deleted": True,
        }


def test_authentication(server):
    assert Client(server.url, key=KEY, basic=True).get("/v1/customers")[0] == 200
    status, body, _ = Client(server.url, key=None).get("/v1/customers")
    assert status == 401 and "did not provide an API key" in body["error"]["message"]
    status, body, _ = Client(server.url, key="sk_test_wrong_key_123").get(
        "/v1/customers"
    )
    assert status == 401 and "wrong_key" not in body["error"]["message"]


def test_stripe_sdk_pages_the_replay_server(server, snapshot_dir):
    client = stripe.StripeClient(
        KEY, base_addresses={"api": server.url}, max_network_retries=0
    )
    listed = client.v1.customers.list(params={"limit": 100})
    assert [c.id for c in listed.auto_paging_iter()] == newest_first(
        rows(snapshot_dir, "customers")
    )
    events = client.v1.events.list(params={"types": ["invoice.paid"], "limit": 100})
    assert {e.type for e in events.auto_paging_iter()} == {"invoice.paid"}


def test_rate_limit_answers_429_with_should_retry(snapshot_dir):
    with replay.ReplayServer(snapshot_dir, api_key=KEY, rate=5) as limited:
        client = Client(limited.url)
        answers = [client.get("/v1/customers?limit=1") for _ in range(20)]
        statuses = [a[0] for a in answers]
        assert statuses.count(200) >= 5 and statuses.count(429) >= 10
        limited_answer = next(a for a in answers if a[0] == 429)
        assert limited_answer[2]["Stripe-Should-Retry"] == "true"
        assert limited_answer[1]["error"]["code"] == "rate_limit"
        time.sleep(1.1)
        assert client.get("/v1/customers?limit=1")[0] == 200


def outcomes(url: str, count: int) -> list[object]:
    client = Client(url)
    seen: list[object] = []
    for _ in range(count):
        try:
            seen.append(client.get("/v1/products?limit=2")[0])
        except (ConnectionError, http.client.HTTPException, OSError):
            seen.append("dropped")
    return seen


def test_injected_errors_and_drops_follow_rates_and_seed(snapshot_dir):
    settings = {"api_key": KEY, "error_rate": 0.2, "drop_rate": 0.1, "seed": 3}
    with replay.ReplayServer(snapshot_dir, **settings) as faulty:
        first = outcomes(faulty.url, 400)
        stats = faulty.stats
    assert 0.13 < first.count(500) / 400 < 0.27
    assert 0.05 < first.count("dropped") / 400 < 0.15
    assert first.count(200) + first.count(500) + first.count("dropped") == 400
    assert stats["errors"] == first.count(500) and stats["dropped"] == first.count(
        "dropped"
    )
    with replay.ReplayServer(snapshot_dir, **settings) as again:
        assert outcomes(again.url, 400) == first


def test_latency_is_injected(snapshot_dir):
    with replay.ReplayServer(snapshot_dir, api_key=KEY, latency_ms=80) as slow:
        client = Client(slow.url)
        began = time.perf_counter()
        for _ in range(5):
            client.get("/v1/customers?limit=1")
        assert (time.perf_counter() - began) / 5 >= 0.08


def test_503_429_without_should_retry_and_slow_answers(snapshot_dir):
    settings = {"api_key": KEY, "unavailable_rate": 0.2, "throttle_rate": 0.2}
    settings.update(slow_rate=0.2, slow_ms=150, seed=5)
    with replay.ReplayServer(snapshot_dir, **settings) as faulty:
        client = Client(faulty.url)
        answers, seconds = [], []
        for _ in range(60):
            began = time.perf_counter()
            answers.append(client.get("/v1/products?limit=2"))
            seconds.append(time.perf_counter() - began)
        stats = faulty.stats
    statuses = [status for status, _, _ in answers]
    assert stats["unavailable"] == statuses.count(503) > 0
    assert stats["throttled"] == statuses.count(429) > 0
    assert all("Stripe-Should-Retry" not in a[2] for a in answers if a[0] != 200)
    assert stats["slow"] == sum(s >= 0.15 for s in seconds) > 0
    assert statuses.count(200) == 60 - stats["unavailable"] - stats["throttled"]


def test_replay_process_writes_its_counts_on_exit(snapshot_dir, tmp_path):
    stats_file = tmp_path / "stats.json"
    with replay.replay_process(
        snapshot_dir, api_key=KEY, stats_file=stats_file, error_rate=1.0
    ) as url:
        assert Client(url).get("/v1/customers?limit=1")[0] == 500
    assert orjson.loads(stats_file.read_bytes())["errors"] == 1


def port_is_closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_stop_leaves_no_listener(snapshot_dir):
    with replay.ReplayServer(snapshot_dir, api_key=KEY) as running:
        port = running.port
        assert running.url.startswith("http://127.0.0.1:")
        assert Client(running.url).get("/v1/customers?limit=1")[0] == 200
    assert port_is_closed(port)
    with replay.replay_process(snapshot_dir, api_key=KEY) as url:
        port = int(url.rsplit(":", 1)[1])
        assert Client(url).get("/v1/customers?limit=1")[0] == 200
    assert port_is_closed(port)


def test_bad_snapshot_and_bad_rates_are_refused(tmp_path):
    with pytest.raises(replay.ReplaySnapshotError, match="does not exist"):
        replay.ReplayServer(tmp_path / "missing")
    (tmp_path / "customers.jsonl").write_text(
        '{"id": "cus_1", "created": 1}\nnot json\n'
    )
    with pytest.raises(replay.ReplaySnapshotError, match="line 2"):
        replay.ReplayServer(tmp_path)
    with pytest.raises(replay.ReplayOptionsError, match="error-rate"):
        replay.ReplayServer(tmp_path, error_rate=0.8, drop_rate=0.5)
    with pytest.raises(replay.ReplayOptionsError, match="slow-ms"):
        replay.ReplayServer(tmp_path, slow_rate=0.1)


def test_serves_gzip_and_list_envelope_files(tmp_path):
    packed = tmp_path / "packed"
    synth.generate(
        synth.SynthSettings(80, 2, synth.parse_now(synth.DEFAULT_NOW), packed, True)
    )
    customers = rows(packed, "customers")
    (packed / "customers.jsonl.gz").unlink()
    envelope = {"object": "list", "data": customers, "has_more": False}
    (packed / "customers.json").write_bytes(orjson.dumps(envelope))
    with replay.ReplayServer(packed, api_key=KEY) as running:
        client = Client(running.url)
        assert walk(client, "/v1/customers", limit=100) == newest_first(customers)
        charges = rows(packed, "charges")
        assert walk(client, "/v1/charges", limit=100) == newest_first(charges)


def test_serves_pages_of_100_fast(snapshot_dir):
    """Measured and printed; the floor is far below what it does."""
    with replay.replay_process(snapshot_dir, api_key=KEY) as url:
        host, port = url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        headers = {"Authorization": f"Bearer {KEY}"}
        began, objects, requests = time.perf_counter(), 0, 300
        for number in range(requests):
            conn.request(
                "GET",
                f"/v1/{('charges', 'invoices', 'events')[number % 3]}?limit=100",
                headers=headers,
            )
            body = orjson.loads(conn.getresponse().read())
            objects += len(body["data"])
        elapsed = time.perf_counter() - began
        conn.close()
    print(
        f"\nreplay: {requests / elapsed:,.0f} req/s of 100-object pages "
        f"({objects / elapsed:,.0f} objects/s), one keep-alive connection"
    )
    assert requests / elapsed > 30


# -- a balance transaction's payout: served by ?payout=, filled by extract ----


def test_payout_filter_serves_a_payouts_transactions_without_the_key(
    server, snapshot_dir
):
    transactions = rows(snapshot_dir, "balance_transactions")
    payout = next(p for p in rows(snapshot_dir, "payouts") if p["automatic"])
    expected = newest_first([t for t in transactions if t["payout"] == payout["id"]])
    client = Client(server.url)
    path = f"/v1/balance_transactions?payout={payout['id']}"
    assert walk(client, path, limit=5) == expected
    assert payout["balance_transaction"] in expected  # its own transaction too
    status, page, _ = client.get(f"{path}&limit=100")
    assert status == 200 and all("payout" not in t for t in page["data"])
    status, one, _ = client.get(f"/v1/balance_transactions/{expected[0]}")
    assert status == 200 and "payout" not in one and one["id"] == expected[0]


def extract_ledger(url: str, since: int | None) -> dict[str, list[dict]]:
    """Balance transactions (and payouts) as one API run emits them."""
    from extract.api import ApiExtraction, TablePlan
    from extract.client import StripeClient
    from extract.progress import Progress

    class Sink:
        def __init__(self) -> None:
            self.rows: dict[str, list[dict]] = {}

        def emit(self, table: str, emitted: list) -> None:
            self.rows.setdefault(table, []).extend(obj for obj, _, _ in emitted)

        def finish(self, table: str, cursor: int | None) -> None:
            pass

    plan = TablePlan(full=since is None, since=since)
    plans = {"events": plan, "balance_transactions": plan, "payouts": plan}
    sink = Sink()
    client = StripeClient(url, KEY, 1000)
    ApiExtraction(client, plans, since, sink, Progress()).run()
    return sink.rows


def test_extraction_records_each_transactions_payout(server, snapshot_dir):
    """Full run: every transaction once, with the payout the snapshot says;
    an incremental run: the new ones, and older ones a new payout covers."""
    truth = {t["id"]: t for t in rows(snapshot_dir, "balance_transactions")}
    full = extract_ledger(server.url, None)["balance_transactions"]
    assert len(full) == len({t["id"] for t in full}) == len(truth)
    assert {t["id"]: t["payout"] for t in full} == {
        i: t["payout"] for i, t in truth.items()
    }
    payouts = sorted(
        (p for p in rows(snapshot_dir, "payouts") if p["automatic"]),
        key=lambda p: p["created"],
    )
    since = payouts[-4]["created"]
    later = extract_ledger(server.url, since)["balance_transactions"]
    new_payouts = {p["id"] for p in payouts if p["created"] >= since - 86_400}
    expected = {
        i
        for i, t in truth.items()
        if t["created"] >= since or t["payout"] in new_payouts
    }
    assert {t["id"] for t in later} == expected
    assert any(truth[i]["created"] < since for i in expected)
    assert all(t["payout"] == truth[t["id"]]["payout"] for t in later)
