"""python -m extract.webhook: the webhook receiver of `make listen`."""

from __future__ import annotations

import logging
import os
import sys

from extract.errors import run_main
from extract.webhook import serve


def main() -> int:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(message)s",
        stream=sys.stderr,
    )
    serve(dict(os.environ))
    return 0


if __name__ == "__main__":
    run_main(main)
