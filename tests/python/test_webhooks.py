"""The webhook receiver (`make listen`): signatures, idempotence, order,
faults, and the local Stripe's own deliveries agreeing with `make extract`.

Signed requests are made with the Stripe SDK's signer
(`stripe.WebhookSignature.generate_signature_header`), not the receiver's
code; the end-to-end test uses the local Stripe's signed deliveries.
"""

from __future__ import annotations

import concurrent.futures
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import requests
import stripe
from conftest import (
    FIXTURE_LOAD_ID,
    FIXTURE_SNAPSHOT,
    ROOT,
    connect,
    fresh_database,
    query,
    raw_from_snapshot,
    run,
)

SECRET = "whsec_" + secrets.token_hex(16)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Receiver:
    """`python -m extract.webhook` as a child process, logging to a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = dict(
            env, STRIPE_WEBHOOK_SECRET=SECRET, WEBHOOK_PORT=str(free_port())
        )
        self.url = f"http://127.0.0.1:{self.env['WEBHOOK_PORT']}/webhooks"
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        handle = open(self.log, "ab")  # noqa: SIM115 - the child keeps it
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "extract.webhook"],
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=handle,
            stdin=subprocess.DEVNULL,
        )
        handle.close()
        deadline = time.monotonic() + 30
        health = self.url.replace("/webhooks", "/healthz")
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                if requests.get(health, timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise AssertionError(f"receiver did not start:\n{self.log.read_text()}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            self.proc.wait(timeout=20)


@pytest.fixture(scope="module")
def webhook_db(stack_env) -> Iterator[dict[str, str]]:
    """A database holding the raw contract's tables (the fixture snapshot)."""
    with fresh_database(stack_env) as env:
        raw_from_snapshot(env, FIXTURE_SNAPSHOT, FIXTURE_LOAD_ID)
        yield env


@pytest.fixture(scope="module")
def receiver(webhook_db, tmp_path_factory) -> Iterator[Receiver]:
    server = Receiver(webhook_db, tmp_path_factory.mktemp("webhook") / "listen.log")
    server.start()
    try:
        yield server
    finally:
        server.kill(signal.SIGTERM)


def event(kind: str, obj: dict, created: int | None = None, **extra) -> dict:
    return {
        "id": f"evt_{uuid.uuid4().hex[:16]}",
        "object": "event",
        "type": kind,
        "api_version": "2017-08-15",
        "created": created or int(time.time()),
        "livemode": False,
        "data": {"object": obj},
        **extra,
    }


def post(
    url: str, body: bytes | dict, secret: str = SECRET, **sign
) -> requests.Response:
    payload = body if isinstance(body, bytes) else orjson.dumps(body)
    header = stripe.WebhookSignature.generate_signature_header(
        payload.decode(errors="replace"), secret, **sign
    )
    return requests.post(
        url, data=payload, headers={"Stripe-Signature": header}, timeout=30
    )


def customer(customer_id: str, **fields) -> dict:
    return {"id": customer_id, "object": "customer", "created": 1790000000, **fields}


def raw_row(env, table: str, object_id: str) -> list[tuple]:
    return query(
        env,
        f"select is_deleted, data from stripe_raw.{table} where id = %s",
        (object_id,),
    )


def stored_events(env, event_id: str) -> int:
    return query(
        env, "select count(*) from stripe_raw.events where id = %s", (event_id,)
    )[0][0]


def test_bad_or_stale_signature_is_400_and_logs_neither_payload_nor_secret(
    receiver, webhook_db
):
    marker = f"PAYLOAD-{uuid.uuid4().hex}"
    body = event(
        "customer.created", customer(f"cus_{uuid.uuid4().hex[:10]}", name=marker)
    )
    wrong = post(receiver.url, body, secret="whsec_" + "0" * 32)
    stale = post(receiver.url, body, timestamp=int(time.time()) - 301)
    future = post(receiver.url, body, timestamp=int(time.time()) + 301)
    unsigned = requests.post(receiver.url, data=orjson.dumps(body), timeout=10)
    assert [r.status_code for r in (wrong, stale, future, unsigned)] == [400] * 4
    assert stored_events(webhook_db, body["id"]) == 0
    log = receiver.log.read_text()
    assert marker not in log and SECRET not in log
    assert "rejected" in log
    # The same body within the tolerance is accepted.
    assert post(receiver.url, body, timestamp=int(time.time()) - 290).status_code == 200


def test_malformed_json_is_400_and_huge_body_413(receiver, webhook_db):
    assert post(receiver.url, b"{not json").status_code == 400
    assert post(receiver.url, {"object": "list", "data": []}).status_code == 400
    huge = orjson.dumps(
        event("customer.created", customer("cus_huge", note="x" * (2 * 1024 * 1024)))
    )
    assert post(receiver.url, huge).status_code == 413
    assert raw_row(webhook_db, "customers", "cus_huge") == []
    # It still serves afterwards.
    ok = event("customer.created", customer(f"cus_{uuid.uuid4().hex[:10]}"))
    assert post(receiver.url, ok).status_code == 200


def test_duplicate_delivery_is_stored_once(receiver, webhook_db):
    body = event("customer.created", customer(f"cus_{uuid.uuid4().hex[:10]}", name="A"))
    answers = [post(receiver.url, body).json()["result"] for _ in range(3)]
    assert answers == ["applied", "duplicate", "duplicate"]
    assert stored_events(webhook_db, body["id"]) == 1
    rows = query(
        webhook_db,
        "select count(*) from stripe_raw.customers where id = %s",
        (body["data"]["object"]["id"],),
    )
    assert rows == [(1,)]


def test_older_event_never_overwrites_newer_state_and_deleted_flags(
    receiver, webhook_db
):
    cid = f"cus_{uuid.uuid4().hex[:10]}"
    now = int(time.time())
    updated = event("customer.updated", customer(cid, name="new"), created=now)
    created = event("customer.created", customer(cid, name="old"), created=now - 60)
    # Same second as the update: creation ranks before it.
    same_second = event("customer.created", customer(cid, name="old"), created=now)
    for body in (updated, created, same_second):
        assert post(receiver.url, body).status_code == 200
    assert raw_row(webhook_db, "customers", cid)[0][1]["name"] == "new"
    assert stored_events(webhook_db, created["id"]) == 1
    deleted = event("customer.deleted", customer(cid, name="new"), created=now)
    late_update = event("customer.updated", customer(cid, name="x"), created=now)
    assert post(receiver.url, deleted).json()["result"] == "applied"
    assert post(receiver.url, late_update).json()["result"] == "stale"
    is_deleted, data = raw_row(webhook_db, "customers", cid)[0]
    assert is_deleted and data["name"] == "new"


def test_batch_state_is_newer_than_events_before_its_load(receiver, webhook_db):
    # cus_fixture rows were loaded at FIXTURE_LOAD_ID (2026-10-20).
    cid = query(webhook_db, "select id from stripe_raw.customers limit 1")[0][0]
    before = raw_row(webhook_db, "customers", cid)[0][1]
    old = event(
        "customer.updated",
        customer(cid, name="from an old event"),
        created=int(float(FIXTURE_LOAD_ID)) - 3600,
    )
    # Stripe keeps retrying for days: a retry after the load is still older.
    answer = post(receiver.url, old).json()
    assert answer["result"] == "stale"
    assert raw_row(webhook_db, "customers", cid)[0][1] == before


def test_unknown_type_is_stored_not_applied_and_children_land(receiver, webhook_db):
    unknown = event("issuing_card.created", {"id": "ic_123", "object": "issuing.card"})
    assert post(receiver.url, unknown).json()["result"] == "stored"
    assert stored_events(webhook_db, unknown["id"]) == 1
    sub_id, item_id = f"sub_{uuid.uuid4().hex[:10]}", f"si_{uuid.uuid4().hex[:10]}"
    subscription = {
        "id": sub_id,
        "object": "subscription",
        "status": "active",
        "customer": "cus_x",
        "items": {
            "object": "list",
            "has_more": False,
            "data": [{"id": item_id, "object": "subscription_item", "quantity": 2}],
        },
    }
    ended = event(
        "customer.subscription.deleted", dict(subscription, status="canceled")
    )
    assert post(receiver.url, ended).json()["result"] == "applied"
    assert raw_row(webhook_db, "subscriptions", sub_id)[0][0] is False
    parent = query(
        webhook_db,
        "select parent_id from stripe_raw.subscription_items where id = %s",
        (item_id,),
    )
    assert parent == [(sub_id,)]


def test_lost_connections_are_retried(receiver, webhook_db):
    admin = connect(webhook_db)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(
            "select count(pg_terminate_backend(pid)) from pg_stat_activity"
            " where application_name = 'stripe-webhooks' and datname = %s",
            (webhook_db["PGDATABASE"],),
        )
        assert cur.fetchone()[0] >= 1
    admin.close()
    body = event("customer.created", customer(f"cus_{uuid.uuid4().hex[:10]}"))
    assert post(receiver.url, body).status_code == 200
    assert stored_events(webhook_db, body["id"]) == 1


def test_kill_9_mid_stream_loses_nothing_acknowledged(webhook_db, tmp_path):
    server = Receiver(webhook_db, tmp_path / "kill.log")
    server.start()
    bodies = [
        event("customer.created", customer(f"cus_kill{n}_{uuid.uuid4().hex[:6]}"))
        for n in range(200)
    ]

    def deliver(body: dict) -> bool:
        try:
            return post(server.url, body).status_code == 200
        except requests.RequestException:
            return False

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(deliver, body) for body in bodies]
        while sum(f.done() for f in futures) < 50:
            time.sleep(0.01)
        server.kill(signal.SIGKILL)
        acked = [b["id"] for b, f in zip(bodies, futures, strict=True) if f.result()]
    assert 50 <= len(acked) < len(bodies)
    ids = [b["id"] for b in bodies]
    stored = dict(
        query(
            webhook_db,
            "select id, count(*) from stripe_raw.events where id = any(%s) group by id",
            (ids,),
        )
    )
    assert set(acked) <= set(stored)  # nothing acknowledged is lost
    assert set(stored.values()) == {1}
    # Stripe delivers again whatever was not acknowledged (here: everything).
    server.start()
    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            assert all(pool.map(deliver, bodies))
    finally:
        server.kill(signal.SIGTERM)
    counts = query(
        webhook_db,
        "select count(*), count(distinct id) from stripe_raw.customers"
        " where id like 'cus_kill%%'",
    )
    assert counts == [(len(bodies), len(bodies))]
    assert query(
        webhook_db,
        "select count(*), count(distinct id) from stripe_raw.events where id = any(%s)",
        (ids,),
    ) == [(len(bodies), len(bodies))]


def test_local_stripe_deliveries_land_and_extract_agrees(stack_env, tmp_path):
    """The local Stripe's own signed webhooks, then `python -m extract`."""
    with fresh_database(stack_env) as env:
        # The raw tables as the pipeline makes them; one extraction, after.
        raw_from_snapshot(env, FIXTURE_SNAPSHOT, FIXTURE_LOAD_ID)
        server = Receiver(env, tmp_path / "e2e.log")
        server.start()
        endpoint = f"test-{uuid.uuid4().hex[:8]}"
        requests.post(
            f"{env['STRIPE_API_BASE']}/_config/webhooks/{endpoint}",
            data=urllib.parse.urlencode({"url": server.url, "secret": SECRET}),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=10,
        ).raise_for_status()
        try:
            client = stripe.StripeClient(
                env["STRIPE_API_KEY"], base_addresses={"api": env["STRIPE_API_BASE"]}
            )
            made = client.v1.customers.create(params={"email": "hook@example.com"})
            product = client.v1.products.create(params={"name": "Hooked"})
            plan = client.v1.plans.create(
                params={
                    "amount": 900,
                    "currency": "usd",
                    "interval": "month",
                    "product": product.id,
                }
            )
            client.v1.customers.update(made.id, params={"description": "via hook"})
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                row = raw_row(env, "customers", made.id)
                if (
                    row
                    and row[0][1].get("description") == "via hook"
                    and raw_row(env, "plans", plan.id)
                ):
                    break
                time.sleep(0.3)
            else:
                raise AssertionError(server.log.read_text()[-3000:])
        finally:
            # The endpoint cannot be removed: point it at a closed port.
            requests.post(
                f"{env['STRIPE_API_BASE']}/_config/webhooks/{endpoint}",
                data={"url": f"http://127.0.0.1:{free_port()}/", "secret": SECRET},
                timeout=10,
            )
            server.kill(signal.SIGTERM)
        assert raw_row(env, "products", product.id)
        run([sys.executable, "-m", "extract"], env)
        for table in ("customers", "plans", "products", "events"):
            dupes = query(
                env,
                f"select id from stripe_raw.{table} group by id having count(*) > 1",
            )
            assert dupes == [], table
        is_deleted, data = raw_row(env, "customers", made.id)[0]
        assert not is_deleted and data["description"] == "via hook"
        assert data["email"] == "hook@example.com"


def test_up_makes_a_private_secret_and_never_prints_it(stack_env):
    from conftest import TEST_STACK, base_environment

    path = TEST_STACK / "webhook.secret"
    secret = path.read_text().strip()
    assert secret.startswith("whsec_") and len(secret) > 30
    assert path.stat().st_mode & 0o777 == 0o600
    assert stack_env["STRIPE_WEBHOOK_SECRET"] == secret
    output = run([sys.executable, "-m", "tools.stack", "up"], base_environment()).stdout
    assert secret not in output
