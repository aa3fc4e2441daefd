"""A customer's cards: added over time, written with the customer."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import orjson

from tools.fake_stripe import objects as obj
from tools.fake_stripe.synth.parts import CustomerPart

if TYPE_CHECKING:
    pass

Fragment = orjson.Fragment

CARDS = (  # brand, funding, weight
    ("visa", "credit", 40),
    ("visa", "debit", 18),
    ("mastercard", "credit", 22),
    ("mastercard", "debit", 6),
    ("amex", "credit", 9),
    ("jcb", "credit", 3),
    ("discover", "credit", 2),
)


class CardWallet(CustomerPart):
    """The customer's payment methods: which card was the default when."""

    def new_payment_method(self, created: int) -> tuple[str, dict]:
        rng = self.rng
        brand, funding, _ = rng.choices(CARDS, weights=[c[2] for c in CARDS])[0]
        if self.customer.currency == "jpy" and rng.random() < 0.4:
            brand, funding = "jcb", "credit"
        year = dt.datetime.fromtimestamp(created, dt.UTC).year
        card = {
            "brand": brand,
            "country": self.customer.country if rng.random() < 0.9 else "US",
            "exp_month": rng.randint(1, 12),
            "exp_year": year + rng.randint(1, 5),
            "fingerprint": self.ids.new("fp")[3:] + self.customer.id[-6:],
            "funding": funding,
            "last4": f"{rng.randrange(10000):04d}",
        }
        pm_id = self.ids.new("pm")
        self.customer.pending_pms.append((pm_id, created, card))
        return pm_id, card

    def write_payment_methods(self) -> None:
        owner = None if self.customer.deleted_at else self.customer.id
        for pm_id, created, card in self.customer.pending_pms:
            data = self.sink.write(
                "payment_methods",
                obj.payment_method(pm_id, created, owner, self.customer.details, card),
            )
            self.customer.fragments[pm_id] = Fragment(data)
            self.gen.emit_event("payment_method.attached", created, data)

    def pm_at(self, when: int) -> tuple[str, dict]:
        chosen = self.customer.pending_pms[0]
        for entry in self.customer.pending_pms:
            if entry[1] <= when:
                chosen = entry
        return chosen[0], chosen[2]
