"""card_pan: Luhn-valid fake card numbers on test BINs, the input's length and shape kept.

By default the BIN is replaced with a well-known test BIN of the same brand (so no fake can charge a real card)
and the account digits go through a keyed permutation; `keep_bin` keeps the issuer's BIN, `keep_last4` the last
four digits (then another digit absorbs the Luhn check). Masked PANs (424242******4242) keep their mask.
Uniqueness: distinct PANs sharing a source BIN (or any PANs with keep_bin) always get distinct fakes; PANs of
different source BINs that land on the same test BIN collide only by chance (~pairs / 10^9 for 16 digits).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Literal

from anonymize.errors import TransformError
from anonymize.keys import Keyring
from anonymize.speedups import NATIVE
from anonymize.transformers.base import (
    ColumnInfo,
    KeyedParams,
    MemoizedTransformer,
    StrictParams,
    TextKind,
    TransformCall,
    Transformer,
    register,
)
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
    # The fake's last four digits are the keyed permutation of the real last four that `card_part` (part: last4)
    # gives a last4 stored elsewhere (a payload's card.last4), so the pieces kept beside a card match its fake.
    keyed_last4: bool = False
    bin_length: Literal[6, 8] = 6  # how many leading digits keep_bin keeps


@register
class CardPan(MemoizedTransformer[CardParams]):
    name = "card_pan"
    pii_kind = "CARD"
    text_kinds = (TextKind("card", entities=("CARD",)),)
    accepts = frozenset({"text"})
    identifying = True
    capabilities = MemoizedTransformer.capabilities.but(leak="whole_if_digit")  # see leak_values
    default_domain = "card"

    def __init__(self, params: CardParams, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        self._permute = DigitPermuter(keyring, f"card\0{self.domain}")
        self._bin_digest = keyring.digester(self.domain + "\0bin")
        self._testbin_digest = keyring.digester(self.domain + "\0testbin")
        self._masked_digest = keyring.digester(self.domain + "\0masked")
        # Per source BIN, not per card: a snapshot holds few BINs and many cards.
        self._prefixes: dict[str, str] = {}
        self._offsets: dict[tuple[str, int], int] = {}
        self._last4 = Last4(keyring, self.domain)

    def native_transform(self) -> TransformCall | None:
        if NATIVE is None or self.params.keep_bin or self.params.keep_last4 or self.params.keyed_last4:
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
            prefix = test_bin(self._testbin_digest, source_bin)
            if len(self._prefixes) >= _PER_BIN_CACHE:
                self._prefixes.clear()
            self._prefixes[source_bin] = prefix
        return prefix

    def fake_pan(self, digits: str) -> str:
        if not (self.params.keep_bin or self.params.keep_last4 or self.params.keyed_last4):
            return self._fake_default(digits)
        length = len(digits)
        keep_bin, keep_last4 = self.params.keep_bin, self.params.keep_last4 or self.params.keyed_last4
        prefix = digits[: self.params.bin_length] if keep_bin else self._prefix(digits[:6])
        tail = (self._last4(digits[-4:]) if self.params.keyed_last4 else digits[-4:]) if keep_last4 else ""
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
        lead = digits[:6] if self.params.keep_bin else self._prefix(digits[:6])[: min(6, len(digits))]
        keyed = str(int.from_bytes(digest[:8], "big")).zfill(20)
        rest = digits[len(lead) :]
        if self.params.keyed_last4 and len(rest) >= 4:
            rest = keyed[: len(rest) - 4] + self._last4(rest[-4:])
        elif not self.params.keep_last4 or len(rest) < 4:
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


def test_bin(digest: Callable[[str], bytes], source_bin: str) -> str:
    """The published test BIN of the source BIN's brand that replaces it (a keyed pick among the brand's)."""
    bins = TEST_BINS_BY_BRAND[brand_of(source_bin)]
    return bins[digest(source_bin)[0] % len(bins)]


class Last4:
    """The keyed permutation of a card's last four digits, shared by card_pan (keyed_last4) and card_part."""

    __slots__ = ("_permute",)

    def __init__(self, keyring: Keyring, domain: str) -> None:
        self._permute = DigitPermuter(keyring, f"card\0{domain}\0last4")

    def __call__(self, digits: str) -> str:
        return self._permute(digits)


class CardPartParams(KeyedParams):
    """key_column: the row's column (or, inside JSON, the path: `@.last4` beside the value, `$.card.number` from the
    top) holding the card or its last four digits: one card's expiry moves alike wherever it is stored."""

    part: Literal["last4", "bin", "exp_month", "exp_year", "expiry"]


_EXPIRY = re.compile(r"^(\s*)(\d{1,2})(\s*[/\-]\s*)(\d{2}|\d{4})(\s*)$")
_EXPIRY_YEAR_FIRST = re.compile(r"^(\s*)(\d{4})(-)(\d{1,2})(\s*)$")


@register
class CardPart(Transformer[CardPartParams]):
    """card_part: a piece stored beside a card (a payload's `last4`, `bin`, `exp_month`/`exp_year`, an "MM/YY"
    expiry), replaced so that it matches the card's fake or at least leaves nothing of the real card:

    - last4: the keyed permutation card_pan gives the fake's last four under `keyed_last4`;
    - bin: the test BIN card_pan puts in place of the same source BIN (6 digits; 8 get 2 keyed digits more);
    - exp_month / exp_year / expiry: the expiry moves by a keyed rotation of the month (1-11 months) and 1-3 years
      forward (a valid card stays valid), keyed on the card's last four digits (`key_column`), so a card's month
      and year in a payload move as its month and year columns do.
    """

    name = "card_part"
    row_params = ("key_column",)
    accepts = frozenset({"text", "integer"})
    personal = False  # four digits, a month: too common to search for anywhere
    default_domain = "card"

    def __init__(self, params: CardPartParams, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        self._last4 = Last4(keyring, self.domain)
        self._testbin_digest = keyring.digester(self.domain + "\0testbin")
        self._bin_digest = keyring.digester(self.domain + "\0bin-tail")
        self._expiry_digest = keyring.digester(self.domain + "\0expiry")
        # What `transform` made of a value (with, for an expiry part, the card's shift): it is a function of these
        # alone, and a payload table repeats its cards' parts (measured: most of card_part's time on bench/snapshot's
        # strangers webhooks was recomputing them). Keyed by data: bounded by `cache_size`, emptied when full.
        self._memo: dict[object, str | None] = {}
        self._shifts: dict[str | None, tuple[int, int]] = {}

    def _shift(self, row: Mapping[str, str | None]) -> tuple[int, int]:
        """(months to rotate by, years to add) for the card of this row (memoized by the key column's text)."""
        key = row.get(self.params.key_column) if self.params.key_column else None
        shift = self._shifts.get(key)
        if shift is None:
            digits = "".join(c for c in (key or "") if c.isdigit())[-4:]
            digest = self._expiry_digest(digits)
            shift = 1 + digest[0] % 11, 1 + digest[1] % 3
            if len(self._shifts) >= self.cache_size:
                self._shifts.clear()
            self._shifts[key] = shift
        return shift

    def native_transform(self) -> TransformCall | None:
        """`transform`'s memo hit in C (anonymize/csrc/card_part.c, the same two dicts read the same way), for the
        leaves of a payload's card paths (json_walk.c calls it without a Python frame); a miss calls `transform`."""
        if NATIVE is None or not hasattr(NATIVE, "CardPartMemo"):
            return None
        by_value = self.params.part in ("last4", "bin")
        return NATIVE.CardPartMemo(
            self._memo, None if by_value else self._shifts, self.params.key_column, self.transform
        )  # fmt: skip

    def transform(self, value: str, row: Mapping[str, str | None]) -> str | None:
        memo_key = (value, self._shift(row)) if self.params.part not in ("last4", "bin") else value
        found = self._memo.get(memo_key, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        new = self._transform(value, row)
        if len(self._memo) >= self.cache_size:
            self._memo.clear()
        self._memo[memo_key] = new
        return new

    def _transform(self, value: str, row: Mapping[str, str | None]) -> str | None:
        part = self.params.part
        shape = shape_of(value)
        digits = shape.digits
        if not digits:
            return value
        if part == "last4":
            if len(digits) < 4:
                return shape.fill(self._last4(digits.zfill(4))[-len(digits) :])
            return shape.fill(digits[:-4] + self._last4(digits[-4:]))
        if part == "bin":
            if len(digits) < 6:
                return value
            head = test_bin(self._testbin_digest, digits[:6])
            tail = str(int.from_bytes(self._bin_digest(digits)[:8], "big")).zfill(20)[: len(digits) - 6]
            return shape.fill(head + tail)
        months, years = self._shift(row)
        if part == "exp_month":
            month = int(digits)
            if not 1 <= month <= 12:
                return value
            return str((month - 1 + months) % 12 + 1).zfill(len(digits))
        if part == "exp_year":
            return _year(digits, years)
        match = _EXPIRY.match(value)
        if match:
            lead, month, between, year, trail = match.groups()
            if 1 <= int(month) <= 12:
                new_month = str((int(month) - 1 + months) % 12 + 1).zfill(len(month))
                return f"{lead}{new_month}{between}{_year(year, years)}{trail}"
        match = _EXPIRY_YEAR_FIRST.match(value)
        if match:
            lead, year, between, month, trail = match.groups()
            if 1 <= int(month) <= 12:
                new_month = str((int(month) - 1 + months) % 12 + 1).zfill(len(month))
                return f"{lead}{_year(year, years)}{between}{new_month}{trail}"
        raise TransformError(f"{self.column.qualified}: a value is not an expiry (MM/YY)", "rule it null")


_MISSING = object()


def _year(digits: str, years: int) -> str:
    if len(digits) == 2:
        return str((int(digits) + years) % 100).zfill(2)
    return str(int(digits) + years).zfill(len(digits))
