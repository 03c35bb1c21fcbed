"""Which texts can hold a known literal at all, decided from the first characters of the literals' spellings before
KnownValues scans the text with its Aho-Corasick automaton.

The automaton scan is most of what finding known values costs (a strangers run at scale 1: 170k spellings, 2 us per
text), and most texts hold no spelling's first characters where one could start (there: 64% of 120,984). A spelling
matches at position i only if the text's first min(4, len) characters from i are the spelling's; an ASCII spelling
counts only at the start of a word (KnownValues' word check: no ASCII letter or digit before it). So each spelling
puts its prefix (2 to 4 characters) in one of three bitmaps, hashed (FNV-1a over code points): ASCII spellings,
checked at word starts; spellings with a character beyond ASCII, checked at the text's characters beyond ASCII
(their first is one) or at its ASCII ones (their first is ASCII). A text with no prefix in its bitmap has no match; a
collision only costs a scan. anonymize/csrc/known_gate.c does the check in C; `may_hold` here is its reference
(tests/anonymize/pii/test_known_gate.py holds the two equal, and both to the automaton).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from anonymize.speedups import NATIVE

# Bits per bitmap: 2**20 (128 KB each, built once per run before the workers fork). 170k spellings set ~0.6% of
# the ASCII bitmap, so a word start rarely collides. Any power of two works: the C reads the size off the bytes.
BITS = 1 << 20
PREFIX = 4  # characters of a spelling's prefix at most (all spellings have 2 or more)
# The ASCII word characters a known ASCII spelling must not touch on either side: KnownValues' word check
# (known._find_literals) and where this gate looks for a word start, one set for both.
WORD_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
FNV_OFFSET, FNV_PRIME = 2166136261, 16777619


def _hashes(chars: str) -> list[int]:
    """The FNV-1a hash (32 bits) of each prefix of `chars` (up to PREFIX characters), as bit numbers."""
    out = []
    h = FNV_OFFSET
    for c in chars[:PREFIX]:
        h = ((h ^ ord(c)) * FNV_PRIME) & 0xFFFFFFFF
        out.append((h ^ (h >> 16)) & (BITS - 1))
    return out


@dataclass(frozen=True, slots=True)
class PrefixTables:
    """The three bitmaps (bytes, BITS bits each, bit b at byte b >> 3, mask 1 << (b & 7))."""

    ascii: bytes  # ASCII spellings: checked at word starts
    other: bytes  # spellings with a non-ASCII character whose first character is non-ASCII
    other_ascii_first: bytes  # the rest (a non-ASCII spelling starting with an ASCII character)


def _group(spelling: str) -> int:
    """Which bitmap a spelling's prefix goes to (PrefixTables' order)."""
    if len(spelling) < 2:
        raise ValueError(f"a known spelling of one character can't be gated: {spelling!r}")
    return 0 if spelling.isascii() else 1 if not spelling[0].isascii() else 2


def prefix_tables_reference(spellings: Iterable[str]) -> PrefixTables:
    """prefix_tables, one spelling at a time (what the tests hold prefix_tables to)."""
    tables = (bytearray(BITS >> 3), bytearray(BITS >> 3), bytearray(BITS >> 3))
    for spelling in spellings:
        bit = _hashes(spelling)[-1]
        tables[_group(spelling)][bit >> 3] |= 1 << (bit & 7)
    return PrefixTables(bytes(tables[0]), bytes(tables[1]), bytes(tables[2]))


def prefix_tables(spellings: Iterable[str]) -> PrefixTables:
    """The bitmaps of `spellings`' prefixes. Hashed with numpy: a run's 170k spellings one at a time in Python took
    about as long as the gate saves (our measurement: ~0.3 s)."""
    groups: tuple[list[str], list[str], list[str]] = ([], [], [])
    for spelling in spellings:
        groups[_group(spelling)].append(spelling[:PREFIX])
    return PrefixTables(*(_bitmap(group) for group in groups))


def _bitmap(prefixes: Sequence[str]) -> bytes:
    table = np.zeros(BITS >> 3, dtype=np.uint8)
    if prefixes:
        codes = np.array(prefixes, dtype=f"<U{PREFIX}").view(np.uint32).reshape(len(prefixes), PREFIX)
        lengths = np.fromiter(map(len, prefixes), dtype=np.int64, count=len(prefixes))
        h = np.full(len(prefixes), FNV_OFFSET, dtype=np.uint32)
        for k in range(PREFIX):  # uint32 arithmetic wraps as the C's does
            h = np.where(k < lengths, (h ^ codes[:, k]) * np.uint32(FNV_PRIME), h)
        bits = (h ^ (h >> np.uint32(16))) & np.uint32(BITS - 1)
        np.bitwise_or.at(table, bits >> np.uint32(3), np.left_shift(1, bits & np.uint32(7)).astype(np.uint8))
    return table.tobytes()


def _has(table: bytes, bit: int) -> bool:
    return bool(table[bit >> 3] >> (bit & 7) & 1)


def may_hold(text: str, haystack: str, tables: PrefixTables) -> bool:
    """Could the automaton, run on `haystack` (text lowered, or text), find a spelling KnownValues keeps? False only
    when it can't. The reference of known_gate.c."""
    n = len(haystack)
    for i in range(n - 1):
        word_start = i == 0 or text[i - 1] not in WORD_CHARS
        other = tables.other if not haystack[i].isascii() else tables.other_ascii_first
        for bit in _hashes(haystack[i : i + PREFIX])[1:]:
            if (word_start and _has(tables.ascii, bit)) or _has(other, bit):
                return True
    return False


def native_may_hold(text: str, haystack: str, tables: PrefixTables) -> bool:
    return NATIVE.known_gate(text, haystack, tables.ascii, tables.other, tables.other_ascii_first)  # type: ignore[no-any-return,union-attr]


# The check KnownValues runs: the C one, when the extension has it. Without it none (None): `may_hold` in Python costs
# more per text than the automaton's own scan (6 us against 1.1 us; the C check 0.2 us, on strangers' values), so pure
# Python scans every text as before.
check: Callable[[str, str, PrefixTables], bool] | None = (
    native_may_hold if getattr(NATIVE, "known_gate", None) is not None else None
)
