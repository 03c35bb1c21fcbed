"""card_pan: Luhn-valid fake card numbers on test BINs, the input's length and shape kept.

By default the BIN is replaced with a well-known test BIN of the same brand (so no fake can charge a real card)
and the account digits go through a keyed permutation; `keep_bin` keeps the issuer's BIN, `keep_last4` the last
four digits (then another digit absorbs the Luhn check). Masked PANs (424242******4242) keep their mask.
Uniqueness: distinct PANs sharing a source BIN (or any PANs with keep_bin) always get distinct fakes; PANs of
different source BINs that land on the same test BIN collide only by chance (~pairs / 10^9 for 16 digits).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel

from anonymize.keys import Keyring
from anonymize.transformers.base import ColumnInfo, StrictParams, Transformer, register
from anonymize.transformers.digits import has_digit, luhn_check_digit, luhn_solve, shape_of
from anonymize.transformers.keyed import DigitPermuter, fit

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
class CardPan(Transformer):
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
        # Per source BIN, not per card: a snapshot holds few BINs and many cards.
        self._offset = lru_cache(maxsize=4096)(self._offset)  # type: ignore[method-assign]
        self._prefix = lru_cache(maxsize=4096)(self._prefix)  # type: ignore[method-assign]
        self._cached = lru_cache(maxsize=self.cache_size)(self._fake)

    def _offset(self, source_bin: str, width: int) -> int:
        # Mixes the replaced source BIN into the account digits: two BINs' "same" accounts differ.
        return int.from_bytes(self.keyring.digest(self.domain + "\0bin", source_bin)[:16], "big") % 10**width

    def _prefix(self, source_bin: str) -> str:
        """The test BIN replacing a source BIN (its first 6 digits; keep_bin keeps bin_length digits)."""
        bins = TEST_BINS_BY_BRAND[brand_of(source_bin)]
        return bins[self.keyring.digest(self.domain + "\0testbin", source_bin)[0] % len(bins)]

    def fake_pan(self, digits: str) -> str:
        length = len(digits)
        prefix = digits[: self.p.bin_length] if self.p.keep_bin else self._prefix(digits[:6])
        tail = digits[-4:] if self.p.keep_last4 else ""
        # The middle is permuted; its last digit (or the check digit) is then solved for Luhn.
        middle_end = length - len(tail) - (0 if tail else 1)
        middle = digits[len(prefix) : middle_end]
        if self.p.keep_last4:
            middle = middle[:-1]  # the slot that absorbs the check
        width = len(middle)
        if width > 0:
            if not self.p.keep_bin:
                middle = str((int(middle) + self._offset(digits[:6], width)) % 10**width).zfill(width)
            middle = self._permute(middle)
        if self.p.keep_last4:
            body = prefix + middle + "0" + tail
            return luhn_solve(body, len(prefix) + width)
        body = prefix + middle
        return body + luhn_check_digit(body)

    def _masked(self, value: str) -> str:
        # 424242******4242: only BIN and last 4 are digits; no Luhn to keep.
        shape = shape_of(value)
        digits = shape.digits
        digest = self.keyring.digest(self.domain + "\0masked", digits)
        lead = digits[:6] if self.p.keep_bin else self._prefix(digits[:6])[: min(6, len(digits))]
        keyed = str(int.from_bytes(digest[:8], "big")).zfill(20)
        rest = digits[len(lead) :]
        if not self.p.keep_last4 or len(rest) < 4:
            rest = keyed[: len(rest)]
        return shape.fill(lead + rest)

    def _fake(self, value: str) -> str:
        if _MASK.search(value):
            return fit(self._masked(value), self.max_length)
        shape = shape_of(value)
        digits = shape.digits
        if len(digits) < 12:
            return fit(self._masked(value), self.max_length) if digits else value
        return fit(shape.fill(self.fake_pan(digits)), self.max_length)

    def transform(self, value: str, row: Mapping[str, str | None]) -> str | None:
        return self._cached(value)

    def leak_values(self, value: str) -> tuple[str, ...]:
        return (value,) if has_digit(value) else ()
