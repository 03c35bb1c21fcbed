"""card_pan: Luhn-valid fake card numbers on test BINs, the input's length and shape kept.

By default the BIN is replaced with a well-known test BIN of the same brand (so no fake can charge a real card)
and the account digits go through a keyed permutation; `keep_bin` keeps the issuer's BIN, `keep_last4` the last
four digits (then another digit absorbs the Luhn check). Masked PANs (424242******4242) keep their mask.
Uniqueness: distinct PANs sharing a source BIN (or any PANs with keep_bin) always get distinct fakes; PANs of
different source BINs that land on the same test BIN collide only by chance (~pairs / 10^9 for 16 digits).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel

from anonymize.keys import Keyring
from anonymize.speedups import NATIVE
from anonymize.transformers.base import ColumnInfo, MemoizedTransformer, StrictParams, TransformCall, register
from anonymize.transformers.digits import luhn_check_digit, luhn_solve, shape_of, whole_if_digit
from anonymize.transformers.keyed import DigitPermuter, fit, native_max_length

# Published test numbers' BINs (Visa/Mastercard/Amex/JCB/Diners/Discover/UnionPay sandboxes), by brand.
TEST_BINS_BY_BRAND: dict[str, tuple[str, ...]] = {
    "visa": ("424242", "411111", "401288", "400000"),
    "mastercard": ("555555", "510510", "520082", "222300"),
    "amex": ("378282", "371449"),
    "jcb": ("353011", "356600"),
    "diners": ("305693", "385200", "362272"),
    "discover": ("601111", "601100"),
    "unionpay": ("620000",),
}
TEST_BINS = frozenset(b for bins in TEST_BINS_BY_BRAND.values() for b in bins)
_MASK = re.compile(r"[*xX•#]")
_PER_BIN_CACHE = 4096


def brand_of(digits: str) -> str:
    two, four = digits[:2], digits[:4]
    if digits.startswith("4"):
        return "visa"
    if "51" <= two <= "55" or (len(four) == 4 and "2221" <= four <= "2720"):
        return "mastercard"
    if two in ("34", "37"):
        return "amex"
    if len(four) == 4 and "3528" <= four <= "3589":
        return "jcb"
    if two in ("36", "38", "39") or "300" <= digits[:3] <= "305":
        return "diners"
    if digits.startswith(("6011", "64", "65")):
        return "discover"
    if two == "62":
        return "unionpay"
    return "visa"


def is_test_pan(digits: str) -> bool:
    return digits[:6] in TEST_BINS


class CardParams(StrictParams):
    keep_bin: bool = False
    keep_last4: bool = False
    bin_length: Literal[6, 8] = 6  # how many leading digits keep_bin keeps


@register
class CardPan(MemoizedTransformer):
    name = "card_pan"
    accepts = frozenset({"text"})
    Params = CardParams
    identifying = True
    replaces_whole_value = True
    default_domain = "card"

    def __init__(self, params: BaseModel, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        assert isinstance(params, CardParams)
        self.p = params
        self._permute = DigitPermuter(keyring, f"card\0{self.domain}")
        self._bin_digest = keyring.digester(self.domain + "\0bin")
        self._testbin_digest = keyring.digester(self.domain + "\0testbin")
        self._masked_digest = keyring.digester(self.domain + "\0masked")
        # Per source BIN, not per card: a snapshot holds few BINs and many cards.
        self._prefixes: dict[str, str] = {}
        self._offsets: dict[tuple[str, int], int] = {}

    def native_transform(self) -> TransformCall | None:
        if NATIVE is None or self.p.keep_bin or self.p.keep_last4:
            return None
        return NATIVE.CardFake(self.default_parts, self.transform, native_max_length(self.max_length))

    def default_parts(self, source_bin: str, length: int) -> tuple[str, int, Callable[[int], int]] | None:
        """What _fake_default's fake of a `length`-digit PAN depends on besides its account digits: (test BIN,
        offset of the account digits, their permutation); None when no account digits are left to permute."""
        prefix = self._prefix(source_bin)
        width = length - len(prefix) - 1
        if width <= 0:
            return None
        return prefix, self._offset(source_bin, width), self._permute.permutation(width).apply

    def _offset(self, source_bin: str, width: int) -> int:
        # Mixes the replaced source BIN into the account digits: two BINs' "same" accounts differ.
        offset = self._offsets.get((source_bin, width))
        if offset is None:
            offset = int.from_bytes(self._bin_digest(source_bin)[:16], "big") % 10**width
            if len(self._offsets) >= _PER_BIN_CACHE:
                self._offsets.clear()
            self._offsets[(source_bin, width)] = offset
        return offset

    def _prefix(self, source_bin: str) -> str:
        """The test BIN replacing a source BIN (its first 6 digits; keep_bin keeps bin_length digits)."""
        prefix = self._prefixes.get(source_bin)
        if prefix is None:
            bins = TEST_BINS_BY_BRAND[brand_of(source_bin)]
            prefix = bins[self._testbin_digest(source_bin)[0] % len(bins)]
            if len(self._prefixes) >= _PER_BIN_CACHE:
                self._prefixes.clear()
            self._prefixes[source_bin] = prefix
        return prefix

    def fake_pan(self, digits: str) -> str:
        if not (self.p.keep_bin or self.p.keep_last4):
            return self._fake_default(digits)
        length = len(digits)
        keep_bin, keep_last4 = self.p.keep_bin, self.p.keep_last4
        prefix = digits[: self.p.bin_length] if keep_bin else self._prefix(digits[:6])
        tail = digits[-4:] if keep_last4 else ""
        # The middle is permuted; its last digit (or the check digit) is then solved for Luhn.
        middle_end = length - len(tail) - (0 if tail else 1)
        middle = digits[len(prefix) : middle_end]
        if keep_last4:
            middle = middle[:-1]  # the slot that absorbs the check
        width = len(middle)
        if width > 0:
            if not keep_bin:
                middle = str((int(middle) + self._offset(digits[:6], width)) % 10**width).zfill(width)
            middle = self._permute(middle)
        if keep_last4:
            body = prefix + middle + "0" + tail
            return luhn_solve(body, len(prefix) + width)
        body = prefix + middle
        return body + luhn_check_digit(body)

    def _fake_default(self, digits: str) -> str:
        """fake_pan without keep_bin/keep_last4 (the default), on ASCII digits: test BIN + the middle digits offset
        by the source BIN and permuted + a Luhn check digit, the middle kept as an integer throughout."""
        source_bin = digits[:6]
        prefix = self._prefixes.get(source_bin)
        if prefix is None:
            prefix = self._prefix(source_bin)
        width = len(digits) - len(prefix) - 1
        if width <= 0:
            body = prefix + digits[len(prefix) : len(digits) - 1]
            return body + luhn_check_digit(body)
        offset = self._offsets.get((source_bin, width))
        if offset is None:
            offset = self._offset(source_bin, width)
        permutation = self._permute.permutation(width)
        body = prefix + str(permutation.apply((int(digits[len(prefix) : -1]) + offset) % 10**width)).zfill(width)
        return body + luhn_check_digit(body)

    def _masked(self, value: str) -> str:
        # 424242******4242: only BIN and last 4 are digits; no Luhn to keep.
        shape = shape_of(value)
        digits = shape.digits
        digest = self._masked_digest(digits)
        lead = digits[:6] if self.p.keep_bin else self._prefix(digits[:6])[: min(6, len(digits))]
        keyed = str(int.from_bytes(digest[:8], "big")).zfill(20)
        rest = digits[len(lead) :]
        if not self.p.keep_last4 or len(rest) < 4:
            rest = keyed[: len(rest)]
        return shape.fill(lead + rest)

    def _fake(self, value: str, key: str) -> str:
        if len(value) >= 12 and value.isdigit() and value.isascii():
            # Bare digits, the usual storage: its own shape, so no template to fill (fill's length check kept).
            fake = self.fake_pan(value)
            if len(fake) != len(value):
                raise ValueError("digit count changed")
            return fit(fake, self.max_length)
        if _MASK.search(value):
            return fit(self._masked(value), self.max_length)
        shape = shape_of(value)
        digits = shape.digits
        if len(digits) < 12:
            return fit(self._masked(value), self.max_length) if digits else value
        return fit(shape.fill(self.fake_pan(digits)), self.max_length)

    leak_values = whole_if_digit  # "なし", "-": no digits, nothing to find (nor changed on purpose)
