"""A Stripe-compatible, read-only API over a snapshot directory, on 127.0.0.1.

    python -m tools.fake_stripe.replay --dir data/snapshot --port 0 --rate 100 \\
        --latency-ms 50 --error-rate 0.01 --drop-rate 0.005 --api-key sk_test_x

Serves the list endpoints (`/v1/<resource>`, `/v1/invoices/{id}/lines`,
`/v1/customers/{id}/payment_methods`, `/v1/subscription_items?subscription=`,
`/v1/events?types[]=`) and the retrieve endpoints (`/v1/<resource>/{id}`)
with Stripe's list semantics: newest first, `limit` (1..100, default 10),
`starting_after`/`ending_before`, `created` (exact or [gt|gte|lt|lte]),
`has_more`, `url`, `object: list`, and Stripe-shaped errors (401, 404, 400,
429 with `Stripe-Should-Retry: true`). Faults for tests and benchmarks:
a request rate limit (token bucket, req/s), a fixed latency, and at given
rates 500 answers (`Stripe-Should-Retry: true`), 503 and 429 answers
without that header, dropped connections, and slow answers (`--slow-ms`
late, past a client's timeout); the n-th request's fate is a pure function
of the seed. `--stats-file` writes the counts by fate as JSON on exit.
`expand[]` is accepted and ignored: objects are served
exactly as the snapshot holds them, except a balance transaction's `payout`
(what the extractor adds): `?payout=` filters on it, responses leave it out.

Objects are indexed once at start (sorted by created, newest first) and
served as the bytes of the snapshot, never re-encoded; plain `.jsonl` files
are memory-mapped, so the server's memory is the index, not the data.

From Python: `with ReplayServer(directory, rate=100) as server: server.url`
runs it in a thread; `with replay_process(directory, ...) as url:` in a
process of its own (for benchmarks, so client and server do not share a GIL).
"""

from __future__ import annotations

import argparse
import base64
import bisect
import contextlib
import gc
import gzip
import http.server
import itertools
import mmap
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from array import array
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson

from extract.errors import UserError, run_main
from tools.fake_stripe.objects import RESOURCES

DEFAULT_KEY = "sk_test_replay"
MAX_LIMIT = 100
NESTED = ("invoice_line_items",)  # served under /v1/invoices/{id}/lines
ENDPOINTS = tuple(name for name in RESOURCES if name not in NESTED)
# Top-level fields a list endpoint may filter on (Stripe's own parameters).
FILTERS = {
    "customers": ("email",),
    "prices": ("product", "currency", "active", "type"),
    "products": ("active",),
    "plans": ("product", "active"),
    "subscriptions": ("customer", "price", "status"),
    "subscription_items": ("subscription",),
    "invoices": ("customer", "status", "subscription"),
    "invoiceitems": ("customer", "invoice"),
    "charges": ("customer", "payment_intent"),
    "refunds": ("charge", "payment_intent"),
    "disputes": ("charge", "payment_intent"),
    "payment_intents": ("customer",),
    "payment_methods": ("customer", "type"),
    "balance_transactions": ("type", "source", "currency", "payout"),
    "payouts": ("status",),
    "credit_notes": ("customer", "invoice"),
    "events": ("type",),
    "invoice_line_items": ("invoice",),
}
DELETION_EVENTS = {
    "customer.deleted": "customers",
    "product.deleted": "products",
    "price.deleted": "prices",
    "plan.deleted": "plans",
    "coupon.deleted": "coupons",
    "invoiceitem.deleted": "invoiceitems",
}


class ReplaySnapshotError(UserError):
    """The snapshot directory is missing or holds something unreadable."""


class ReplayOptionsError(UserError):
    """A flag out of range: the message names the flag and its range."""


class ReplayApiError(Exception):
    """Becomes a Stripe-shaped error answer."""

    def __init__(
        self,
        status: int,
        message: str,
        kind: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.kind, self.code, self.param = status, kind, code, param

    def body(self) -> bytes:
        error: dict = {"message": str(self), "type": self.kind}
        if self.code:
            error["code"] = self.code
        if self.param:
            error["param"] = self.param
        return orjson.dumps({"error": error})


class Collection:
    """One resource, newest first: ids, created, and where each object's bytes are."""

    def __init__(
        self,
        name: str,
        buffer,
        spans: list[tuple[int, int, int, str]],
        keep_order: bool,
    ) -> None:
        # spans: (created, start, end, id); line items keep the file's order.
        if not keep_order:
            spans.sort(key=lambda span: (span[0], span[3]), reverse=True)
        self.name = name
        self.buffer = buffer
        self.neg_created = array("q", (-span[0] for span in spans))
        self.starts = array("q", (span[1] for span in spans))
        self.ends = array("q", (span[2] for span in spans))
        self.ids = [span[3] for span in spans]
        self.position = {object_id: index for index, object_id in enumerate(self.ids)}
        self.indexes: dict[str, dict[object, list[int]]] = {}
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.ids)

    def raw(self, index: int) -> bytes:
        return self.buffer[self.starts[index] : self.ends[index]]

    def served(self, index: int) -> bytes:
        """The object as the API returns it: a balance transaction without
        the `payout` the extractor adds (the snapshot keeps it for ?payout=)."""
        data = self.raw(index)
        if self.name == "balance_transactions" and b'"payout":' in data:
            document = orjson.loads(data)
            document.pop("payout", None)
            return orjson.dumps(document)
        return data

    def index_on(self, key: str) -> dict[object, list[int]]:
        """value -> positions (ascending, i.e. newest first), built on first use."""
        with self.lock:
            found = self.indexes.get(key)
            if found is None:
                found = {}
                for index in range(len(self.ids)):
                    value = orjson.loads(self.raw(index)).get(key)
                    if isinstance(value, dict):  # an expanded object
                        value = value.get("id")
                    if isinstance(value, list | dict):
                        continue
                    found.setdefault(value, []).append(index)
                self.indexes[key] = found
            return found


class Snapshot:
    """Every resource file of a snapshot directory, indexed."""

    def __init__(self, directory: Path) -> None:
        if not directory.is_dir():
            raise ReplaySnapshotError(
                f"snapshot directory {directory} does not exist; write one with "
                "`make synth` or `make fetch`, or pass --dir"
            )
        self.directory = directory
        self.maps: list[mmap.mmap] = []
        self.collections: dict[str, Collection] = {}
        self.deleted: dict[str, set[str]] = {}
        manifest = directory / "manifest.json"
        self.api_version = None
        if manifest.exists():
            self.api_version = orjson.loads(manifest.read_bytes()).get("api_version")
        for name in (*ENDPOINTS, *NESTED):
            self.collections[name] = self._load(name)
        self._note_deletions(self.collections["events"])

    def _load(self, name: str) -> Collection:
        plain = self.directory / f"{name}.jsonl"
        packed = self.directory / f"{name}.jsonl.gz"
        envelope = self.directory / f"{name}.json"
        if plain.exists() and plain.stat().st_size:
            with plain.open("rb") as handle:
                buffer = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            self.maps.append(buffer)
        elif packed.exists():
            with gzip.open(packed, "rb") as handle:
                buffer = handle.read()
        elif envelope.exists():
            document = orjson.loads(envelope.read_bytes())
            if not isinstance(document, dict) or document.get("object") != "list":
                raise ReplaySnapshotError(
                    f"{envelope} is not a Stripe list envelope "
                    '({"object": "list", "data": [...]}); fix or remove it'
                )
            buffer = b"\n".join(orjson.dumps(item) for item in document["data"])
        else:
            buffer = b""
        return Collection(name, buffer, self._spans(name, buffer), name in NESTED)

    def _spans(self, name: str, buffer) -> list[tuple[int, int, int, str]]:
        spans = []
        start, size = 0, len(buffer)
        for line_number in itertools.count(1):
            if start >= size:
                break
            end = buffer.find(b"\n", start)
            end = size if end < 0 else end
            if end > start:
                try:
                    item = orjson.loads(buffer[start:end])
                    spans.append(
                        (int(item.get("created") or 0), start, end, item["id"])
                    )
                except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                    raise ReplaySnapshotError(
                        f"{self.directory / name}.jsonl line {line_number} is not a "
                        f"Stripe object ({exc}); regenerate the snapshot"
                    ) from exc
            start = end + 1
        return spans

    def _note_deletions(self, events: Collection) -> None:
        for kind, resource_name in DELETION_EVENTS.items():
            for index in events.index_on("type").get(kind, []):
                deleted = orjson.loads(events.raw(index))["data"]["object"]["id"]
                self.deleted.setdefault(resource_name, set()).add(deleted)

    def close(self) -> None:
        for buffer in self.maps:
            buffer.close()


def merge_filters(lists: list[list[int]]) -> list[int]:
    if len(lists) == 1:
        return lists[0]
    smallest = min(lists, key=len)
    others = [set(other) for other in lists if other is not smallest]
    return [index for index in smallest if all(index in other for other in others)]


def page(
    collection: Collection,
    params: dict[str, list[str]],
    url: str,
    subset: list[int] | None,
) -> bytes:
    """One page of a list endpoint, as Stripe renders it."""
    limit_text = params.get("limit", ["10"])[-1]
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_LIMIT:
        raise ReplayApiError(
            400,
            f"Invalid integer: {limit_text}; limit must be between 1 and {MAX_LIMIT}",
            param="limit",
        )
    limit = int(limit_text)
    sequence: list[int] | range = range(len(collection)) if subset is None else subset
    neg = collection.neg_created
    lo, hi = 0, len(sequence)
    for op, value in created_bounds(params):
        # created descends along the sequence, so each bound cuts one end.
        key = -value
        if op == "gte":
            hi = min(hi, bisect.bisect_right(sequence, key, key=neg.__getitem__))
        elif op == "gt":
            hi = min(hi, bisect.bisect_left(sequence, key, key=neg.__getitem__))
        elif op == "lte":
            lo = max(lo, bisect.bisect_left(sequence, key, key=neg.__getitem__))
        elif op == "lt":
            lo = max(lo, bisect.bisect_right(sequence, key, key=neg.__getitem__))
        else:  # exact
            lo = max(lo, bisect.bisect_left(sequence, key, key=neg.__getitem__))
            hi = min(hi, bisect.bisect_right(sequence, key, key=neg.__getitem__))
    after = params.get("starting_after", [None])[-1]
    before = params.get("ending_before", [None])[-1]
    if after and before:
        raise ReplayApiError(
            400,
            "You may only specify one of these parameters: "
            "ending_before, starting_after.",
        )
    if before:
        cut = cursor(collection, sequence, before, "ending_before")
        hi = min(hi, cut)
        first = max(lo, hi - limit)
        chosen, has_more = sequence[first:hi], first > lo
    else:
        if after:
            lo = max(lo, cursor(collection, sequence, after, "starting_after") + 1)
        last = min(hi, lo + limit)
        chosen, has_more = sequence[lo:last], last < hi
    data = b",".join(collection.served(index) for index in chosen)
    return b"".join(
        (
            b'{"object":"list","data":[',
            data,
            b'],"has_more":',
            b"true" if has_more else b"false",
            b',"url":',
            orjson.dumps(url),
            b"}",
        )
    )


def cursor(collection: Collection, sequence, object_id: str, param: str) -> int:
    index = collection.position.get(object_id)
    where = -1 if index is None else bisect.bisect_left(sequence, index)
    if where < 0 or where >= len(sequence) or sequence[where] != index:
        raise ReplayApiError(
            400,
            f"No such object for {param}: '{object_id}'",
            code="resource_missing",
            param=param,
        )
    return where


def created_bounds(params: dict[str, list[str]]) -> Iterator[tuple[str, int]]:
    for key, values in params.items():
        if key == "created":
            op = "eq"
        elif key.startswith("created[") and key.endswith("]"):
            op = key[8:-1]
            if op not in ("gt", "gte", "lt", "lte"):
                raise ReplayApiError(
                    400, f"Received unknown parameter: {key}", param=key
                )
        else:
            continue
        text = values[-1]
        if not text.lstrip("-").isdigit():
            raise ReplayApiError(400, f"Invalid integer: {text}", param=key)
        yield op, int(text)


class Faults:
    """Rate limit, latency, 5xx and drops; the n-th draw is fixed by the seed."""

    def __init__(self, options: ReplayOptions) -> None:
        self.rate = options.rate
        self.latency = options.latency_ms / 1000
        self.slow = options.slow_ms / 1000
        self.bands = list(
            zip(
                [name for name, _ in options.fates()],
                itertools.accumulate(rate for _, rate in options.fates()),
                strict=True,
            )
        )
        self.random = random.Random(options.seed)
        self.lock = threading.Lock()
        self.tokens = options.rate
        self.stamp = time.monotonic()

    def draw(self) -> str | None:
        """The next request's injected fault, or None: it is served."""
        with self.lock:
            fate = self.random.random()
        return next((name for name, upper in self.bands if fate < upper), None)

    def admit(self) -> bool:
        """Token bucket: `rate` requests per second, bursts up to one second."""
        if self.rate <= 0:
            return True
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


# Injected answers by fate: status, message, Stripe-Should-Retry: true.
INJECTED_ANSWERS = {
    "errors": (500, "An unknown error occurred", True),
    "unavailable": (503, "The service is unavailable", False),
    "throttled": (429, "Too many requests hit the API too quickly", False),
}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "stripe-replay"
    sys_version = ""
    timeout = 30
    server: ReplayHTTPServer

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:  # noqa: N802
        replay = self.server
        count = replay.count("requests")
        if not self.authenticated():
            return self.answer(401, ReplayApiError(401, self.auth_message()).body())
        fate = replay.faults.draw()
        if not replay.faults.admit():
            replay.count("rate_limited")
            error = ReplayApiError(
                429,
                "Too many requests hit the API too quickly. We "
                "recommend an exponential backoff of your requests.",
                code="rate_limit",
            )
            return self.answer(429, error.body(), retry=True)
        if replay.faults.latency:
            time.sleep(replay.faults.latency)
        if fate is not None:
            replay.count(fate)
        if fate == "dropped":
            return self.drop()
        if fate in INJECTED_ANSWERS:
            status, message, retry = INJECTED_ANSWERS[fate]
            error = ReplayApiError(
                status, f"{message} (injected, request {count}).", kind="api_error"
            )
            return self.answer(status, error.body(), retry=retry)
        if fate == "slow":
            time.sleep(replay.faults.slow)
        try:
            body = replay.route(self.path)
        except ReplayApiError as error:
            replay.count(f"status_{error.status}")
            return self.answer(error.status, error.body())
        replay.count("served")
        self.answer(200, body)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        if 0 < length <= 1 << 20:
            self.rfile.read(length)
        else:
            self.close_connection = True
        error = ReplayApiError(
            405, "The replay server is read-only: it serves a snapshot."
        )
        self.answer(405, error.body())

    do_DELETE = do_POST  # noqa: N815

    def authenticated(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        key = ""
        if scheme.lower() == "bearer":
            key = value.strip()
        elif scheme.lower() == "basic":
            with contextlib.suppress(ValueError):
                key = base64.b64decode(value.strip()).decode().partition(":")[0]
        self.key_given = key
        return bool(key) and key == self.server.api_key

    def auth_message(self) -> str:
        if not self.key_given:
            return (
                "You did not provide an API key. You need to provide your API key "
                "in the Authorization header, using Bearer auth."
            )
        return f"Invalid API Key provided: {redact(self.key_given)}"

    def answer(self, status: int, body: bytes, retry: bool = False) -> None:
        replay = self.server
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Request-Id", f"req_replay{replay.count('ids'):012d}")
        if replay.snapshot.api_version:
            self.send_header("Stripe-Version", replay.snapshot.api_version)
        if retry:
            self.send_header("Stripe-Should-Retry", "true")
        self.end_headers()
        self.wfile.write(body)

    def drop(self) -> None:
        """Reset the connection without an answer, as a flaky network does."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            self.connection.close()


def redact(key: str) -> str:
    return f"{key[:8]}****{key[-4:]}" if len(key) > 12 else "****"


class ReplayHTTPServer(http.server.HTTPServer):
    """Loopback only; a bounded pool of worker threads, one per connection."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, snapshot: Snapshot, options: ReplayOptions) -> None:
        self.snapshot = snapshot
        self.api_key = options.api_key
        self.faults = Faults(options)
        self.verbose = options.verbose
        self.stats: dict[str, int] = {}
        self.stats_lock = threading.Lock()
        self.pool = ThreadPoolExecutor(
            max_workers=options.workers, thread_name_prefix="replay"
        )
        self.open_sockets: set[socket.socket] = set()
        super().__init__(("127.0.0.1", options.port), Handler)

    def count(self, what: str) -> int:
        with self.stats_lock:
            value = self.stats.get(what, 0) + 1
            self.stats[what] = value
            return value

    def process_request(self, request, client_address) -> None:
        with self.stats_lock:
            self.open_sockets.add(request)
        self.pool.submit(self._serve_one, request, client_address)

    def _serve_one(self, request, client_address) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - a broken client must not stop the server
            self.handle_error(request, client_address)
        finally:
            with self.stats_lock:
                self.open_sockets.discard(request)
            self.shutdown_request(request)

    def handle_error(self, request, client_address) -> None:
        if self.verbose:
            super().handle_error(request, client_address)

    def server_close(self) -> None:
        super().server_close()
        with self.stats_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.pool.shutdown(wait=True, cancel_futures=True)

    def route(self, raw_path: str) -> bytes:
        parts = urlsplit(raw_path)
        params = normalise(parse_qs(parts.query, keep_blank_values=True))
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) < 2 or segments[0] != "v1" or segments[1] not in ENDPOINTS:
            raise ReplayApiError(
                404,
                f"Unrecognized request URL (GET: {parts.path}). Please "
                "see https://docs.stripe.com/api.",
            )
        name = segments[1]
        collections = self.snapshot.collections
        if len(segments) == 2:
            return self.list(name, collections[name], params, parts.path)
        object_id = segments[2]
        if len(segments) == 3:
            return self.retrieve(name, object_id)
        if len(segments) == 4 and (name, segments[3]) == ("invoices", "lines"):
            self.retrieve(name, object_id)  # 404 for an unknown invoice
            params["invoice"] = [object_id]
            return self.list(
                "invoice_line_items",
                collections["invoice_line_items"],
                params,
                parts.path,
            )
        if len(segments) == 4 and (name, segments[3]) == (
            "customers",
            "payment_methods",
        ):
            self.retrieve(name, object_id)
            params["customer"] = [object_id]
            return self.list(
                "payment_methods", collections["payment_methods"], params, parts.path
            )
        raise ReplayApiError(404, f"Unrecognized request URL (GET: {parts.path}).")

    def retrieve(self, name: str, object_id: str) -> bytes:
        collection = self.snapshot.collections[name]
        index = collection.position.get(object_id)
        if index is not None:
            return collection.served(index)
        if object_id in self.snapshot.deleted.get(name, ()):
            kind = name[:-1] if name != "invoiceitems" else "invoiceitem"
            return orjson.dumps({"id": object_id, "object": kind, "deleted": True})
        raise ReplayApiError(
            404,
            f"No such {name[:-1]}: '{object_id}'",
            code="resource_missing",
            param="id",
        )

    def list(
        self, name: str, collection: Collection, params: dict[str, list[str]], url: str
    ) -> bytes:
        subsets: list[list[int]] = []
        if name == "subscription_items" and "subscription" not in params:
            raise ReplayApiError(
                400, "Missing required param: subscription.", param="subscription"
            )
        if name == "events":
            types = params.pop("types[]", []) + params.pop("type", [])
            if types:
                subsets.append(event_types(collection, types))
        if name == "subscriptions":
            subsets.extend(
                subscription_status(collection, params.pop("status", [None]))
            )
        for key in FILTERS.get(name, ()):
            if key in params:
                value: object = params[key][-1]
                if key == "active":
                    value = value == "true"
                subsets.append(collection.index_on(key).get(value, []))
        subset = merge_filters(subsets) if subsets else None
        return page(collection, params, url, subset)


def normalise(params: dict[str, list[str]]) -> dict[str, list[str]]:
    """`types[0]=a&types[1]=b` (how the SDKs encode arrays) becomes `types[]`."""
    out: dict[str, list[str]] = {}
    for key, values in params.items():
        name, bracket, rest = key.partition("[")
        if bracket and (rest == "]" or rest[:-1].isdigit()) and rest.endswith("]"):
            key = f"{name}[]"
        out.setdefault(key, []).extend(values)
    return out


def event_types(events: Collection, types: list[str]) -> list[int]:
    """`types[]` and `type`, with Stripe's `*` wildcard (`customer.*`)."""
    index = events.index_on("type")
    chosen: set[int] = set()
    for wanted in types:
        if wanted.endswith("*"):
            for kind, positions in index.items():
                if isinstance(kind, str) and kind.startswith(wanted[:-1]):
                    chosen.update(positions)
        else:
            chosen.update(index.get(wanted, []))
    return sorted(chosen)


def subscription_status(subscriptions: Collection, wanted: list) -> list[list[int]]:
    """Stripe lists subscriptions that are not canceled unless `status` says."""
    status = wanted[-1]
    if status == "all":
        return []
    index = subscriptions.index_on("status")
    if status is None:
        keep = [k for k in index if k not in ("canceled",)]
    elif status == "ended":
        keep = ["canceled", "incomplete_expired"]
    else:
        keep = [status]
    return [sorted(itertools.chain.from_iterable(index.get(k, []) for k in keep))]


@dataclass(frozen=True)
class ReplayOptions:
    """How the server behaves; the same fields as the command line's flags."""

    port: int = 0
    rate: float = 0  # requests per second; 0 = unlimited
    latency_ms: float = 0
    error_rate: float = 0
    drop_rate: float = 0
    unavailable_rate: float = 0  # 503 without Stripe-Should-Retry
    throttle_rate: float = 0  # 429 without Stripe-Should-Retry
    slow_rate: float = 0  # answered slow_ms late
    slow_ms: float = 0
    api_key: str = DEFAULT_KEY
    seed: int = 0
    workers: int = 64
    verbose: bool = False

    def __post_init__(self) -> None:
        rates = [rate for _, rate in self.fates()]
        if not (all(0 <= r <= 1 for r in rates) and sum(rates) <= 1):
            raise ReplayOptionsError(
                f"--error-rate {self.error_rate}, --drop-rate {self.drop_rate}, "
                f"--unavailable-rate {self.unavailable_rate}, --throttle-rate "
                f"{self.throttle_rate} and --slow-rate {self.slow_rate} must be "
                "fractions between 0 and 1 whose sum is at most 1"
            )
        if self.workers < 1 or min(self.rate, self.latency_ms, self.slow_ms) < 0:
            raise ReplayOptionsError(
                "--workers must be at least 1, --rate, --latency-ms and --slow-ms "
                "not negative"
            )
        if self.slow_rate and not self.slow_ms:
            raise ReplayOptionsError(
                "--slow-rate needs --slow-ms, how late a slow answer comes "
                "(longer than the client's timeout)"
            )

    def fates(self) -> list[tuple[str, float]]:
        """Each injected fault (its stats name) and its share of requests, in
        the order the seeded draw assigns them."""
        return [
            ("dropped", self.drop_rate),
            ("errors", self.error_rate),
            ("unavailable", self.unavailable_rate),
            ("throttled", self.throttle_rate),
            ("slow", self.slow_rate),
        ]

    def flags(self) -> list[str]:
        """The command line that starts a server like this (without the key)."""
        args = []
        for item in fields(self):
            value = getattr(self, item.name)
            flag = "--" + item.name.replace("_", "-")
            if item.name == "api_key" or value == item.default:
                continue
            args += [flag] if isinstance(value, bool) else [flag, str(value)]
        return args


class ReplayServer:
    """Run the replay server in a thread: `with ReplayServer(dir) as s: s.url`.

    Keyword arguments are the fields of `ReplayOptions` (rate, latency_ms, ...).
    """

    def __init__(self, directory: Path | str, **options) -> None:
        self.options = settings = ReplayOptions(**options)
        self.snapshot = Snapshot(Path(directory))
        self.httpd = ReplayHTTPServer(self.snapshot, settings)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="replay-server",
            daemon=True,
        )

    @property
    def stats(self) -> dict[str, int]:
        return dict(self.httpd.stats)

    def start(self) -> ReplayServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)
        self.snapshot.close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


@contextlib.contextmanager
def replay_process(
    directory: Path | str,
    startup_timeout: float = 300,
    stats_file: Path | None = None,
    **options,
) -> Iterator[str]:
    """Run the replay server as a child process; yields its base URL.

    Keyword arguments are the fields of `ReplayOptions`; the key travels in the
    environment, not on a command line that `ps` shows. With `stats_file`,
    the server writes its counts there (JSON) when it stops.
    """
    settings = ReplayOptions(**options)
    args = [sys.executable, "-m", "tools.fake_stripe.replay", "--dir", str(directory)]
    if stats_file is not None:
        args += ["--stats-file", str(stats_file)]
    env = dict(os.environ, REPLAY_API_KEY=settings.api_key)
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [*args, *settings.flags()],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready = threading.Event()
        first_line: list[str] = []

        def read_first_line() -> None:
            first_line.append(child.stdout.readline() if child.stdout else "")
            ready.set()

        threading.Thread(target=read_first_line, daemon=True).start()
        ready.wait(startup_timeout)
        line = first_line[0] if first_line else ""
        if not line.startswith("listening on "):
            child.kill()
            _, err = child.communicate(timeout=10)
            raise RuntimeError(f"replay server did not start: {line}{err[-2000:]}")
        yield line.split()[-1]
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.fake_stripe.replay", description=__doc__.split("\n")[0]
    )
    env = os.environ
    parser.add_argument(
        "--dir", default=env.get("JSON_DIR") or "data/snapshot", help="snapshot"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=env.get("REPLAY_PORT") or "0",
        help="on 127.0.0.1; 0 = a free port (printed as `listening on URL`)",
    )
    parser.add_argument("--rate", type=float, default=0, help="req/s; 0 = unlimited")
    parser.add_argument("--latency-ms", type=float, default=0, help="per answer")
    parser.add_argument("--error-rate", type=float, default=0, help="500 answers")
    parser.add_argument("--drop-rate", type=float, default=0, help="reset sockets")
    parser.add_argument(
        "--unavailable-rate", type=float, default=0, help="503, no Should-Retry"
    )
    parser.add_argument(
        "--throttle-rate", type=float, default=0, help="429, no Should-Retry"
    )
    parser.add_argument("--slow-rate", type=float, default=0, help="late answers")
    parser.add_argument("--slow-ms", type=float, default=0, help="how late")
    parser.add_argument("--stats-file", type=Path, help="counts as JSON on exit")
    parser.add_argument("--seed", type=int, default=0, help="fixes which fail")
    parser.add_argument(
        "--workers", type=int, default=64, help="threads = concurrent connections"
    )
    parser.add_argument(
        "--api-key",
        default=env.get("REPLAY_API_KEY") or DEFAULT_KEY,
        help=f"the key clients must send (default: $REPLAY_API_KEY or {DEFAULT_KEY})",
    )
    parser.add_argument("--verbose", action="store_true")
    args = vars(parser.parse_args(argv))
    directory = args.pop("dir")
    stats_file = args.pop("stats_file")
    began = time.perf_counter()
    server = ReplayServer(directory, **args)
    objects = sum(len(c) for c in server.snapshot.collections.values())
    print(f"listening on {server.url}", flush=True)
    settings = server.options
    print(
        f"replay: {objects:,} objects from {directory} indexed in "
        f"{time.perf_counter() - began:.1f} s; rate {settings.rate or 'unlimited'} "
        f"req/s, latency {settings.latency_ms} ms, errors {settings.error_rate}, "
        f"drops {settings.drop_rate}",
        file=sys.stderr,
        flush=True,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # What is loaded by now (extract's imports too) lives as long as the
    # process: keep it out of the garbage collector's passes over requests.
    gc.freeze()
    server.start()
    stop.wait()
    server.stop()
    print(f"replay: stopped; {server.stats}", file=sys.stderr, flush=True)
    if stats_file is not None:
        stats_file.write_bytes(orjson.dumps(server.stats))
    return 0


if __name__ == "__main__":
    run_main(main)
