"""Builders of Stripe objects at the pinned API shape, for tools.fake_stripe.synth.

Each builder returns a plain dict with exactly the keys the API returns for
that object at 2026-10-28.endive (basil and later): no `charge.invoice`, the
invoice's subscription under `parent.subscription_details`, a line item's
price under `pricing.price_details`, billing periods on subscription items.
Already serialised sub-objects are passed in as `orjson.Fragment`s so a price
or a payment method is encoded once however often it is embedded.
The builders are dict literals rather than template copies: that is both the
fastest form in CPython and the easiest to compare with the API reference.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from extract import settings

# The snapshot's files, one per raw table (docs/design.md), in the order they
# load and are written: the extractor's list of resources is the one list.
RESOURCES = tuple(resource.name for resource in settings.RESOURCES)
ACCOUNT_ID = "acct_1SynthWarehouse0"
PAYMENTS_COUNTRY = "US"


def address(country: str, city: str, postal_code: str, line1: str) -> dict:
    return {
        "city": city,
        "country": country,
        "line1": line1,
        "line2": None,
        "postal_code": postal_code,
        "state": None,
    }


def product(pid: str, created: int, name: str, description: str, unit: str | None):
    return {
        "id": pid,
        "object": "product",
        "active": True,
        "created": created,
        "default_price": None,
        "description": description,
        "images": [],
        "livemode": False,
        "marketing_features": [],
        "metadata": {},
        "name": name,
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "unit_label": unit,
        "updated": created,
        "url": None,
    }


def price(
    pid: str,
    created: int,
    product_id: str,
    currency: str,
    unit_amount: int,
    interval: str,
    interval_count: int,
    usage_type: str,
    meter: str | None,
    active: bool,
    nickname: str,
    lookup_key: str | None,
    tax_behavior: str = "unspecified",
    tiers_mode: str | None = None,
    tiers: list[dict] | None = None,
) -> dict:
    """A recurring price; with tiers ([{up_to, unit_amount, flat_amount}],
    the last up_to None) a tiered one, `unit_amount` then None."""
    body = {
        "id": pid,
        "object": "price",
        "active": active,
        "billing_scheme": "tiered" if tiers else "per_unit",
        "created": created,
        "currency": currency,
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": lookup_key,
        "metadata": {},
        "nickname": nickname,
        "product": product_id,
        "recurring": {
            "interval": interval,
            "interval_count": interval_count,
            "meter": meter,
            "trial_period_days": None,
            "usage_type": usage_type,
        },
        "tax_behavior": tax_behavior,
        "tiers_mode": tiers_mode if tiers else None,
        "transform_quantity": None,
        "type": "recurring",
        "unit_amount": None if tiers else unit_amount,
        "unit_amount_decimal": None if tiers else str(unit_amount),
    }
    if tiers:
        body["tiers"] = [price_tier(**tier) for tier in tiers]
    return body


def price_tier(up_to: int | None, unit_amount: int, flat_amount: int) -> dict:
    return {
        "flat_amount": flat_amount,
        "flat_amount_decimal": str(flat_amount),
        "unit_amount": unit_amount,
        "unit_amount_decimal": str(unit_amount),
        "up_to": up_to,
    }


def plan_from_price(p: dict) -> dict:
    """The legacy Plan view Stripe keeps of every recurring price (same id)."""
    recurring = p["recurring"]
    return {
        "id": p["id"],
        "object": "plan",
        "active": p["active"],
        "amount": p["unit_amount"],
        "amount_decimal": p["unit_amount_decimal"],
        "billing_scheme": p["billing_scheme"],
        "created": p["created"],
        "currency": p["currency"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": False,
        "metadata": {},
        "meter": recurring["meter"],
        "nickname": p["nickname"],
        "product": p["product"],
        "tiers_mode": p["tiers_mode"],
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": recurring["usage_type"],
    } | ({"tiers": p["tiers"]} if p.get("tiers") else {})


def coupon(
    cid: str,
    created: int,
    name: str,
    duration: str,
    months: int | None,
    percent_off: float | None,
    amount_off: int | None,
    currency: str | None,
    times_redeemed: int,
) -> dict:
    return {
        "id": cid,
        "object": "coupon",
        "amount_off": amount_off,
        "created": created,
        "currency": currency,
        "duration": duration,
        "duration_in_months": months,
        "livemode": False,
        "max_redemptions": None,
        "metadata": {},
        "name": name,
        "percent_off": percent_off,
        "redeem_by": None,
        "times_redeemed": times_redeemed,
        "valid": True,
    }


def discount(
    did: str,
    coupon_id: str,
    customer: str,
    subscription: str,
    start: int,
    end: int | None,
    invoice: str | None = None,
    coupon: dict | None = None,
) -> dict:
    """A discount; `coupon` given, its source embeds the coupon as it was
    (expanded), which outlives the coupon's deletion."""
    return {
        "id": did,
        "object": "discount",
        "checkout_session": None,
        "customer": customer,
        "end": end,
        "invoice": invoice,
        "invoice_item": None,
        "promotion_code": None,
        "source": {"coupon": coupon or coupon_id, "type": "coupon"},
        "start": start,
        "subscription": subscription,
        "subscription_item": None,
    }


def customer(
    cid: str,
    created: int,
    name: str,
    email: str,
    addr: dict,
    currency: str | None,
    balance: int,
    delinquent: bool,
    default_pm: str | None,
    invoice_prefix: str,
    next_sequence: int,
    locale: str,
    phone: str | None,
) -> dict:
    return {
        "id": cid,
        "object": "customer",
        "address": addr,
        "balance": balance,
        "created": created,
        "currency": currency,
        "default_source": None,
        "delinquent": delinquent,
        "description": None,
        "discount": None,
        "email": email,
        "invoice_prefix": invoice_prefix,
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": default_pm,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": name,
        "next_invoice_sequence": next_sequence,
        "phone": phone,
        "preferred_locales": [locale],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def billing_details(addr: dict, email: str, name: str) -> dict:
    return {
        "address": addr,
        "email": email,
        "name": name,
        "phone": None,
        "tax_id": None,
    }


def payment_method(
    pmid: str,
    created: int,
    customer_id: str | None,
    details: dict,
    card: dict,
) -> dict:
    """`card` holds brand, country, exp_month, exp_year, fingerprint, funding,
    last4 (the values charges repeat in payment_method_details)."""
    return {
        "id": pmid,
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": details,
        "card": {
            "brand": card["brand"],
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": "pass",
                "cvc_check": "pass",
            },
            "country": card["country"],
            "display_brand": card["brand"],
            "exp_month": card["exp_month"],
            "exp_year": card["exp_year"],
            "fingerprint": card["fingerprint"],
            "funding": card["funding"],
            "generated_from": None,
            "last4": card["last4"],
            "networks": {"available": [card["brand"]], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": created,
        "customer": customer_id,
        "livemode": False,
        "metadata": {},
        "radar_options": {},
        "type": "card",
    }


def outcome(
    network_status: str,
    reason: str | None,
    risk_level: str,
    risk_score: int,
    seller_message: str,
    kind: str,
    advice_code: str | None,
    network_decline_code: str | None,
) -> dict:
    return {
        "advice_code": advice_code,
        "network_advice_code": None,
        "network_decline_code": network_decline_code,
        "network_status": network_status,
        "reason": reason,
        "risk_level": risk_level,
        "risk_score": risk_score,
        "rule": None,
        "seller_message": seller_message,
        "type": kind,
    }


def charge(
    chid: str,
    created: int,
    amount: int,
    currency: str,
    customer_id: str,
    pi_id: str,
    pm_id: str,
    card: dict,
    details: dict,
    description: str,
    succeeded: bool,
    failure_code: str | None,
    failure_message: str | None,
    charge_outcome: dict,
    bt_id: str | None,
    amount_refunded: int,
    disputed: bool,
    email: str,
) -> dict:
    return {
        "id": chid,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if succeeded else 0,
        "amount_refunded": amount_refunded,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": bt_id,
        "billing_details": details,
        "calculated_statement_descriptor": "SYNTHCO",
        "captured": succeeded,
        "created": created,
        "currency": currency,
        "customer": customer_id,
        "description": description,
        "disputed": disputed,
        "failure_balance_transaction": None,
        "failure_code": failure_code,
        "failure_message": failure_message,
        "fraud_details": {},
        "livemode": False,
        "metadata": {},
        "on_behalf_of": None,
        "outcome": charge_outcome,
        "paid": succeeded,
        "payment_intent": pi_id,
        "payment_method": pm_id,
        "payment_method_details": {
            "card": {
                "amount_authorized": amount if succeeded else None,
                "authorization_code": None,
                "brand": card["brand"],
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": "pass",
                    "cvc_check": None,
                },
                "country": card["country"],
                "exp_month": card["exp_month"],
                "exp_year": card["exp_year"],
                "extended_authorization": {"status": "disabled"},
                "fingerprint": card["fingerprint"],
                "funding": card["funding"],
                "incremental_authorization": {"status": "unavailable"},
                "installments": None,
                "last4": card["last4"],
                "mandate": None,
                "multicapture": {"status": "unavailable"},
                "network": card["brand"],
                "network_token": {"used": False},
                "network_transaction_id": None,
                "overcapture": {
                    "maximum_amount_capturable": amount,
                    "status": "unavailable",
                },
                "regulated_status": "unregulated",
                "three_d_secure": None,
                "wallet": None,
            },
            "type": "card",
        },
        "radar_options": {},
        "receipt_email": email,
        "receipt_number": None,
        "receipt_url": None,
        "refunded": amount_refunded == amount,
        "review": None,
        "shipping": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded" if succeeded else "failed",
        "transfer_data": None,
        "transfer_group": None,
    }


def last_payment_error(
    charge_id: str, code: str, decline_code: str, message: str, pm: Any
) -> dict:
    return {
        "advice_code": None,
        "charge": charge_id,
        "code": code,
        "decline_code": decline_code,
        "doc_url": f"https://docs.stripe.com/error-codes/{code.replace('_', '-')}",
        "message": message,
        "network_advice_code": None,
        "network_decline_code": None,
        "param": None,
        "payment_method": pm,
        "payment_method_type": "card",
        "type": "card_error",
    }


def payment_intent(
    piid: str,
    created: int,
    amount: int,
    currency: str,
    customer_id: str,
    pm_id: str | None,
    description: str,
    status: str,
    latest_charge: str | None,
    error: dict | None,
    canceled_at: int | None,
    email: str,
    secret: str,
) -> dict:
    return {
        "id": piid,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": amount if status == "succeeded" else 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": canceled_at,
        "cancellation_reason": "void_invoice" if canceled_at else None,
        "capture_method": "automatic",
        "client_secret": f"{piid}_secret_{secret}",
        "confirmation_method": "automatic",
        "created": created,
        "currency": currency,
        "customer": customer_id,
        "description": description,
        "last_payment_error": error,
        "latest_charge": latest_charge,
        "livemode": False,
        "metadata": {},
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": pm_id,
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": email,
        "review": None,
        "setup_future_usage": "off_session",
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": status,
        "transfer_data": None,
        "transfer_group": None,
    }


def balance_transaction(
    btid: str,
    created: int,
    available_on: int,
    amount: int,
    fee: int,
    currency: str,
    kind: str,
    category: str,
    source: str,
    description: str | None,
    status: str,
    exchange_rate: float | None = None,
    fee_description: str = "Stripe processing fees",
) -> dict:
    """`exchange_rate`: settlement per presentment unit when converted (major
    units, as Stripe gives it); amount, fee and net are in `currency`."""
    fee_details = []
    if fee:
        fee_details.append(
            {
                "amount": fee,
                "application": None,
                "currency": currency,
                "description": fee_description,
                "type": "stripe_fee",
            }
        )
    return {
        "id": btid,
        "object": "balance_transaction",
        "amount": amount,
        "available_on": available_on,
        "balance_type": "payments",
        "created": created,
        "currency": currency,
        "description": description,
        "exchange_rate": exchange_rate,
        "fee": fee,
        "fee_details": fee_details,
        "net": amount - fee,
        "reporting_category": category,
        "source": source,
        "status": status,
        "type": kind,
    }


def refund(
    rid: str,
    created: int,
    amount: int,
    currency: str,
    charge_id: str,
    pi_id: str,
    bt_id: str,
    reason: str,
    reference: str,
) -> dict:
    return {
        "id": rid,
        "object": "refund",
        "amount": amount,
        "balance_transaction": bt_id,
        "charge": charge_id,
        "created": created,
        "currency": currency,
        "description": REFUND_DESCRIPTIONS.get(reason),
        "destination_details": {
            "card": {
                "reference": reference,
                "reference_status": "available",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        "metadata": {},
        "payment_intent": pi_id,
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


# What customers write when they cancel, by Stripe's feedback value; one is
# picked from the object's id (no random draw, so the rest of a synthetic
# company stays as it was).
CANCEL_COMMENTS = {
    "too_expensive": (
        "Too expensive for a team our size.",
        "The price went up and it is not worth it for us anymore.",
        "We found a cheaper plan elsewhere; this is too expensive.",
    ),
    "missing_features": (
        "Missing the reporting export we need.",
        "No single sign-on, which our security team requires.",
    ),
    "switched_service": (
        "We moved to a competitor that bundles invoicing.",
        "Switched to the tool our parent company uses.",
    ),
    "unused": (
        "We did not use it enough last quarter.",
        "The project that needed it ended.",
    ),
    "customer_service": (
        "Support took a week to answer a billing question.",
        "Nobody helped us with the failed payment.",
    ),
    "too_complex": (
        "Too complicated to set up for our accountant.",
        "The dashboard is confusing and onboarding took too long.",
    ),
    "low_quality": (
        "Too many outages this month.",
        "Sync errors kept losing our data.",
    ),
    "other": ("Closing the business.", "Budget freeze until next year."),
}
# A merchant's rebuttal text by dispute reason (evidence.uncategorized_text).
DISPUTE_TEXTS = {
    "fraudulent": "The cardholder logged in from their usual device and used the "
    "service after the charge.",
    "product_not_received": "Access was delivered by email on the day of the "
    "charge; login records attached.",
    "subscription_canceled": "The customer canceled after the renewal date; "
    "our cancellation policy was accepted at signup.",
    "duplicate": "The two charges are for two different invoices.",
}
REFUND_DESCRIPTIONS = {
    "requested_by_customer": "Refund at the customer's request: charged twice "
    "by mistake.",
    "duplicate": "Duplicate charge refunded.",
    "fraudulent": "Refunded: the card was reported stolen.",
}


def pick(choices: tuple[str, ...], object_id: str) -> str:
    """One of the choices, the same for the same id on every run."""
    return choices[zlib.crc32(object_id.encode()) % len(choices)]


EVIDENCE_FIELDS = (
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
)


def dispute(
    duid: str,
    created: int,
    amount: int,
    currency: str,
    charge_id: str,
    pi_id: str,
    reason: str,
    status: str,
    bts: list,
    brand: str,
    email: str,
    name: str,
    due_by: int,
    has_evidence: bool,
) -> dict:
    evidence: dict[str, Any] = dict.fromkeys(EVIDENCE_FIELDS)
    evidence["enhanced_evidence"] = {}
    if has_evidence:
        evidence["customer_email_address"] = email
        evidence["customer_name"] = name
        evidence["uncategorized_text"] = DISPUTE_TEXTS.get(
            reason, "Customer used the service in the period."
        )
    return {
        "id": duid,
        "object": "dispute",
        "amount": amount,
        "balance_transactions": bts,
        "charge": charge_id,
        "created": created,
        "currency": currency,
        "enhanced_eligibility_types": [],
        "evidence": evidence,
        "evidence_details": {
            "due_by": due_by,
            "enhanced_eligibility": {},
            "has_evidence": has_evidence,
            "past_due": False,
            "submission_count": 1 if has_evidence else 0,
            "submission_method": "manual" if has_evidence else None,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": pi_id,
        "payment_method_details": {
            "card": {
                "brand": brand,
                "case_type": "chargeback",
                "network_reason_code": "10.4" if reason == "fraudulent" else "13.1",
            },
            "type": "card",
        },
        "reason": reason,
        "status": status,
    }


def payout(
    poid: str,
    created: int,
    arrival: int,
    amount: int,
    currency: str,
    bt_id: str,
    status: str,
    bank: str,
    instant: bool = False,
) -> dict:
    """An automatic standard payout, or (`instant`) a manual Instant Payout."""
    return {
        "id": poid,
        "object": "payout",
        "amount": amount,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": arrival,
        "automatic": not instant,
        "balance_transaction": bt_id,
        "created": created,
        "currency": currency,
        "description": "INSTANT PAYOUT" if instant else "STRIPE PAYOUT",
        "destination": bank,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": {},
        "method": "instant" if instant else "standard",
        "original_payout": None,
        "reconciliation_status": "completed" if status == "paid" else "in_progress",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": None,
        "status": status,
        "trace_id": {
            "status": "supported" if status == "paid" else "pending",
            "value": None,
        },
        "type": "bank_account",
    }


def subscription_item(
    siid: str,
    created: int,
    subscription_id: str,
    price_fragment: Any,
    plan_fragment: Any,
    quantity: int | None,
    period_start: int,
    period_end: int,
) -> dict:
    item = {
        "id": siid,
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": created,
        "current_period_end": period_end,
        "current_period_start": period_start,
        "discounts": [],
        "metadata": {},
        "plan": plan_fragment,
        "price": price_fragment,
        "quantity": quantity,
        "subscription": subscription_id,
        "tax_rates": [],
    }
    if quantity is None:  # metered items carry no quantity
        del item["quantity"]
    return item


def embedded_list(data: list, total: int, url: str) -> dict:
    """An embedded list as the API renders it: the first 10 entries."""
    return {
        "object": "list",
        "data": data[:10],
        "has_more": total > 10,
        "total_count": total,
        "url": url,
    }


def subscription(
    sid: str,
    created: int,
    customer_id: str,
    currency: str,
    status: str,
    items: dict,
    anchor: int,
    start_date: int,
    trial_start: int | None,
    trial_end: int | None,
    cancel_at: int | None,
    cancel_at_period_end: bool,
    canceled_at: int | None,
    ended_at: int | None,
    cancel_reason: str | None,
    feedback: str | None,
    discounts: list,
    default_pm: str,
    latest_invoice: str | None,
) -> dict:
    return {
        "id": sid,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": anchor,
        "billing_cycle_anchor_config": None,
        "billing_mode": {"flexible": None, "type": "classic", "updated_at": None},
        "billing_thresholds": None,
        "cancel_at": cancel_at,
        "cancel_at_period_end": cancel_at_period_end,
        "canceled_at": canceled_at,
        "cancellation_details": {
            "comment": pick(CANCEL_COMMENTS[feedback], sid)
            if feedback in CANCEL_COMMENTS
            else None,
            "feedback": feedback,
            "reason": cancel_reason,
        },
        "collection_method": "charge_automatically",
        "created": created,
        "currency": currency,
        "customer": customer_id,
        "days_until_due": None,
        "default_payment_method": default_pm,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": discounts,
        "ended_at": ended_at,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": items,
        "latest_invoice": latest_invoice,
        "livemode": False,
        "metadata": {},
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": start_date,
        "status": status,
        "test_clock": None,
        "transfer_data": None,
        "trial_end": trial_end,
        "trial_settings": {
            "end_behavior": {"missing_payment_method": "create_invoice"}
        },
        "trial_start": trial_start,
    }


@dataclass(frozen=True, slots=True)
class Billed:
    """What one invoice line, or the invoice item behind it, charges for."""

    amount: int
    currency: str
    description: str
    start: int
    end: int
    price_id: str
    product_id: str
    unit_amount: int
    quantity: int
    subscription_id: str
    subscription_item_id: str


def pricing(billed: Billed) -> dict:
    return {
        "price_details": {"price": billed.price_id, "product": billed.product_id},
        "type": "price_details",
        "unit_amount_decimal": str(billed.unit_amount),
    }


def line_item(
    lid: str,
    invoice_id: str,
    billed: Billed,
    discount_amounts: list,
    discounts: list,
    invoice_item_id: str | None,
    taxes: list | None = None,
) -> dict:
    return {
        "id": lid,
        "object": "line_item",
        "amount": billed.amount,
        "currency": billed.currency,
        "description": billed.description,
        "discount_amounts": discount_amounts,
        "discountable": True,
        "discounts": discounts,
        "invoice": invoice_id,
        "livemode": False,
        "metadata": {},
        "parent": {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": invoice_item_id,
                "proration": invoice_item_id is not None,
                "proration_details": {"credited_items": None},
                "subscription": billed.subscription_id,
                "subscription_item": billed.subscription_item_id,
            },
            "type": "subscription_item_details",
        },
        "period": {"end": billed.end, "start": billed.start},
        "pretax_credit_amounts": [],
        "pricing": pricing(billed),
        "quantity": billed.quantity,
        "taxes": taxes or [],
    }


def line_tax(amount: int, behavior: str, taxable: int, tax_rate_id: str) -> dict:
    """One entry of a line's `taxes`: a tax rate's share of the line."""
    return {
        "amount": amount,
        "tax_behavior": behavior,
        "tax_rate_details": {"tax_rate": tax_rate_id},
        "taxability_reason": "standard_rated",
        "taxable_amount": taxable,
        "type": "tax_rate_details",
    }


def invoice_item(
    iiid: str, created: int, billed: Billed, customer_id: str, invoice_id: str | None
) -> dict:
    """A pending proration: billed on the subscription's next invoice."""
    return {
        "id": iiid,
        "object": "invoiceitem",
        "amount": billed.amount,
        "currency": billed.currency,
        "customer": customer_id,
        "date": created,
        "description": billed.description,
        "discountable": True,
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": {},
        "net_amount": billed.amount,
        "parent": {
            "subscription_details": {
                "subscription": billed.subscription_id,
                "subscription_item": billed.subscription_item_id,
            },
            "type": "subscription_details",
        },
        "period": {"end": billed.end, "start": billed.start},
        "pricing": pricing(billed),
        "proration": True,
        "quantity": billed.quantity,
        "tax_rates": [],
        "test_clock": None,
    }


def invoice_payment(
    ipid: str,
    created: int,
    amount: int,
    paid: bool,
    currency: str,
    invoice_id: str,
    pi_id: str,
    paid_at: int | None,
) -> dict:
    return {
        "id": ipid,
        "object": "invoice_payment",
        "amount_paid": amount if paid else None,
        "amount_requested": amount,
        "created": created,
        "currency": currency,
        "invoice": invoice_id,
        "is_default": True,
        "livemode": False,
        "payment": {"payment_intent": pi_id, "type": "payment_intent"},
        "status": "paid" if paid else "open",
        "status_transitions": {"canceled_at": None, "paid_at": paid_at},
    }


def invoice(
    iid: str,
    created: int,
    customer_id: str,
    cust: dict,
    currency: str,
    status: str,
    billing_reason: str,
    subscription_id: str | None,
    lines: dict,
    discounts: list,
    total_discount_amounts: list,
    subtotal: int,
    total: int,
    starting_balance: int,
    amount_due: int,
    amount_paid: int,
    attempt_count: int,
    number: str | None,
    finalized_at: int | None,
    paid_at: int | None,
    voided_at: int | None,
    uncollectible_at: int | None,
    next_payment_attempt: int | None,
    default_pm: str | None,
    payments: dict,
    secret: str,
) -> dict:
    parent = None
    if subscription_id is not None:
        parent = {
            "quote_details": None,
            "subscription_details": {
                "metadata": {},
                "subscription": subscription_id,
                "subscription_proration_date": None,
            },
            "type": "subscription_details",
        }
    hosted = f"https://invoice.stripe.com/i/{ACCOUNT_ID}/test_{secret}"
    return {
        "id": iid,
        "object": "invoice",
        "account_country": PAYMENTS_COUNTRY,
        "account_name": "SynthCo",
        "account_tax_ids": None,
        "amount_due": amount_due,
        "amount_overpaid": 0,
        "amount_paid": amount_paid,
        "amount_remaining": amount_due - amount_paid,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": attempt_count,
        "attempted": attempt_count > 0 or status == "paid",
        "auto_advance": status == "open",
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "billing_reason": billing_reason,
        "collection_method": "charge_automatically",
        "created": created,
        "currency": currency,
        "custom_fields": None,
        "customer": customer_id,
        "customer_address": cust["address"],
        "customer_email": cust["email"],
        "customer_name": cust["name"],
        "customer_phone": cust["phone"],
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": default_pm,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": discounts,
        "due_date": None,
        "effective_at": finalized_at,
        "ending_balance": min(0, starting_balance + total) if finalized_at else None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": hosted if finalized_at else None,
        "invoice_pdf": f"{hosted}/pdf" if finalized_at else None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": lines,
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": next_payment_attempt,
        "number": number,
        "on_behalf_of": None,
        "parent": parent,
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "payments": payments,
        "period_end": created,
        "period_start": created,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": starting_balance,
        "statement_descriptor": None,
        "status": status,
        "status_transitions": {
            "finalized_at": finalized_at,
            "marked_uncollectible_at": uncollectible_at,
            "paid_at": paid_at,
            "voided_at": voided_at,
        },
        "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal,
        "test_clock": None,
        "total": total,
        "total_discount_amounts": total_discount_amounts,
        "total_excluding_tax": total,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": created,
    }


def invoice_as_draft(final: dict) -> dict:
    """The invoice as `invoice.created` showed it: a draft, nothing paid."""
    draft = invoice_as_open(final)
    draft.update(
        status="draft",
        attempt_count=0,
        attempted=False,
        auto_advance=True,
        effective_at=None,
        ending_balance=None,
        hosted_invoice_url=None,
        invoice_pdf=None,
        next_payment_attempt=None,
        number=None,
        status_transitions=dict.fromkeys(final["status_transitions"]),
    )
    return draft


def invoice_as_open(final: dict) -> dict:
    """The invoice once finalised and before it was paid (or given up)."""
    opened = dict(final)
    opened.update(
        status="open",
        amount_paid=0,
        amount_remaining=final["amount_due"],
        auto_advance=True,
        payments={**final["payments"], "data": [
            {**payment, "amount_paid": None, "status": "open",
             "status_transitions": {"canceled_at": None, "paid_at": None}}
            for payment in final["payments"]["data"]
        ]},
        status_transitions={
            **final["status_transitions"],
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
    )  # fmt: skip
    return opened


def event(
    evid: str,
    created: int,
    kind: str,
    obj: Any,
    previous: dict | None,
    api_version: str,
    request_id: str | None,
) -> dict:
    data: dict[str, Any] = {"object": obj}
    if previous is not None:
        data["previous_attributes"] = previous
    return {
        "id": evid,
        "object": "event",
        "api_version": api_version,
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": 0,
        "request": {"id": request_id, "idempotency_key": None},
        "type": kind,
    }
