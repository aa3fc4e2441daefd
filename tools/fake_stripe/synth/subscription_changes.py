"""A subscription's changes: upgrades, downgrades, seats, cancellation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.fake_stripe.synth.parts import SubscriptionPart
from tools.fake_stripe.synth.timeline import DAY, EVENT_WINDOW, format_day

if TYPE_CHECKING:
    pass

CANCEL_FEEDBACK = (
    "too_expensive",
    "missing_features",
    "switched_service",
    "unused",
    "customer_service",
    "too_complex",
    "low_quality",
    "other",
)


# How a change is prorated: Stripe's default most often.
BEHAVIORS = ("create_prorations", "always_invoice", "none")
BEHAVIOR_WEIGHTS = (70, 18, 12)
TIER_NAMES = ("Starter", "Pro", "Business", "Enterprise")


class SubscriptionChanges(SubscriptionPart):
    """Plan, seat and add-on changes with their prorations, forever coupons
    added and removed, and churn at period boundaries."""

    def maybe_change(self, start: int, end: int) -> None:
        if end - start < 10 * DAY:
            return
        self.plan_change(start, end)
        self.addon_change(start, end)
        self.coupon_change(start, end)

    def moment(self, start: int, end: int) -> int | None:
        when = start + int((end - start) * self.rng.uniform(0.1, 0.9))
        return when if when <= self.now else None

    def behavior(self) -> str:
        return self.rng.choices(BEHAVIORS, weights=BEHAVIOR_WEIGHTS)[0]

    def plan_change(self, start: int, end: int) -> None:
        """Upgrades, downgrades and seat changes."""
        rng = self.rng
        base = self.sub.base
        price = base["price"]
        if price.metered or rng.random() > 0.06:
            return
        when = self.moment(start, end)
        if when is None:
            return
        catalog, currency = self.gen.catalog, self.owner.currency
        old_qty = base["quantity"]
        if price.product_name == "Team":
            new_price, new_qty = price, max(1, old_qty + rng.choice((-3, -1, 1, 2, 5)))
            if new_qty == old_qty:
                return
        else:
            if price.product_name not in TIER_NAMES:
                return
            rank = TIER_NAMES.index(price.product_name)
            target = rank + (1 if rng.random() < 0.7 or rank == 0 else -1)
            if target >= len(TIER_NAMES):
                return
            new_price = catalog.tiers[(TIER_NAMES[target], currency, price.interval)]
            new_qty = 1
        behavior = self.behavior()
        old = dict(base)
        base["price"], base["quantity"] = new_price, new_qty
        self.sub.truth.item_on(base, when, behavior)
        self.prorate(behavior, when, start, end, [old], [base])
        previous = (
            {"items": {"quantity": old_qty}}
            if new_price is price
            else {"items": {"price": price.id}}
        )
        self.sub.updated(when, previous)
        if behavior == "none" and when < self.now - EVENT_WINDOW:
            self.sub.truth.hidden(
                when, end, "change without proration, older than the events"
            )

    def addon_change(self, start: int, end: int) -> None:
        """An add-on added, or one removed, in the middle of a period."""
        rng = self.rng
        price = self.sub.base["price"]
        if price.product_name not in TIER_NAMES or rng.random() > 0.035:
            return
        when = self.moment(start, end)
        if when is None:
            return
        behavior = self.behavior()
        extras = [
            item
            for item in self.sub.items[1:]
            if not item["price"].metered and item["price"].product_name != "Team"
        ]
        count = len(self.sub.items)
        if extras and rng.random() < 0.45:
            item = rng.choice(extras)
            self.sub.items.remove(item)
            self.sub.truth.item_off(item["id"], when)
            self.sub.removed.append(item["id"])
            self.prorate(behavior, when, start, end, [item], [])
            if behavior == "none" and when < self.now - EVENT_WINDOW:
                self.sub.truth.hidden(
                    when, end, "item removed without proration, older than the events"
                )
            added_until = self.sub.unprorated_adds.get(item["id"])
            if added_until and item["created"] < self.now - EVENT_WINDOW:
                # Its `created` dated it until its first line; gone from the
                # subscription, nothing does.
                self.sub.truth.hidden(
                    item["created"],
                    added_until,
                    "item added without proration and removed since,"
                    " older than the events",
                )
        else:
            held = {item["price"].product for item in self.sub.items}
            addons = self.gen.catalog.addons[(self.owner.currency, price.interval)]
            choices = [addon for addon in addons if addon.product not in held]
            if not choices:
                return
            item = self.sub.add_item(rng.choice(choices), 1, when, behavior)
            self.prorate(behavior, when, start, end, [], [item])
            if behavior == "none":
                self.sub.unprorated_adds[item["id"]] = end
        self.sub.updated(when, {"items": {"total_count": count}})

    def coupon_change(self, start: int, end: int) -> None:
        """A forever coupon granted mid-life, or a forever one taken away."""
        rng, sub = self.rng, self.sub
        coupon = sub.coupon
        if coupon is None and rng.random() < 0.015:
            when = self.moment(start, end)
            options = [
                c
                for c in self.gen.catalog.coupons
                if c.duration == "forever" and c.currency in (None, self.owner.currency)
            ]
            if when is None or not options:
                return
            sub.grant_coupon(rng.choice(options), when)
            sub.updated(when, {"discounts": []})
        elif coupon is not None and coupon.duration == "forever":
            if rng.random() > 0.04:
                return
            when = self.moment(start, end)
            if when is None:
                return
            did = sub.discount_id
            sub.truth.discount_ends(did, when)
            sub.coupon, sub.discount_id = None, None
            sub.updated(when, {"discounts": [did]})
            if when < self.now - EVENT_WINDOW:
                # No event left: the invoices say only that the discount
                # applied through the period it was removed in, and a next
                # invoice with nothing to discount does not say it is gone
                # (the truth stretches the span over such invoices).
                sub.truth.hidden(
                    when, end, "forever discount removed, older than the events"
                )

    def prorate(
        self,
        behavior: str,
        when: int,
        start: int,
        end: int,
        credited: list[dict],
        charged: list[dict],
    ) -> None:
        """The "unused time" credits and "remaining time" charges of a change:
        pending invoice items (create_prorations), lines of an invoice at
        once (always_invoice), or nothing (none)."""
        if behavior == "none":
            return
        remaining = (end - when) / (end - start)
        day = format_day(when)
        sides = [(item, -1, "Unused") for item in credited]
        sides += [(item, 1, "Remaining") for item in charged]
        for item, sign, label in sides:
            price, qty = item["price"], item["quantity"]
            amount = sign * round(price.amount(qty) * remaining)
            text = f"{label} time on {qty} × {price.product_name} after {day}"
            self.sub.pending_items.append(
                self.proration(item["id"], when, end, price, qty, amount, text)
            )
        if behavior == "always_invoice":
            self.sub.billing.bill(
                when, (when, end), "subscription_update", only_pending=True
            )

    def proration(
        self, item_id, when, end, price, quantity, amount, description
    ) -> dict:
        billed = self.sub.billing.billed(
            price, quantity, amount, description, when, end, item_id
        )
        return {
            "id": self.ids.new("ii"),
            "created": when,
            "billed": billed,
            "tax": price.tax_behavior,
        }

    def cancel_now_or_later(self, start: int, end: int) -> bool:
        """Churn at a period boundary; True when the subscription has ended."""
        rng = self.rng
        deleted_at = self.owner.deleted_at
        if deleted_at is not None and deleted_at < end:  # deleting cancels now
            self.sub.cancel(deleted_at, deleted_at, "cancellation_requested", None)
            return True
        months = max(1, (end - start) // (28 * DAY))
        if rng.random() > 0.028 * months:
            return False
        requested = start + int((end - start) * rng.uniform(0.05, 0.95))
        if requested > self.now:
            return False
        feedback = rng.choice(CANCEL_FEEDBACK)
        if rng.random() < 0.35:  # immediately
            self.sub.cancel(requested, requested, "cancellation_requested", feedback)
            return True
        self.sub.cancel_at_period_end = True
        self.sub.cancel_at = end
        self.sub.canceled_at = requested
        self.sub.updated(requested, {"cancel_at_period_end": False})
        if rng.random() < 0.2:  # the customer changes their mind: reactivated
            undo = requested + int((end - requested) * rng.random())
            if undo <= self.now:
                self.sub.cancel_at_period_end = False
                self.sub.cancel_at = None
                self.sub.canceled_at = None
                self.sub.updated(undo, {"cancel_at_period_end": True})
                return False
        if end <= self.now:
            self.sub.cancel(requested, end, "cancellation_requested", feedback)
            return True
        self.sub.cancel_reason, self.sub.feedback = "cancellation_requested", feedback
        return True
