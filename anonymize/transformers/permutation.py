"""Keyed permutations of small integer spaces, for fakes that must stay unique.

A hash into a space of N values collides after ~sqrt(N) inputs; a permutation never does. `Permutation(key,
size)` is a bijection on [0, size): an FF1-style Feistel network over the mixed radix [0, p) x [0, q) with
p*q >= size (p ~ sqrt(size)), keyed BLAKE2b as the round function, and cycle walking for the few values that
land in [size, p*q). Distinct phone numbers, card bodies or pool indexes therefore map to distinct outputs.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Callable
from math import isqrt

import numpy as np

from anonymize.speedups import NATIVE

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
    __slots__ = ("_p", "_q", "_rounds", "_tables", "apply", "size")

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
        # x in [0, size) -> its image, without the range check: what per-value callers that know their input
        # is in range (pool indexes, n-digit strings) call. Same function as _forward cycle-walked.
        self.apply: Callable[[int], int] = self._applier()

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
        """One pass of the network over [0, p*q): the reference that `apply` computes faster."""
        p, q = self._p, self._q
        a, b = divmod(x, q)  # a in [0, p), b in [0, q)
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

    def _applier(self) -> Callable[[int], int]:
        """The forward network with cycle walking as one closure over locals: this runs per value (phones,
        cards, IPv4, pool indexes), where attribute lookups and a loop over 8 rounds cost as much as the rounds."""
        p, q, size = self._p, self._q, self.size
        tables = self._tables
        if tables is not None and len(tables) == 8:
            t0, t1, t2, t3, t4, t5, t6, t7 = tables

            def apply_tables(x: int) -> int:
                while True:
                    a, b = divmod(x, q)
                    # Round i maps (a, b) -> (b, (a + T_i[b]) mod radix); updating the variable that would move
                    # instead of swapping leaves the halves in place every two rounds.
                    a = (a + t0[b]) % p
                    b = (b + t1[a]) % q
                    a = (a + t2[b]) % p
                    b = (b + t3[a]) % q
                    a = (a + t4[b]) % p
                    b = (b + t5[a]) % q
                    a = (a + t6[b]) % p
                    b = (b + t7[a]) % q
                    x = a * q + b
                    if x < size:  # cycle walking: re-apply until back inside [0, size)
                        return x

            if NATIVE is not None:  # the same rounds in C (anonymize/csrc/feistel.c), ~8x cheaper per call
                return NATIVE.Feistel(p, q, size, tables, apply_tables)
            return apply_tables
        if tables is not None:
            forward = self._forward

            def apply_walk(x: int) -> int:
                x = forward(x)
                while x >= size:
                    x = forward(x)
                return x

            return apply_walk
        steps = [(state.copy, p if i % 2 == 0 else q) for i, state in enumerate(self._rounds)]
        from_bytes = int.from_bytes

        def apply_hashed(x: int) -> int:
            while True:
                a, b = divmod(x, q)
                for copy, modulus in steps:
                    h = copy()
                    h.update(b.to_bytes((b.bit_length() + 8) // 8, "big"))
                    a, b = b, (a + from_bytes(h.digest(), "big")) % modulus
                x = a * q + b
                if x < size:
                    return x

        return apply_hashed

    def __call__(self, x: int) -> int:
        if not 0 <= x < self.size:
            raise ValueError(f"{x} is outside the permutation space [0, {self.size})")
        return self.apply(x)

    def inverse(self, y: int) -> int:
        if not 0 <= y < self.size:
            raise ValueError(f"{y} is outside the permutation space [0, {self.size})")
        x = self._backward(y)
        while x >= self.size:
            x = self._backward(x)
        return x
