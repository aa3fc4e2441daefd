"""Stripe-Signature verification: HMAC-SHA256 of "<t>.<body>" with the
endpoint's secret, and a timestamp within the tolerance of now."""

from __future__ import annotations

import hashlib
import hmac
import time

# Stripe's libraries default to five minutes: a captured delivery cannot be
# replayed later than that.
TOLERANCE_SECONDS = 300


class SignatureError(Exception):
    """The header is missing, malformed, stale, or signed with another secret.
    The message never holds the payload or the secret."""


def parse_header(header: str | None) -> tuple[int, list[str]]:
    """The timestamp and the v1 signatures of a Stripe-Signature header."""
    if not header:
        raise SignatureError("no Stripe-Signature header")
    timestamp, signatures = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError("timestamp is not an integer") from None
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None:
        raise SignatureError("no timestamp in Stripe-Signature")
    if not signatures:
        raise SignatureError("no v1 signature in Stripe-Signature")
    return timestamp, signatures


def verify(
    header: str | None,
    body: bytes,
    secret: str,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """Check the header against the body; returns the signed timestamp."""
    timestamp, signatures = parse_header(header)
    signed = str(timestamp).encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    # Every v1 entry is compared (Stripe sends two while a secret is rolled).
    if not any(hmac.compare_digest(expected, given) for given in signatures):
        raise SignatureError("no v1 signature matches the endpoint secret")
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise SignatureError(
            f"timestamp is {int(now - timestamp)} s from now (tolerance {tolerance} s)"
        )
    return timestamp
