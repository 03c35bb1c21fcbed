"""Keyed permutations of small integer spaces, for fakes that must stay unique.

A hash into a space of N values collides after ~sqrt(N) inputs; a permutation never does. `Permutation(key,
size)` is a bijection on [0, size): an FF1-style Feistel network over the mixed radix [0, p) x [0, q) with
p*q >= size (p ~ sqrt(size)), keyed BLAKE2b as the round function, and cycle walking for the few values that
land in [size, p*q). Distinct phone numbers, card bodies or pool indexes therefore map to distinct outputs.
"""

from __future__ import annotations

import hashlib
from array import array
from math import isqrt

import numpy as np

ROUNDS = 8  # as FF3-1; the attacker never sees inputs, only fakes
TABLE_LIMIT = 1 << 17  # halves up to this size tabulate their round function (phones, IPv4, name pools, addresses)


def _round_table(key: bytes, round_index: int, entries: int, radix: int) -> array:
    """F_round(half) mod radix for every half in [0, entries): a keyed XOF stream read 8 bytes per entry."""
    seed = hashlib.blake2b(
        key=key[:64], digest_size=32, person=b"perm-table", salt=round_index.to_bytes(16, "big")
    ).digest()
    stream = np.frombuffer(hashlib.shake_256(seed).digest(8 * entries), dtype="<u8")
    table = array("q")
    table.frombytes((stream % np.uint64(radix)).astype(np.int64).tobytes())
    return table


class Permutation:
    __slots__ = ("_p", "_q", "_rounds", "_tables", "size")

    def __init__(self, key: bytes, size: int, rounds: int = ROUNDS) -> None:
        if size < 1:
            raise ValueError("permutation space must hold at least one value")
        if rounds % 2:
            raise ValueError("an even number of rounds keeps the halves' radixes in place")
        self.size = size
        self._p = max(2, isqrt(size - 1) + 1)
        self._q = max(2, -(-size // self._p))
        # One keyed hash state per round; copy() of a keyed state is cheaper than re-keying per call.
        self._rounds = [
            hashlib.blake2b(key=key[:64], digest_size=16, person=b"perm-round", salt=i.to_bytes(16, "big"))
            for i in range(rounds)
        ]
        # Small halves: the round function is a table drawn at once from a keyed XOF stream (SHAKE-256 of a
        # per-round keyed seed, 8 bytes per entry, reduced mod the radix in numpy): ~40 ms at the largest size,
        # after which a permutation of a phone number's 10^8 or an IPv4 space is 8 array lookups instead of 8
        # keyed hashes. (Large halves keep the keyed BLAKE2b round function, evaluated per call.)
        self._tables: list[array] | None = None
        if max(self._p, self._q) <= TABLE_LIMIT:
            self._tables = [
                _round_table(key, i, self._q if i % 2 == 0 else self._p, self._q if i & 1 else self._p)
                for i in range(rounds)
            ]

    @staticmethod
    def _f(state: hashlib.blake2b, half: int) -> int:
        h = state.copy()
        h.update(half.to_bytes((half.bit_length() + 8) // 8, "big"))
        return int.from_bytes(h.digest(), "big")

    def _round(self, i: int, half: int) -> int:
        """F_i(half), reduced mod the radix of round i's output (p for even rounds, q for odd) when tabled."""
        tables = self._tables
        if tables is not None:
            return tables[i][half]
        return self._f(self._rounds[i], half)

    def _forward(self, x: int) -> int:
        p, q = self._p, self._q
        a, b = divmod(x, q)  # a in [0, p), b in [0, q)
        tables = self._tables
        if tables is not None:  # the hot path, inlined: phones, cards, IPv4 and pool indexes
            for i, table in enumerate(tables):
                a, b = b, (a + table[b]) % (q if i & 1 else p)
            return a * q + b
        moduli = (p, q)
        for i in range(len(self._rounds)):
            a, b = b, (a + self._round(i, b)) % moduli[i & 1]
        return a * q + b

    def _backward(self, y: int) -> int:
        p, q = self._p, self._q
        a, b = divmod(y, q)
        moduli = (p, q)
        for i in range(len(self._rounds) - 1, -1, -1):
            a, b = (b - self._round(i, a)) % moduli[i & 1], a
        return a * q + b

    def __call__(self, x: int) -> int:
        if not 0 <= x < self.size:
            raise ValueError(f"{x} is outside the permutation space [0, {self.size})")
        # Cycle walking: the network permutes [0, p*q); re-apply until back inside [0, size).
        y = self._forward(x)
        while y >= self.size:
            y = self._forward(y)
        return y

    def inverse(self, y: int) -> int:
        if not 0 <= y < self.size:
            raise ValueError(f"{y} is outside the permutation space [0, {self.size})")
        x = self._backward(y)
        while x >= self.size:
            x = self._backward(x)
        return x
