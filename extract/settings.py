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
SECRET_KEYS = frozenset({"client_secret"})

PROGRESS_INTERVAL_SECONDS = 5.0


@dataclass(frozen=True)
class Resource:
    """One raw table and how the API lists it."""

    name: str
    path: str
    object: str
    params: tuple[tuple[str, str], ...] = ()
    # For child tables: the parent resource whose listing yields them.
    parent: str | None = None
    # Fields expanded in place because they have no list endpoint of their own.
    expand: tuple[str, ...] = ()


RESOURCES: tuple[Resource, ...] = (
    Resource("customers", "/v1/customers", "customer"),
    Resource("products", "/v1/products", "product"),
    Resource("prices", "/v1/prices", "price"),
    Resource("plans", "/v1/plans", "plan"),
    Resource("coupons", "/v1/coupons", "coupon"),
    Resource(
        "subscriptions",
        "/v1/subscriptions",
        "subscription",
        (("status", "all"),),
        expand=("discounts",),
    ),
    Resource(
        "subscription_items",
        "/v1/subscription_items",
        "subscription_item",
        parent="subscriptions",
    ),
    Resource("invoices", "/v1/invoices", "invoice"),
    Resource(
        "invoice_line_items", "/v1/invoices/{id}/lines", "line_item", parent="invoices"
    ),
    Resource("invoiceitems", "/v1/invoiceitems", "invoiceitem"),
    Resource("charges", "/v1/charges", "charge"),
    Resource("refunds", "/v1/refunds", "refund"),
    Resource("disputes", "/v1/disputes", "dispute"),
    Resource("payment_intents", "/v1/payment_intents", "payment_intent"),
    Resource(
        "payment_methods",
        "/v1/customers/{id}/payment_methods",
        "payment_method",
        parent="customers",
    ),
    Resource("balance_transactions", "/v1/balance_transactions", "balance_transaction"),
    Resource("payouts", "/v1/payouts", "payout"),
    Resource("credit_notes", "/v1/credit_notes", "credit_note"),
    Resource("events", "/v1/events", "event"),
)
RESOURCES_BY_NAME = {resource.name: resource for resource in RESOURCES}
RESOURCE_BY_OBJECT = {resource.object: resource for resource in RESOURCES}
# Child tables keep the id of the parent they were listed under.
CHILD_TABLES = frozenset(r.name for r in RESOURCES if r.parent)
