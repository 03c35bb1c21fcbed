"""phone: Japanese phone numbers, keeping the input's shape (090-1234-5678, 0312345678, +81 90-1234-5678).

The national number keeps its service/area lead (070/080/090/050/020 and 0120/0800 keep 3-4 digits, landlines
keep 0X) and the remaining digits go through a keyed permutation of their digit space: distinct numbers give
distinct fakes (a unique column stays unique), and +81 and national spellings of one number share one fake.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from pydantic import BaseModel, Field

from anonymize.keys import Keyring
from anonymize.transformers.base import ColumnInfo, StrictParams, Transformer, register
from anonymize.transformers.digits import has_digit, shape_of
from anonymize.transformers.keyed import DigitPermuter, fit

_NON_GEOGRAPHIC = re.compile(r"^0[2-9]0")  # mobile, IP phone, M2M: 0A0 is the service, not a place
_FREE_DIAL = ("0120", "0800", "0570")


class PhoneParams(StrictParams):
    keep_prefix_digits: int | None = Field(default=None, ge=0, le=6)  # of the national number; None: by kind


@register
class Phone(Transformer):
    name = "phone"
    accepts = frozenset({"text"})
    Params = PhoneParams
    identifying = True
    default_domain = "phone"
    replaces_whole_value = True

    def __init__(self, params: BaseModel, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        assert isinstance(params, PhoneParams)
        self.keep = params.keep_prefix_digits
        self._permute = DigitPermuter(keyring, f"phone\0{self.domain}")
        self._cached = lru_cache(maxsize=self.cache_size)(self._fake)

    def _kept(self, national: str) -> int:
        if self.keep is not None:
            return self.keep
        if national.startswith(_FREE_DIAL):
            return 4
        if _NON_GEOGRAPHIC.match(national):
            return 3
        return 2 if national.startswith("0") else 1

    def fake_national(self, national: str) -> str:
        """The fake of a national digit string (same length)."""
        kept = min(self._kept(national), max(len(national) - 1, 0))
        rest = national[kept:]
        if not rest:
            return national
        # Tweaked by the kept prefix, so 03-1234-5678 and 090-1234-5678 don't share their fake subscriber digits.
        return national[:kept] + self._permute(rest, national[:kept])

    def _fake(self, value: str) -> str:
        shape = shape_of(value)
        digits = shape.digits
        if not digits:
            return value  # "なし", "-": nothing that identifies anyone
        # One number, one fake, however it is spelled: the national number is what anonymize.pii.canonical.phone
        # keys free text on (+81 / (+81) / 0081 / +81 (0)90 ... all reduce to 090...).
        lead = shape.template.lstrip(" (")
        prefix = 2 if lead.startswith("+81") else 4 if lead.startswith("0081") else 0
        international = prefix or (
            digits.startswith("81") and len(digits) in (11, 12) and shape.template.lstrip().startswith(("+", "("))
        )
        if international and len(digits) > 3:
            prefix = prefix or 2
            rest = digits[prefix:]
            if rest.startswith("0"):  # +81 (0)90-...: the trunk 0 written out
                fake = digits[:prefix] + self.fake_national(rest)
            else:
                fake = digits[:prefix] + self.fake_national("0" + rest)[1:]
        else:
            fake = self.fake_national(digits)
        return fit(shape.fill(fake), self.max_length)

    def transform(self, value: str, row: Mapping[str, str | None]) -> str | None:
        return self._cached(value)

    def leak_values(self, value: str) -> tuple[str, ...]:
        # "なし", "-": no digits, nothing to find (and nothing the fake changed on purpose).
        return (value,) if has_digit(value) else ()
