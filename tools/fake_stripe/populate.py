"""Fill a test-mode Stripe with a consistent demo business (dev only).

    python -m tools.fake_stripe.populate        (what `make populate` runs)

It writes through the official `stripe` SDK to the Stripe that
STRIPE_API_BASE and STRIPE_API_KEY name: the local Stripe by default, or a
Stripe test-mode account. POPULATE_CUSTOMERS (default 200) sets the size,
POPULATE_SEED (default 42) the business, POPULATE_WORKERS (default 4) how
many customers are written at once. The business itself is planned in
`tools/fake_stripe/plan.py`; this module only makes Stripe match the plan.

Every object it creates carries `metadata.populate_key` (coupons: their
id), so a re-run lists what exists once and creates only what is missing: a
second run creates nothing, and a run cut short is finished by the next.

It refuses, before sending any request, to run with ENV=prod or with a live
key (sk_live_, rk_live_).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import stripe

from extract import config
from extract.errors import UserError, run_main
from tools.fake_stripe import plan

DEFAULT_CUSTOMERS = 200
DEFAULT_SEED = 42
DEFAULT_WORKERS = 4
DAY = 86400
# Stripe's test PaymentMethods: attaching one gives the customer a new card.
# localstripe knows only the Visa one; a full Stripe has every brand.
GOOD_CARDS = ("pm_card_visa", "pm_card_mastercard", "pm_card_amex", "pm_card_discover")
# Attaches fine, then every charge on it is declined (card_declined).
DECLINING_CARD = "pm_card_chargeCustomerFail"
DECLINING_CARD_LAST4 = "0341"


class StripeRefused(UserError):
    """Stripe answered with an error; what was created is kept and tagged."""


@dataclass(frozen=True)
class PopulateOptions:
    api_base: str
    api_key: str
    customers: int
    seed: int
    workers: int


def _int_setting(environ: dict[str, str], name: str, default: int, minimum: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise UserError(
            f"{name}={raw!r} is not a whole number >= {minimum}; "
            f"unset it for the default ({default})."
        )
    return value


def read_options(environ: dict[str, str]) -> PopulateOptions:
    """The settings, or a UserError before anything reaches Stripe."""
    env = environ.get("ENV", "dev").strip().lower() or "dev"
    if env == "prod":
        raise UserError(
            "populate never runs with ENV=prod: it writes a demo business into "
            "the Stripe it is given. Run it in dev (ENV=dev, the default) against "
            "the local Stripe or a test-mode key. Nothing was sent to Stripe."
        )
    if env != "dev":
        raise UserError(f"ENV={env!r} is not known; use ENV=dev.")
    key = environ.get("STRIPE_API_KEY", "").strip()
    if config.is_live_key(key):
        raise UserError(
            "STRIPE_API_KEY is a live-mode key (sk_live_/rk_live_); populate "
            "only writes demo data to test mode or the local Stripe. Use a "
            "test-mode key (sk_test_...) or unset STRIPE_API_KEY and "
            "STRIPE_API_BASE for the local Stripe. Nothing was sent to Stripe."
        )
    if not key:
        raise UserError(
            "STRIPE_API_KEY is not set: run `make populate` (it uses the local "
            "Stripe of `make up`), or set a test-mode key (sk_test_...)."
        )
    return PopulateOptions(
        api_base=(environ.get("STRIPE_API_BASE") or config.DEFAULT_API_BASE).rstrip(
            "/"
        ),
        api_key=key,
        customers=_int_setting(environ, "POPULATE_CUSTOMERS", DEFAULT_CUSTOMERS, 1),
        seed=_int_setting(environ, "POPULATE_SEED", DEFAULT_SEED, 0),
        workers=_int_setting(environ, "POPULATE_WORKERS", DEFAULT_WORKERS, 1),
    )


def make_client(options: PopulateOptions) -> stripe.StripeClient:
    # Retries cover 429s and dropped connections; the SDK adds an idempotency
    # key to every POST, so a retried create never creates twice.
    return stripe.StripeClient(
        options.api_key,
        base_addresses={"api": options.api_base},
        max_network_retries=4,
    )


class PopulateTally:
    """What a run created and found, per object type; shared by the workers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.created: Counter[str] = Counter()
        self.updated: Counter[str] = Counter()
        self.existing: Counter[str] = Counter()
        self.declined_payments = 0

    def add_created(self, kind: str) -> None:
        with self._lock:
            self.created[kind] += 1

    def add_updated(self, kind: str) -> None:
        with self._lock:
            self.updated[kind] += 1

    def add_existing(self, kind: str) -> None:
        with self._lock:
            self.existing[kind] += 1

    def add_declined(self) -> None:
        with self._lock:
            self.declined_payments += 1


class PopulateProgress:
    """A bar on a terminal, a line per tenth otherwise; always on stderr."""

    WIDTH = 30

    def __init__(self, tally: PopulateTally, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.tally = tally
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._name, self._total, self._done, self._shown = "", 0, 0, -1

    def say(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    def rate(self) -> float:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return sum(self.tally.created.values()) / elapsed

    def start(self, name: str, total: int) -> None:
        self._name, self._total, self._done, self._shown = name, total, 0, -1

    def advance(self) -> None:
        with self._lock:
            self._done += 1
            tenth = self._done * 10 // max(self._total, 1)
            if not self.tty and tenth == self._shown:
                return
            self._shown = tenth
            filled = self._done * self.WIDTH // max(self._total, 1)
            bar = "#" * filled + "." * (self.WIDTH - filled)
            line = (
                f"{self._name:<10} [{bar}] {self._done}/{self._total}  "
                f"{self.rate():.0f} objects/s"
            )
            end = "\r" if self.tty and self._done < self._total else "\n"
            print(line, end=end, file=self.stream, flush=True)


def _field(obj: Any, name: str) -> Any:
    """A field of a Stripe object, None when this Stripe does not send it."""
    return getattr(obj, name, None)


def _metadata(obj: Any) -> dict:
    metadata = _field(obj, "metadata")
    return metadata.to_dict() if metadata else {}


def _id(value: Any) -> str | None:
    return value if isinstance(value, str) or value is None else value.id


class Populator:
    """Makes the Stripe behind `client` hold the planned business."""

    def __init__(
        self,
        options: PopulateOptions,
        business: plan.PlannedBusiness,
        tally: PopulateTally,
        progress: PopulateProgress,
    ) -> None:
        self.options = options
        self.business = business
        self.tally = tally
        self.progress = progress
        self._local = threading.local()
        self.prefix = f"s{business.seed}:"
        self.legacy_api = False
        self.existing: dict[str, dict[str, Any]] = {}
        self.price_ids: dict[str, str] = {}
        self.catalog = CatalogPopulator(self)
        self.customers = CustomerPopulator(self)
        self.subscriptions = SubscriptionPopulator(self)

    @property
    def client(self) -> stripe.StripeClient:
        # One client per worker thread: no shared HTTP session between threads.
        if not hasattr(self._local, "client"):
            self._local.client = make_client(self.options)
        return self._local.client

    def _create(self, kind: str, call: Callable[..., Any], *args: Any) -> Any:
        obj = call(*args)
        self.tally.add_created(kind)
        return obj

    def _update(self, kind: str, call: Callable[..., Any], *args: Any) -> Any:
        obj = call(*args)
        self.tally.add_updated(kind)
        return obj

    # -- what the Stripe in use offers, and what it already holds ----------

    def detect_api(self) -> None:
        """Prices (2020+) or only plans, as localstripe and old accounts have.

        A Stripe without /v1/prices also lacks what came with or after it:
        subscription `discounts`, `proration_behavior`, PaymentIntents'
        `automatic_payment_methods` and descriptions, refund reasons and the
        test cards beyond Visa.
        """
        try:
            self.client.v1.prices.list({"limit": 1})
        except stripe.StripeError as err:
            if err.http_status != 404:
                raise
            self.legacy_api = True

    def _list(self, call: Callable[..., Any], **params: Any) -> Iterator[Any]:
        return call({"limit": 100, **params}).auto_paging_iter()

    def _ours(self, objects: Iterator[Any]) -> dict[str, Any]:
        found = {}
        for obj in objects:
            key = _metadata(obj).get("populate_key", "")
            if key.startswith(self.prefix):
                found[key] = obj
        return found

    def index_existing(self) -> None:
        v1 = self.client.v1
        prices = v1.plans.list if self.legacy_api else v1.prices.list
        self.existing = {
            "product": self._ours(self._list(v1.products.list)),
            "price": self._ours(self._list(prices)),
            "coupon": {c.id: c for c in self._list(v1.coupons.list)},
            "customer": self._ours(self._list(v1.customers.list)),
            "subscription": self._ours(self._list(v1.subscriptions.list, status="all")),
            "payment_intent": self._ours(self._list(v1.payment_intents.list)),
            "refund": self._ours(self._list(v1.refunds.list)),
            "invoiceitem": self._ours(self._list(v1.invoice_items.list)),
        }

    def _find(self, kind: str, key: str) -> Any | None:
        obj = self.existing[kind].get(key)
        if obj is not None:
            self.tally.add_existing(kind)
        return obj

    # -- the run -------------------------------------------------------------

    def run(self) -> None:
        self.detect_api()
        self.index_existing()
        kind = "plans" if self.legacy_api else "prices"
        self.progress.say(
            f"populate: seed {self.business.seed}, {len(self.business.customers)} "
            f"customers, Stripe at {self.options.api_base} ({kind} API)"
        )
        self.catalog.ensure_catalog()
        self.progress.say(
            f"catalog    {len(self.business.products)} products, "
            f"{len(self.price_ids)} {kind}, {len(self.business.coupons)} coupons"
        )
        self.progress.start("customers", len(self.business.customers))
        pool = ThreadPoolExecutor(self.options.workers)
        try:
            futures = [
                pool.submit(self._customer_task, spec)
                for spec in self.business.customers
            ]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            for future in done:
                if future.exception() is not None:
                    raise future.exception()
        finally:
            # On an error or Ctrl-C, start no further customer; the ones under
            # way finish their current request and the next run resumes.
            pool.shutdown(wait=True, cancel_futures=True)

    def _customer_task(self, spec: plan.PlannedCustomer) -> None:
        self.customers.ensure_customer(spec)
        self.progress.advance()


class CatalogPopulator:
    """Products, prices (or plans) and coupons, found or created."""

    def __init__(self, populator: Populator) -> None:
        self.populator = populator

    def ensure_catalog(self) -> None:
        v1 = self.populator.client.v1
        for product in self.populator.business.products:
            found = self.populator._find("product", product.key)
            product_id = (
                found.id
                if found
                else self.populator._create(
                    "product",
                    v1.products.create,
                    {
                        "name": product.name,
                        "description": product.description,
                        "metadata": {"populate_key": product.key, "tier": product.tier},
                    },
                ).id
            )
            for price in product.prices:
                found = self.populator._find("price", price.key)
                self.populator.price_ids[price.key] = (
                    found.id if found else self.create_price(product_id, price).id
                )
        for coupon in self.populator.business.coupons:
            if coupon.id in self.populator.existing["coupon"]:
                self.populator.tally.add_existing("coupon")
                continue
            params: dict[str, Any] = {
                "id": coupon.id,
                "percent_off": coupon.percent_off,
                "duration": coupon.duration,
                "metadata": {
                    "populate_key": f"{self.populator.prefix}coupon:{coupon.id}"
                },
            }
            if coupon.duration_in_months:
                params["duration_in_months"] = coupon.duration_in_months
            self.populator._create("coupon", v1.coupons.create, params)

    def create_price(self, product_id: str, price: plan.PlannedPrice) -> Any:
        """A recurring price, or the plan that stands for one before prices."""
        params: dict[str, Any] = {
            "product": product_id,
            "currency": price.currency,
            "nickname": price.nickname,
            "metadata": {"populate_key": price.key},
        }
        if self.populator.legacy_api:
            params.update(amount=price.unit_amount, interval=price.interval)
            return self.populator._create(
                "plan", self.populator.client.v1.plans.create, params
            )
        params.update(
            unit_amount=price.unit_amount, recurring={"interval": price.interval}
        )
        return self.populator._create(
            "price", self.populator.client.v1.prices.create, params
        )

    def item(self, price_key: str, quantity: int) -> dict[str, Any]:
        field = "plan" if self.populator.legacy_api else "price"
        return {field: self.populator.price_ids[price_key], "quantity": quantity}


class CustomerPopulator:
    """A customer with its card, its subscriptions and its one-off payments."""

    def __init__(self, populator: Populator) -> None:
        self.populator = populator

    def ensure_customer(self, spec: plan.PlannedCustomer) -> None:
        v1 = self.populator.client.v1
        customer = self.populator._find("customer", spec.key)
        is_new = customer is None
        if is_new:
            params: dict[str, Any] = {
                "name": spec.name,
                "email": spec.email,
                "phone": spec.phone,
                "description": spec.metadata["company"],
                "address": spec.address,
                "metadata": spec.metadata,
            }
            if spec.preferred_locale:
                params["preferred_locales"] = [spec.preferred_locale]
            customer = self.populator._create("customer", v1.customers.create, params)
        settings = _field(customer, "invoice_settings")
        payment_method = _id(settings and _field(settings, "default_payment_method"))
        if spec.card != "none" and payment_method is None:
            payment_method = self._ensure_card(customer.id, spec, is_new)
        for subscription in spec.subscriptions:
            self.populator.subscriptions.ensure_subscription(customer.id, subscription)
        for payment in spec.payments:
            self.ensure_payment(customer.id, payment_method, payment)

    def _ensure_card(
        self, customer_id: str, spec: plan.PlannedCustomer, is_new: bool
    ) -> str:
        v1 = self.populator.client.v1
        attached = None
        if not is_new:
            # A run cut short between attaching and making it the default.
            cards = v1.payment_methods.list({"customer": customer_id, "type": "card"})
            attached = cards.data[0].id if cards.data else None
        if attached is None:
            if spec.card == "declining":
                token = DECLINING_CARD
            elif self.populator.legacy_api:
                token = GOOD_CARDS[0]
            else:
                token = GOOD_CARDS[int(spec.key.rsplit(":", 1)[1]) % len(GOOD_CARDS)]
            attached = self.populator._create(
                "payment_method",
                v1.payment_methods.attach,
                token,
                {"customer": customer_id},
            ).id
        v1.customers.update(
            customer_id, {"invoice_settings": {"default_payment_method": attached}}
        )
        return attached

    def ensure_payment(
        self, customer_id: str, payment_method: str | None, spec: plan.PlannedPayment
    ) -> None:
        intent = self.populator._find("payment_intent", spec.key)
        if intent is None:
            params: dict[str, Any] = {
                "amount": spec.amount,
                "currency": spec.currency,
                "customer": customer_id,
                "payment_method": payment_method,
                "confirm": True,
                "metadata": {"populate_key": spec.key, "item": spec.description},
            }
            if self.populator.legacy_api:
                params["payment_method_types"] = ["card"]
            else:
                # A saved card, confirmed server-side: no redirect, no return_url.
                params["automatic_payment_methods"] = {
                    "enabled": True,
                    "allow_redirects": "never",
                }
                params["description"] = spec.description
            try:
                intent = self.populator._create(
                    "payment_intent",
                    self.populator.client.v1.payment_intents.create,
                    params,
                )
            except stripe.CardError:
                # The intent exists, tagged, with its failed charge: planned.
                self.populator.tally.add_created("payment_intent")
                self.populator.tally.add_declined()
                return
        if spec.refund == "none" or intent.status != "succeeded":
            return
        if self.populator._find("refund", spec.refund_key) is not None:
            return
        params = {
            "payment_intent": intent.id,
            "metadata": {"populate_key": spec.refund_key},
        }
        if spec.refund_amount:
            params["amount"] = spec.refund_amount
        if not self.populator.legacy_api:
            params["reason"] = "requested_by_customer"
        self.populator._create(
            "refund", self.populator.client.v1.refunds.create, params
        )


class SubscriptionPopulator:
    """A subscription's story: created, changed mid-period, cancelled."""

    def __init__(self, populator: Populator) -> None:
        self.populator = populator
        self.legacy = LegacyApiPopulator(populator)

    def ensure_subscription(
        self, customer_id: str, spec: plan.PlannedSubscription
    ) -> None:
        subscription = self.populator._find("subscription", spec.key)
        if subscription is None:
            subscription = self._create_subscription(customer_id, spec)
        if spec.changes:
            self._change_item(customer_id, subscription, spec)
        if spec.cancel == "now" and subscription.status != "canceled":
            self.populator._update(
                "cancellation",
                self.populator.client.v1.subscriptions.cancel,
                subscription.id,
            )
        if spec.cancel == "period_end" and not _field(
            subscription, "cancel_at_period_end"
        ):
            self.populator._update(
                "cancellation",
                self.populator.client.v1.subscriptions.update,
                subscription.id,
                {"cancel_at_period_end": True},
            )

    def _create_subscription(
        self, customer_id: str, spec: plan.PlannedSubscription
    ) -> Any:
        now = int(time.time())
        params: dict[str, Any] = {
            "customer": customer_id,
            "items": [self.populator.catalog.item(spec.price_key, spec.quantity)],
            "metadata": {"populate_key": spec.key, "story": spec.story},
        }
        if spec.trial_days:
            params["trial_end"] = now + spec.trial_days * DAY
        if spec.backdate_days:
            params["backdate_start_date"] = now - spec.backdate_days * DAY
        if spec.coupon:
            params["metadata"]["coupon"] = spec.coupon
            if self.populator.legacy_api:
                self.legacy.credit_for_coupon(customer_id, spec)
            else:
                params["discounts"] = [{"coupon": spec.coupon}]
        return self.populator._create(
            "subscription", self.populator.client.v1.subscriptions.create, params
        )

    def _change_item(
        self, customer_id: str, subscription: Any, spec: plan.PlannedSubscription
    ) -> None:
        """Upgrade, reseat or move to yearly mid-period, with prorations."""
        item = subscription["items"]["data"][0]
        current = _id(_field(item, "price") or _field(item, "plan"))
        target = self.populator.price_ids[spec.new_price_key]
        v1 = self.populator.client.v1
        if current == target and item["quantity"] == spec.new_quantity:
            self.populator.tally.add_existing("change")
            if self.populator.legacy_api:
                self.legacy.invoice_pending_change(customer_id, subscription.id)
            return
        if spec.story == "past_due":
            self._make_declining_card_default(customer_id)
        change = {
            "id": item.id,
            **self.populator.catalog.item(spec.new_price_key, spec.new_quantity),
        }
        params: dict[str, Any] = {"items": [change]}
        if not self.populator.legacy_api:
            params["proration_behavior"] = "always_invoice"
        self.populator._update(
            "change", v1.subscriptions.update, subscription.id, params
        )
        if self.populator.legacy_api:
            self.legacy.invoice_pending_change(customer_id, subscription.id)

    def _make_declining_card_default(self, customer_id: str) -> None:
        """The customer's card on file now declines (expired, blocked...)."""
        v1 = self.populator.client.v1
        cards = self.populator._list(
            v1.payment_methods.list, customer=customer_id, type="card"
        )
        declining = next(
            (c.id for c in cards if c.card.last4 == DECLINING_CARD_LAST4), None
        )
        if declining is None:
            declining = self.populator._create(
                "payment_method",
                v1.payment_methods.attach,
                DECLINING_CARD,
                {"customer": customer_id},
            ).id
        self.populator._update(
            "card_swap",
            v1.customers.update,
            customer_id,
            {"invoice_settings": {"default_payment_method": declining}},
        )


class LegacyApiPopulator:
    """What a Stripe without prices (localstripe) needs done by hand."""

    def __init__(self, populator: Populator) -> None:
        self.populator = populator

    def credit_for_coupon(
        self, customer_id: str, spec: plan.PlannedSubscription
    ) -> None:
        """A Stripe that cannot attach coupons gets the discount as a credit line.

        The pending negative invoice item lands on the subscription's first
        invoice, so its amount, charge and balance are what the coupon gives;
        the subscription names the coupon in its metadata.
        """
        key = f"{spec.key}:coupon_credit"
        if self.populator._find("invoiceitem", key) is not None:
            return
        coupon = next(c for c in self.populator.business.coupons if c.id == spec.coupon)
        price = self.populator.business.prices_by_key[spec.price_key]
        amount = price.unit_amount * spec.quantity * coupon.percent_off // 100
        self.populator._create(
            "invoiceitem",
            self.populator.client.v1.invoice_items.create,
            {
                "customer": customer_id,
                "amount": -amount,
                "currency": price.currency,
                "description": f"Coupon {coupon.id}: {coupon.percent_off}% off "
                f"({coupon.duration})",
                "metadata": {"populate_key": key, "coupon": coupon.id},
            },
        )

    def invoice_pending_change(self, customer_id: str, subscription_id: str) -> None:
        """Invoice and pay the credit for unused time a change left pending.

        localstripe invoices a change of billing interval itself but leaves
        the credit of any other change pending; Stripe's always_invoice bills
        both at once. Run again after a cut-short run, this finishes an
        invoice left unbilled or unpaid.
        """
        v1 = self.populator.client.v1
        pending = [
            item
            for item in self.populator._list(
                v1.invoice_items.list, customer=customer_id
            )
            if _field(item, "invoice") is None
            and _field(item, "subscription") == subscription_id
        ]
        if pending:
            invoice = self.populator._create(
                "invoice",
                v1.invoices.create,
                {"customer": customer_id, "subscription": subscription_id},
            )
            self.populator._update("invoice_payment", v1.invoices.pay, invoice.id)
            return
        for invoice in self.populator._list(
            v1.invoices.list, subscription=subscription_id
        ):
            if invoice.status == "draft":
                self.populator._update("invoice_payment", v1.invoices.pay, invoice.id)


def summary(tally: PopulateTally, elapsed: float, outcome: str = "done") -> list[str]:
    created = sum(tally.created.values())
    updated = sum(tally.updated.values())
    found = sum(tally.existing.values())
    lines = [
        f"{outcome}: created {created} objects and made {updated} changes in "
        f"{elapsed:.1f} s ({created / max(elapsed, 1e-6):.0f} objects/s); "
        f"{found} already existed; {tally.declined_payments} payments declined "
        "as planned"
    ]
    for label, counts in (("created", tally.created), ("changed", tally.updated)):
        if counts:
            detail = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            lines.append(f"  {label}: {detail}")
    return lines


def _explain(err: stripe.StripeError, base: str) -> str:
    if isinstance(err, stripe.AuthenticationError):
        return (
            f"the Stripe at {base} refused STRIPE_API_KEY ({err.user_message}); "
            "set a valid test-mode key."
        )
    if isinstance(err, stripe.APIConnectionError):
        return (
            f"cannot reach the Stripe API at {base}; start the local Stripe with "
            "`make up`, or fix STRIPE_API_BASE."
        )
    return (
        f"Stripe answered {err.http_status}: {err.user_message or err}. What was "
        "created is kept and tagged; fix the cause and re-run `make populate`, "
        "it skips what exists and finishes the rest."
    )


def main(environ: dict[str, str] | None = None) -> int:
    environ = dict(os.environ) if environ is None else environ
    options = read_options(environ)
    business = plan.build(options.seed, options.customers)
    tally = PopulateTally()
    progress = PopulateProgress(tally)
    populator = Populator(options, business, tally, progress)
    try:
        populator.run()
    except stripe.StripeError as err:
        for line in summary(tally, time.monotonic() - progress.started, "stopped"):
            progress.say(line)
        raise StripeRefused(_explain(err, options.api_base)) from None
    except KeyboardInterrupt:
        for line in summary(tally, time.monotonic() - progress.started, "interrupted"):
            progress.say(line)
        progress.say("run it again to finish: it skips what exists.")
        raise SystemExit(130) from None
    for line in summary(tally, time.monotonic() - progress.started):
        progress.say(line)
    return 0


if __name__ == "__main__":
    run_main(main)
