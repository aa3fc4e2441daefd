"""Which payout paid out each balance transaction: the one key the extractor
adds to a Stripe object.

A balance transaction does not name its payout, and a payout's own
`balance_transaction` names only the payout's transaction. Stripe lists an
automatic payout's transactions (its own included) as
`/v1/balance_transactions?payout=<id>`. Before listing the balance
transactions, the run lists the payouts (all of them in a full run; in an
incremental one those created since the table's cursor, less a day) and each
payout's transactions; the listing then writes the payout's id into each
transaction under the top-level key `payout` (null: not paid out yet).
Transactions older than the cursor that a new payout covers are emitted
again with it. A Stripe without payouts (localstripe) leaves the key out.

A full run holds an id -> payout map of every paid-out transaction while it
lists them (about 100 bytes a transaction).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from extract import settings
from extract.client import ApiError, StripeClient

log = logging.getLogger("extract")

PAYOUT_KEY = "payout"
# New payouts are looked for from this long before the cursor: a payout made
# while the last run was listing is caught by the next one.
PAYOUT_OVERLAP_SECONDS = 24 * 3600


@dataclass
class PayoutLinks:
    """paid_by: transaction id -> payout id for transactions the listing
    will yield; older: transactions before the cursor, `payout` set."""

    paid_by: dict[str, str] = field(default_factory=dict)
    older: list[dict] = field(default_factory=list)

    def mark(self, transactions: list[dict]) -> None:
        for transaction in transactions:
            transaction[PAYOUT_KEY] = self.paid_by.get(transaction["id"])


def payout_links(
    client: StripeClient, since: int | None, stop: threading.Event
) -> PayoutLinks | None:
    """The payouts since `since` (None: all) and the transactions of each;
    None when the Stripe in use has no payouts."""
    try:
        return _links(client, since, stop)
    except ApiError as exc:
        if exc.status not in (400, 404):
            raise
        log.info(
            "balance_transactions: no payouts or no ?payout= at %s (HTTP %s): "
            "transactions are loaded without their payout",
            client.api_base,
            exc.status,
        )
        return None


def _links(client: StripeClient, since: int | None, stop: threading.Event):
    params = {} if since is None else {"created[gte]": since - PAYOUT_OVERLAP_SECONDS}
    payout_ids: list[str] = []
    for page in client.pages("/v1/payouts", params):
        # Only automatic payouts list their transactions.
        payout_ids += [p["id"] for p in page if p.get("automatic", True)]
    if not payout_ids:
        log.info(
            "balance_transactions: no %spayouts at %s: none paid out",
            "new " if since is not None else "",
            client.api_base,
        )
    links = PayoutLinks()
    with ThreadPoolExecutor(
        settings.CHILD_WORKERS,
        "stripe-payout-transactions",
        initializer=client.lower_thread_priority,
    ) as pool:
        listings = [
            (payout_id, pool.submit(_transactions, client, payout_id, stop))
            for payout_id in payout_ids
        ]
        for payout_id, listing in listings:
            for transaction in listing.result():
                if since is None or (transaction.get("created") or 0) >= since:
                    links.paid_by[transaction["id"]] = payout_id
                else:
                    transaction[PAYOUT_KEY] = payout_id
                    links.older.append(transaction)
    return links


def _transactions(
    client: StripeClient, payout_id: str, stop: threading.Event
) -> list[dict]:
    found: list[dict] = []
    if stop.is_set():
        return found
    for page in client.pages("/v1/balance_transactions", {"payout": payout_id}):
        found += page
    return found
