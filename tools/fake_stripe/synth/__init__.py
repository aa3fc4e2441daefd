"""Write a synthetic Stripe account as a snapshot directory.

    python -m tools.fake_stripe.synth --customers 1000 [--seed 7] [--out DIR] [--gzip]
    make synth SYNTH_CUSTOMERS=1000 [SYNTH_SEED=7] [JSON_DIR=DIR] [SYNTH_GZIP=1]

The business: a SaaS company selling monthly, quarterly, yearly and weekly
plans (some per seat, per unit or tiered graduated/volume, one metered, a
dozen add-ons; eur and gbp plans tax-inclusive) in usd, eur, gbp and jpy,
over about 30 months ending at a fixed "now". Customers sign up (some with a
trial and a coupon), upgrade and downgrade, change seats, add and remove
add-ons (prorated by create_prorations, pending invoice items until the next
invoice, by always_invoice, or not at all), get forever coupons granted and
taken away (one coupon since deleted), fail payments (with decline codes and
Radar outcomes), go incomplete then active, paused after a trial and
resumed, past_due and back, unpaid then canceled, cancel (now or at period
end), come back, get refunds and disputes. The account settles in usd (other
currencies converted at a daily rate) and, for a share of eur customers,
in eur, with Stripe's card fees; payouts are automatic (usd daily, eur
weekly) plus some Instant Payouts with a fee, and each balance transaction
names its payout (ledger.py, docs/operations.md). The last 30 days also
appear as events.

Ground truth: `_truth/subscriptions.jsonl` (not a resource file; the loader
never reads it) holds every subscription's timeline as the generator decided
it: status intervals, item segments (price, tiers, quantity, interval, tax
behavior, [from, until)), discounts with their coupon terms and effective
[start, end), and the spans Stripe's objects cannot date ("unobservable",
with a cause). tests/reference/mrr.py computes MRR from it; docs/testing.md
describes the format and the comparison with fct_mrr.

Every object has the shape the API returns at the pinned version (checked
against the stripe SDK's typed classes by tests/python/test_synth.py). An
invoice embeds its first 10 lines (has_more beyond) and, expanded, its
payments and discounts; a subscription its items and discounts. Events carry
the object as it was then for invoices, charges and new subscriptions, and as
it is now otherwise. Customers deleted in the last 30 days exist only in
their `customer.deleted` event, as with the API's list endpoint.

The output is a pure function of (customers, seed, now): customers are
simulated in blocks, each with its own random stream and id range, rendered
by --workers processes and written in order, so any number of workers gives
the same bytes. Memory is bounded by a few blocks, whatever the size.
`manifest.json` is written last: a directory without one is incomplete.

Modules: timeline (dates and periods), ids, sinks (files and block
buffers), catalog (products, prices, coupons), generator (the account,
blocks of customers, events), ledger (settlement currencies, rates,
fees, payouts), customer_life with cards, payments
and settlement, subscription_life with subscription_changes,
subscription_billing, subscription_writer and subscription_truth (their
pieces share the bases in parts), and cli. Names and places come from
fake_stripe.people.
"""

from extract.settings import STRIPE_API_VERSION
from tools.fake_stripe.objects import RESOURCES
from tools.fake_stripe.synth.cli import main, settings_from
from tools.fake_stripe.synth.generator import SynthSettings, SynthStats, generate
from tools.fake_stripe.synth.timeline import DEFAULT_NOW, parse_now

__all__ = [
    "DEFAULT_NOW",
    "RESOURCES",
    "STRIPE_API_VERSION",
    "SynthSettings",
    "SynthStats",
    "generate",
    "main",
    "parse_now",
    "settings_from",
]
