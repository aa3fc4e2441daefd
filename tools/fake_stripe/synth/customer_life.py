"""One customer from sign-up to now, and everything it causes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from tools.fake_stripe import objects as obj
from tools.fake_stripe.people import COUNTRIES, FIRST_NAMES, LAST_NAMES
from tools.fake_stripe.synth.cards import CardWallet
from tools.fake_stripe.synth.catalog import local_amount
from tools.fake_stripe.synth.payments import CustomerPayments, PaymentWriter
from tools.fake_stripe.synth.settlement import Settlement
from tools.fake_stripe.synth.subscription_life import SubscriptionLife
from tools.fake_stripe.synth.timeline import DAY

if TYPE_CHECKING:
    from tools.fake_stripe.synth.generator import Generator

dumps = orjson.dumps


class CustomerLife:
    """One customer from sign-up to now: everything it causes is written."""

    def __init__(self, gen: Generator, index: int) -> None:
        self.gen = gen
        self.rng = gen.rng
        self.ids = gen.ids
        self.sink = gen.sink
        self.now = gen.now
        rng = self.rng
        country = rng.choices(COUNTRIES, weights=[c[5] for c in COUNTRIES])[0]
        self.country, self.currency, self.locale, city, postal = country[:5]
        self.id = self.ids.new("cus")
        self.created = created = gen.signup_time(index)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        self.name = f"{first} {last}"
        self.email = f"{first}.{last}.{self.id[4:10]}@example.com".lower()
        self.phone = f"+1555{rng.randrange(10**6):06d}" if rng.random() < 0.3 else None
        self.address = obj.address(
            self.country, city, postal, f"{rng.randrange(1, 999)} Market Street"
        )
        self.details = obj.billing_details(self.address, self.email, self.name)
        self.contact = {"address": self.address, "email": self.email,
                        "name": self.name, "phone": self.phone}  # fmt: skip
        # Invoice numbers are unique in an account: a bijection of the index.
        self.prefix = f"{(index * 0x9E3779B1 + gen.seed) % 2**32:08X}"
        self.sequence = 1
        self.balance = 0
        self.delinquent = False
        self.deleted_at: int | None = None
        self.pending_pms: list[tuple[str, int, dict]] = []
        self.one_off: list[dict] = []
        self.fragments: dict[str, Any] = {}
        self.cards = CardWallet(self)
        self.payments = CustomerPayments(self)
        self.payment_writer = PaymentWriter(self)
        self.settlement = Settlement(self)
        self.pm_id, self.pm_card = self.cards.new_payment_method(created)
        self.risky = rng.random() < 0.08  # a card that fails often

    # -- the life ------------------------------------------------------------

    def simulate(self) -> None:
        rng, gen = self.rng, self.gen
        if rng.random() < 0.004 and self.created < self.now - 40 * DAY:
            self.deleted_at = self.now - rng.randint(1, 29) * DAY
        subscriptions: list[SubscriptionLife] = []
        if rng.random() < 0.9:
            start = self.created + rng.randint(0, 3600)
            while start is not None and start < self.end_of_life():
                life = SubscriptionLife(self, start, reactivation=bool(subscriptions))
                life.simulate()
                subscriptions.append(life)
                start = life.comeback()
        else:
            self.one_off_purchases()
        self.cards.write_payment_methods()
        for payment in self.one_off:
            self.payment_writer.write_payment(payment)
        for life in subscriptions:
            life.writer.write()
        currency = self.currency if (subscriptions or self.one_off) else None
        body = obj.customer(
            self.id,
            self.created,
            self.name,
            self.email,
            self.address,
            currency,
            self.balance,
            self.delinquent,
            self.pm_id,
            self.prefix,
            self.sequence,
            self.locale,
            self.phone,
        )
        if self.deleted_at is None:
            data = self.sink.write("customers", body)
        else:
            data = dumps(body)
            gen.emit_event("customer.deleted", self.deleted_at, data)
        gen.emit_event("customer.created", self.created, data)
        if rng.random() < 0.05:
            changed_at = self.now - rng.randint(0, 29) * DAY - rng.randint(0, DAY)
            if changed_at > self.created:
                gen.emit_event(
                    "customer.updated",
                    changed_at,
                    data,
                    {"email": f"old.{self.email}", "name": self.name.upper()},
                )

    def end_of_life(self) -> int:
        return self.deleted_at if self.deleted_at is not None else self.now

    def one_off_purchases(self) -> None:
        """Customers without a subscription buy a report pack now and then."""
        when = self.created + self.rng.randint(60, 7 * DAY)
        for _ in range(self.rng.randint(1, 3)):
            if when > self.end_of_life():
                break
            amount = local_amount(self.rng.choice((1900, 4900, 9900)), self.currency)
            payment = self.payments.pay(
                amount, when, "Report pack", self.rng.random() < 0.05
            )
            self.one_off.append(payment)
            when += self.rng.randint(20, 200) * DAY
