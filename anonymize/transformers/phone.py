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

Numbers of other countries keep their country, digit count and grouping, in ranges reserved for fiction:
- North American (NANP, +1): a 10-digit number NXX-NXX-XXXX (area code and exchange starting 2-9), bare or with
  the country code 1 / +1 -> NPA-555-01XX. 555-0100..555-0199 is the NANP's block for fictitious use (the
  numbering plan set it aside for examples and fiction: e.g. the Splunk style guide's "Phone numbers" page;
  only 555-01XX is reserved, other 555 lines are assignable). The area code is keyed too, of the form
  [2-9][0-8]X other than N11 (our choice: an NPA's shape; N9X codes are held back for expansion, N11 are
  service codes): 712 x 100 = 71,200 fakes.
- British (+44, 0044, or a 0-leading national number under `locale: gb`), 10 national digits -> a number from
  Ofcom's drama ranges of the same kind, by the national number's first digit: 1 -> 0113/0114/0115/0116/0117/
  0118/0121/0131/0141/0151/0161 496 0XXX, 2 -> 020 7946 0XXX, 028 9018 0XXX, 029 2018 0XXX, 3 -> 03069 990XXX,
  7 -> 07700 900XXX, 8 -> 08081 570XXX, 9 -> 0909 879 0XXX. Ofcom keeps about 20,000 numbers unallocated for
  drama (BBC News, "The 20,000 fake phone numbers", 2015: the city ranges, 01632, 07700, 08081, 0909, 03069);
  the exact ranges are those Faker's en_GB phone provider uses, which cites Wikipedia's "Fictitious telephone
  number" (its 0191 entries disagree with each other, so Tyneside is left out; 01632 960XXX, a 4-digit area
  code, is left out so that big-city numbers written 0161 496 0123 keep a 3-digit area code in their grouping).
- Without `locale: gb` a 0-leading national number is Japanese (070-1234-5678 and UK 07700 900123 can't be told
  apart one by one); `devkit rules init` drafts `locale: gb` for a column of British numbers, `us` for one of
  North American numbers (the same fakes as auto), and `locale: ja` keeps every number on the Japanese rules.
The fictional digits are keyed like the Japanese ones: a keyed hash of "+1"/"+44" and the national number (one
number, one fake, however spelled), or with `key_column` a keyed permutation of the id (distinct up to the range's
size: 71,200 NANP, 1,000-11,000 British numbers of a kind; past that, distinct ids may share a fake).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

from pydantic import Field

from anonymize.keys import Keyring
from anonymize.locales import NANP
from anonymize.speedups import NATIVE
from anonymize.transformers.base import (
    Capabilities,
    ColumnInfo,
    Keyed,
    KeyedParams,
    TextKind,
    TransformCall,
    register,
)
from anonymize.transformers.digits import shape_of, whole_if_digit
from anonymize.transformers.keyed import DigitPermuter, KeyedIndex, fit, key_of, native_max_length

_NON_GEOGRAPHIC = re.compile(r"^0[2-9]0")  # mobile, IP phone, M2M: 0A0 is the service, not a place
_FREE_DIAL = ("0120", "0800", "0570")
_UNASSIGNED_LEADS = ("050", "060", "070", "080", "090")  # 11 digits; 0A0-0XXX-XXXX is never designated
_INTERNATIONAL_PREFIX = "01"  # 010: a 0 must follow it in a fake (no country code starts with 0)
_EXTENSION = re.compile(r"\s*(?:x|ext\.?|extension|#)\s*[0-9]+\s*$", re.IGNORECASE)
_NON_DIGIT = re.compile(r"[^0-9]+")
# NANP fakes: NPA-555-01XX (see the module docstring).
_NANP_AREAS = tuple(f"{a}{b}{c}" for a in "23456789" for b in "012345678" for c in "0123456789" if b + c != "11")
_NANP_FICTION = 100  # 555-0100 .. 555-0199
# British fakes: the first 7 of 10 national digits of Ofcom's drama ranges, by the national number's first digit;
# 3 keyed digits follow (0XXX / XXX: 1,000 numbers a range).
_UK_DRAMA = {
    "1": ("1134960", "1144960", "1154960", "1164960", "1174960", "1184960", "1214960", "1314960", "1414960",
          "1514960", "1614960"),
    "2": ("2079460", "2890180", "2920180"),
    "3": ("3069990",),
    "7": ("7700900",),
    "8": ("8081570",),
    "9": ("9098790",),
}  # fmt: skip


class PhoneParams(KeyedParams):  # key_column: the row's id, needed on unique columns
    # Keep this many leading digits of the national number and permute the rest, as in the real numbering
    # space: the user's choice to keep real prefixes, knowing a fake may then be someone's real number.
    # None: fakes in unassigned ranges (see the module docstring).
    keep_prefix_digits: int | None = Field(default=None, ge=0, le=6)
    # auto: +1/+44 numbers and bare 10-digit NANP numbers get fictional numbers of their country, 0-leading ones
    # Japanese rules; gb: 0-leading national numbers are British too; us: as auto; ja: every number on the
    # Japanese rules (other countries' numbers keep their lead and permute the rest, as before).
    locale: Literal["auto", "ja", "us", "gb"] = "auto"


@register
class Phone(Keyed[PhoneParams]):
    name = "phone"
    pii_kind = "PHONE"
    text_kinds = (TextKind("phone", entities=("PHONE",)),)
    remembered = True
    unique_fakes = "numbers"  # hashed digits collide by chance (a 10^7 space); a permutation of ids never does

    def repeats(self, params: PhoneParams) -> bool:
        return params.keep_prefix_digits is None

    accepts = frozenset({"text"})
    identifying = True
    default_domain = "phone"
    capabilities = Capabilities(leak="whole_if_digit")  # see leak_values

    def __init__(self, params: PhoneParams, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        self.keep = params.keep_prefix_digits
        self._permute = DigitPermuter(keyring, f"phone\0{self.domain}")
        self._digest = keyring.digester(self.domain)
        self._cached = lru_cache(maxsize=self.cache_size)(self._fake)

    def native_transform(self) -> TransformCall | None:
        # The C fake writes 0-leading Japanese national numbers (British under `locale: gb`: Python) and, but
        # under `locale: ja`, North American numbers and British ones written +44 / 0044.
        if NATIVE is None or self.keep is not None or self._key_column is not None or self.params.locale == "gb":
            return None
        foreign = self.params.locale != "ja"
        return NATIVE.PhoneFake(self._digest, self.transform, native_max_length(self.max_length), foreign)

    def _keyed_digits(self, national: str, key: str | None, width: int) -> str:
        """`width` digits: a keyed hash of the national number, or a keyed index of the key column's value."""
        if key is None:
            number = int.from_bytes(self._digest(national)[:8], "big") % 10**width
        else:
            number = KeyedIndex.shared(self.keyring, f"{self.domain}\0phone-digits", 10**width)(key)
        return str(number).zfill(width)

    def _keyed_number(self, canonical: str, key: str | None, size: int) -> int:
        """A number in [0, size): a keyed hash of the canonical number, or a keyed index of the key column's value."""
        if key is None:
            return int.from_bytes(self._digest(canonical)[:8], "big") % size
        return KeyedIndex.shared(self.keyring, f"{self.domain}\0phone-digits", size)(key)

    def fake_nanp(self, national: str, key: str | None = None) -> str:
        """A fictional North American number (NPA-555-01XX) for a 10-digit one."""
        size = len(_NANP_AREAS) * _NANP_FICTION
        number = self._keyed_number("+1" + national, key, size)
        fake = f"{_NANP_AREAS[number // _NANP_FICTION]}5550{100 + number % _NANP_FICTION}"
        if fake == national:  # a fictional number of the source drawn for itself: the next one
            number = (number + 1) % size
            fake = f"{_NANP_AREAS[number // _NANP_FICTION]}5550{100 + number % _NANP_FICTION}"
        return fake

    def fake_uk(self, significant: str, key: str | None = None) -> str | None:
        """A number from Ofcom's drama ranges of the same kind for a 10-digit British national significant number
        (without the trunk 0); None for a number of another length or kind."""
        ranges = _UK_DRAMA.get(significant[:1]) if len(significant) == 10 else None
        if ranges is None:
            return None
        size = len(ranges) * 1000
        number = self._keyed_number("+44" + significant, key, size)
        fake = f"{ranges[number // 1000]}{number % 1000:03d}"
        if fake == significant:
            number = (number + 1) % size
            fake = f"{ranges[number // 1000]}{number % 1000:03d}"
        return fake

    def _foreign(self, template: str, digits: str, key: str | None) -> str | None:
        """The fake digits of a North American or British number (`digits`: all of the value's), or None when it
        is neither (then the Japanese rules apply). An extension ("x123", "ext. 12") is kept as it is."""
        locale = self.params.locale
        if locale == "ja" or self.keep is not None:
            return None
        extension = _EXTENSION.search(template)
        if extension is not None:
            kept = _NON_DIGIT.sub("", extension.group())
            fake = self._foreign(template[: extension.start()], digits[: len(digits) - len(kept)], key)
            return None if fake is None else fake + kept
        lead = template.lstrip(" (")
        code = 2 if lead.startswith("+44") else 4 if lead.startswith("0044") else 0
        if code:
            rest = digits[code:]
            trunk = rest.startswith("0")  # +44 (0)20 ...: the trunk 0 written out
            fake = self.fake_uk(rest[1:] if trunk else rest, key)
            return None if fake is None else digits[: code + trunk] + fake
        if lead.startswith("+1") and len(digits) == 11 and NANP.fullmatch(digits[1:]):
            return "1" + self.fake_nanp(digits[1:], key)
        if lead.startswith("001") and len(digits) == 13 and NANP.fullmatch(digits[3:]):  # 001: an access code
            return "001" + self.fake_nanp(digits[3:], key)
        if lead.startswith("+"):
            return None
        if len(digits) == 10 and NANP.fullmatch(digits):
            return self.fake_nanp(digits, key)
        if len(digits) == 11 and digits[0] == "1" and NANP.fullmatch(digits[1:]):
            return "1" + self.fake_nanp(digits[1:], key)
        if locale == "gb" and len(digits) == 11 and digits[0] == "0":
            fake = self.fake_uk(digits[1:], key)
            return None if fake is None else "0" + fake
        return None

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
        if digits[0] != "0" or lead[:1] == "+" or lead.startswith("00") or self.params.locale == "gb":
            foreign = self._foreign(shape.template, digits, key)
            if foreign is not None:
                return fit(shape.fill(foreign), self.max_length)
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
        key = key_of(value, row, self._key_column) if self._key_column is not None else None
        return self._cached(value, key)

    leak_values = whole_if_digit  # "なし", "-": no digits, nothing to find (nor changed on purpose)
