"""A customer's payments: attempts with Smart Retries, charges, intents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.fake_stripe import objects as obj
from tools.fake_stripe.synth.parts import CustomerPart
from tools.fake_stripe.synth.timeline import DAY

if TYPE_CHECKING:
    pass

DECLINES = (  # failure code, decline code, message, advice, weight
    (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
        "try_again_later",
        40,
    ),
    (
        "card_declined",
        "generic_decline",
        "Your card was declined.",
        "try_again_later",
        25,
    ),
    ("card_declined", "do_not_honor", "Your card was declined.", "do_not_try_again", 8),
    ("expired_card", "expired_card", "Your card has expired.", "do_not_try_again", 10),
    (
        "incorrect_cvc",
        "incorrect_cvc",
        "Your card's security code is incorrect.",
        "confirm_card_data",
        5,
    ),
    ("card_declined", "lost_card", "Your card was declined.", "do_not_try_again", 3),
    ("card_declined", "fraudulent", "Your card was declined.", "do_not_try_again", 9),
)
RETRY_DAYS = (3, 5, 7)  # Smart Retries: further attempts after the first


class CustomerPayments(CustomerPart):
    """Charges the customer's default card, with Smart Retries."""

    def pay(
        self, amount: int, at: int, description: str, first_attempt_fails: bool
    ) -> dict:
        """Charge the default card; Smart Retries after a failure.

        Returns what happened: payment intent id, the attempts (time, charge
        id, decline or None), whether it was paid and when.
        """
        rng = self.rng
        pi_id = self.ids.new("pi")
        attempts: list[tuple[int, str, tuple | None]] = []
        paid_at = None
        fail = first_attempt_fails
        times = [at] + [at + d * DAY for d in RETRY_DAYS]
        for number, when in enumerate(times):
            if when > self.now:
                break
            if fail:
                decline = rng.choices(DECLINES, weights=[d[4] for d in DECLINES])[0]
                attempts.append((when, self.ids.new("ch"), decline))
                if decline[1] in ("expired_card", "lost_card") and number == 0:
                    # The customer adds a new card after the first failure.
                    self.customer.pm_id, self.customer.pm_card = (
                        self.customer.cards.new_payment_method(when + 3600)
                    )
                fail = rng.random() < 0.55
                continue
            attempts.append((when, self.ids.new("ch"), None))
            paid_at = when
            break
        return {
            "pi": pi_id,
            "attempts": attempts,
            "paid_at": paid_at,
            "at": at,
            "amount": amount,
            "description": description,
        }


class PaymentWriter(CustomerPart):
    """Writes a payment's charges (failed and paid) and its intent."""

    def write_payment(self, payment: dict, canceled_at: int | None = None) -> None:
        """Charges, balance transactions, refunds, disputes, the intent."""
        amount, currency = payment["amount"], self.customer.currency
        pi_id, description = payment["pi"], payment["description"]
        latest_charge = None
        error = None
        for when, charge_id, decline in payment["attempts"]:
            latest_charge = charge_id
            pm_id = self.customer.cards.pm_at(when)[0]
            if decline is None:
                self.customer.settlement.write_success(
                    charge_id, when, amount, pi_id, description
                )
                error = None
                continue
            code, decline_code, message, advice, _ = decline
            fraud = decline_code == "fraudulent"
            outcome = obj.outcome(
                "not_sent_to_network" if fraud else "declined_by_network",
                "highest_risk_level" if fraud else decline_code,
                "highest" if fraud else "normal",
                self.rng.randint(76, 99) if fraud else self.rng.randint(5, 60),
                "Stripe blocked this payment as too risky."
                if fraud
                else f"The bank returned the decline code `{decline_code}`.",
                "blocked" if fraud else "issuer_declined",
                None if fraud else advice,
                None if fraud else {"insufficient_funds": "51"}.get(decline_code, "05"),
            )
            data = self.write_charge(
                charge_id, when, amount, pi_id, description, outcome, (code, message)
            )
            self.gen.emit_event("charge.failed", when, data)
            error = obj.last_payment_error(
                charge_id,
                code,
                decline_code,
                message,
                self.customer.fragments.get(pm_id),
            )
        paid = payment["paid_at"] is not None
        if paid:
            status = "succeeded"
        elif canceled_at is not None:
            status = "canceled"
        else:
            status = "requires_payment_method"
        data = self.sink.write(
            "payment_intents",
            obj.payment_intent(
                pi_id,
                payment["at"],
                amount,
                currency,
                self.customer.id,
                self.customer.cards.pm_at(payment["at"])[0],
                description,
                status,
                latest_charge,
                error,
                canceled_at if not paid else None,
                self.customer.email,
                pi_id[-12:],
            ),
        )
        self.gen.emit_event("payment_intent.created", payment["at"], data)
        if paid:
            self.gen.emit_event("payment_intent.succeeded", payment["paid_at"], data)
        elif payment["attempts"]:
            self.gen.emit_event(
                "payment_intent.payment_failed", payment["attempts"][-1][0], data
            )

    def write_charge(
        self,
        charge_id: str,
        when: int,
        amount: int,
        pi_id: str,
        description: str,
        outcome: dict,
        failure: tuple[str, str] | None,
        bt_id: str | None = None,
        refunded: int = 0,
        disputed: bool = False,
    ) -> bytes:
        """A charge on the card the customer had then; failure: code, message."""
        pm_id, card = self.customer.cards.pm_at(when)
        code, message = failure or (None, None)
        return self.sink.write(
            "charges",
            obj.charge(
                charge_id,
                when,
                amount,
                self.customer.currency,
                self.customer.id,
                pi_id,
                pm_id,
                card,
                self.customer.details,
                description,
                failure is None,
                code,
                message,
                outcome,
                bt_id,
                refunded,
                disputed,
                self.customer.email,
            ),
        )
