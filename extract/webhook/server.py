"""The HTTP side: POST /webhooks on 127.0.0.1, verify, parse, commit, answer.

Answers: 200 once the event is committed (a duplicate too); 400 for a bad or
stale signature or a body that is not a Stripe event; 413 for a body over
MAX_BODY_BYTES; 503 when the warehouse cannot commit within COMMIT_DEADLINE
seconds (Stripe delivers it again later). GET /healthz answers 200.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson

from extract.webhook import signature
from extract.webhook.store import RETRYABLE, Store

log = logging.getLogger("extract.webhook")

PATH = "/webhooks"
# Stripe's events are tens of kilobytes at most; anything near a megabyte is
# not one.
MAX_BODY_BYTES = 1024 * 1024
# How long one delivery keeps retrying a lost warehouse before answering 503
# (Stripe waits up to 20 s for an answer).
COMMIT_DEADLINE = 15.0


class BadEvent(ValueError):
    """The body is not a Stripe event."""


def parse_event(body: bytes) -> dict:
    try:
        event = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadEvent("body is not JSON") from None
    if not isinstance(event, dict) or event.get("object") != "event":
        raise BadEvent("body is not a Stripe event object")
    event_id, kind = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not isinstance(kind, str):
        raise BadEvent("event has no id or type")
    if not isinstance(event.get("created"), int):
        raise BadEvent("event has no integer created")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        raise BadEvent("event has no data.object with an id")
    return event


class Receiver(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, secret: str, store: Store) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.secret = secret
        self.store = store
        self.stop_event = threading.Event()

    def commit(self, event: dict):
        """Record the event, retrying a lost connection until the deadline."""
        deadline = time.monotonic() + COMMIT_DEADLINE
        delay = 0.1
        while True:
            try:
                return self.store.record(event)
            except RETRYABLE as exc:
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                if time.monotonic() + delay > deadline or self.stop_event.is_set():
                    log.warning("%s: not committed (%s)", event["id"], first)
                    return None
                log.warning("%s: warehouse error, retrying (%s)", event["id"], first)
                time.sleep(delay)
                delay = min(delay * 2, 2.0)


class Handler(BaseHTTPRequestHandler):
    server: Receiver
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes: without TCP_NODELAY the second
    # waits for the client's delayed ACK (40 ms on Linux) on a kept-alive
    # connection.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        """http.server's access log is off: the handler logs its outcome."""

    def _answer(self, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if status >= 400:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/healthz":
            self._answer(200, {"ok": True})
        else:
            self._answer(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802
        received = time.perf_counter()
        if self.path.split("?")[0] != PATH:
            self._answer(404, {"error": f"POST events to {PATH}"})
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._answer(411, {"error": "Content-Length required"})
            return
        if length > MAX_BODY_BYTES or length < 0:
            log.warning("rejected: body of %d bytes over the limit", length)
            self._answer(413, {"error": f"body over {MAX_BODY_BYTES} bytes"})
            return
        body = self.rfile.read(length)
        try:
            signature.verify(
                self.headers.get("Stripe-Signature"), body, self.server.secret
            )
        except signature.SignatureError as exc:
            log.warning("rejected: %s", exc)
            self._answer(400, {"error": "invalid signature"})
            return
        try:
            event = parse_event(body)
        except BadEvent as exc:
            log.warning("rejected: %s", exc)
            self._answer(400, {"error": str(exc)})
            return
        outcome = self.server.commit(event)
        if outcome is None:
            self._answer(503, {"error": "warehouse unavailable, retry later"})
            return
        millis = (time.perf_counter() - received) * 1000
        log.info(
            "%s %s %s%s commit_ms=%.2f",
            event["id"],
            event["type"],
            outcome.result,
            f" {outcome.table}" if outcome.table else "",
            millis,
        )
        self._answer(200, {"received": True, "result": outcome.result})
