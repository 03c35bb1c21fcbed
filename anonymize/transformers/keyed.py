"""Shared keyed building blocks: pool indexes from a source key, short tags, length fitting."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import TypeVar

from anonymize import normalize
from anonymize.keys import Keyring
from anonymize.speedups import NATIVE
from anonymize.transformers.permutation import Permutation

_MAX_INT_KEY_DIGITS = 19
_T = TypeVar("_T")


_SHARED: dict[tuple[Keyring, str, int], KeyedIndex] = {}
_SHARED_CACHE = 1 << 16  # per shared index: the rows in flight of a table, whose columns share a key
_SHARED_MARKERS = 64  # indexes kept at once (a run uses a few per keyed domain); a transformer keeps its own


class KeyedIndex:
    """Maps a source key to an index in [0, size).

    An integer key (e.g. the row's id) below `size` goes through a keyed permutation, so distinct ids get distinct
    indexes: collision-free fakes for unique columns. Any other key is hashed (keyed) into the space, where
    distinct keys collide only by chance (~n^2 / 2*size pairs).
    """

    __slots__ = ("index", "lookup", "size")

    def __init__(self, keyring: Keyring, domain: str, size: int) -> None:
        self.size = size
        permutation = Permutation(keyring.subkey(f"index\0{domain}\0{size}"), size)
        self.index = _indexer(keyring.digester(domain), permutation.apply, size)  # key -> index, computed
        self.lookup: Callable[[str], int] = self.index  # what per-value callers bind: a shared index memoizes

    @classmethod
    def shared(cls, keyring: Keyring, domain: str, size: int) -> KeyedIndex:
        """One index per (key, domain, size) in this process, with a bounded cache of key -> index: columns keyed
        alike (full_name and full_name_kana on `id`, an address's postal code and street) compute each row's
        index once, not once per column."""
        marker = (keyring, domain, size)
        index = _SHARED.get(marker)
        if index is None:
            if len(_SHARED) >= _SHARED_MARKERS:  # a long-lived process running many keys: the oldest goes
                del _SHARED[next(iter(_SHARED))]
            index = _SHARED[marker] = cls(keyring, domain, size)
            index.lookup = memoized(index.index, _SHARED_CACHE)
        return index

    def __call__(self, key: str) -> int:
        return self.lookup(key)


def _indexer(digest: Callable[[str], bytes], permute: Callable[[int], int], size: int) -> Callable[[str], int]:
    if NATIVE is not None:  # the same in C (anonymize/csrc/indexer.c)
        return NATIVE.Indexer(digest, permute, size)
    return python_indexer(digest, permute, size)


def python_indexer(digest: Callable[[str], bytes], permute: Callable[[int], int], size: int) -> Callable[[str], int]:
    from_bytes = int.from_bytes

    def index(key: str) -> int:
        if key.isdigit() and key.isascii() and len(key) <= _MAX_INT_KEY_DIGITS:
            number = int(key)
            if number < size:
                return permute(number)
        return from_bytes(digest(key)[:16], "big") % size

    return index


def memoized(function: Callable[[str], _T], size: int) -> Callable[[str], _T]:
    """`function` (pure, of one string) behind a dict of at most `size` results, emptied when full: cheaper per
    miss than lru_cache's bookkeeping (~0.15 us vs ~0.4 us), and what the pipeline's access patterns need
    (a row's columns asking for the same key in a row, or values repeating within a cycle shorter than `size`)."""
    memo: dict[str, _T] = {}
    get = memo.get

    def lookup(key: str) -> _T:
        result = get(key)
        if result is None:
            result = function(key)
            if len(memo) >= size:
                memo.clear()
            memo[key] = result
        return result

    return lookup


def text_key(key: str) -> str:
    """normalize.text(key), ~3x cheaper: an id in ASCII digits is its own normalized text, and str.split() breaks
    on exactly the whitespace regex \\s matches (both use Py_UNICODE_ISSPACE), so joining its pieces with one space
    collapses runs as normalize.text's substitution does (its input is already trimmed)."""
    if key.isdigit() and key.isascii():
        return key
    return " ".join(normalize.nfkc(key).split())


def python_name_key(key: str) -> str:
    """normalize.name(key), ~3x cheaper, as text_key: whitespace removed by split/join instead of a regex."""
    if key.isdigit() and key.isascii():
        return key
    return "".join(normalize.nfkc(key).split()).casefold()


# What transformers call: the same in C when built (anonymize/csrc/leak_keys.c), ~5x cheaper on kana/kanji names.
name_key: Callable[[str], str] = NATIVE.name_key if NATIVE is not None else python_name_key


def key_of(value: str, row: Mapping[str, str | None], key_column: str | None) -> str:
    """The text a fake is keyed on: another column of the row when the rule names one (and it isn't NULL)."""
    if key_column is not None:
        other = row.get(key_column)
        if other is not None:
            return other
    return value


_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
BASE32_PAIRS = tuple(first + second for first in _BASE32 for second in _BASE32)  # 10 bits -> 2 characters


def tag(digest: bytes, length: int) -> str:
    """`length` lowercase base32 characters [a-z2-7] from a digest (5 bits each): the prefix of its RFC 4648
    base32 text. From the integer directly when the bits suffice (base64.b32encode is pure Python: slow)."""
    bits = 8 * len(digest)
    if 5 * length > bits:
        return base64.b32encode(digest).decode("ascii").lower()[:length]
    return base32_of(int.from_bytes(digest, "big") >> (bits - 5 * length), length)


def base32_of(number: int, length: int) -> str:
    """The `length` base32 characters of `number` < 32**length, most significant first, two per table lookup."""
    pairs = BASE32_PAIRS
    if length == 8:  # email tags
        return pairs[number >> 30] + pairs[number >> 20 & 1023] + pairs[number >> 10 & 1023] + pairs[number & 1023]
    out = []
    if length & 1:
        out.append(_BASE32[number & 31])
        number >>= 5
    for _ in range(length >> 1):
        out.append(pairs[number & 1023])
        number >>= 10
    return "".join(reversed(out))


def fit(value: str, max_length: int | None) -> str:
    return value if max_length is None or len(value) <= max_length else value[:max_length]


def native_max_length(max_length: int | None) -> int:
    """A column's max_length as the C fakes take it: -1 for none."""
    return -1 if max_length is None else max_length


class DigitPermuter:
    """Keyed permutations of n-digit strings (one per width and tweak): distinct inputs, distinct outputs."""

    __slots__ = ("_cache", "_keyring", "_plain", "_purpose")

    def __init__(self, keyring: Keyring, purpose: str) -> None:
        self._keyring = keyring
        self._purpose = purpose
        self._cache: dict[tuple[str, int], Permutation] = {}
        self._plain: dict[int, Permutation] = {}  # tweak "" by width: the common case, one lookup

    def permutation(self, width: int, tweak: str = "") -> Permutation:
        """The permutation of [0, 10^width) that `__call__` applies to `width`-digit strings."""
        permutation = None if tweak else self._plain.get(width)
        if permutation is None:
            permutation = self._cache.get((tweak, width))
        if permutation is None:
            subkey = self._keyring.subkey(f"digits\0{self._purpose}\0{tweak}\0{width}")
            permutation = self._cache[(tweak, width)] = Permutation(subkey, 10**width)
            if not tweak:
                self._plain[width] = permutation
        return permutation

    def __call__(self, digits: str, tweak: str = "") -> str:
        width = len(digits)
        permutation = None if tweak else self._plain.get(width)
        if permutation is None:
            if width == 0:
                return digits
            permutation = self.permutation(width, tweak)
        number = int(digits)
        # n digits are in [0, 10^n): skip the range check, unless a sign slipped in (then it raises as it did).
        return str(permutation.apply(number) if number >= 0 else permutation(number)).zfill(width)
