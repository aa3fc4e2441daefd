"""A subscription's ground truth: its timeline, as the generator decided it.

Written beside the snapshot, one JSON line per subscription, to
`<out>/_truth/subscriptions.jsonl` (not a resource file: the loader never
reads it). Every instant is the one the simulation chose, not one re-derived
from the Stripe objects; intervals are half-open, [from, until), with
`until` null while still open at the snapshot's "now".

    {"subscription": "sub_…", "customer": "cus_…", "currency": "usd",
     "created": 1700000000, "now": 1793491200,
     "statuses": [{"status": "active", "from": …, "until": …|null}, …],
     "items": [{"item": "si_…", "price": "price_…", "product": "prod_…",
                "currency": "usd", "billing_scheme": "per_unit"|"tiered",
                "unit_amount": 2900|null, "tiers_mode": null|"graduated"|"volume",
                "tiers": null|[{"up_to": 5|null, "unit_amount": …,
                                "flat_amount": …}, …],
                "interval": "month", "interval_count": 1, "quantity": 3|null,
                "usage_type": "licensed"|"metered",
                "tax_behavior": "exclusive"|"inclusive"|"unspecified",
                "tax_rate": 20.0|null, "tax_inclusive": true|false,
                "proration_behavior": null|"create_prorations"|…,
                "from": …, "until": …|null}, …],
     "discounts": [{"id": "di_…", "coupon": {"id": …, "duration": …,
                    "duration_in_months": …, "percent_off": …,
                    "amount_off": …, "currency": …, "deleted": false},
                    "start": …, "end": …|null}, …],
     "unobservable": [{"from": …, "until": …, "cause": "…"}, …]}

An item segment is one (price, quantity) of one subscription item: a change
of price or quantity closes the segment and opens the next at the same
instant; a removed item's last segment ends when it was removed. A
discount's `end` is when it stopped applying (its coupon's end, or its
removal). `unobservable` names spans in which Stripe's objects cannot tell
the truth (see docs/testing.md): a month whose end falls in one is reported
apart by the reference test, by cause.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tools.fake_stripe.synth.catalog import SynthCoupon, SynthPrice
    from tools.fake_stripe.synth.subscription_life import SubscriptionLife


class SubscriptionTruth:
    """Collects a subscription's statuses, item segments and discounts."""

    def __init__(self, sub: SubscriptionLife) -> None:
        self.sub = sub
        self.statuses: list[dict] = []
        self.segments: list[dict] = []
        self.open: dict[str, dict] = {}  # item id -> its open segment
        self.discounts: list[dict] = []
        self.unobservable: list[dict] = []

    # -- status ------------------------------------------------------------

    def status(self, status: str, at: int) -> None:
        """The subscription is in `status` from `at` on."""
        statuses = self.statuses
        while statuses and statuses[-1]["from"] >= at:  # decided again
            statuses.pop()
        if statuses:
            if statuses[-1]["status"] == status:
                statuses[-1]["until"] = None
                return
            statuses[-1]["until"] = at
        statuses.append({"status": status, "from": at, "until": None})

    def current_status(self) -> str | None:
        return self.statuses[-1]["status"] if self.statuses else None

    # -- items -------------------------------------------------------------

    def item_on(self, item: dict, at: int, behavior: str | None = None) -> None:
        """The item's current price and quantity count from `at`."""
        self.item_off(item["id"], at)
        price: SynthPrice = item["price"]
        segment = {
            "item": item["id"],
            "price": price.id,
            "product": price.product,
            "currency": price.currency,
            "billing_scheme": price.billing_scheme,
            "unit_amount": price.unit_amount,
            "tiers_mode": price.tiers_mode,
            "tiers": price.tiers,
            "interval": price.interval,
            "interval_count": price.interval_count,
            "quantity": item["quantity"],
            "usage_type": "metered" if price.metered else "licensed",
            "tax_behavior": price.tax_behavior,
            "tax_rate": self.sub.tax_rate,
            "tax_inclusive": price.tax_behavior == "inclusive",
            "proration_behavior": behavior,
            "from": at,
            "until": None,
        }
        self.segments.append(segment)
        self.open[item["id"]] = segment

    def item_off(self, item_id: str, at: int) -> None:
        segment = self.open.pop(item_id, None)
        if segment is None:
            return
        if segment["from"] >= at:  # replaced at the instant it began
            self.segments.remove(segment)
        else:
            segment["until"] = at

    # -- discounts ---------------------------------------------------------

    def discount(
        self, did: str, coupon: SynthCoupon, start: int, end: int | None
    ) -> dict:
        entry = {
            "id": did,
            "coupon": {
                "id": coupon.id,
                "duration": coupon.duration,
                "duration_in_months": coupon.months,
                "percent_off": coupon.percent_off,
                "amount_off": coupon.amount_off,
                "currency": coupon.currency,
                "deleted": coupon.deleted,
            },
            "start": start,
            "end": end,
        }
        self.discounts.append(entry)
        return entry

    def discount_ends(self, did: str, at: int) -> None:
        for entry in self.discounts:
            if entry["id"] == did and (entry["end"] is None or entry["end"] > at):
                entry["end"] = at

    # -- what Stripe cannot tell -------------------------------------------

    def hidden(self, start: int, until: int, cause: str) -> None:
        if until > start:
            self.unobservable.append({"from": start, "until": until, "cause": cause})

    def through_invoices_with_nothing_to_discount(self, until: int) -> int:
        """A removed discount's hidden span, carried on over the cycle
        invoices from `until` whose subtotal is zero or a credit: no discount
        applies to those, so they cannot show it gone either."""
        cycles = sorted(
            (invoice["created"], invoice["subtotal"])
            for invoice in self.sub.invoices
            if invoice["reason"] == "subscription_cycle"
        )
        for index, (created, subtotal) in enumerate(cycles):
            if created < until:
                continue
            if created > until or subtotal > 0:
                break
            later = cycles[index + 1][0] if index + 1 < len(cycles) else None
            until = later or self.sub.ended_at or self.sub.now
        return until

    def record(self) -> dict:
        sub = self.sub
        for span in self.unobservable:
            if span["cause"].startswith("forever discount removed"):
                span["until"] = self.through_invoices_with_nothing_to_discount(
                    span["until"]
                )
        return {
            "subscription": sub.id,
            "customer": sub.owner.id,
            "currency": sub.owner.currency,
            "created": sub.start,
            "now": sub.now,
            "statuses": self.statuses,
            "items": self.segments,
            "discounts": self.discounts,
            "unobservable": self.unobservable,
        }
