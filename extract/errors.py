"""The one kind of error a user can fix, shared by extract and tools.

A `UserError` says what went wrong and how to fix it; the command that meets
one prints ``error: <message>`` on stderr and exits with code 2, without a
traceback. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

EXIT_CODE = 2


class UserError(Exception):
    """A cause the user can remove: the message names the cause and the fix."""

    exit_code = EXIT_CODE


def run_main(main: Callable[[], int | None]) -> None:
    """Run a command's main(): a UserError ends it with its message and code 2."""
    try:
        code = main()
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
    raise SystemExit(code or 0)
