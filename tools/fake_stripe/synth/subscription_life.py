"""A subscription from creation to cancellation (or now)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.fake_stripe.synth.catalog import SynthCoupon, SynthPrice
from tools.fake_stripe.synth.subscription_billing import SubscriptionBilling
from tools.fake_stripe.synth.subscription_changes import SubscriptionChanges
from tools.fake_stripe.synth.subscription_truth import SubscriptionTruth
from tools.fake_stripe.synth.subscription_writer import SubscriptionWriter
from tools.fake_stripe.synth.timeline import DAY, add_months, next_period

if TYPE_CHECKING:
    from tools.fake_stripe.synth.customer_life import CustomerLife


class SubscriptionLife:
    """A subscription from creation to cancellation (or now)."""

    def __init__(self, owner: CustomerLife, start: int, reactivation: bool) -> None:
        self.owner = owner
        self.gen, self.rng, self.ids = owner.gen, owner.rng, owner.ids
        self.now = owner.now
        rng, catalog, currency = self.rng, self.gen.catalog, owner.currency
        self.id = self.ids.new("sub")
        self.start = start
        self.reactivation = reactivation
        self.truth = SubscriptionTruth(self)
        # VAT on every line, inside the (inclusive) eur and gbp plan prices.
        vat = owner.currency in ("eur", "gbp") and rng.random() < 0.6
        self.tax_rate: float | None = 20.0 if vat else None
        roll = rng.random()
        self.items: list[dict] = []  # id, price, quantity, created
        if roll < 0.04:
            self.add_item(catalog.digest[currency], 1)
        elif roll < 0.08:
            self.add_item(catalog.support[currency], 1)
        else:
            interval = "year" if rng.random() < 0.22 else "month"
            self.tier_interval = interval
            if rng.random() < 0.18:
                mode = rng.choice((None, None, "graduated", "volume"))
                seats = (
                    catalog.seats[(currency, interval)]
                    if mode is None
                    else catalog.tiered_seats[(currency, interval, mode)]
                )
                self.add_item(seats, rng.randint(2, 25))
            else:
                tier = rng.choices(
                    ("Starter", "Pro", "Business", "Enterprise"),
                    weights=(30, 40, 22, 8),
                )[0]
                price = catalog.tiers[(tier, currency, interval)]
                if (
                    tier == "Pro"
                    and interval == "month"
                    and start < self.gen.legacy_cut
                ):
                    price = catalog.legacy[currency]
                self.add_item(price, 1)
                if tier == "Enterprise" and rng.random() < 0.5:
                    addons = catalog.addons[(currency, interval)]
                    for addon in rng.sample(addons, rng.randint(6, len(addons))):
                        self.add_item(addon, 1)
                if interval == "month" and rng.random() < 0.12:
                    self.add_item(catalog.metered[currency], None)
        self.trial_end = None
        if not reactivation and rng.random() < 0.3:
            self.trial_end = start + 14 * DAY
        self.coupon: SynthCoupon | None = None
        if rng.random() < 0.15:
            options = [c for c in catalog.coupons if c.currency in (None, currency)]
            self.coupon = rng.choice(options)
            self.gen.redeemed[self.coupon.id] += 1
        self.discount_id = self.ids.new("di") if self.coupon else None
        self.coupon_start = start
        if self.coupon is not None:
            self.truth.discount(
                self.discount_id, self.coupon, start, self.coupon_end(start)
            )
        self.removed: list[str] = []  # items removed from the subscription
        # item id -> the end of the period it was added in without proration
        self.unprorated_adds: dict[str, int] = {}
        self.invoices: list[dict] = []
        self.pending_items: list[dict] = []  # proration invoice items not yet billed
        self.status = "active"
        self.cancel_at = None
        self.cancel_at_period_end = False
        self.canceled_at = None
        self.ended_at = None
        self.cancel_reason = None
        self.feedback = None
        self.period = (start, start)
        self.events: list[tuple[str, int, dict | None]] = [
            ("customer.subscription.created", start, None)
        ]
        self.changes = SubscriptionChanges(self)
        self.billing = SubscriptionBilling(self)
        self.writer = SubscriptionWriter(self)

    def add_item(
        self,
        price: SynthPrice,
        quantity: int | None,
        at: int | None = None,
        behavior: str | None = None,
    ) -> dict:
        item = {
            "id": self.ids.new("si"),
            "price": price,
            "quantity": quantity,
            "created": self.start if at is None else at,
        }
        self.items.append(item)
        self.truth.item_on(item, item["created"], behavior)
        return item

    def set_status(self, status: str, at: int) -> None:
        """The status from `at` on, in the ground truth and the object."""
        self.status = status
        self.truth.status(status, at)

    def in_trial(self, at: int) -> bool:
        """Whether `at` falls in the free trial. A subscription's status
        follows its trial until the trial ends: an invoice whose payment
        fails meanwhile leaves it trialing, not past_due."""
        return self.trial_end is not None and at < self.trial_end

    def grant_coupon(self, coupon: SynthCoupon, when: int) -> None:
        """A coupon applied to the subscription from `when` on."""
        self.coupon, self.coupon_start = coupon, when
        self.discount_id = self.ids.new("di")
        self.gen.redeemed[coupon.id] += 1
        self.truth.discount(self.discount_id, coupon, when, self.coupon_end(when))

    def coupon_end(self, start: int) -> int | None:
        """When a coupon redeemed at `start` stops applying (None: never);
        a once coupon applies to the invoice at `start` only."""
        coupon = self.coupon
        if coupon is None or coupon.duration == "forever":
            return None
        if coupon.duration == "once":
            return start
        return add_months(start, coupon.months or 0)

    @property
    def base(self) -> dict:
        return self.items[0]

    def step(self, start: int) -> int:
        price = self.base["price"]
        return next_period(start, price.interval, price.interval_count)

    # -- simulation -------------------------------------------------------

    def simulate(self) -> None:
        self.truth.status("trialing" if self.trial_end else "active", self.start)
        if self.trial_end is not None:
            period = (self.start, self.trial_end)
            self.billing.bill(self.start, period, "subscription_create", trial=True)
        else:
            period = (self.start, self.step(self.start))
            if not self.billing.bill(self.start, period, "subscription_create"):
                return
        while True:
            self.period = period
            if self.status in ("unpaid", "canceled", "incomplete_expired"):
                return
            start, end = period
            self.changes.maybe_change(start, end)
            if self.status in ("unpaid", "canceled"):  # a proration invoice failed
                return
            if self.changes.cancel_now_or_later(start, end):
                return
            if end > self.now:
                return
            if (
                self.trial_end is not None
                and start == self.start
                and end == self.trial_end
            ):
                self.updated(end, {"status": "trialing"})
                if self.rng.random() < 0.06:
                    # No payment method when the trial ended: paused until
                    # the customer adds one; the billing cycle restarts then.
                    self.set_status("paused", end)
                    resumed = end + self.rng.randint(2, 45) * DAY
                    if resumed > self.now:
                        return
                    self.updated(resumed, {"status": "paused"})
                    end = resumed
                self.set_status("active", end)
            period = (end, self.step(end))
            self.billing.bill(
                end, period, "subscription_cycle", usage_period=(start, end)
            )

    def updated(self, when: int, previous: dict) -> None:
        """A customer.subscription.updated event, with what changed."""
        self.events.append(("customer.subscription.updated", when, previous))

    def cancel(self, requested: int, ended: int, reason: str, feedback: str | None):
        self.set_status("canceled", ended)
        self.canceled_at = requested
        self.ended_at = ended
        self.cancel_reason = reason
        self.feedback = feedback
        if self.cancel_at_period_end:
            self.cancel_at = ended
        self.events.append(("customer.subscription.deleted", ended, None))

    def comeback(self) -> int | None:
        """A churned customer may start again later: a new subscription."""
        if self.status != "canceled" or self.ended_at is None:
            return None
        if self.cancel_reason == "payment_failed" or self.rng.random() > 0.25:
            return None
        if self.owner.deleted_at is not None:
            return None
        again = self.ended_at + self.rng.randint(10, 200) * DAY
        return again if again < self.now else None
