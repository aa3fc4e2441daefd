"""A subscription's changes: upgrades, downgrades, seats, cancellation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.fake_stripe.synth.parts import SubscriptionPart
from tools.fake_stripe.synth.timeline import DAY, format_day

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


class SubscriptionChanges(SubscriptionPart):
    """Prorated plan and seat changes, and churn at period boundaries."""

    def maybe_change(self, start: int, end: int) -> None:
        """Upgrades, downgrades and seat changes, prorated to the period end."""
        rng = self.rng
        price = self.sub.base["price"]
        if price.metered or rng.random() > 0.06 or end - start < 10 * DAY:
            return
        when = start + int((end - start) * rng.uniform(0.1, 0.9))
        if when > self.now:
            return
        catalog, currency = self.gen.catalog, self.owner.currency
        old_qty = self.sub.base["quantity"]
        if price.product_name == "Team":
            new_price, new_qty = price, max(1, old_qty + rng.choice((-3, -1, 1, 2, 5)))
            if new_qty == old_qty:
                return
        else:
            names = ("Starter", "Pro", "Business", "Enterprise")
            if price.product_name not in names:
                return
            rank = names.index(price.product_name)
            target = rank + (1 if rng.random() < 0.7 or rank == 0 else -1)
            if target >= len(names):
                return
            new_price = catalog.tiers[(names[target], currency, price.interval)]
            new_qty = 1
        remaining = (end - when) / (end - start)
        day = format_day(when)
        self.sub.pending_items.append(
            self.proration(
                when,
                end,
                price,
                old_qty,
                -round(price.unit_amount * old_qty * remaining),
                f"Unused time on {old_qty} × {price.product_name} after {day}",
            )
        )
        self.sub.pending_items.append(
            self.proration(
                when,
                end,
                new_price,
                new_qty,
                round(new_price.unit_amount * new_qty * remaining),
                f"Remaining time on {new_qty} × {new_price.product_name} after {day}",
            )
        )
        self.sub.base["price"], self.sub.base["quantity"] = new_price, new_qty
        self.sub.truth.item_on(self.sub.base, when, "create_prorations")
        previous = (
            {"items": {"quantity": old_qty}}
            if new_price is price
            else {"items": {"price": price.id}}
        )
        self.sub.updated(when, previous)

    def proration(self, when, end, price, quantity, amount, description) -> dict:
        item_id = self.sub.base["id"]
        billed = self.sub.billing.billed(
            price, quantity, amount, description, when, end, item_id
        )
        return {"id": self.ids.new("ii"), "created": when, "billed": billed}

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
