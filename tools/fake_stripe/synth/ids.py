"""Stripe-looking object ids, a pure function of the seed."""

from __future__ import annotations

import functools
import itertools
import zlib
from typing import Any


class Ids:
    """Stripe-looking ids, unique per prefix, a pure function of the seed.

    A counter goes through a bijection of [0, 62**10) (multiplication by a
    number coprime to 62, plus a start that depends on seed and prefix), so
    ids look random yet never collide; three base-62 digits at a time.
    """

    ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    SPACE = 62**10
    MULTIPLIER = 0x732D907D74A3301  # about 0.618 of the space; odd, not 31k
    SHORT = frozenset(("cus", "prod", "si", "fp"))

    def __init__(self, seed: int, first: int = 0) -> None:
        self.first = first  # blocks of customers use disjoint counter ranges
        self.offset = (seed * 0x9E3779B97F4A7C15) % self.SPACE
        self.makers: dict[str, Any] = {}

    @functools.cached_property
    def triples(self) -> list[str]:
        return triples_table()

    def new(self, prefix: str) -> str:
        maker = self.makers.get(prefix)
        if maker is None:
            maker = self.makers[prefix] = self._maker(prefix)
        return maker()

    def _maker(self, prefix: str):
        counter = itertools.count(self.first)
        start = (self.offset + zlib.crc32(prefix.encode()) ** 2) % self.SPACE
        multiplier, space = self.MULTIPLIER, self.SPACE
        triples, letters = self.triples, self.ALPHABET
        head = f"{prefix}_" if prefix in self.SHORT else f"{prefix}_1"
        tag = "" if prefix in self.SHORT else "SynthAcct"

        def new() -> str:
            x = (next(counter) * multiplier + start) % space
            x, low = divmod(x, 238_328)
            x, middle = divmod(x, 238_328)
            x, high = divmod(x, 238_328)
            return (
                head + triples[low] + triples[middle] + tag + triples[high] + letters[x]
            )

        return new


@functools.cache
def triples_table() -> list[str]:
    """All 238,328 three-digit base-62 strings, built once per process."""
    letters = Ids.ALPHABET
    return [a + b + c for a in letters for b in letters for c in letters]
