"""What a successful charge leads to: fees, refunds, disputes, the balance."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from tools.fake_stripe import objects as obj
from tools.fake_stripe.synth.ledger import (
    DISPUTE_FEE,
    card_fee,
    convert,
    exchange_rate,
    settlement_currency,
)
from tools.fake_stripe.synth.parts import CustomerPart
from tools.fake_stripe.synth.timeline import DAY

if TYPE_CHECKING:
    from tools.fake_stripe.synth.customer_life import CustomerLife

dumps = orjson.dumps


class Settlement(CustomerPart):
    """Balance transactions of a customer's money: fees, refunds, disputes,
    in the settlement currency (ledger.py says which and at what rate)."""

    def __init__(self, customer: CustomerLife) -> None:
        super().__init__(customer)
        self.disputes = Disputes(customer)
        self.currency = settlement_currency(customer.id, customer.currency)

    def settle(self, amount: int, rate: float | None) -> int:
        """The charge currency's minor units in the settlement currency's."""
        return convert(amount, self.customer.currency, self.currency, rate)

    def rate_at(self, at: int) -> float | None:
        return exchange_rate(self.customer.currency, self.currency, at)

    def balance_entry(
        self,
        at: int,
        amount: int,
        fee: int,
        kind: str,
        category: str,
        source: str,
        description: str | None,
        days: int,
        rate: float | None = None,
        fee_description: str = "Stripe processing fees",
    ) -> dict:
        """A balance transaction (amounts already in the settlement
        currency); its net counts towards the payout of its available day."""
        available_on = (at // DAY + days) * DAY
        self.gen.credit_balance(self.currency, available_on, amount - fee)
        status = "available" if available_on <= self.now else "pending"
        return obj.balance_transaction(
            self.ids.new("txn"),
            at,
            available_on,
            amount,
            fee,
            self.currency,
            kind,
            category,
            source,
            description,
            status,
            rate,
            fee_description,
        )

    def write_success(
        self, charge_id: str, when: int, amount: int, pi_id: str, description: str
    ) -> None:
        rng, gen = self.rng, self.gen
        rate = self.rate_at(when)
        settled = self.settle(amount, rate)
        card_country = self.customer.cards.pm_at(when)[1]["country"]
        fee = card_fee(settled, self.currency, card_country, rate is not None)
        bt = self.balance_entry(
            when, settled, fee, "charge", "charge", charge_id, description, 2, rate
        )
        self.sink.write("balance_transactions", bt)
        refunded = 0
        draw = rng.random  # cheaper than randint on this hot path
        refund_at = when + (1 + int(draw() * 25)) * DAY
        if rng.random() < 0.025 and refund_at <= self.now:
            full = rng.random() < 0.6
            refunded = amount if full else max(1, amount * rng.randint(1, 9) // 10)
            self.write_refund(charge_id, pi_id, refund_at, refunded, rate)
        dispute_at = when + (7 + int(draw() * 54)) * DAY
        disputed = not refunded and rng.random() < 0.004 and dispute_at <= self.now
        risk = int(draw() * 71)
        outcome = obj.outcome(
            "approved_by_network",
            None,
            "elevated" if risk > 65 else "normal",
            risk,
            "Payment complete.",
            "authorized",
            None,
            None,
        )
        data = self.customer.payment_writer.write_charge(
            charge_id,
            when,
            amount,
            pi_id,
            description,
            outcome,
            None,
            bt["id"],
            refunded,
            disputed,
        )
        if refunded and gen.in_window(when):  # as it was before the refund
            before = orjson.loads(data) | {"amount_refunded": 0, "refunded": False}
            gen.emit_event("charge.succeeded", when, dumps(before))
        else:
            gen.emit_event("charge.succeeded", when, data)
        if refunded:
            gen.emit_event("charge.refunded", refund_at, data)
        if disputed:
            brand = self.customer.cards.pm_at(when)[1]["brand"]
            self.disputes.write_dispute(charge_id, pi_id, dispute_at, amount, brand)

    def write_refund(
        self, charge_id: str, pi_id: str, at: int, amount: int, rate: float | None
    ) -> None:
        """At the charge's rate; Stripe keeps the charge's fee."""
        refund_id = self.ids.new("re")
        bt = self.balance_entry(
            at,
            -self.settle(amount, rate),
            0,
            "refund",
            "refund",
            refund_id,
            "REFUND FOR CHARGE",
            1,
            rate,
        )
        self.sink.write("balance_transactions", bt)
        reason = self.rng.choice(("requested_by_customer", "duplicate", "fraudulent"))
        data = self.sink.write(
            "refunds",
            obj.refund(
                refund_id,
                at,
                amount,
                self.customer.currency,
                charge_id,
                pi_id,
                bt["id"],
                reason,
                f"{self.rng.randrange(10**12):012d}",
            ),
        )
        self.gen.emit_event("refund.created", at, data)


class Disputes(CustomerPart):
    """A charge's dispute: the chargeback, its fee, and a reversal if won."""

    def write_dispute(self, charge_id, pi_id, at, amount, brand) -> None:
        rng = self.rng
        dispute_id = self.ids.new("du")
        reason = rng.choice(
            ("fraudulent", "subscription_canceled", "product_unacceptable")
        )
        decided = at + 30 * DAY
        if decided > self.now:
            status = "needs_response" if at > self.now - 7 * DAY else "under_review"
        else:
            status = "won" if rng.random() < 0.4 else "lost"
        settlement = self.customer.settlement
        rate = settlement.rate_at(at)  # the reversal returns what was taken
        settled = settlement.settle(amount, rate)
        bts = [
            settlement.balance_entry(
                at,
                -settled,
                DISPUTE_FEE[settlement.currency],
                "adjustment",
                "dispute",
                dispute_id,
                "Chargeback withdrawal",
                1,
                rate,
                "Dispute fee",
            )
        ]
        if status == "won":  # the dispute fee is not returned
            bts.append(
                settlement.balance_entry(
                    decided,
                    settled,
                    0,
                    "adjustment",
                    "dispute_reversal",
                    dispute_id,
                    "Chargeback reversal",
                    1,
                    rate,
                )
            )
        for bt in bts:
            self.sink.write("balance_transactions", bt)
        data = self.sink.write(
            "disputes",
            obj.dispute(
                dispute_id,
                at,
                amount,
                self.customer.currency,
                charge_id,
                pi_id,
                reason,
                status,
                bts,
                brand,
                self.customer.email,
                self.customer.name,
                at + 21 * DAY,
                status != "needs_response",
            ),
        )
        self.gen.emit_event("charge.dispute.created", at, data)
