"""Constants of the Stripe extraction: names, endpoints, limits."""

from __future__ import annotations

from dataclasses import dataclass

# The one place the API version is pinned; sent as Stripe-Version on every
# request and recorded with every row.
STRIPE_API_VERSION = "2026-10-28.endive"

PIPELINE_NAME = "stripe"
DATASET_NAME = "stripe_raw"

PAGE_LIMIT = 100
# Embedded lists (invoice lines, subscription items) carry this many entries.
EMBEDDED_LIST_LIMIT = 10

# Stripe's read-rate ceilings; STRIPE_MAX_RPS overrides.
MAX_RPS_TEST = 25.0
MAX_RPS_LIVE = 100.0

MAX_RETRIES = 8
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0
HTTP_TIMEOUT_SECONDS = 60.0
API_WORKERS = 8
# Threads per child table (a request per customer): enough requests in flight
# to fill the rate ceiling at the API's latency once the lists are done.
CHILD_WORKERS = 16
# Child listings (a customer's payment methods, an invoice's lines past the
# first ten) in flight per child table before the oldest are emitted.
PENDING_CHILD_LISTINGS = 400

# Stripe keeps events this long; a cursor older than that cannot be caught up.
EVENTS_RETENTION_SECONDS = 30 * 24 * 3600
# Events are re-read from this long before the last run started, so an update
# that landed while that run was listing is applied by the next one.
EVENTS_OVERLAP_SECONDS = 300

# Rows per arrow table handed to dlt.
ARROW_BATCH_ROWS = 5_000
# Pages (up to 100 objects each) waiting per table between the API threads
# and dlt; a thread that gets this far ahead waits (bounded memory).
QUEUE_PAGES = 10
# Keys removed from every object, at any depth, before anything is written.
# A snapshot line longer than this is refused (Stripe's largest objects, an
# invoice with its first ten lines or a customer with its metadata, are tens
# of KiB; the cap is far above them and below what a load should buffer).
MAX_OBJECT_BYTES = 16 * 2**20
SECRET_KEYS = frozenset({"client_secret"})

PROGRESS_INTERVAL_SECONDS = 5.0


@dataclass(frozen=True)
class Resource:
    """One raw table: how the API lists it and where its objects land in OLTP.

    The one list of resources: the extractor, check-db, the synthetic data and
    the tests all read it.
    """

    name: str
    path: str
    object: str
    # Query parameters of the listing; "{id}" stands for the parent's id.
    params: tuple[tuple[str, str], ...] = ()
    # For child tables: the parent resource whose listing yields them.
    parent: str | None = None
    # Fields expanded in place: they have no list endpoint of their own (a
    # subscription's discounts), or Stripe leaves them out unless asked (a
    # price's or plan's tiers). Lists ask for `data.<field>`, retrieves for
    # `<field>`.
    expand: tuple[str, ...] = ()
    # The parent's field embedding the first page of these children
    # (subscription.items, invoice.lines); `path` then lists the rest.
    embedded: str | None = None
    # A second listing for a Stripe lacking `path` (the local one lists
    # payment methods only as /v1/payment_methods?customer=...&type=card).
    fallback_path: str | None = None
    fallback_params: tuple[tuple[str, str], ...] = ()
    # The OLTP table its objects land in (None: none of its own) and its key.
    oltp: str | None = None
    key: str | None = None
    # (raw JSON field, OLTP column) pairs whose sums must agree.
    money: tuple[tuple[str, str], ...] = ()
    # The raw tables whose distinct ids make up the OLTP table's real rows,
    # when more than this one (prices: the prices and the legacy plans).
    raw_tables: tuple[str, ...] = ()

    def listing(
        self, parent_id: str | None = None, fallback: bool = False
    ) -> tuple[str, dict[str, str]]:
        """The path and query parameters that list it (under a parent's id)."""
        path, params = (
            (self.fallback_path, self.fallback_params)
            if fallback
            else (self.path, self.params)
        )
        if parent_id is None:
            return path, dict(params)
        return path.format(id=parent_id), {
            key: value.format(id=parent_id) for key, value in params
        }

    @property
    def oltp_raw_tables(self) -> tuple[str, ...]:
        """The raw tables whose ids make up its OLTP table's real rows."""
        return self.raw_tables or (self.name,)


RESOURCES: tuple[Resource, ...] = (
    Resource(
        "customers",
        "/v1/customers",
        "customer",
        oltp="customers",
        key="customer_id",
        money=(("balance", "balance_cents"),),
    ),
    Resource("products", "/v1/products", "product", oltp="products", key="product_id"),
    Resource(
        "prices",
        "/v1/prices",
        "price",
        expand=("tiers",),
        oltp="prices",
        key="price_id",
        money=(("unit_amount", "unit_amount_cents"),),
        raw_tables=("prices", "plans"),
    ),
    # The local Stripe accepts `data.tiers` on plans (a no-op there).
    Resource("plans", "/v1/plans", "plan", expand=("tiers",)),
    Resource(
        "coupons",
        "/v1/coupons",
        "coupon",
        oltp="coupons",
        key="coupon_id",
        money=(("amount_off", "amount_off_cents"),),
    ),
    Resource(
        "subscriptions",
        "/v1/subscriptions",
        "subscription",
        (("status", "all"),),
        expand=("discounts",),
        oltp="subscriptions",
        key="subscription_id",
    ),
    Resource(
        "subscription_items",
        "/v1/subscription_items",
        "subscription_item",
        (("subscription", "{id}"),),
        parent="subscriptions",
        embedded="items",
        oltp="subscription_items",
        key="subscription_item_id",
    ),
    Resource(
        "invoices",
        "/v1/invoices",
        "invoice",
        oltp="invoices",
        key="invoice_id",
        money=(("total", "total_cents"), ("amount_paid", "amount_paid_cents")),
    ),
    Resource(
        "invoice_line_items",
        "/v1/invoices/{id}/lines",
        "line_item",
        parent="invoices",
        embedded="lines",
        oltp="invoice_line_items",
        key="invoice_line_item_id",
        money=(("amount", "amount_cents"),),
    ),
    Resource("invoiceitems", "/v1/invoiceitems", "invoiceitem"),
    Resource(
        "charges",
        "/v1/charges",
        "charge",
        oltp="charges",
        key="charge_id",
        money=(
            ("amount", "amount_cents"),
            ("amount_refunded", "amount_refunded_cents"),
        ),
    ),
    Resource(
        "refunds",
        "/v1/refunds",
        "refund",
        oltp="refunds",
        key="refund_id",
        money=(("amount", "amount_cents"),),
    ),
    Resource(
        "disputes",
        "/v1/disputes",
        "dispute",
        oltp="disputes",
        key="dispute_id",
        money=(("amount", "amount_cents"),),
    ),
    Resource(
        "payment_intents",
        "/v1/payment_intents",
        "payment_intent",
        oltp="payment_intents",
        key="payment_intent_id",
        money=(("amount", "amount_cents"),),
    ),
    Resource(
        "payment_methods",
        "/v1/customers/{id}/payment_methods",
        "payment_method",
        parent="customers",
        fallback_path="/v1/payment_methods",
        fallback_params=(("customer", "{id}"), ("type", "card")),
        oltp="payment_methods",
        key="payment_method_id",
    ),
    Resource(
        "balance_transactions",
        "/v1/balance_transactions",
        "balance_transaction",
        oltp="balance_transactions",
        key="balance_transaction_id",
        money=(("amount", "amount_cents"), ("fee", "fee_cents"), ("net", "net_cents")),
    ),
    Resource(
        "payouts",
        "/v1/payouts",
        "payout",
        oltp="payouts",
        key="payout_id",
        money=(("amount", "amount_cents"),),
    ),
    Resource("credit_notes", "/v1/credit_notes", "credit_note"),
    Resource("events", "/v1/events", "event"),
)
RESOURCES_BY_NAME = {resource.name: resource for resource in RESOURCES}
RESOURCE_BY_OBJECT = {resource.object: resource for resource in RESOURCES}
# Child tables keep the id of the parent they were listed under.
CHILD_TABLES = frozenset(r.name for r in RESOURCES if r.parent)
