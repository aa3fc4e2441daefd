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

The cost: a full run reads each paid-out transaction twice (in its payout's
list and in the transactions' own) and holds an id -> payout map of them
while listing (about 100 bytes a transaction); an incremental run reads
only the new payouts' lists.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
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

    def add(self, payout_id: str, listing: Future, since: int | None) -> None:
        """A payout's transactions: mapped, or (before `since`) kept."""
        for transaction in listing.result():
            if since is None or (transaction.get("created") or 0) >= since:
                self.paid_by[transaction["id"]] = payout_id
            else:
                transaction[PAYOUT_KEY] = payout_id
                self.older.append(transaction)

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
    links = PayoutLinks()
    listed = 0
    with ThreadPoolExecutor(
        settings.CHILD_WORKERS,
        "stripe-payout-transactions",
        initializer=client.lower_thread_priority,
    ) as pool:
        # A bounded number of payouts' listings in flight, taken in order,
        # so memory holds a few payouts' transactions, not all of them.
        in_flight: deque[tuple[str, Future]] = deque()
        for page in client.pages("/v1/payouts", params):
            for payout in page:
                if payout.get("automatic", True):  # manual ones list nothing
                    listing = pool.submit(_transactions, client, payout["id"], stop)
                    in_flight.append((payout["id"], listing))
                    listed += 1
                while len(in_flight) > 2 * settings.CHILD_WORKERS:
                    links.add(*in_flight.popleft(), since)
        while in_flight:
            links.add(*in_flight.popleft(), since)
    if not listed:
        log.info(
            "balance_transactions: no %spayouts at %s: none paid out",
            "new " if since is not None else "",
            client.api_base,
        )
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
