"""Shared keyed building blocks: pool indexes from a source key, short tags, length fitting."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from functools import lru_cache

from anonymize.keys import Keyring
from anonymize.transformers.permutation import Permutation

_MAX_INT_KEY_DIGITS = 19


_SHARED: dict[tuple[Keyring, str, int], KeyedIndex] = {}
_SHARED_CACHE = 1 << 16  # per shared index: the rows in flight of a table, whose columns share a key


class KeyedIndex:
    """Maps a source key to an index in [0, size).

    An integer key (e.g. the row's id) below `size` goes through a keyed permutation, so distinct ids get distinct
    indexes: collision-free fakes for unique columns. Any other key is hashed (keyed) into the space, where
    distinct keys collide only by chance (~n^2 / 2*size pairs).
    """

    __slots__ = ("_domain", "_keyring", "_lookup", "_permutation", "size")

    def __init__(self, keyring: Keyring, domain: str, size: int) -> None:
        self._keyring = keyring
        self._domain = domain
        self.size = size
        self._permutation = Permutation(keyring.subkey(f"index\0{domain}\0{size}"), size)
        self._lookup = self.index

    @classmethod
    def shared(cls, keyring: Keyring, domain: str, size: int) -> KeyedIndex:
        """One index per (key, domain, size) in this process, with a bounded cache of key -> index: columns keyed
        alike (full_name and full_name_kana on `id`, an address's postal code and street) compute each row's
        index once, not once per column."""
        marker = (keyring, domain, size)
        index = _SHARED.get(marker)
        if index is None:
            index = _SHARED[marker] = cls(keyring, domain, size)
            index._lookup = lru_cache(maxsize=_SHARED_CACHE)(index.index)
        return index

    def __call__(self, key: str) -> int:
        return self._lookup(key)

    def index(self, key: str) -> int:
        if key.isascii() and key.isdigit() and len(key) <= _MAX_INT_KEY_DIGITS:
            number = int(key)
            if number < self.size:
                return self._permutation(number)
        return int.from_bytes(self._keyring.digest(self._domain, key)[:16], "big") % self.size


def key_of(value: str, row: Mapping[str, str | None], key_column: str | None) -> str:
    """The text a fake is keyed on: another column of the row when the rule names one (and it isn't NULL)."""
    if key_column is not None:
        other = row.get(key_column)
        if other is not None:
            return other
    return value


_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


def tag(digest: bytes, length: int) -> str:
    """`length` lowercase base32 characters [a-z2-7] from a digest (5 bits each): the prefix of its RFC 4648
    base32 text. From the integer directly when the bits suffice (base64.b32encode is pure Python: slow)."""
    bits = 8 * len(digest)
    if 5 * length > bits:
        return base64.b32encode(digest).decode("ascii").lower()[:length]
    number = int.from_bytes(digest, "big")
    return "".join(_BASE32[(number >> (bits - 5 * (i + 1))) & 31] for i in range(length))


def fit(value: str, max_length: int | None) -> str:
    return value if max_length is None or len(value) <= max_length else value[:max_length]


class DigitPermuter:
    """Keyed permutations of n-digit strings (one per width and tweak): distinct inputs, distinct outputs."""

    __slots__ = ("_cache", "_keyring", "_purpose")

    def __init__(self, keyring: Keyring, purpose: str) -> None:
        self._keyring = keyring
        self._purpose = purpose
        self._cache: dict[tuple[str, int], Permutation] = {}

    def __call__(self, digits: str, tweak: str = "") -> str:
        width = len(digits)
        if width == 0:
            return digits
        permutation = self._cache.get((tweak, width))
        if permutation is None:
            subkey = self._keyring.subkey(f"digits\0{self._purpose}\0{tweak}\0{width}")
            permutation = self._cache[(tweak, width)] = Permutation(subkey, 10**width)
        return str(permutation(int(digits))).zfill(width)
