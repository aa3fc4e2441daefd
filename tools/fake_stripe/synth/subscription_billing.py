"""A subscription's billing: one invoice per period, discounts, dunning."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.fake_stripe import objects as obj
from tools.fake_stripe.synth.parts import SubscriptionPart
from tools.fake_stripe.synth.payments import RETRY_DAYS
from tools.fake_stripe.synth.timeline import DAY, EVENT_WINDOW, add_months

if TYPE_CHECKING:
    from tools.fake_stripe.synth.catalog import SynthPrice
    from tools.fake_stripe.synth.subscription_life import SubscriptionLife


VAT_RATE = "txr_1SynthVat20Inclusive0"


def half_up(value: float) -> int:
    """Rounds half away from zero, as Stripe rounds tax amounts."""
    return int(value + 0.5) if value >= 0 else -int(-value + 0.5)


class SubscriptionBilling(SubscriptionPart):
    """Bills each period and applies the coupon; dunning follows failures."""

    def __init__(self, sub: SubscriptionLife) -> None:
        super().__init__(sub)
        self.dunning = SubscriptionDunning(sub)

    def billed(
        self,
        price: SynthPrice,
        quantity: int,
        amount: int,
        text: str,
        start: int,
        end: int,
        item_id: str,
    ) -> obj.Billed:
        return obj.Billed(
            amount,
            self.owner.currency,
            text,
            start,
            end,
            price.id,
            price.product,
            price.unit_amount
            if price.unit_amount is not None
            else round(amount / quantity)
            if quantity
            else 0,
            quantity,
            self.sub.id,
            item_id,
        )

    def discount_applies(self, at: int) -> bool:
        coupon = self.sub.coupon
        if coupon is None:
            return False
        if coupon.duration == "forever":
            return True
        if coupon.duration == "once":
            return len(self.sub.invoices) == 0 or all(
                i["total"] == 0 for i in self.sub.invoices
            )
        return at < add_months(self.sub.coupon_start, coupon.months or 0)

    def discount_end(self) -> int | None:
        coupon = self.sub.coupon
        if coupon is None or coupon.duration != "repeating":
            return None
        return add_months(self.sub.coupon_start, coupon.months or 0)

    def bill(
        self,
        at: int,
        period: tuple[int, int],
        reason: str,
        trial: bool = False,
        usage_period: tuple[int, int] | None = None,
        only_pending: bool = False,
    ) -> bool:
        """Create, finalise and collect one invoice. False: the first failed.
        only_pending: the pending prorations alone (always_invoice)."""
        owner, rng = self.owner, self.rng
        invoice_id = self.ids.new("in")
        lines: list[dict] = []  # billed, the invoice item behind it, discount
        for item in () if only_pending else self.sub.items:
            price, qty = item["price"], item["quantity"]
            if price.metered:
                if usage_period is None:
                    continue
                usage = int(rng.random() * 40_001)
                text = f"{usage} × {price.product_name} (at {price.unit_amount} / call)"
                amount, start, end = usage * price.unit_amount, *usage_period
            else:
                amount = 0 if trial else price.amount(qty)
                text = (
                    f"Trial period for {price.product_name}"
                    if trial
                    else f"{qty} × {price.product_name} (at {price.unit_amount} / "
                    f"{price.interval})"
                    if price.tiers is None
                    else f"{qty} × {price.product_name} (tiered, {price.tiers_mode})"
                )
                usage, (start, end) = qty, period
            billed = self.billed(price, usage, amount, text, start, end, item["id"])
            lines.append({"billed": billed, "ii": None, "tax": price.tax_behavior})
        for pending in self.sub.pending_items:
            lines.append(
                {"billed": pending["billed"], "ii": pending, "tax": pending["tax"]}
            )
        billed_items, self.sub.pending_items = self.sub.pending_items, []
        subtotal = sum(line["billed"].amount for line in lines)
        discount_total, discount_obj = 0, None
        if self.discount_applies(at) and subtotal > 0:
            coupon = self.sub.coupon
            if coupon.percent_off:
                for line in lines:
                    cut = max(0, line["billed"].amount) * coupon.percent_off / 100
                    line["discount"] = round(cut)
            else:
                biggest = max(lines, key=lambda line: line["billed"].amount)
                biggest["discount"] = min(coupon.amount_off, subtotal)
            discount_total = sum(line.get("discount", 0) for line in lines)
            discount_obj = obj.discount(
                self.sub.discount_id,
                coupon.id,
                owner.id,
                self.sub.id,
                self.sub.coupon_start,
                self.discount_end(),
                coupon=coupon.body,
            )
        total = subtotal - discount_total
        rate = self.sub.tax_rate
        for line in lines:  # inclusive VAT: inside the amount, total unchanged
            if rate and line["tax"] == "inclusive":
                taxed = line["billed"].amount - line.get("discount", 0)
                tax = half_up(taxed * rate / (100 + rate))
                line["taxes"] = [obj.line_tax(tax, "inclusive", taxed - tax, VAT_RATE)]
        starting_balance = owner.balance
        amount_due = max(0, total + starting_balance)
        owner.balance = min(0, total + starting_balance)
        number = f"{owner.prefix}-{owner.sequence:04d}"
        owner.sequence += 1
        finalized = at if reason == "subscription_create" else at + 3600
        payment = None
        if amount_due > 0:
            fails = rng.random() < (0.35 if owner.risky else 0.045)
            description = {
                "subscription_create": "Subscription creation",
                "subscription_update": "Subscription update (prorations)",
            }.get(reason, "Subscription update")
            payment = owner.payments.pay(amount_due, finalized, description, fails)
        record = {
            "id": invoice_id,
            "created": at,
            "reason": reason,
            "lines": lines,
            "subtotal": subtotal,
            "total": total,
            "discount": discount_obj,
            "discount_total": discount_total,
            "starting_balance": starting_balance,
            "amount_due": amount_due,
            "number": number,
            "finalized": finalized,
            "payment": payment,
            "billed_items": billed_items,
            "status": "paid",
            "voided_at": None,
            "uncollectible_at": None,
        }
        self.sub.invoices.append(record)
        if payment is None or payment["paid_at"] is not None:
            first_invoice = reason == "subscription_create" and not trial
            if payment is not None and len(payment["attempts"]) > 1 and first_invoice:
                # The first invoice paid on a retry: incomplete until then.
                self.sub.set_status("incomplete", at)
                self.sub.updated(payment["paid_at"], {"status": "incomplete"})
                self.sub.set_status("active", payment["paid_at"])
            elif payment is not None and len(payment["attempts"]) > 1:
                first = payment["attempts"][0][0]
                if self.sub.status == "active" and not self.sub.in_trial(first):
                    self.sub.updated(first, {"status": "active"})
                    self.sub.set_status("past_due", first)
                if self.sub.status == "past_due":
                    self.sub.updated(payment["paid_at"], {"status": "past_due"})
                    self.sub.set_status("active", payment["paid_at"])
            elif self.sub.status == "past_due":  # an earlier invoice still open
                paid_at = payment["paid_at"] if payment else finalized
                self.sub.updated(paid_at, {"status": "past_due"})
                self.sub.set_status("active", paid_at)
            return True
        return self.dunning.unpaid(record, payment, reason)


class SubscriptionDunning(SubscriptionPart):
    """After a failed payment: incomplete, past_due, unpaid or cancelled."""

    def unpaid(self, record: dict, payment: dict, reason: str) -> bool:
        owner = self.owner
        record["status"] = "open"
        if not payment["attempts"]:  # finalised, first attempt still ahead
            return True
        last_attempt = (
            payment["attempts"][-1][0] if payment["attempts"] else record["created"]
        )
        if reason == "subscription_create" and self.sub.trial_end is None:
            # First payment failed: incomplete, expired after 23 hours.
            expires = record["created"] + 23 * 3600
            self.sub.set_status("incomplete", record["created"])
            paid = record["created"] + self.rng.randint(600, 22 * 3600)
            if self.rng.random() < 0.5 and paid <= self.now:
                # The customer confirms with another card before it expires:
                # the first invoice is paid later, the subscription active.
                tries = [a for a in payment["attempts"] if a[0] < paid]
                payment["attempts"] = [*tries, (paid, self.ids.new("ch"), None)]
                payment["paid_at"] = paid
                record["status"] = "paid"
                self.sub.set_status("active", paid)
                self.sub.updated(paid, {"status": "incomplete"})
                return True
            if expires <= self.now:
                self.sub.set_status("incomplete_expired", expires)
                self.sub.ended_at = expires
                record["status"] = "void"
                record["voided_at"] = expires
                payment["canceled_at"] = expires
            return False
        first_attempt = payment["attempts"][0][0]
        if self.sub.status == "active" and not self.sub.in_trial(first_attempt):
            self.sub.updated(first_attempt, {"status": "active"})
            self.sub.set_status("past_due", first_attempt)
        retries_over = len(payment["attempts"]) == len(RETRY_DAYS) + 1
        if not retries_over:
            owner.delinquent = True
            return True
        owner.delinquent = True
        if self.rng.random() < 0.5:
            self.sub.set_status("unpaid", last_attempt)
            self.sub.updated(last_attempt, {"status": "past_due"})
            if last_attempt < self.now - EVENT_WINDOW:
                # No event left, no draft invoice after it: the moment it
                # turned unpaid is not in Stripe's objects.
                self.sub.truth.hidden(
                    record["created"],
                    last_attempt,
                    "unpaid moment older than the events",
                )
            ended = last_attempt + self.rng.randint(5, 60) * DAY
            if self.rng.random() < 0.5 and ended <= self.now:  # then canceled
                self.sub.cancel(ended, ended, "payment_failed", None)
        else:
            record["status"] = "uncollectible"
            record["uncollectible_at"] = last_attempt
            self.sub.cancel(last_attempt, last_attempt, "payment_failed", None)
        return True
