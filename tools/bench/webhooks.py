"""Webhook receiver benchmark: signed events at a given concurrency against
`python -m extract.webhook`, on a database of its own (`bench_webhooks`).

    python -m tools.bench.webhooks [--events 5000] [--concurrency 8] [--objects 1000]

Reports events/s over the whole run and the receiver's receipt-to-commit
latency (its `commit_ms` log field: from the request's arrival to the
committed transaction) at p50 and p99, and the client's round trip beside it.
Half the events create an object, half update one, a tenth of the objects
are subscriptions with an item.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import requests
import stripe

from extract import config
from tools.bench.report import ROOT
from tools.bench.runs import bench_database, measure

FIXTURE = ROOT / "tests" / "fixtures" / "snapshot"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def events(count: int, objects: int) -> list[dict]:
    now = int(time.time())
    made = []
    for n in range(count):
        index = n % objects
        kind = "created" if n < objects else "updated"
        if index % 10 == 0:
            obj = {
                "id": f"sub_bench{index}",
                "object": "subscription",
                "status": "active",
                "items": {
                    "object": "list",
                    "has_more": False,
                    "data": [{"id": f"si_bench{index}", "object": "subscription_item"}],
                },
            }
            kind = f"customer.subscription.{kind}"
        else:
            obj = {"id": f"cus_bench{index}", "object": "customer", "name": str(n)}
            kind = f"customer.{kind}"
        made.append(
            {
                "id": f"evt_bench{n}_{secrets.token_hex(4)}",
                "object": "event",
                "type": kind,
                "created": now + n // 100,
                "api_version": "2017-08-15",
                "data": {"object": obj},
            }
        )
    return made


@contextlib.contextmanager
def receiver(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """`python -m extract.webhook` on 127.0.0.1:WEBHOOK_PORT of env, its
    output to log_path; yields its URL once it answers, stops it (by pid)."""
    command = [sys.executable, "-m", "extract.webhook"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{env['WEBHOOK_PORT']}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{url}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit(log_path.read_text()) from None
                time.sleep(0.1)
        yield url
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def post_signed(
    session: requests.Session, url: str, body: bytes, secret: str
) -> requests.Response:
    """One delivery, signed as Stripe signs it (Stripe-Signature)."""
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret)
    return session.post(
        f"{url}/webhooks", data=body, headers={"Stripe-Signature": header}, timeout=60
    )


def run(count: int, concurrency: int, objects: int) -> dict[str, float]:
    bench = type("B", (), {"env": config.child_environment()})()
    secret = "whsec_" + secrets.token_hex(16)
    with bench_database(bench, "webhooks") as env, tempfile.TemporaryDirectory() as tmp:
        # The raw tables as the pipeline makes them.
        load_env = dict(env, SOURCE="json", JSON_DIR=str(FIXTURE))
        measure([sys.executable, "-m", "extract"], load_env, Path(tmp) / "load.log")
        port = config.choose_port(Path(tmp) / "port", 61000, None)
        env = dict(env, STRIPE_WEBHOOK_SECRET=secret, WEBHOOK_PORT=str(port))
        log_path = Path(tmp) / "listen.log"
        with receiver(env, log_path) as url:
            bodies = [orjson.dumps(e) for e in events(count, objects)]
            local = threading.local()
            round_trips: list[float] = []

            def deliver(body: bytes) -> int:
                session = getattr(local, "session", None) or requests.Session()
                local.session = session
                started = time.perf_counter()
                answer = post_signed(session, url, body, secret)
                round_trips.append((time.perf_counter() - started) * 1000)
                return answer.status_code

            started = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
                statuses = list(pool.map(deliver, bodies))
            seconds = time.perf_counter() - started
        commits = [
            float(m) for m in re.findall(r"commit_ms=([0-9.]+)", log_path.read_text())
        ]
    failed = sum(status != 200 for status in statuses)
    return {
        "events": count,
        "concurrency": concurrency,
        "failed": failed,
        "events_per_second": count / seconds,
        "commit_p50_ms": statistics.median(commits),
        "commit_p99_ms": percentile(commits, 0.99),
        "round_trip_p50_ms": statistics.median(round_trips),
        "round_trip_p99_ms": percentile(round_trips, 0.99),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--objects", type=int, default=1000)
    args = parser.parse_args(argv)
    result = run(args.events, args.concurrency, args.objects)
    print(
        f"webhooks: {result['events']} events at concurrency "
        f"{result['concurrency']}: {result['events_per_second']:.0f} events/s; "
        f"receipt to commit p50 {result['commit_p50_ms']:.1f} ms, "
        f"p99 {result['commit_p99_ms']:.1f} ms (client round trip p50 "
        f"{result['round_trip_p50_ms']:.1f} ms, p99 "
        f"{result['round_trip_p99_ms']:.1f} ms); {result['failed']} not accepted"
    )
    return 1 if result["failed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
