"""The demo business `make populate` builds, as a pure function of seed and size.

Nothing here talks to Stripe: `build(seed, customers)` returns the same
catalog, coupons, customers, subscriptions and payments for the same inputs,
and every object carries a `populate_key` made from the seed and its index,
which is how a re-run recognises what already exists.

Mixes are dealt rather than drawn: each option gets its share of the deck
(largest remainder), at least one card when the deck is large enough, and the
deck is shuffled. So a small run still has a trial, a cancellation, a refund,
a failed payment and each currency, and a large one has realistic shares.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from tools.fake_stripe.people import (
    ADDRESSES_BY_CURRENCY,
    FIRST_NAMES_BY_CURRENCY,
    LAST_NAMES_BY_CURRENCY,
)

CURRENCIES = ("usd", "eur", "jpy")
ZERO_DECIMAL = frozenset({"jpy"})
INTERVALS = ("month", "year")
# A yearly price is ten monthly ones: two months free, as SaaS pricing pages do.
YEARLY_MONTHS = 10
TRIAL_DAYS = 14

# (key, name, description, monthly amount per seat in minor units per currency)
PRODUCTS = (
    (
        "starter",
        "Ledgerly Starter",
        "Bookkeeping for freelancers: one ledger, bank feeds, invoicing.",
        {"usd": 900, "eur": 900, "jpy": 1200},
    ),
    (
        "team",
        "Ledgerly Team",
        "Shared ledgers, approvals and roles for small finance teams, per seat.",
        {"usd": 2900, "eur": 2700, "jpy": 3900},
    ),
    (
        "business",
        "Ledgerly Business",
        "Multi-entity consolidation, audit trail and SSO, per seat.",
        {"usd": 9900, "eur": 8900, "jpy": 12900},
    ),
)
TIER_ORDER = tuple(key for key, *_ in PRODUCTS)

# (id stem, duration, percent off, months for a repeating coupon)
COUPONS = (
    ("LAUNCH20", "forever", 20, None),
    ("WELCOME50", "once", 50, None),
    ("SPRING25", "repeating", 25, 3),
)
COUPON_OF_STORY = {
    "coupon_forever": "LAUNCH20",
    "coupon_once": "WELCOME50",
    "coupon_repeating": "SPRING25",
}

# What happens to a subscription over its life, with its share of subscribers.
SUBSCRIPTION_STORIES = {
    "plain": 30,
    "trial": 12,
    "canceled": 10,
    "cancel_at_period_end": 6,
    "upgrade": 9,
    "quantity_change": 9,
    "coupon_forever": 10,
    "coupon_once": 9,
    "coupon_repeating": 5,
    # Moves to yearly billing, but the card on file now declines: past_due.
    "past_due": 4,
}
CARD_KINDS = {"good": 88, "declining": 7, "none": 5}
CUSTOMER_CURRENCIES = {"usd": 55, "eur": 30, "jpy": 15}
REFUND_KINDS = {"none": 82, "full": 8, "partial": 10}
PAYMENTS_PER_CUSTOMER = {0: 35, 1: 35, 2: 20, 3: 10}
TIER_SHARES = {"starter": 50, "team": 35, "business": 15}

STREETS = {
    "usd": ("Main St", "Oak Ave", "Market St", "Park Rd", "Elm St"),
    "eur": ("Hauptstraße", "Rue Victor Hugo", "Oudegracht", "Calle Mayor", "Via Roma"),
    "jpy": ("Chuo-dori", "Meiji-dori", "Tenjin", "Sakaisuji"),
}
COMPANY_WORDS = (
    "Studio",
    "Labs",
    "Works",
    "Partners",
    "Collective",
    "Bakery",
    "Garage",
)
SEGMENTS = {"freelancer": 40, "smb": 45, "mid_market": 15}
SIGNUP_SOURCES = {"organic": 40, "paid_search": 25, "referral": 20, "partner": 15}
ONE_OFF_ITEMS = (
    ("Onboarding package", 0.5),
    ("Data migration", 1.0),
    ("Year-end closing review", 1.5),
    ("Extra consulting hours", 0.8),
    ("Custom report setup", 0.6),
)
# One-off amounts, in minor units per currency, before the item's multiplier.
ONE_OFF_BASE = {"usd": 25000, "eur": 23000, "jpy": 33000}
LOCALES = {"usd": "en-US", "eur": None, "jpy": "ja-JP"}
EUR_LOCALES = {
    "DE": "de-DE",
    "FR": "fr-FR",
    "NL": "nl-NL",
    "ES": "es-ES",
    "IT": "it-IT",
}


@dataclass(frozen=True)
class PlannedPrice:
    key: str
    product_key: str
    currency: str
    interval: str
    unit_amount: int
    nickname: str


@dataclass(frozen=True)
class PlannedProduct:
    key: str
    tier: str
    name: str
    description: str
    prices: tuple[PlannedPrice, ...]


@dataclass(frozen=True)
class PlannedCoupon:
    id: str
    duration: str
    percent_off: int
    duration_in_months: int | None


@dataclass(frozen=True)
class PlannedSubscription:
    key: str
    story: str
    price_key: str
    quantity: int
    coupon: str | None = None
    trial_days: int | None = None
    backdate_days: int = 0
    # For upgrade / quantity_change: the item after the mid-period change.
    new_price_key: str | None = None
    new_quantity: int | None = None

    @property
    def changes(self) -> bool:
        return self.new_price_key is not None

    @property
    def cancel(self) -> str | None:
        return {"canceled": "now", "cancel_at_period_end": "period_end"}.get(self.story)


@dataclass(frozen=True)
class PlannedPayment:
    key: str
    description: str
    amount: int
    currency: str
    refund: str  # none | full | partial
    refund_key: str
    refund_amount: int | None


@dataclass(frozen=True)
class PlannedCustomer:
    key: str
    name: str
    email: str
    phone: str
    currency: str
    address: dict[str, str]
    preferred_locale: str | None
    card: str  # good | declining | none
    metadata: dict[str, str]
    subscriptions: tuple[PlannedSubscription, ...] = ()
    payments: tuple[PlannedPayment, ...] = ()


@dataclass(frozen=True)
class PlannedBusiness:
    seed: int
    products: tuple[PlannedProduct, ...]
    coupons: tuple[PlannedCoupon, ...]
    customers: tuple[PlannedCustomer, ...]
    prices_by_key: dict[str, PlannedPrice] = field(default_factory=dict)


def deal(rng: random.Random, n: int, shares: dict) -> list:
    """n options in proportion to shares, each at least once if n allows, shuffled."""
    options = list(shares)
    total = sum(shares.values())
    exact = [n * shares[o] / total for o in options]
    counts = [int(x) for x in exact]
    if n >= len(options):
        counts = [max(c, 1) for c in counts]
    by_remainder = sorted(range(len(options)), key=lambda i: exact[i] - int(exact[i]))
    while sum(counts) < n:
        counts[by_remainder.pop()] += 1
    while sum(counts) > n:
        largest = max(range(len(options)), key=lambda i: counts[i])
        counts[largest] -= 1
    deck = [o for o, c in zip(options, counts, strict=True) for _ in range(c)]
    rng.shuffle(deck)
    return deck


def weighted(rng: random.Random, shares: dict):
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def price_key(seed: int, tier: str, currency: str, interval: str) -> str:
    return f"s{seed}:price:{tier}:{interval}:{currency}"


def major_units(amount: int, currency: str) -> str:
    if currency in ZERO_DECIMAL:
        return f"{amount} {currency.upper()}"
    return f"{amount / 100:.2f} {currency.upper()}"


def build_products(seed: int) -> tuple[PlannedProduct, ...]:
    products = []
    for tier, name, description, monthly in PRODUCTS:
        prices = []
        for currency in CURRENCIES:
            for interval in INTERVALS:
                months = 1 if interval == "month" else YEARLY_MONTHS
                amount = monthly[currency] * months
                label = "Monthly" if interval == "month" else "Yearly"
                prices.append(
                    PlannedPrice(
                        key=price_key(seed, tier, currency, interval),
                        product_key=f"s{seed}:product:{tier}",
                        currency=currency,
                        interval=interval,
                        unit_amount=amount,
                        nickname=f"{name.split()[-1]} {label} {currency.upper()}",
                    )
                )
        products.append(
            PlannedProduct(
                f"s{seed}:product:{tier}", tier, name, description, tuple(prices)
            )
        )
    return tuple(products)


def build_coupons(seed: int) -> tuple[PlannedCoupon, ...]:
    return tuple(
        PlannedCoupon(f"{stem}-S{seed}", duration, percent, months)
        for stem, duration, percent, months in COUPONS
    )


def _seats(rng: random.Random, tier: str) -> int:
    if tier == "starter":
        return 1
    if tier == "team":
        return rng.randint(2, 12)
    return rng.randint(5, 40)


def _subscription(
    rng: random.Random, seed: int, key: str, story: str, currency: str
) -> PlannedSubscription:
    tier = weighted(rng, TIER_SHARES)
    if story == "upgrade" and tier == TIER_ORDER[-1]:
        tier = TIER_ORDER[rng.randrange(len(TIER_ORDER) - 1)]
    interval = "month" if story == "past_due" or rng.random() < 0.75 else "year"
    quantity = _seats(rng, tier)
    fields: dict = {}
    if story == "trial":
        fields["trial_days"] = TRIAL_DAYS
    else:
        # Started some time ago but still in its first period, so the start
        # date is in the past without a period that should have renewed.
        fields["backdate_days"] = rng.randint(0, 25 if interval == "month" else 300)
    if story == "upgrade":
        higher = TIER_ORDER[TIER_ORDER.index(tier) + 1]
        fields["new_price_key"] = price_key(seed, higher, currency, interval)
        fields["new_quantity"] = max(quantity, _seats(rng, higher))
    elif story == "past_due":
        fields["new_price_key"] = price_key(seed, tier, currency, "year")
        fields["new_quantity"] = quantity
    elif story == "quantity_change":
        if tier == "starter":
            tier, quantity = "team", _seats(rng, "team")
        fields["new_price_key"] = price_key(seed, tier, currency, interval)
        new_quantity = max(1, quantity + rng.choice((-3, -2, -1, 1, 2, 3, 5)))
        fields["new_quantity"] = (
            new_quantity if new_quantity != quantity else quantity + 1
        )
    fields["coupon"] = (
        f"{COUPON_OF_STORY[story]}-S{seed}" if story in COUPON_OF_STORY else None
    )
    return PlannedSubscription(
        key=key,
        story=story,
        price_key=price_key(seed, tier, currency, interval),
        quantity=quantity,
        **fields,
    )


def _payment(
    rng: random.Random, seed: int, key: str, currency: str, refund: str
) -> PlannedPayment:
    description, factor = rng.choice(ONE_OFF_ITEMS)
    raw = ONE_OFF_BASE[currency] * factor * rng.uniform(0.4, 2.5)
    step = 100 if currency not in ZERO_DECIMAL else 500
    amount = max(2 * step, int(raw // step) * step)
    refund_amount = None
    if refund == "partial":
        share = rng.choice((0.25, 0.3, 0.5, 0.6))
        refund_amount = min(
            max(step, int(amount * share // step) * step), amount - step
        )
    return PlannedPayment(
        key=key,
        description=description,
        amount=amount,
        currency=currency,
        refund=refund,
        refund_key=f"{key}:refund",
        refund_amount=refund_amount,
    )


def _identity(rng: random.Random, index: int, currency: str) -> dict:
    first = rng.choice(FIRST_NAMES_BY_CURRENCY[currency])
    last = rng.choice(LAST_NAMES_BY_CURRENCY[currency])
    country, city, state, postal = rng.choice(ADDRESSES_BY_CURRENCY[currency])
    company = f"{last} {rng.choice(COMPANY_WORDS)}"
    local = f"{first}.{last}".lower().replace(" ", "").replace("ü", "u")
    local = (
        local.replace("é", "e").replace("í", "i").replace("ß", "ss").replace("É", "e")
    )
    domain = company.lower().replace(" ", "").replace("ü", "u") + ".example"
    address = {
        "line1": f"{rng.randint(1, 240)} {rng.choice(STREETS[currency])}",
        "city": city,
        "postal_code": postal.format(rng.randint(1, 99)),
        "country": country,
    }
    if state:
        address["state"] = state
    if rng.random() < 0.3:
        address["line2"] = f"Suite {rng.randint(100, 900)}"
    locale = LOCALES[currency] or EUR_LOCALES[country]
    return {
        "name": f"{first} {last}",
        "company": company,
        "email": f"{local}.{index}@{domain}",
        "phone": f"+{rng.randint(1, 89)}{rng.randint(200000000, 999999999)}",
        "address": address,
        "preferred_locale": locale,
    }


def build(seed: int, customers: int) -> PlannedBusiness:
    if customers < 1:
        raise ValueError("a business needs at least one customer")
    rng = random.Random(seed)
    products = build_products(seed)
    coupons = build_coupons(seed)
    currencies = deal(rng, customers, CUSTOMER_CURRENCIES)
    cards = deal(rng, customers, CARD_KINDS)
    payment_counts = [weighted(rng, PAYMENTS_PER_CUSTOMER) for _ in range(customers)]
    # Declining cards try to buy and fail; customers without a card are leads.
    for i, card in enumerate(cards):
        if card == "declining":
            payment_counts[i] = max(1, payment_counts[i])
        elif card == "none":
            payment_counts[i] = 0
    # Stories are dealt to customers whose card works; a declining card gets a
    # plain subscription whose first payment fails.
    good = [i for i, card in enumerate(cards) if card == "good"]
    stories = dict(zip(good, deal(rng, len(good), SUBSCRIPTION_STORIES), strict=True))
    stories.update({i: "plain" for i, card in enumerate(cards) if card == "declining"})
    for i, story in stories.items():
        if story == "past_due":
            # Their card on file declines from then on: no one-off purchases.
            payment_counts[i] = 0
    good_payments = sum(
        c for c, card in zip(payment_counts, cards, strict=True) if card == "good"
    )
    refunds = iter(deal(rng, good_payments, REFUND_KINDS))

    built = []
    for i in range(customers):
        key = f"s{seed}:customer:{i:04d}"
        currency, card = currencies[i], cards[i]
        who = _identity(rng, i, currency)
        subscriptions = []
        if i in stories:
            subscriptions.append(
                _subscription(rng, seed, f"{key}:sub:0", stories[i], currency)
            )
            # Some accounts run a second, independent workspace.
            if card == "good" and rng.random() < 0.08:
                subscriptions.append(
                    _subscription(rng, seed, f"{key}:sub:1", "plain", currency)
                )
        payments = tuple(
            _payment(
                rng,
                seed,
                f"{key}:pay:{j}",
                currency,
                next(refunds) if card == "good" else "none",
            )
            for j in range(payment_counts[i])
        )
        metadata = {
            "populate_key": key,
            "company": who["company"],
            "segment": weighted(rng, SEGMENTS),
            "signup_source": weighted(rng, SIGNUP_SOURCES),
        }
        built.append(
            PlannedCustomer(
                key=key,
                name=who["name"],
                email=who["email"],
                phone=who["phone"],
                currency=currency,
                address=who["address"],
                preferred_locale=who["preferred_locale"],
                card=card,
                metadata=metadata,
                subscriptions=tuple(subscriptions),
                payments=payments,
            )
        )
    prices_by_key = {p.key: p for product in products for p in product.prices}
    return PlannedBusiness(seed, products, coupons, tuple(built), prices_by_key)
