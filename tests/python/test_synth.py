"""fake_stripe.synth: determinism, the SDK's field list, and internal consistency."""

from __future__ import annotations

import collections
import gzip
import hashlib
import subprocess
import sys
import typing
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import stripe
from stripe._list_object import ListObject
from stripe._stripe_object import StripeObject, UntypedStripeObject

from tools.fake_stripe import synth

ROOT = Path(__file__).resolve().parents[2]
NOW = synth.parse_now(synth.DEFAULT_NOW)
CLASS_OF_RESOURCE = {
    "customers": stripe.Customer,
    "products": stripe.Product,
    "prices": stripe.Price,
    "plans": stripe.Plan,
    "coupons": stripe.Coupon,
    "subscriptions": stripe.Subscription,
    "subscription_items": stripe.SubscriptionItem,
    "invoices": stripe.Invoice,
    "invoice_line_items": stripe.InvoiceLineItem,
    "invoiceitems": stripe.InvoiceItem,
    "charges": stripe.Charge,
    "refunds": stripe.Refund,
    "disputes": stripe.Dispute,
    "payment_intents": stripe.PaymentIntent,
    "payment_methods": stripe.PaymentMethod,
    "balance_transactions": stripe.BalanceTransaction,
    "payouts": stripe.Payout,
    "credit_notes": stripe.CreditNote,
    "events": stripe.Event,
}
CLASS_OF_OBJECT = {
    cls.OBJECT_NAME: cls
    for cls in [*CLASS_OF_RESOURCE.values(), stripe.Discount, stripe.InvoicePayment]
}


def read_jsonl(directory: Path, name: str) -> Iterator[dict]:
    plain, packed = directory / f"{name}.jsonl", directory / f"{name}.jsonl.gz"
    opener = gzip.open if packed.exists() else open
    with opener(packed if packed.exists() else plain, "rb") as handle:
        for line in handle:
            yield orjson.loads(line)


def make_snapshot(
    directory: Path, customers: int, seed: int = 7, **kw
) -> synth.SynthStats:
    settings = synth.SynthSettings(
        customers, seed, NOW, directory, kw.get("compress", False), kw.get("workers", 1)
    )
    return synth.generate(settings)


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> dict[str, list[dict]]:
    directory = tmp_path_factory.mktemp("synth") / "snap"
    make_snapshot(directory, 2500, seed=11)
    return {name: list(read_jsonl(directory, name)) for name in synth.RESOURCES} | {
        "_dir": directory,
        "_truth": list(read_jsonl(directory / "_truth", "subscriptions")),
    }


# -- the SDK's declared fields ---------------------------------------------


def fields_of(cls: type) -> dict[str, typing.Any]:
    hints: dict[str, typing.Any] = {}
    for klass in reversed(cls.__mro__):
        hints.update(getattr(klass, "__annotations__", {}))
    return {k: v for k, v in hints.items() if k != "OBJECT_NAME"}


def classes_in(annotation: typing.Any) -> list:
    """The StripeObject classes an annotation admits (Optional, List, ...);
    a ListObject[X] comes back as ("list", classes of X)."""
    if isinstance(annotation, typing.ForwardRef):
        named = getattr(stripe, annotation.__forward_arg__, None)
        return [named] if isinstance(named, type) else []
    if isinstance(annotation, type) and issubclass(annotation, StripeObject):
        return [annotation]
    origin = typing.get_origin(annotation)
    if isinstance(origin, type) and issubclass(origin, ListObject):
        return [("list", classes_in(typing.get_args(annotation)[0]))]
    found: list = []
    for arg in typing.get_args(annotation):
        found.extend(classes_in(arg))
    return found


def check_fields(value: dict, cls: type, path: str, errors: list[str]) -> None:
    declared = fields_of(cls)
    for key, child in value.items():
        if key not in declared:
            errors.append(f"{path}.{key} is not a field of {cls.__qualname__}")
            continue
        check_value(child, classes_in(declared[key]), f"{path}.{key}", errors)


def check_value(child, candidates: list, path: str, errors: list[str]) -> None:
    if isinstance(child, list):
        for index, entry in enumerate(child[:3]):
            check_value(entry, candidates, f"{path}[{index}]", errors)
        return
    if not isinstance(child, dict):
        return
    if child.get("object") == "list":
        lists = [c[1] for c in candidates if isinstance(c, tuple)]
        if not lists:
            errors.append(f"{path} is a list where the SDK declares none")
            return
        for index, entry in enumerate(child["data"][:3]):
            check_value(entry, lists[0], f"{path}.data[{index}]", errors)
        return
    typed = [
        c for c in candidates if isinstance(c, type) and c is not UntypedStripeObject
    ]
    kind = child.get("object")
    by_name = CLASS_OF_OBJECT.get(kind) if isinstance(kind, str) else None
    if by_name is not None and (by_name in typed or not typed):
        check_fields(child, by_name, path, errors)  # an expanded resource
    elif typed:
        check_fields(child, typed[0], path, errors)


# What the extractor adds to a Stripe object (docs/design.md): a balance
# transaction's payout, from /v1/balance_transactions?payout=.
ADDED_BY_EXTRACTOR = {"balance_transactions": "payout"}


def test_every_field_is_declared_by_the_sdk(snapshot):
    """No key synth writes is missing from stripe's typed resource classes."""
    assert stripe.Invoice.__annotations__, "the SDK lost its annotations"
    errors: list[str] = []
    for name, cls in CLASS_OF_RESOURCE.items():
        seen_shapes: set[tuple] = set()
        added = ADDED_BY_EXTRACTOR.get(name)
        for row in snapshot[name]:
            if added:
                row = {k: v for k, v in row.items() if k != added}
            shape = (tuple(row), row.get("type"), row.get("status"))
            if shape in seen_shapes and len(seen_shapes) > 50:
                continue
            seen_shapes.add(shape)
            check_fields(row, cls, f"{name}:{row['id']}", errors)
    assert not errors, "\n".join(sorted(set(errors))[:40])


def test_field_check_catches_an_invented_field():
    errors: list[str] = []
    check_fields(
        {
            "id": "in_x",
            "subscription": "sub_x",
            "lines": {"object": "list", "data": [{"id": "il_x", "price": "price_x"}]},
        },
        stripe.Invoice,
        "invoice",
        errors,
    )
    assert any("invoice.subscription" in e for e in errors)  # pre-basil shape
    assert any("data[0].price" in e for e in errors)
    errors.clear()
    event = {"id": "evt_x", "data": {"object": {"object": "subscription", "items": {
        "object": "list", "data": [{"price": {"object": "price", "recurring": {
            "interval": "month", "aggregate_usage": "sum"}}}]}}}}  # fmt: skip
    check_fields(event, stripe.Event, "event", errors)
    dispute = {"balance_transactions": [{"fee_details": [{"amount": 1, "x": 2}]}]}
    check_fields(dispute, stripe.Dispute, "dispute", errors)
    assert errors == [
        "event.data.object.items.data[0].price.recurring.aggregate_usage is not a "
        "field of Price.Recurring",
        "dispute.balance_transactions[0].fee_details[0].x is not a field of "
        "BalanceTransaction.FeeDetail",
    ]


# -- consistency ------------------------------------------------------------


def ids(rows: list[dict]) -> set[str]:
    return {row["id"] for row in rows}


def test_ids_are_unique_per_resource(snapshot):
    for name in synth.RESOURCES:
        rows = snapshot[name]
        assert len(ids(rows)) == len(rows), name
    numbers = [row["number"] for row in snapshot["invoices"] if row["number"]]
    assert len(set(numbers)) == len(numbers), "invoice numbers repeat"


def test_every_reference_resolves(snapshot):
    s = snapshot
    deleted = {
        e["data"]["object"]["id"]
        for e in s["events"]
        if e["type"] == "customer.deleted"
    }
    customers = ids(s["customers"]) | deleted
    prices, products = ids(s["prices"]), ids(s["products"])
    invoices, charges = ids(s["invoices"]), ids(s["charges"])
    intents, subscriptions = ids(s["payment_intents"]), ids(s["subscriptions"])
    bts, items = ids(s["balance_transactions"]), ids(s["subscription_items"])
    # An item removed from its subscription is gone from the API; its
    # invoice lines and proration items still name it (the truth knows it).
    removed = {seg["item"] for t in s["_truth"] for seg in t["items"]} - items
    assert removed, "no subscription item was ever removed"
    for row in s["subscription_items"]:
        assert row["id"] not in removed
    sources = charges | ids(s["refunds"]) | ids(s["disputes"]) | ids(s["payouts"])
    checks: list[tuple[str, str | None, set[str]]] = []
    for row in s["prices"]:
        checks.append(("price.product", row["product"], products))
    for name in (
        "subscriptions",
        "invoices",
        "charges",
        "payment_intents",
        "invoiceitems",
    ):
        for row in s[name]:
            checks.append((f"{name}.customer", row["customer"], customers))
    for row in s["payment_methods"]:
        if row["customer"] is not None:
            checks.append(("payment_method.customer", row["customer"], customers))
    for row in s["subscription_items"]:
        checks.append(("si.subscription", row["subscription"], subscriptions))
        checks.append(("si.price", row["price"]["id"], prices))
        checks.append(("si.price.product", row["price"]["product"], products))
    for row in s["invoices"]:
        sub = row["parent"]["subscription_details"]["subscription"]
        checks.append(("invoice.subscription", sub, subscriptions))
        for pay in row["payments"]["data"]:
            checks.append(
                ("invoice.payment", pay["payment"]["payment_intent"], intents)
            )
    for row in s["invoice_line_items"]:
        checks.append(("line.invoice", row["invoice"], invoices))
        details = row["pricing"]["price_details"]
        checks.append(("line.price", details["price"], prices))
        checks.append(("line.product", details["product"], products))
        parent = row["parent"]["subscription_item_details"]
        checks.append(("line.subscription", parent["subscription"], subscriptions))
        checks.append(
            ("line.subscription_item", parent["subscription_item"], items | removed)
        )
    for row in s["invoiceitems"]:
        if row["invoice"] is not None:
            checks.append(("invoiceitem.invoice", row["invoice"], invoices))
    for row in s["charges"]:
        checks.append(("charge.payment_intent", row["payment_intent"], intents))
        if row["balance_transaction"]:
            checks.append(("charge.bt", row["balance_transaction"], bts))
    for row in s["payment_intents"]:
        if row["latest_charge"]:
            checks.append(("pi.latest_charge", row["latest_charge"], charges))
    for row in s["refunds"]:
        checks.append(("refund.charge", row["charge"], charges))
        checks.append(("refund.payment_intent", row["payment_intent"], intents))
        checks.append(("refund.bt", row["balance_transaction"], bts))
    for row in s["disputes"]:
        checks.append(("dispute.charge", row["charge"], charges))
        for bt in row["balance_transactions"]:
            checks.append(("dispute.bt", bt["id"], bts))
    for row in s["payouts"]:
        checks.append(("payout.bt", row["balance_transaction"], bts))
    for row in s["balance_transactions"]:
        checks.append(("bt.source", row["source"], sources))
    unresolved = [(what, ref) for what, ref, known in checks if ref not in known]
    assert len(checks) > 50_000
    assert not unresolved, unresolved[:20]


def test_invoice_totals_equal_their_lines(snapshot):
    lines = collections.defaultdict(list)
    for row in snapshot["invoice_line_items"]:
        lines[row["invoice"]].append(row)
    long_invoices = 0
    for invoice in snapshot["invoices"]:
        own = lines[invoice["id"]]
        assert invoice["subtotal"] == sum(line["amount"] for line in own), invoice["id"]
        discounts = sum(d["amount"] for d in invoice["total_discount_amounts"])
        line_discounts = sum(
            d["amount"] for line in own for d in line["discount_amounts"]
        )
        assert discounts == line_discounts
        assert invoice["total"] == invoice["subtotal"] - discounts
        assert invoice["amount_due"] == max(
            0, invoice["total"] + invoice["starting_balance"]
        )
        embedded = invoice["lines"]
        assert [line["id"] for line in embedded["data"]] == [
            line["id"] for line in own[:10]
        ]
        assert embedded["has_more"] == (len(own) > 10)
        assert embedded["total_count"] == len(own)
        long_invoices += len(own) > 10
    assert long_invoices > 0, "no invoice exercises has_more"


def test_paid_invoices_have_a_succeeded_charge_of_the_same_amount(snapshot):
    intents = {row["id"]: row for row in snapshot["payment_intents"]}
    charges = {row["id"]: row for row in snapshot["charges"]}
    checked = 0
    for invoice in snapshot["invoices"]:
        if invoice["status"] != "paid" or invoice["amount_paid"] == 0:
            continue
        (payment,) = invoice["payments"]["data"]
        intent = intents[payment["payment"]["payment_intent"]]
        charge = charges[intent["latest_charge"]]
        assert intent["status"] == "succeeded"
        assert charge["status"] == "succeeded" and charge["paid"]
        assert charge["amount"] == intent["amount"] == invoice["amount_paid"]
        assert charge["currency"] == invoice["currency"]
        assert charge["customer"] == invoice["customer"]
        checked += 1
    assert checked > 1000


def test_money_moves_add_up(snapshot):
    refunded = collections.Counter()
    for refund in snapshot["refunds"]:
        refunded[refund["charge"]] += refund["amount"]
    for charge in snapshot["charges"]:
        assert refunded[charge["id"]] == charge["amount_refunded"] <= charge["amount"]
        assert charge["refunded"] == (charge["amount_refunded"] == charge["amount"])
        if charge["status"] == "failed":
            assert charge["failure_code"] and charge["outcome"]["type"] in (
                "issuer_declined",
                "blocked",
            )
    for bt in snapshot["balance_transactions"]:
        assert bt["net"] == bt["amount"] - bt["fee"]
        assert bt["available_on"] >= bt["created"]
        assert bt["status"] == ("available" if bt["available_on"] <= NOW else "pending")
        assert bt["fee"] == sum(d["amount"] for d in bt["fee_details"])
    bt_amount = {bt["id"]: bt["amount"] for bt in snapshot["balance_transactions"]}
    for payout in snapshot["payouts"]:
        assert payout["amount"] > 0
        assert bt_amount[payout["balance_transaction"]] == -payout["amount"]


def test_the_ledger_follows_stripes_rules(snapshot):
    """Settlement in usd (converted at a daily rate) and eur (a share of the
    eur customers, unconverted); fees; payouts of what their transactions net."""
    bts = snapshot["balance_transactions"]
    charges = {row["id"]: row for row in snapshot["charges"]}
    refunds = {row["id"]: row for row in snapshot["refunds"]}
    payouts = {row["id"]: row for row in snapshot["payouts"]}
    by_id = {bt["id"]: bt for bt in bts}
    covered: dict[str, list[dict]] = collections.defaultdict(list)
    for bt in bts:
        assert bt["net"] == bt["amount"] - bt["fee"], bt["id"]
        assert bt["fee"] == sum(d["amount"] for d in bt["fee_details"]), bt["id"]
        assert all(d["currency"] == bt["currency"] for d in bt["fee_details"])
        assert bt["currency"] in ("usd", "eur")
        if bt["payout"] is not None:
            covered[bt["payout"]].append(bt)
        category = bt["reporting_category"]
        if category == "charge":
            charge = charges[bt["source"]]
            assert charge["balance_transaction"] == bt["id"]
            assert bt["amount"] > 0 and bt["fee"] > 0
            converted = charge["currency"] != bt["currency"]
            assert (bt["exchange_rate"] is not None) == converted, bt["id"]
            if converted:
                decimals = {"jpy": 0}.get(charge["currency"], 2)
                expected = charge["amount"] * bt["exchange_rate"] * 10 ** (2 - decimals)
                assert abs(bt["amount"] - expected) <= 0.5
            else:
                assert bt["amount"] == charge["amount"]
            # At least 2.9 % + 25 minor units, at most 5.4 % + 30.
            assert bt["amount"] * 0.029 + 24 <= bt["fee"] <= bt["amount"] * 0.054 + 31
        elif category == "refund":
            assert bt["amount"] < 0 and bt["fee"] == 0
            charge = charges[refunds[bt["source"]]["charge"]]
            charge_bt = by_id[charge["balance_transaction"]]
            assert bt["exchange_rate"] == charge_bt["exchange_rate"]  # its rate
            if refunds[bt["source"]]["amount"] == charge["amount"]:
                assert bt["amount"] == -charge_bt["amount"]
        elif category == "dispute":
            assert bt["amount"] < 0 and bt["fee"] == 1500
        elif category == "dispute_reversal":
            assert bt["amount"] > 0 and bt["fee"] == 0
        else:
            assert category == "payout" and bt["amount"] < 0
    for payout_id, payout in payouts.items():
        own = [bt for bt in covered[payout_id] if bt["source"] == payout_id]
        others = [bt for bt in covered[payout_id] if bt["source"] != payout_id]
        if payout["automatic"]:
            assert [bt["id"] for bt in own] == [payout["balance_transaction"]]
            assert payout["amount"] == sum(bt["net"] for bt in others), payout_id
            assert all(bt["available_on"] <= payout["created"] for bt in others)
            assert all(bt["currency"] == payout["currency"] for bt in others)
        else:  # an Instant Payout: a fee, and the next automatic one covers it
            assert payout["method"] == "instant" and not covered[payout_id]
    # The running balance per settlement currency, in time order: a payout
    # never takes it below zero.
    balance = collections.Counter()
    for bt in sorted(bts, key=lambda bt: (bt["created"], bt["id"])):
        balance[bt["currency"]] += bt["net"]
        if bt["reporting_category"] == "payout":
            assert balance[bt["currency"]] >= 0, bt["id"]
    categories = collections.Counter(
        (bt["reporting_category"], bt["currency"]) for bt in bts
    )
    assert {
        ("charge", "usd"), ("charge", "eur"), ("refund", "usd"), ("refund", "eur"),
        ("dispute", "usd"), ("dispute_reversal", "usd"), ("payout", "usd"),
        ("payout", "eur"),
    } <= set(categories)  # fmt: skip
    assert {(p["currency"], p["method"]) for p in payouts.values()} == {
        ("usd", "standard"), ("usd", "instant"), ("eur", "standard"),
    }  # fmt: skip
    assert any(bt["fee"] for bt in bts if bt["reporting_category"] == "payout")
    assert any(bt["payout"] is None for bt in bts), "all paid out, none pending"
    converted = {
        charges[bt["source"]]["currency"]
        for bt in bts
        if bt["reporting_category"] == "charge" and bt["exchange_rate"]
    }
    assert converted == {"eur", "gbp", "jpy"}


def test_the_business_has_the_variety_it_promises(snapshot):
    s = snapshot
    statuses = {row["status"] for row in s["subscriptions"]}
    assert {"active", "trialing", "past_due", "unpaid", "canceled"} <= statuses
    assert any(row["cancel_at_period_end"] for row in s["subscriptions"])
    assert any(
        len(row["items"]["data"]) == 10 and row["items"]["has_more"]
        for row in s["subscriptions"]
    )
    assert {row["currency"] for row in s["charges"]} == {"usd", "eur", "gbp", "jpy"}
    recurring = [row["recurring"] for row in s["prices"]]
    assert {r["interval"] for r in recurring} == {"week", "month", "year"}
    assert any(r["interval_count"] > 1 for r in recurring)
    assert any(r["usage_type"] == "metered" for r in recurring)
    assert {c["duration"] for c in s["coupons"]} == {"forever", "once", "repeating"}
    assert any(c["percent_off"] for c in s["coupons"])
    assert any(c["amount_off"] for c in s["coupons"])
    prorations = [
        row
        for row in s["invoice_line_items"]
        if row["parent"]["subscription_item_details"]["proration"]
    ]
    assert any(row["amount"] < 0 for row in prorations)
    assert any(row["amount"] > 0 for row in prorations)
    declines = {
        row["outcome"]["reason"] for row in s["charges"] if row["status"] == "failed"
    }
    assert {"insufficient_funds", "highest_risk_level"} <= declines
    assert {row["status"] for row in s["invoices"]} >= {"paid", "open", "uncollectible"}
    refunds = {row["charge"]: row["amount"] for row in s["refunds"]}
    charges = {row["id"]: row["amount"] for row in s["charges"]}
    assert any(amount == charges[c] for c, amount in refunds.items())
    assert any(amount < charges[c] for c, amount in refunds.items())
    assert s["disputes"] and s["payouts"] and s["invoiceitems"]
    types = {row["type"] for row in s["events"]}
    assert {
        "customer.updated",
        "customer.deleted",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.paid",
        "charge.refunded",
        "invoice.payment_failed",
    } <= types
    assert all(NOW - 30 * 86400 <= row["created"] <= NOW for row in s["events"])
    assert {row["api_version"] for row in s["events"]} == {synth.STRIPE_API_VERSION}
    per_unit = [row for row in s["prices"] if row["unit_amount"] is not None]
    jpy = [row["unit_amount"] for row in per_unit if row["currency"] == "jpy"]
    usd = [row["unit_amount"] for row in per_unit if row["currency"] == "usd"]
    # jpy has no minor unit: $499.00 (49,900 cents) lists at about 75,000 yen,
    # not 7,500,000 "yen cents".
    assert 1.2 < max(jpy) / max(usd) < 1.8


def test_mrr_variety_prorations_tiers_taxes_coupons(snapshot):
    """What the MRR rules need exercised is there, in realistic proportions."""
    s = snapshot
    pending = [row for row in s["invoiceitems"] if row["invoice"] is None]
    assert pending and all(row["proration"] for row in pending)
    assert all(row["period"]["start"] < row["period"]["end"] for row in pending)
    behaviors = collections.Counter(
        seg["proration_behavior"]
        for t in s["_truth"]
        for seg in t["items"]
        if seg["proration_behavior"]
    )
    total = sum(behaviors.values())
    assert behaviors["create_prorations"] > total / 2
    assert behaviors["always_invoice"] > total / 20
    assert behaviors["none"] > total / 30
    reasons = {row["billing_reason"] for row in s["invoices"]}
    assert "subscription_update" in reasons
    tiered = [row for row in s["prices"] if row["billing_scheme"] == "tiered"]
    assert {row["tiers_mode"] for row in tiered} == {"graduated", "volume"}
    assert all(row["tiers"][-1]["up_to"] is None for row in tiered)
    assert {row["tax_behavior"] for row in s["prices"]} >= {"inclusive", "exclusive"}
    coupons = ids(s["coupons"])
    embedded = {
        d["source"]["coupon"]["id"]
        for row in s["subscriptions"]
        for d in row["discounts"]
    }
    assert embedded - coupons, "no discount embeds a deleted coupon"
    discounts = [d for t in s["_truth"] for d in t["discounts"]]
    forever = [d for d in discounts if d["coupon"]["duration"] == "forever"]
    assert any(d["end"] is not None for d in forever), "no forever coupon removed"
    assert any(d["start"] > t["created"] for t in s["_truth"] for d in t["discounts"])
    statuses = collections.Counter(
        "→".join(x["status"] for x in t["statuses"]) for t in s["_truth"]
    )
    paths = " ".join(statuses)
    for path in ("past_due→active", "past_due→unpaid", "incomplete→active",
                 "trialing→paused→active"):  # fmt: skip
        assert path in paths, path


def test_a_trial_is_trialing_in_the_truth_until_it_ends(snapshot):
    """A payment that fails during a free trial (an add-on's proration
    invoice) leaves the subscription trialing, as its object says: the
    truth may not turn it past_due or active before the trial's end."""
    trial_end = {row["id"]: row["trial_end"] for row in snapshot["subscriptions"]}
    early = [
        (t["subscription"], x["status"])
        for t in snapshot["_truth"]
        if trial_end.get(t["subscription"])
        for x in t["statuses"]
        if x["from"] < trial_end[t["subscription"]]
        and x["status"] in ("past_due", "active")
    ]
    assert not early, early[:5]
    trialing = [t for t in snapshot["_truth"] if trial_end.get(t["subscription"])]
    assert len(trialing) > 50


def test_manifest_names_version_and_capture_time(snapshot):
    manifest = orjson.loads((snapshot["_dir"] / "manifest.json").read_bytes())
    assert manifest["api_version"] == synth.STRIPE_API_VERSION == "2026-10-28.endive"
    assert manifest["captured_at"].startswith("2026-11-01T00:00:00")
    assert manifest["counts"]["charges"] == len(snapshot["charges"])


# -- determinism, gzip, CLI, throughput --------------------------------------


def digest(directory: Path) -> dict[str, str]:
    return {
        path.relative_to(directory).as_posix(): hashlib.sha256(
            path.read_bytes()
        ).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    make_snapshot(tmp_path / "a", 700, seed=3)
    make_snapshot(tmp_path / "b", 700, seed=3, workers=2)  # blocks in processes
    make_snapshot(tmp_path / "c", 700, seed=4)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert (
        digest(tmp_path / "a")["charges.jsonl"]
        != digest(tmp_path / "c")["charges.jsonl"]
    )


def test_gzip_output_holds_the_same_objects(tmp_path):
    make_snapshot(tmp_path / "plain", 200, seed=5)
    make_snapshot(tmp_path / "packed", 200, seed=5, compress=True)
    assert not list((tmp_path / "packed").glob("*.jsonl"))
    make_snapshot(tmp_path / "again", 200, seed=5, compress=True)
    assert digest(tmp_path / "packed") == digest(tmp_path / "again")
    for name in ("invoices", "events"):
        assert list(read_jsonl(tmp_path / "plain", name)) == list(
            read_jsonl(tmp_path / "packed", name)
        )


def test_cli_reads_make_variables_and_rejects_bad_input(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "SYNTH_CUSTOMERS": "50",
        "SYNTH_SEED": "9",
        "JSON_DIR": str(tmp_path / "snap"),
        "SYNTH_NOW": "2026-06-01T00:00:00Z",
    }
    done = subprocess.run(
        [sys.executable, "-m", "tools.fake_stripe.synth"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "objects/s" in done.stderr
    manifest = orjson.loads((tmp_path / "snap" / "manifest.json").read_bytes())
    assert manifest["seed"] == 9 and manifest["customers"] == 50
    assert manifest["captured_at"].startswith("2026-06-01")
    bad = subprocess.run(
        [sys.executable, "-m", "tools.fake_stripe.synth"],
        cwd=ROOT,
        env=env | {"SYNTH_NOW": "yesterday"},
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0 and "SYNTH_NOW" in bad.stderr


def test_throughput_is_measured(tmp_path):
    """Printed, not asserted tightly: the machine is shared. A process of its
    own, so the peak RSS is the generator's and not this test session's."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.fake_stripe.synth",
            "--customers",
            "5000",
            "--out",
            str(tmp_path / "t"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    summary = done.stderr.strip().splitlines()[-1]
    print(f"\n{summary}")
    rate = float(summary.split("(")[1].split(" objects/s")[0].replace(",", ""))
    peak = float(summary.split("peak RSS ")[1].split(" MiB")[0])
    assert rate > 5_000, summary  # a sanity floor only
    assert peak < 400, summary


def test_events_show_objects_as_they_were_then(snapshot):
    invoices = {row["id"]: row for row in snapshot["invoices"]}
    charges = {row["id"]: row for row in snapshot["charges"]}
    seen = collections.Counter()
    for event in snapshot["events"]:
        kind, shown = event["type"], event["data"]["object"]
        if kind == "invoice.created":
            assert shown["status"] == "draft" and shown["number"] is None
            seen[kind] += 1
        elif kind in ("invoice.finalized", "invoice.payment_failed"):
            assert shown["status"] == "open" and shown["amount_paid"] == 0
            seen[kind] += 1
        elif kind == "invoice.paid":
            assert shown == invoices[shown["id"]] and shown["status"] == "paid"
            seen[kind] += 1
        elif kind == "charge.succeeded" and charges[shown["id"]]["amount_refunded"]:
            assert shown["amount_refunded"] == 0 and not shown["refunded"]
            seen[kind] += 1
        elif kind == "customer.subscription.created":
            assert shown["status"] in ("trialing", "active", "incomplete")
            assert not shown["ended_at"]
            seen[kind] += 1
    assert set(seen) == {
        "invoice.created", "invoice.finalized", "invoice.payment_failed",
        "invoice.paid", "charge.succeeded", "customer.subscription.created",
    }  # fmt: skip


def test_a_removed_discount_stays_unobservable_over_invoices_with_nothing_to_discount():
    """Removed on day 5 with no event left: the cycle invoice of day 10 is a
    credit (nothing a discount could reduce) and says nothing, so the span
    runs to the next cycle, day 20, whose positive invoice without the
    discount shows it gone; a span ending at a positive invoice stays."""
    import types

    from tools.fake_stripe.synth.subscription_truth import SubscriptionTruth

    def cycle(created, subtotal):
        return {
            "created": created,
            "subtotal": subtotal,
            "reason": "subscription_cycle",
        }

    invoices = [cycle(0, 900), cycle(10, -1622), cycle(20, 2700), cycle(30, 2700)]
    invoices.append({"created": 12, "subtotal": 500, "reason": "subscription_update"})
    sub = types.SimpleNamespace(invoices=invoices, ended_at=None, now=40)
    truth = SubscriptionTruth(sub)
    cause = "forever discount removed, older than the events"
    truth.hidden(5, 10, cause)
    truth.hidden(25, 30, cause)
    truth.hidden(5, 10, "change without proration, older than the events")
    sub.id, sub.owner, sub.start = "sub_1", types.SimpleNamespace(id="cus_1"), 0
    sub.owner.currency = "eur"
    truth.record()
    spans = [(span["from"], span["until"]) for span in truth.unobservable]
    assert spans == [(5, 20), (25, 30), (5, 10)]
