"""Stripe webhooks into the raw layer, as they happen (`make listen`).

    python -m extract.webhook          serve POST /webhooks on 127.0.0.1:WEBHOOK_PORT

Each delivery is verified (Stripe-Signature, STRIPE_WEBHOOK_SECRET), stored
once in stripe_raw.events and applied to the raw table of its object, then
answered; see docs/webhooks.md.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Mapping

from extract.errors import UserError
from extract.webhook.server import Receiver
from extract.webhook.store import Store

log = logging.getLogger("extract.webhook")


def serve(environ: Mapping[str, str]) -> None:
    """Run the receiver until SIGTERM or SIGINT."""
    secret = environ.get("STRIPE_WEBHOOK_SECRET", "")
    if not secret.startswith("whsec_"):
        raise UserError(
            "STRIPE_WEBHOOK_SECRET is not set to an endpoint secret (whsec_...): "
            "copy the signing secret of your webhook endpoint from the Stripe "
            "dashboard (in dev, `make up` makes one)."
        )
    port = int(environ.get("WEBHOOK_PORT") or 0)
    store = Store(environ)
    store.prepare()
    try:
        receiver = Receiver(port, secret, store)
    except OSError as exc:
        raise UserError(
            f"cannot listen on 127.0.0.1:{port} ({exc.strerror}); set WEBHOOK_PORT "
            "to a free port."
        ) from None

    def stop(signum: int, frame: object) -> None:
        receiver.stop_event.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    log.info(
        "listening on http://127.0.0.1:%d/webhooks (raw tables: %d)",
        receiver.server_address[1],
        len(store.raw_tables),
    )
    try:
        receiver.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        receiver.server_close()
        store.close()
        log.info("stopped")
