"""A subscription's output: the subscription, its items, invoices, events."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from tools.fake_stripe import objects as obj
from tools.fake_stripe.synth.parts import SubscriptionPart
from tools.fake_stripe.synth.payments import RETRY_DAYS
from tools.fake_stripe.synth.sinks import TRUTH
from tools.fake_stripe.synth.timeline import DAY, EVENT_WINDOW

if TYPE_CHECKING:
    from tools.fake_stripe.synth.subscription_life import SubscriptionLife

Fragment = orjson.Fragment
dumps = orjson.dumps


class SubscriptionWriter(SubscriptionPart):
    """Writes the subscription as it is now and the events of its life."""

    def __init__(self, sub: SubscriptionLife) -> None:
        super().__init__(sub)
        self.invoice_writer = InvoiceWriter(sub)

    def final_status(self) -> str:
        if (
            self.sub.status == "active"
            and self.sub.trial_end
            and self.now < self.sub.trial_end
        ):
            return "trialing"
        if self.sub.status in ("past_due",) and self.sub.invoices:
            payment = self.sub.invoices[-1]["payment"]
            if payment and payment["paid_at"] is not None:
                return "active"
        return self.sub.status

    def write(self) -> None:
        owner, gen, sink = self.owner, self.gen, self.owner.sink
        for record in self.sub.invoices:
            self.invoice_writer.write_invoice(record)
        for pending in self.sub.pending_items:
            self.invoice_writer.write_invoice_item(pending, None)
        items_out = []
        period_start, period_end = self.sub.period
        for item in self.sub.items:
            price = item["price"]
            data = sink.write(
                "subscription_items",
                obj.subscription_item(
                    item["id"],
                    item["created"],
                    self.sub.id,
                    price.fragment,
                    price.plan_fragment,
                    item["quantity"],
                    period_start,
                    period_end,
                ),
            )
            items_out.append(Fragment(data))
        discounts = []
        end = self.sub.billing.discount_end()
        still = (
            self.sub.coupon
            and self.sub.coupon.duration != "once"
            and (end is None or end > self.now)
            and self.sub.status != "canceled"
        )
        if still:
            discounts.append(
                obj.discount(
                    self.sub.discount_id,
                    self.sub.coupon.id,
                    owner.id,
                    self.sub.id,
                    self.sub.coupon_start,
                    end,
                    coupon=self.sub.coupon.body,
                )
            )
        latest = self.sub.invoices[-1]["id"] if self.sub.invoices else None
        data = sink.write(
            "subscriptions",
            obj.subscription(
                self.sub.id,
                self.sub.start,
                owner.id,
                owner.currency,
                self.final_status(),
                obj.embedded_list(
                    items_out,
                    len(items_out),
                    f"/v1/subscription_items?subscription={self.sub.id}",
                ),
                self.sub.trial_end or self.sub.start,
                self.sub.start,
                self.sub.start if self.sub.trial_end else None,
                self.sub.trial_end,
                self.sub.cancel_at,
                self.sub.cancel_at_period_end,
                self.sub.canceled_at,
                self.sub.ended_at,
                self.sub.cancel_reason,
                self.sub.feedback,
                discounts,
                owner.pm_id,
                latest,
            ),
        )
        self.hide_unseen_discount()
        sink.write(TRUTH, self.sub.truth.record())
        for kind, when, previous in self.sub.events:
            if kind == "customer.subscription.created" and gen.in_window(when):
                gen.emit_event(kind, when, dumps(self.as_created(data)))
            else:
                gen.emit_event(kind, when, data, previous)

    def hide_unseen_discount(self) -> None:
        """A forever discount that no invoice applied, on a subscription
        canceled since (which lists discounts no more): once its event is
        gone, nothing in Stripe's objects says it ever applied."""
        sub = self.sub
        if not (sub.coupon and sub.coupon.duration == "forever"):
            return
        if sub.status != "canceled" or sub.coupon_start >= self.now - EVENT_WINDOW:
            return
        if any(
            (invoice["discount"] or {}).get("id") == sub.discount_id
            and invoice["status"] != "void"
            for invoice in sub.invoices
        ):
            return
        sub.truth.hidden(
            sub.coupon_start,
            sub.ended_at or self.now,
            "forever discount never invoiced before the end, older than the events",
        )

    def as_created(self, final: bytes) -> dict:
        """The subscription as `customer.subscription.created` showed it."""
        first = self.sub.invoices[0]["id"] if self.sub.invoices else None
        return orjson.loads(final) | {
            "status": self.sub.truth.statuses[0]["status"],
            "cancel_at": None,
            "cancel_at_period_end": False,
            "canceled_at": None,
            "cancellation_details": {"comment": None, "feedback": None, "reason": None},
            "ended_at": None,
            "latest_invoice": first,
        }


class InvoiceWriter(SubscriptionPart):
    """Writes an invoice with its lines, items, payment and events."""

    def write_invoice_item(self, pending: dict, invoice_id: str | None) -> None:
        data = self.owner.sink.write(
            "invoiceitems",
            obj.invoice_item(
                pending["id"],
                pending["created"],
                pending["billed"],
                self.owner.id,
                invoice_id,
            ),
        )
        self.gen.emit_event("invoiceitem.created", pending["created"], data)

    def write_invoice(self, record: dict) -> None:
        owner, sink, gen = self.owner, self.owner.sink, self.gen
        invoice_id, currency = record["id"], owner.currency
        for pending in record["billed_items"]:
            self.write_invoice_item(pending, invoice_id)
        payment = record["payment"]
        if payment is not None:
            owner.payment_writer.write_payment(payment, payment.get("canceled_at"))
        discount = record["discount"]
        line_fragments = []
        for line in record["lines"]:
            cut = line.get("discount", 0)
            data = sink.write(
                "invoice_line_items",
                obj.line_item(
                    self.ids.new("il"),
                    invoice_id,
                    line["billed"],
                    [{"amount": cut, "discount": discount["id"]}] if discount else [],
                    [discount["id"]] if discount else [],
                    line["ii"]["id"] if line["ii"] else None,
                    line.get("taxes"),
                ),
            )
            line_fragments.append(Fragment(data))
        status = record["status"]
        paid_at = None
        payments_data = []
        attempts = 0
        if payment is not None:
            paid_at = payment["paid_at"]
            attempts = len(payment["attempts"])
            payments_data.append(
                obj.invoice_payment(
                    self.ids.new("inpay"),
                    payment["at"],
                    record["amount_due"],
                    paid_at is not None,
                    currency,
                    invoice_id,
                    payment["pi"],
                    paid_at,
                )
            )
        elif status == "paid":
            paid_at = record["finalized"]
        next_attempt = None
        if status == "open" and payment and attempts <= len(RETRY_DAYS):
            next_attempt = payment["at"] + RETRY_DAYS[attempts - 1] * DAY
            if next_attempt <= self.now:
                next_attempt = None
        body = obj.invoice(
            invoice_id,
            record["created"],
            owner.id,
            owner.contact,
            currency,
            status,
            record["reason"],
            self.sub.id,
            obj.embedded_list(
                line_fragments,
                len(line_fragments),
                f"/v1/invoices/{invoice_id}/lines",
            ),
            [discount] if discount else [],
            [{"amount": record["discount_total"], "discount": discount["id"]}]
            if discount
            else [],
            record["subtotal"],
            record["total"],
            record["starting_balance"],
            record["amount_due"],
            record["amount_due"] if status == "paid" else 0,
            attempts,
            record["number"],
            record["finalized"],
            paid_at,
            record["voided_at"],
            record["uncollectible_at"],
            next_attempt,
            owner.pm_id,
            {
                "object": "list",
                "data": payments_data,
                "has_more": False,
                "total_count": len(payments_data),
                "url": f"/v1/invoices/{invoice_id}/payments",
            },
            invoice_id[-16:],
        )
        data = sink.write("invoices", body)
        # Events show the invoice as it was then: a draft, then open.
        if gen.in_window(record["created"]):
            draft = dumps(obj.invoice_as_draft(body))
            gen.emit_event("invoice.created", record["created"], draft)
        tries = payment["attempts"] if payment else ()
        failures = [when for when, _charge, decline in tries if decline]
        if any(map(gen.in_window, [record["finalized"], *failures])):
            opened = dumps(obj.invoice_as_open(body)) if status != "open" else data
            gen.emit_event("invoice.finalized", record["finalized"], opened)
            for when in failures:
                gen.emit_event("invoice.payment_failed", when, opened)
        if status == "paid":
            gen.emit_event("invoice.paid", paid_at, data)
            gen.emit_event("invoice.payment_succeeded", paid_at, data)
        if status == "void":
            gen.emit_event("invoice.voided", record["voided_at"], data)
        if status == "uncollectible":
            gen.emit_event(
                "invoice.marked_uncollectible", record["uncollectible_at"], data
            )
