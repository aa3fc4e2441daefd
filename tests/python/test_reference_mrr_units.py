"""The reference MRR calculator (tests/reference/mrr.py) on hand-made timelines."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.reference import mrr


def ts(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp())


NOW = ts("2026-11-01T00:00:00")


def segment(**kw) -> dict:
    base = {
        "item": "si_1",
        "price": "price_1",
        "product": "prod_1",
        "currency": "usd",
        "billing_scheme": "per_unit",
        "unit_amount": 1000,
        "tiers_mode": None,
        "tiers": None,
        "interval": "month",
        "interval_count": 1,
        "quantity": 1,
        "usage_type": "licensed",
        "tax_behavior": "exclusive",
        "tax_rate": None,
        "tax_inclusive": False,
        "proration_behavior": None,
        "from": ts("2026-01-10T00:00:00"),
        "until": None,
    }
    return base | kw


def timeline(items, statuses=None, discounts=(), currency="usd") -> dict:
    return {
        "subscription": "sub_1",
        "customer": "cus_1",
        "currency": currency,
        "created": ts("2026-01-10T00:00:00"),
        "now": NOW,
        "statuses": statuses
        or [{"status": "active", "from": ts("2026-01-10T00:00:00"), "until": None}],
        "items": list(items),
        "discounts": list(discounts),
        "unobservable": [],
    }


def by_month(line: dict) -> dict[str, float]:
    return {f"{f.month:%Y-%m}": f.mrr for f in mrr.subscription_months(line)}


TIERS = [
    {"up_to": 5, "unit_amount": 1000, "flat_amount": 0},
    {"up_to": 10, "unit_amount": 800, "flat_amount": 500},
    {"up_to": None, "unit_amount": 500, "flat_amount": 0},
]


def test_graduated_tiers_charge_each_band_and_the_flat_of_each_reached():
    line = timeline(
        [
            segment(
                billing_scheme="tiered",
                tiers_mode="graduated",
                tiers=TIERS,
                unit_amount=None,
                quantity=12,
            )
        ]  # fmt: skip
    )
    # 5 × 10.00 + (5 × 8.00 + 5.00) + 2 × 5.00 = 105.00
    assert by_month(line)["2026-06"] == pytest.approx(105.00)


def test_volume_tiers_charge_every_unit_at_the_tier_holding_the_quantity():
    line = timeline(
        [
            segment(
                billing_scheme="tiered",
                tiers_mode="volume",
                tiers=TIERS,
                unit_amount=None,
                quantity=7,
                interval="year",
            )
        ]  # fmt: skip
    )
    # 7 × 8.00 + 5.00 = 61.00 a year
    assert by_month(line)["2026-06"] == pytest.approx(61.00 / 12)


def test_a_forever_discount_removed_mid_life_stops_at_its_end_only():
    removed = ts("2026-05-15T12:00:00")
    coupon = {"id": "PARTNER10", "duration": "forever", "duration_in_months": None,
              "percent_off": 10.0, "amount_off": None, "currency": None,
              "deleted": True}  # fmt: skip
    once = coupon | {"id": "LAUNCH50", "duration": "once", "percent_off": 50.0}
    line = timeline(
        [segment(quantity=3)],
        discounts=[
            {
                "id": "di_1",
                "coupon": coupon,
                "start": ts("2026-03-03T00:00:00"),
                "end": removed,
            },
            {
                "id": "di_2",
                "coupon": once,
                "start": ts("2026-01-10T00:00:00"),
                "end": None,
            },
        ],  # fmt: skip
    )
    months = by_month(line)
    assert months["2026-02"] == pytest.approx(30.00)  # before it; once never counts
    assert months["2026-03"] == pytest.approx(27.00)
    assert months["2026-04"] == pytest.approx(27.00)
    assert months["2026-05"] == pytest.approx(30.00)  # removed on the 15th


def test_a_forever_amount_off_is_normalized_by_the_billing_interval():
    coupon = {"id": "EURO10", "duration": "forever", "duration_in_months": None,
              "percent_off": None, "amount_off": 1200, "currency": "eur",
              "deleted": False}  # fmt: skip
    line = timeline(
        [segment(unit_amount=24000, interval="year", currency="eur")],
        discounts=[{"id": "di_1", "coupon": coupon, "start": 0, "end": None}],
        currency="eur",
    )
    assert by_month(line)["2026-06"] == pytest.approx((24000 - 1200) / 12 / 100)


def test_past_due_counts_and_unpaid_does_not():
    statuses = [
        {"status": "active", "from": ts("2026-01-10T00:00:00"),
         "until": ts("2026-03-20T00:00:00")},
        {"status": "past_due", "from": ts("2026-03-20T00:00:00"),
         "until": ts("2026-05-02T00:00:00")},
        {"status": "unpaid", "from": ts("2026-05-02T00:00:00"),
         "until": ts("2026-07-01T00:00:00")},
        {"status": "canceled", "from": ts("2026-07-01T00:00:00"), "until": None},
    ]  # fmt: skip
    months = by_month(timeline([segment()], statuses))
    assert months["2026-03"] == months["2026-04"] == pytest.approx(10.00)
    assert months["2026-05"] == months["2026-06"] == months["2026-07"] == 0
    # the month-end instant itself: unpaid from 1 July 00:00 would not
    # change June, whose last instant is 30 June 23:59:59
    assert list(months)[0] == "2026-01" and list(months)[-1] == "2026-10"


def test_a_create_prorations_upgrade_counts_the_new_price_from_its_moment():
    change = ts("2026-04-20T08:30:00")
    line = timeline(
        [
            segment(unit_amount=2900, until=change),
            segment(
                unit_amount=9900,
                price="price_2",
                **{"from": change},
                proration_behavior="create_prorations",
            ),  # fmt: skip
        ]
    )
    months = by_month(line)
    assert months["2026-03"] == pytest.approx(29.00)
    assert months["2026-04"] == pytest.approx(99.00)  # never both, never prorated


def test_metered_items_and_inclusive_tax_and_jpy():
    line = timeline(
        [
            segment(
                unit_amount=12000,
                tax_behavior="inclusive",
                tax_rate=20.0,
                tax_inclusive=True,
            ),
            segment(item="si_2", usage_type="metered", quantity=None, unit_amount=2),
        ],  # fmt: skip
        currency="jpy",
    )
    # 12,000 yen including 20 % tax: 2,000 yen of tax, no minor unit
    assert by_month(line)["2026-06"] == pytest.approx(10000)


def test_the_month_still_running_is_measured_at_as_of():
    line = timeline([segment(until=ts("2026-10-20T00:00:00"))])
    months = mrr.subscription_months(line, as_of=ts("2026-10-15T00:00:00"))
    assert f"{months[-1].month:%Y-%m}" == "2026-10" and months[-1].mrr == 10.00
    assert by_month(line)["2026-10"] == 0


def test_the_generators_truth_is_whole_and_agrees_with_the_current_objects(tmp_path):
    """On a small company: statuses chain without gaps, an item's segments
    never overlap, and the segments open at "now" are exactly the
    subscription's current items (price and quantity)."""
    import orjson

    from tools.fake_stripe import synth

    now = synth.parse_now(synth.DEFAULT_NOW)
    synth.generate(synth.SynthSettings(150, 5, now, tmp_path, False, 1))
    truth = list(mrr.read_truth(tmp_path))
    current = {}
    for line in (tmp_path / "subscription_items.jsonl").read_bytes().splitlines():
        item = orjson.loads(line)
        current[item["id"]] = (item["price"]["id"], item.get("quantity"))
    assert len(truth) > 100
    for line in truth:
        statuses = line["statuses"]
        assert statuses[0]["from"] == line["created"]
        for before, after in zip(statuses, statuses[1:], strict=False):
            assert (
                before["until"] == after["from"] and before["status"] != after["status"]
            )
        assert statuses[-1]["until"] is None
        by_item: dict[str, list] = {}
        for seg in line["items"]:
            by_item.setdefault(seg["item"], []).append(seg)
        for segments in by_item.values():
            for before, after in zip(segments, segments[1:], strict=False):
                assert before["until"] is not None and before["until"] <= after["from"]
        open_now = {
            seg["item"]: (seg["price"], seg["quantity"])
            for seg in line["items"]
            if seg["until"] is None
        }
        for item, state in open_now.items():
            assert current[item] == state, (line["subscription"], item)
