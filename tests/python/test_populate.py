"""make populate: the planned business lands on the local Stripe, a re-run and
a run after an interrupted one add nothing beyond the plan, and live keys and
ENV=prod are refused before any request leaves the machine."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe
from conftest import ROOT, base_environment, run

sys.path.insert(0, str(ROOT))
from tools.fake_stripe import plan, populate  # noqa: E402

SEED = 9103
CUSTOMERS = 30
POPULATE = [sys.executable, "-m", "tools.fake_stripe.populate"]


def _client(env: dict[str, str]) -> stripe.StripeClient:
    return stripe.StripeClient(
        env["STRIPE_API_KEY"], base_addresses={"api": env["STRIPE_API_BASE"]}
    )


def _all(call, **params) -> list:
    return list(call({"limit": 100, **params}).auto_paging_iter())


def _key(obj) -> str:
    metadata = getattr(obj, "metadata", None)
    return metadata.to_dict().get("populate_key", "") if metadata else ""


def _ours(objects: list, seed: int) -> dict:
    """This seed's objects by populate_key; a key found twice is a duplicate."""
    keys = [_key(o) for o in objects if _key(o).startswith(f"s{seed}:")]
    duplicates = [k for k, n in Counter(keys).items() if n > 1]
    assert not duplicates, f"created twice: {duplicates[:5]}"
    return {_key(o): o for o in objects if _key(o).startswith(f"s{seed}:")}


def _store_counts(env: dict[str, str]) -> Counter:
    """How many objects of each kind the whole Stripe holds."""
    v1 = _client(env).v1
    counts = Counter(
        {
            "customers": len(_all(v1.customers.list)),
            "products": len(_all(v1.products.list)),
            "plans": len(_all(v1.plans.list)),
            "coupons": len(_all(v1.coupons.list)),
            "subscriptions": len(_all(v1.subscriptions.list, status="all")),
            "invoices": len(_all(v1.invoices.list)),
            "invoiceitems": len(_all(v1.invoice_items.list)),
            "charges": len(_all(v1.charges.list)),
            "refunds": len(_all(v1.refunds.list)),
            "payment_intents": len(_all(v1.payment_intents.list)),
            "events": len(_all(v1.events.list)),
        }
    )
    for customer in _all(v1.customers.list):
        cards = _all(v1.payment_methods.list, customer=customer.id, type="card")
        counts["payment_methods"] += len(cards)
    return counts


def _populate_env(stack_env: dict[str, str], seed: int, customers: int) -> dict:
    return dict(stack_env, POPULATE_SEED=str(seed), POPULATE_CUSTOMERS=str(customers))


@pytest.fixture(scope="module")
def populated(stack_env):
    env = _populate_env(stack_env, SEED, CUSTOMERS)
    started = time.monotonic()
    output = run(POPULATE, env).stdout
    return env, output, time.monotonic() - started


def assert_business(env: dict[str, str], seed: int, customers: int) -> None:
    """The Stripe holds exactly the planned business of this seed, no more."""
    business = plan.build(seed, customers)
    v1 = _client(env).v1
    now = int(time.time())

    # Catalog: every tier in three currencies, monthly and yearly.
    products = _ours(_all(v1.products.list), seed)
    prices = _ours(_all(v1.plans.list), seed)
    assert len(products) == len(business.products)
    assert len(prices) == len(business.prices_by_key)
    assert {p.currency for p in prices.values()} == {"usd", "eur", "jpy"}
    assert {p.interval for p in prices.values()} == {"month", "year"}
    for key, price in prices.items():
        assert price.product == products[business.prices_by_key[key].product_key].id
        if price.interval == "year":
            monthly = prices[key.replace(":year:", ":month:")]
            assert price.amount == monthly.amount * plan.YEARLY_MONTHS
    for tier in plan.TIER_ORDER:
        usd = prices[plan.price_key(seed, tier, "usd", "month")].amount
        jpy = prices[plan.price_key(seed, tier, "jpy", "month")].amount
        # Yen have no minor unit: 1 USD is some 100-200 JPY, not 10,000.
        assert 50 <= jpy / (usd / 100) <= 300, (tier, usd, jpy)
    coupons = {c.id: c for c in _all(v1.coupons.list)}
    planned_coupons = {c.id: c.duration for c in business.coupons}
    assert {i: coupons[i].duration for i in planned_coupons} == planned_coupons
    assert {"forever", "once"} <= set(planned_coupons.values())

    # Customers: one each, with an address, metadata and (unless leads) a card.
    found = _ours(_all(v1.customers.list), seed)
    assert sorted(found) == sorted(c.key for c in business.customers)
    for spec in business.customers:
        customer = found[spec.key]
        assert customer.email == spec.email
        assert customer.address.country == spec.address["country"]
        assert customer.metadata.segment == spec.metadata["segment"]
        default = customer.invoice_settings.default_payment_method
        cards = _all(v1.payment_methods.list, customer=customer.id, type="card")
        if spec.card == "none":
            assert default is None and cards == []
        elif any(sub.story == "past_due" for sub in spec.subscriptions):
            # A second card, which declines, replaced the first as default.
            assert len(cards) == 2 and default in {c.id for c in cards}
            last4 = {c.id: c.card.last4 for c in cards}[default]
            assert last4 == populate.DECLINING_CARD_LAST4
        else:
            assert [c.id for c in cards] == [default]

    # Subscriptions: each planned one exactly once, in the state its story says.
    subscriptions = _ours(_all(v1.subscriptions.list, status="all"), seed)
    planned = {s.key: (c, s) for c in business.customers for s in c.subscriptions}
    assert sorted(subscriptions) == sorted(planned)
    statuses = Counter()
    for key, (customer, spec) in planned.items():
        sub = subscriptions[key]
        statuses[sub.status] += 1
        assert sub.customer == found[customer.key].id
        invoices = _all(v1.invoices.list, subscription=sub.id)
        if customer.card == "declining":
            # The first payment is declined: nothing is paid, the invoice is open.
            assert sub.status == "incomplete"
            assert [i.status for i in invoices] == ["open"]
            continue
        if spec.story == "trial":
            # Stripe says trialing; localstripe leaves a trial incomplete.
            assert sub.status in ("trialing", "incomplete")
            assert sub.trial_end > now + (plan.TRIAL_DAYS - 1) * 86400
            assert all(i.amount_paid == 0 for i in invoices)
            continue
        expected = {"canceled": "canceled", "past_due": "past_due"}.get(
            spec.story, "active"
        )
        assert sub.status == expected, (key, spec.story)
        assert sub.cancel_at_period_end == (spec.story == "cancel_at_period_end")
        item = sub["items"].data[0]
        if spec.changes:
            assert item.plan.id == prices[spec.new_price_key].id
            assert item.quantity == spec.new_quantity
            assert spec.new_price_key != spec.price_key or (
                spec.new_quantity != spec.quantity
            )
            # The change was invoiced at once, crediting the unused time; the
            # move to yearly billing of a past_due one was declined.
            credits = [i for i in invoices if min(x.amount for x in i.lines.data) < 0]
            assert len(invoices) == 2 and len(credits) == 1, key
            change = credits[0]
            first = next(i for i in invoices if i is not change)
            assert first.status == "paid"
            if spec.story == "past_due":
                assert prices[spec.new_price_key].interval == "year"
                assert change.status == "open" and change.amount_paid == 0
                charge = v1.charges.retrieve(_id_of(change.charge))
                assert charge.status == "failed"
            else:
                assert change.status == "paid"
        else:
            assert item.plan.id == prices[spec.price_key].id
            assert item.quantity == spec.quantity
            assert len(invoices) == 1 and invoices[0].status == "paid"
        if spec.coupon:
            percent = next(
                c.percent_off for c in business.coupons if c.id == spec.coupon
            )
            full = prices[spec.price_key].amount * spec.quantity
            first = min(invoices, key=lambda i: i.created)
            assert first.total == full - full * percent // 100, (key, first.total)
            assert sub.metadata.coupon == spec.coupon
    assert {"active", "canceled", "incomplete"} <= set(statuses)
    # Started at different times, not all in the second of the run.
    starts = [s.start_date for s in subscriptions.values() if s.trial_end is None]
    assert min(starts) < now - 86400 and len(set(starts)) > len(starts) // 2
    stories = Counter(s.story for _, s in planned.values())
    for story in plan.SUBSCRIPTION_STORIES:
        assert stories[story] >= 1, story

    # One-off payments, declined ones and refunds.
    intents = _ours(_all(v1.payment_intents.list), seed)
    refunds = _ours(_all(v1.refunds.list), seed)
    payments = [(c, p) for c in business.customers for p in c.payments]
    assert sorted(intents) == sorted(p.key for _, p in payments)
    refund_kinds, currencies = Counter(), set()
    for customer, spec in payments:
        intent = intents[spec.key]
        assert (intent.amount, intent.currency) == (spec.amount, spec.currency)
        charge = v1.charges.retrieve(_id_of(intent.latest_charge))
        if customer.card == "declining":
            assert intent.status == "requires_payment_method"
            assert (charge.status, charge.failure_code) == ("failed", "card_declined")
            refund_kinds["declined"] += 1
            continue
        assert intent.status == "succeeded" and charge.status == "succeeded"
        currencies.add(charge.currency)
        if spec.refund == "none":
            assert charge.amount_refunded == 0 and spec.refund_key not in refunds
            continue
        refund = refunds[spec.refund_key]
        assert refund.charge == charge.id
        if spec.refund == "full":
            assert refund.amount == charge.amount and charge.refunded
        else:
            assert 0 < refund.amount < charge.amount and not charge.refunded
        refund_kinds[spec.refund] += 1
    assert len(refunds) == refund_kinds["full"] + refund_kinds["partial"]
    assert min(refund_kinds["full"], refund_kinds["partial"]) >= 1, refund_kinds
    assert refund_kinds["declined"] >= 1
    assert currencies == {"usd", "eur", "jpy"}


def _id_of(value) -> str:
    """An expandable field's id, whether this Stripe sent an id or an object."""
    return value if isinstance(value, str) else value.id


def test_plan_is_a_function_of_seed_and_size():
    assert plan.build(SEED, CUSTOMERS) == plan.build(SEED, CUSTOMERS)
    assert plan.build(SEED, CUSTOMERS) != plan.build(SEED + 1, CUSTOMERS)
    big = plan.build(SEED, populate.DEFAULT_CUSTOMERS)
    stories = Counter(s.story for c in big.customers for s in c.subscriptions)
    # Dealt shares, not luck: each story near its share of the subscribers.
    subscribers = sum(1 for c in big.customers if c.card == "good")
    share = plan.SUBSCRIPTION_STORIES["trial"] / sum(plan.SUBSCRIPTION_STORIES.values())
    assert abs(stories["trial"] - share * subscribers) <= 1


def test_populate_builds_the_planned_business(populated):
    env, output, _ = populated
    assert_business(env, SEED, CUSTOMERS)
    assert "customers" in output and "objects/s" in output
    assert "plans API" in output  # localstripe has no /v1/prices


def test_second_run_creates_nothing(populated):
    env, _, _ = populated
    before = _store_counts(env)
    output = run(POPULATE, env).stdout
    assert "created 0 objects and made 0 changes" in output
    assert _store_counts(env) == before


class _Cut(Exception):
    """A run dying right after a write (a crash, a kill, a lost connection)."""


def test_run_cut_short_is_finished_by_the_next(stack_env):
    """Cut runs right after every seventh write until one gets through."""
    seed, customers, every = SEED + 7, 12, 7
    env = dict(_populate_env(stack_env, seed, customers), POPULATE_WORKERS="1")
    original = populate.Populator._create
    writes, cut_kinds, cuts = Counter(), Counter(), 0

    def cut(self, kind, call, *args):
        obj = original(self, kind, call, *args)
        writes[cuts] += 1
        if writes[cuts] == every:
            raise _Cut(f"cut after a {kind} was created")
        return obj

    populate.Populator._create = cut
    try:
        while cuts < 100:
            try:
                populate.main(env)
                break
            except _Cut as cut_short:
                cut_kinds[str(cut_short)] += 1
                cuts += 1
    finally:
        populate.Populator._create = original
    assert cuts >= 5, cuts
    assert_business(env, seed, customers)
    assert "created 0 objects" in run(POPULATE, env).stdout


def test_ctrl_c_stops_promptly_and_the_next_run_finishes(stack_env):
    seed, customers = SEED + 8, 60
    env = _populate_env(stack_env, seed, customers)
    process = subprocess.Popen(
        POPULATE,
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        # As from a terminal: SIGINT raises KeyboardInterrupt.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("customers"):
            process.send_signal(signal.SIGINT)
            break
    output = "".join(lines) + process.communicate(timeout=60)[0]
    assert process.returncode == 130, output
    assert "interrupted: created" in output and "run it again" in output
    assert f"{customers}/{customers}" not in output
    assert "already existed" in run(POPULATE, env).stdout
    assert_business(env, seed, customers)


class _Recorder(BaseHTTPRequestHandler):
    requests: list[str] = []

    def _answer(self) -> None:
        type(self).requests.append(f"{self.command} {self.path}")
        body = json.dumps({"object": "list", "data": [], "has_more": False}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def recorder():
    _Recorder.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", _Recorder.requests
    finally:
        server.shutdown()
        server.server_close()


LIVE_SECRET = "sk_live_" + "51Hx" + "0" * 20
LIVE_RESTRICTED = "rk_live_" + "51Hx" + "1" * 20


def test_recorder_sees_a_test_key_run(recorder):
    """The control: with a test key the same setup does reach the server."""
    url, requests = recorder
    env = base_environment(STRIPE_API_BASE=url, STRIPE_API_KEY="sk_test_x")
    run(POPULATE, env, check=False, timeout=60)
    assert requests and requests[0].startswith("GET /v1/prices")


REFUSED = "Nothing was sent to Stripe"


@pytest.mark.parametrize(
    ("overrides", "messages"),
    [
        ({"STRIPE_API_KEY": LIVE_SECRET}, ("live-mode key", REFUSED)),
        ({"STRIPE_API_KEY": LIVE_RESTRICTED}, ("live-mode key", REFUSED)),
        ({"ENV": "prod"}, ("never runs with ENV=prod", REFUSED)),
        ({"ENV": "PROD", "STRIPE_API_KEY": LIVE_SECRET}, ("ENV=prod", REFUSED)),
        ({"POPULATE_CUSTOMERS": "0"}, ("POPULATE_CUSTOMERS='0' is not a whole",)),
        ({"POPULATE_CUSTOMERS": "lots"}, ("POPULATE_CUSTOMERS='lots'",)),
        ({"POPULATE_SEED": "-1"}, ("POPULATE_SEED='-1'",)),
        ({"STRIPE_API_KEY": ""}, ("STRIPE_API_KEY is not set",)),
    ],
)
def test_refused_before_any_request(recorder, overrides, messages):
    """Live keys, ENV=prod and bad settings stop populate before it sends."""
    url, requests = recorder
    env = base_environment(STRIPE_API_BASE=url, STRIPE_API_KEY="sk_test_x")
    env.update(overrides)
    result = run(POPULATE, env, check=False)
    assert result.returncode != 0
    for message in messages:
        assert message in result.stdout
    assert "Traceback" not in result.stdout
    assert requests == []
    if env["STRIPE_API_KEY"]:
        assert env["STRIPE_API_KEY"] not in result.stdout
