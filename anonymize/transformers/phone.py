"""phone: Japanese phone numbers, keeping the input's shape (090-1234-5678, 0312345678, +81 90-1234-5678), faked
into ranges the numbering plan never assigns, so a fake can't be anybody's number.

Where the fakes land (national numbers; +81 / 0081 spellings are faked through their national form):
- 11-digit 050/060/070/080/090 (IP phone, FMC, mobile): the lead, a 0, 7 keyed digits -> 090-0XXX-XXXX. Only
  0A0-1 .. 0A0-9 are designated to carriers (060 opened as 060-1~9), so 0A0-0XXX-XXXX is nobody's. 020 is left
  out: its 0200 block holds 14-digit M2M numbers.
- 10-digit geographic (0 + area code + local number): the first 2 digits, a 0, 7 keyed digits -> 03-0XXX-XXXX.
  Geographic numbers never start 0X0 (every 0X0 is non-geographic, with 11-digit numbers, or 010), so a 10-digit
  0X0 number is nobody's. 010 is the international prefix, and 010 + 7 digits can dial a country with short
  numbers (Niue +683 and Tokelau +690 have 4-digit ones: 010-683-XXXX); so 01 numbers (Hokkaido, Tohoku) get
  0100 + 6 keyed digits instead: no country code starts with 0.
- free dial 0120/0570 and 0800, and every other length or shape: the lead is kept and the rest goes through a
  keyed permutation of its digit space (businesses' numbers and odd data, as before).

The keyed digits are a keyed hash of the national number: one number is one fake however it is spelled, in every
column, table, JSON payload and free text (anonymize.pii) sharing the domain; distinct numbers may share a fake,
as names do. A unique column therefore needs `key_column` (the row's id): the digits then come from a keyed
permutation of the id, and distinct ids give distinct fakes. `keep_prefix_digits` keeps that many digits and
permutes the rest inside the real numbering space (distinct numbers, distinct fakes) — a fake may then be
someone's real number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from pydantic import BaseModel, Field

from anonymize.keys import Keyring
from anonymize.speedups import NATIVE
from anonymize.transformers.base import ColumnInfo, StrictParams, TransformCall, Transformer, register, unique_needs_key
from anonymize.transformers.digits import shape_of, whole_if_digit
from anonymize.transformers.keyed import DigitPermuter, KeyedIndex, fit, key_of, native_max_length

_NON_GEOGRAPHIC = re.compile(r"^0[2-9]0")  # mobile, IP phone, M2M: 0A0 is the service, not a place
_FREE_DIAL = ("0120", "0800", "0570")
_UNASSIGNED_LEADS = ("050", "060", "070", "080", "090")  # 11 digits; 0A0-0XXX-XXXX is never designated
_INTERNATIONAL_PREFIX = "01"  # 010: a 0 must follow it in a fake (no country code starts with 0)


class PhoneParams(StrictParams):
    # Keep this many leading digits of the national number and permute the rest, as in the real numbering
    # space: the user's choice to keep real prefixes, knowing a fake may then be someone's real number.
    # None: fakes in unassigned ranges (see the module docstring).
    keep_prefix_digits: int | None = Field(default=None, ge=0, le=6)
    key_column: str | None = None  # key the fake digits on this column (the row's id): needed on unique columns


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
        self.key_column = params.key_column
        if column.unique and self.key_column is None and self.keep is None:
            # Hashed digits collide by chance (a 10^7 space); a permutation of the row's id never does.
            raise unique_needs_key(column, self.name, "numbers")
        self._permute = DigitPermuter(keyring, f"phone\0{self.domain}")
        self._digest = keyring.digester(self.domain)
        self._cached = lru_cache(maxsize=self.cache_size)(self._fake)

    @property
    def row_columns(self) -> frozenset[str]:
        return frozenset({self.key_column}) if self.key_column else frozenset()

    def native_transform(self) -> TransformCall | None:
        if NATIVE is None or self.keep is not None or self.key_column is not None:
            return None
        return NATIVE.PhoneFake(self._digest, self.transform, native_max_length(self.max_length))

    def _keyed_digits(self, national: str, key: str | None, width: int) -> str:
        """`width` digits: a keyed hash of the national number, or a keyed index of the key column's value."""
        if key is None:
            number = int.from_bytes(self._digest(national)[:8], "big") % 10**width
        else:
            number = KeyedIndex.shared(self.keyring, f"{self.domain}\0phone-digits", 10**width)(key)
        return str(number).zfill(width)

    def fake_national(self, national: str, key: str | None = None) -> str:
        """The fake of a national digit string (same length); `key` is the key column's value, if any."""
        if self.keep is None and national[:1] == "0":
            if len(national) == 11 and national.startswith(_UNASSIGNED_LEADS):
                return national[:3] + "0" + self._keyed_digits(national, key, 7)
            if len(national) == 10 and national[1] != "0" and not national.startswith(_FREE_DIAL):
                if national.startswith(_INTERNATIONAL_PREFIX):
                    return "0100" + self._keyed_digits(national, key, 6)
                return national[:2] + "0" + self._keyed_digits(national, key, 7)
        return self._permuted(national)

    def _kept(self, national: str) -> int:
        if self.keep is not None:
            return self.keep
        if national.startswith(_FREE_DIAL):
            return 4
        if _NON_GEOGRAPHIC.match(national):
            return 3
        return 2 if national.startswith("0") else 1

    def _permuted(self, national: str) -> str:
        """The lead kept, the rest permuted within its digit space: distinct numbers, distinct fakes."""
        kept = min(self._kept(national), max(len(national) - 1, 0))
        rest = national[kept:]
        if not rest:
            return national
        # Tweaked by the kept prefix, so 03-1234-5678 and 090-1234-5678 don't share their fake subscriber digits.
        return national[:kept] + self._permute(rest, national[:kept])

    def _fake(self, value: str, key: str | None) -> str:
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
                fake = digits[:prefix] + self.fake_national(rest, key)
            else:
                fake = digits[:prefix] + self.fake_national("0" + rest, key)[1:]
        else:
            fake = self.fake_national(digits, key)
        return fit(shape.fill(fake), self.max_length)

    def transform(self, value: str, row: Mapping[str, str | None]) -> str | None:
        key = key_of(value, row, self.key_column) if self.key_column is not None else None
        return self._cached(value, key)

    leak_values = whole_if_digit  # "なし", "-": no digits, nothing to find (nor changed on purpose)
