"""The base of the collaborators a customer's or a subscription's life uses."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tools.fake_stripe.synth.customer_life import CustomerLife
    from tools.fake_stripe.synth.subscription_life import SubscriptionLife


class CustomerPart:
    """A piece of a customer's life: its account, random stream, ids and sink."""

    def __init__(self, customer: CustomerLife) -> None:
        self.customer = customer
        self.gen, self.rng, self.ids = customer.gen, customer.rng, customer.ids
        self.sink, self.now = customer.sink, customer.now


class SubscriptionPart:
    """A piece of a subscription's life: its owner, random stream and ids."""

    def __init__(self, sub: SubscriptionLife) -> None:
        self.sub = sub
        self.gen, self.rng, self.ids = sub.gen, sub.rng, sub.ids
        self.owner, self.now = sub.owner, sub.now
