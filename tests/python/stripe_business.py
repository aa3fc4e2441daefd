"""A small Stripe business made through the official SDK, for the extract tests."""

from __future__ import annotations

import uuid

import stripe


def sdk_client(env: dict[str, str]) -> stripe.StripeClient:
    return stripe.StripeClient(
        env["STRIPE_API_KEY"],
        base_addresses={"api": env["STRIPE_API_BASE"]},
        max_network_retries=2,
    )


def card_customer(client: stripe.StripeClient, n: int) -> stripe.Customer:
    customer = client.v1.customers.create(
        params={"email": f"customer{n}@example.com", "name": f"Customer {n}"}
    )
    method = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {
                "number": "4242424242424242",
                "exp_month": 12,
                "exp_year": 2034,
                "cvc": "123",
            },
        }
    )
    client.v1.payment_methods.attach(method.id, params={"customer": customer.id})
    client.v1.customers.update(
        customer.id,
        params={"invoice_settings": {"default_payment_method": method.id}},
    )
    return customer


def build_business(env: dict[str, str], customers: int = 12) -> dict[str, list[str]]:
    """Customers with cards, a plan, subscriptions (and their invoices), charges.

    Returns the ids it made, by kind, for the tests to act on.
    """
    client = sdk_client(env)
    product = client.v1.products.create(params={"name": "Warehouse Pro"})
    plan = client.v1.plans.create(
        params={
            "amount": 2500,
            "currency": "usd",
            "interval": "month",
            "product": product.id,
        }
    )
    made: dict[str, list[str]] = {"customers": [], "subscriptions": [], "charges": []}
    for n in range(customers):
        customer = card_customer(client, n)
        made["customers"].append(customer.id)
        if n % 2 == 0:
            subscription = client.v1.subscriptions.create(
                params={"customer": customer.id, "items": [{"plan": plan.id}]}
            )
            made["subscriptions"].append(subscription.id)
        intent = client.v1.payment_intents.create(
            params={
                "amount": 1000 + n,
                "currency": "usd",
                "customer": customer.id,
                "payment_method": customer_default_method(client, customer.id),
                "confirm": True,
            }
        )
        made["charges"].extend(
            c.id
            for c in client.v1.charges.list(params={"limit": 100}).data
            if c.payment_intent == intent.id
        )
    client.v1.coupons.create(
        params={
            "id": f"TEN{uuid.uuid4().hex[:8]}",
            "percent_off": 10,
            "duration": "once",
        }
    )
    return made


def customer_default_method(client: stripe.StripeClient, customer_id: str) -> str:
    customer = client.v1.customers.retrieve(customer_id)
    return customer.invoice_settings.default_payment_method
