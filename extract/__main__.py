"""python -m extract        load stripe_raw (SOURCE=api|json)
python -m extract fetch  write a snapshot directory (JSON_DIR) from the API
python -m extract forget cus_...  erase a customer's personal data from raw
                         and from the snapshot directory JSON_DIR"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

from dlt.pipeline.exceptions import PipelineStepFailed

from extract.commands import fetch, forget, load
from extract.errors import UserError, run_main

log = logging.getLogger("extract")


def _user_error(exc: BaseException) -> UserError | None:
    """The UserError behind a dlt step failure, if there is one."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, UserError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _redact(text: str, environ: Mapping[str, str]) -> str:
    for name in ("STRIPE_API_KEY", "PGPASSWORD"):
        secret = environ.get(name)
        if secret:
            text = text.replace(secret, "***")
    return text


class _ArrowHintNotice(logging.Filter):
    """dlt warns that the `data` column's json hint overrides arrow's string
    type: that override is the point (jsonb in PostgreSQL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "when merging arrow schema" not in record.getMessage()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    log.setLevel(logging.INFO)
    logging.getLogger("dlt").addFilter(_ArrowHintNotice())
    environ = dict(os.environ)
    # dlt reads FULL_REFRESH as its own deprecated dev-mode switch (a fresh,
    # timestamped dataset); here it means reload every table (config.full_refresh
    # reads it from `environ`).
    os.environ.pop("FULL_REFRESH", None)
    try:
        if args == ["fetch"]:
            fetch(environ)
        elif not args:
            load(environ)
        elif len(args) == 2 and args[0] == "forget":
            forget(environ, args[1])
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except UserError as exc:
        raise UserError(_redact(str(exc), environ)) from None
    except PipelineStepFailed as exc:
        cause = _user_error(exc)
        if cause is not None:
            message = str(cause)
        else:
            detail = str(exc.exception if hasattr(exc, "exception") else exc)
            message = (
                f"the {exc.step} step of the dlt pipeline failed: "
                f"{detail.strip().splitlines()[0] if detail.strip() else exc}; "
                "check that the warehouse (PG* variables) is up (`make up`) and "
                "run again - loads resume where they stopped."
            )
        raise UserError(_redact(message, environ)) from None
    except KeyboardInterrupt:
        print("interrupted; run again to resume.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    run_main(main)
