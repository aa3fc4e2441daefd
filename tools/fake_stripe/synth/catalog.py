"""The account's products, prices and coupons, shared by every customer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import orjson

from tools.fake_stripe import objects as obj
from tools.fake_stripe.synth.ids import Ids
from tools.fake_stripe.synth.sinks import SnapshotSink
from tools.fake_stripe.synth.timeline import DAY

Fragment = orjson.Fragment

# Minor units per US cent, rounded to a list price in each currency.
CURRENCY_FACTOR = {"usd": 1.0, "eur": 0.92, "gbp": 0.79, "jpy": 1.5}
TIERS = (  # name, monthly list price in US cents, description
    ("Starter", 900, "For individuals getting started."),
    ("Pro", 2900, "For professionals who ship every day."),
    ("Business", 9900, "For growing teams."),
    ("Enterprise", 49900, "SSO, audit log and a named engineer."),
)
ADDONS = (
    "SSO",
    "Audit log",
    "Extra storage",
    "Sandbox",
    "Data export",
    "Custom domain",
    "Webhooks+",
    "Analytics",
    "Backups",
    "Uptime SLA",
    "Dedicated IP",
    "Compliance pack",
    "Translation",
    "Advanced roles",
)
COUPONS = (  # id, name, duration, months, percent_off, amount_off, currency
    ("WELCOME20", "Welcome 20% for 3 months", "repeating", 3, 20.0, None, None),
    ("LAUNCH50", "Launch 50% first invoice", "once", None, 50.0, None, None),
    ("PARTNER10", "Partner 10% forever", "forever", None, 10.0, None, None),
    ("FIVEOFF", "$5 off once", "once", None, None, 500, "usd"),
    ("EURO10", "10 EUR off forever", "forever", None, None, 1000, "eur"),
    ("YEN1000", "1000 JPY off for 6 months", "repeating", 6, None, 1000, "jpy"),
    # Deleted since: only the discounts that embed it still show it.
    ("LOYAL15", "Loyalty 15% forever (retired)", "forever", None, 15.0, None, None),
)
DELETED_COUPONS = frozenset(("LOYAL15",))
# Per-seat plans priced by tiers, in US cents a month: (up_to, unit, flat).
SEAT_TIERS = {
    "graduated": ((5, 1500, 0), (20, 1200, 0), (None, 900, 2000)),
    "volume": ((10, 1400, 0), (50, 1100, 0), (None, 800, 5000)),
}
# Tier prices include tax where the list price is quoted with VAT.
TAX_BEHAVIOR = {
    "usd": "exclusive",
    "eur": "inclusive",
    "gbp": "inclusive",
    "jpy": "exclusive",
}


class SynthPrice:
    """What the simulation needs of a price, and its bytes for embedding."""

    __slots__ = (
        "id",
        "product",
        "product_name",
        "currency",
        "unit_amount",
        "interval",
        "interval_count",
        "metered",
        "billing_scheme",
        "tiers_mode",
        "tiers",
        "tax_behavior",
        "fragment",
        "plan_fragment",
    )

    def __init__(self, body: dict, product_name: str, fragment, plan_fragment) -> None:
        recurring = body["recurring"]
        self.id, self.product = body["id"], body["product"]
        self.product_name = product_name
        self.currency, self.unit_amount = body["currency"], body["unit_amount"]
        self.interval = recurring["interval"]
        self.interval_count = recurring["interval_count"]
        self.metered = recurring["usage_type"] == "metered"
        self.billing_scheme = body["billing_scheme"]
        self.tiers_mode = body["tiers_mode"]
        self.tiers = [
            {k: tier[k] for k in ("up_to", "unit_amount", "flat_amount")}
            for tier in body.get("tiers") or ()
        ] or None
        self.tax_behavior = body["tax_behavior"]
        self.fragment, self.plan_fragment = fragment, plan_fragment

    def amount(self, quantity: int) -> int:
        """What one period of `quantity` units costs, tiers included."""
        if self.tiers is None:
            return self.unit_amount * quantity
        if self.tiers_mode == "volume":
            for tier in self.tiers:
                if tier["up_to"] is None or quantity <= tier["up_to"]:
                    return tier["unit_amount"] * quantity + tier["flat_amount"]
        total, below = 0, 0
        for tier in self.tiers:
            if quantity <= below:
                break
            top = quantity if tier["up_to"] is None else min(quantity, tier["up_to"])
            total += tier["unit_amount"] * (top - below) + tier["flat_amount"]
            below = top
        return total


@dataclass
class SynthCoupon:
    id: str
    name: str
    duration: str
    months: int | None
    percent_off: float | None
    amount_off: int | None
    currency: str | None
    deleted: bool = False  # deleted in Stripe: only discounts still embed it
    body: dict | None = None  # the coupon object, as discounts embed it


@dataclass
class SynthCatalog:
    """Products, prices and coupons, shared by every customer."""

    tiers: dict[tuple[str, str, str], SynthPrice] = field(default_factory=dict)
    seats: dict[tuple[str, str], SynthPrice] = field(default_factory=dict)
    # (currency, interval, tiers_mode) -> a tiered per-seat price
    tiered_seats: dict[tuple[str, str, str], SynthPrice] = field(default_factory=dict)
    metered: dict[str, SynthPrice] = field(default_factory=dict)
    support: dict[str, SynthPrice] = field(default_factory=dict)
    digest: dict[str, SynthPrice] = field(default_factory=dict)
    addons: dict[tuple[str, str], list[SynthPrice]] = field(default_factory=dict)
    legacy: dict[str, SynthPrice] = field(default_factory=dict)
    coupons: list[SynthCoupon] = field(default_factory=list)


def local_amount(usd_cents: int, currency: str) -> int:
    value = usd_cents * CURRENCY_FACTOR[currency]
    if usd_cents < 100:  # per-unit prices stay small
        return max(1, round(value))
    return max(100, round(value / 100) * 100)


class CatalogBuilder:
    """Writes the products, prices and plans; keeps them in a SynthCatalog."""

    def __init__(self, ids: Ids, sink: SnapshotSink, start: int) -> None:
        self.ids, self.sink, self.start = ids, sink, start
        self.catalog = SynthCatalog()

    def build(self) -> None:
        """Plans in four currencies; yearly lists at ten months' price."""
        catalog, created = self.catalog, self.start - 30 * DAY
        self.catalog_created = created
        self.legacy_cut = self.start + 330 * DAY
        for rank, (name, cents, description) in enumerate(TIERS):
            product = self._product(created + rank, name, description)
            for currency in CURRENCY_FACTOR:
                for interval in ("month", "year"):
                    key = (name, currency, interval)
                    catalog.tiers[key] = self._price(
                        product, currency, cents, interval, tax=TAX_BEHAVIOR[currency]
                    )
                if name == "Pro":  # early customers keep the old list price
                    catalog.legacy[currency] = self._price(
                        product,
                        currency,
                        1900,
                        "month",
                        active=False,
                        created=created - 200 * DAY,
                        nickname="Pro monthly (2024 list price)",
                    )
        seats = self._product(created + 10, "Team", "Per-seat plan.", "seat")
        api = self._product(created + 11, "API calls", "Metered API usage.", "call")
        support = self._product(created + 12, "Priority support", "Quarterly.")
        digest = self._product(created + 13, "Weekly digest", "Weekly report.")
        meter = self.ids.new("mtr")
        for currency in CURRENCY_FACTOR:
            for interval in ("month", "year"):
                catalog.seats[(currency, interval)] = self._price(
                    seats, currency, 1500, interval
                )
                for mode, bands in SEAT_TIERS.items():
                    scale = 10 if interval == "year" else 1
                    tiers = [
                        {
                            "up_to": up_to,
                            "unit_amount": round(
                                unit * scale * CURRENCY_FACTOR[currency]
                            ),
                            "flat_amount": round(
                                flat * scale * CURRENCY_FACTOR[currency]
                            ),
                        }
                        for up_to, unit, flat in bands
                    ]
                    catalog.tiered_seats[(currency, interval, mode)] = self._price(
                        seats,
                        currency,
                        0,
                        interval,
                        nickname=f"Team {interval}ly ({mode} tiers)",
                        tiers_mode=mode,
                        tiers=tiers,
                    )
            catalog.metered[currency] = self._price(
                api, currency, 2, "month", metered=True, meter=meter
            )
            catalog.support[currency] = self._price(
                support, currency, 29900, "month", count=3
            )
            catalog.digest[currency] = self._price(digest, currency, 300, "week")
        for index, name in enumerate(ADDONS):
            product = self._product(
                created + 20 + index, f"Add-on: {name}", f"{name} add-on."
            )
            for currency in CURRENCY_FACTOR:
                for interval in ("month", "year"):
                    catalog.addons.setdefault((currency, interval), []).append(
                        self._price(product, currency, 500 + 300 * index, interval)
                    )
        catalog.coupons = [
            SynthCoupon(*row, deleted=row[0] in DELETED_COUPONS) for row in COUPONS
        ]
        for coupon in catalog.coupons:
            coupon.body = self._coupon_body(coupon, 0)
            coupon.body["valid"] = not coupon.deleted

    def _product(
        self, created: int, name: str, description: str, unit: str | None = None
    ) -> tuple[str, str]:
        product_id = self.ids.new("prod")
        self.sink.write(
            "products", obj.product(product_id, created, name, description, unit)
        )
        return product_id, name

    def _price(
        self,
        product: tuple[str, str],
        currency: str,
        usd_cents: int,
        interval: str,
        count: int = 1,
        metered: bool = False,
        meter: str | None = None,
        active: bool = True,
        created: int | None = None,
        nickname: str | None = None,
        tax: str = "unspecified",
        tiers_mode: str | None = None,
        tiers: list[dict] | None = None,
    ) -> SynthPrice:
        """A recurring price (and the Plan Stripe keeps under the same id)."""
        amount = local_amount(usd_cents * (10 if interval == "year" else 1), currency)
        body = obj.price(
            self.ids.new("price"),
            created or self.catalog_created,
            product[0],
            currency,
            amount,
            interval,
            count,
            "metered" if metered else "licensed",
            meter,
            active,
            nickname or f"{product[1]} {'quarter' if count == 3 else interval}ly",
            None,
            tax,
            tiers_mode,
            tiers,
        )
        data = self.sink.write("prices", body)
        plan = self.sink.write("plans", obj.plan_from_price(body))
        return SynthPrice(body, product[1], Fragment(data), Fragment(plan))

    def write_coupons(self, redeemed: Mapping[str, int]) -> None:
        """The coupons, last: how often each was redeemed is known by then."""
        for coupon in self.catalog.coupons:
            if not coupon.deleted:
                self.sink.write(
                    "coupons", self._coupon_body(coupon, redeemed[coupon.id])
                )

    def _coupon_body(self, coupon: SynthCoupon, redeemed: int) -> dict:
        return obj.coupon(
            coupon.id,
            self.start - 20 * DAY,
            coupon.name,
            coupon.duration,
            coupon.months,
            coupon.percent_off,
            coupon.amount_off,
            coupon.currency,
            redeemed,
        )
