"""The command line: arguments and SYNTH_* variables, then the summary."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from extract.errors import UserError
from tools.fake_stripe.objects import RESOURCES
from tools.fake_stripe.synth.generator import SynthSettings, generate
from tools.fake_stripe.synth.timeline import DEFAULT_NOW, parse_now

DESCRIPTION = "Write a synthetic Stripe account as a snapshot directory."


class SynthArgumentError(UserError):
    """A flag or SYNTH_* variable out of range: the message names both."""


def settings_from(argv: list[str] | None = None) -> SynthSettings:
    env = os.environ
    parser = argparse.ArgumentParser(
        prog="python -m tools.fake_stripe.synth", description=DESCRIPTION
    )
    # String defaults go through `type` too: a bad SYNTH_* value is an
    # argparse error naming the flag, not a traceback.
    parser.add_argument(
        "--customers", type=int, default=env.get("SYNTH_CUSTOMERS") or "1000"
    )
    parser.add_argument("--seed", type=int, default=env.get("SYNTH_SEED") or "7")
    parser.add_argument(
        "--workers",
        type=int,
        default=env.get("SYNTH_WORKERS") or str(min(4, os.cpu_count() or 1)),
        help="processes that render blocks of customers (same output for any)",
    )
    parser.add_argument(
        "--now",
        default=env.get("SYNTH_NOW") or DEFAULT_NOW,
        help="the snapshot's 'now' (ISO-8601 or epoch seconds)",
    )
    parser.add_argument("--out", default=env.get("JSON_DIR") or "data/snapshot")
    parser.add_argument(
        "--gzip",
        action="store_true",
        default=env.get("SYNTH_GZIP", "").lower() in ("1", "true", "yes"),
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        raise SynthArgumentError(
            f"--workers/SYNTH_WORKERS must be at least 1, not {args.workers}"
        )
    if args.customers < 1:
        raise SynthArgumentError(
            f"--customers/SYNTH_CUSTOMERS must be at least 1, not {args.customers}"
        )
    try:
        now = parse_now(args.now)
    except ValueError:
        raise SynthArgumentError(
            f"--now/SYNTH_NOW={args.now!r} is neither ISO-8601 (2026-11-01T00:00:00Z) "
            "nor epoch seconds"
        ) from None
    return SynthSettings(
        args.customers, args.seed, now, Path(args.out), args.gzip, args.workers
    )


def main(argv: list[str] | None = None) -> int:
    settings = settings_from(argv)
    print(
        f"synth: {settings.customers} customers, seed {settings.seed}, now "
        f"{dt.datetime.fromtimestamp(settings.now, dt.UTC):%Y-%m-%d %H:%M} UTC "
        f"-> {settings.out} ({settings.workers} worker processes)",
        file=sys.stderr,
    )
    stats = generate(settings)
    for name in RESOURCES:
        print(f"  {name:<22} {stats.counts[name]:>10,}", file=sys.stderr)
    print(
        f"synth: {stats.objects:,} objects in {stats.seconds:.2f} s "
        f"({stats.per_second:,.0f} objects/s), peak RSS {stats.peak_rss_mib:.0f} MiB"
        f" (each worker {stats.worker_peak_rss_mib:.0f} MiB)",
        file=sys.stderr,
    )
    return 0
