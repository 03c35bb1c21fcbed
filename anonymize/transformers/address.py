"""address: fake Japanese addresses (〒123-4567 東京都新宿区桜台3丁目12番5号 サクラハイツ305), whole or by part.

Columns holding parts of one address (postal code, prefecture, city, street, building) get parts of the SAME fake
address when keyed alike (`key_column`, e.g. the customer id). The full form mirrors the input: a postal code
only if the input had one, 丁目/番/号 or 3-12-5 numbering, a building only if the input had one.

Addresses that aren't Japanese get fakes of their own form (anonymize.transformers.western_address): a value in
Latin letters and no kana or kanji ("1234 Elm Street", "Flat 3, 12 Baker St") a Western one, a US ZIP a ZIP, a UK
postcode a UK postcode, another postal code its character shape; a Japanese postal code (123-4567, 〒1234567)
stays one. `locale` settles a column (drafted from sampled values): `us` / `gb` give every value without kana or
kanji (street numbers alone too) the Western form and every postal code the ZIP / postcode form; `ja` gives every
value a Japanese fake, as before this param existed; `auto` (the default) decides value by value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from anonymize import locales, normalize
from anonymize.keys import Keyring
from anonymize.names import pool
from anonymize.native_interface import AddressPart
from anonymize.specificity import NAMELESS, specific_address
from anonymize.speedups import NATIVE
from anonymize.transformers.base import (
    ColumnInfo,
    Keyed,
    KeyedParams,
    MemoizedTransformer,
    TextKind,
    TransformCall,
    register,
)
from anonymize.transformers.keyed import KeyedIndex, fit, memoized, native_max_length, text_key
from anonymize.transformers.western_address import WesternAddresses

_POSTAL = re.compile(r"^〒?\s*\d{3}-?\d{4}\s*")
_BUILDING = re.compile(
    r"(ハイツ|マンション|コーポ|レジデンス|ビル|パレス|ヒルズ|タワー|ハウス|コート|荘|号室|\d+階|[A-Za-z]棟)"
)
# _BUILDING.search as a yes/no, ~3x cheaper: an alternation of literals alone lets the regex engine skip to the
# positions holding one of their first characters; the two classes only matter next to 階 / 棟.
_BUILDING_WORDS = re.compile(r"ハイツ|マンション|コーポ|レジデンス|ビル|パレス|ヒルズ|タワー|ハウス|コート|荘|号室")
_FLOOR = re.compile(r"\d階")  # \d+階 is found wherever \d階 is
_WING = re.compile(r"[A-Za-z]棟")


def has_building(text: str) -> bool:
    """Whether `text` names a building (a room, floor or wing): `_BUILDING.search(text) is not None`."""
    return (
        _BUILDING_WORDS.search(text) is not None
        or ("階" in text and _FLOOR.search(text) is not None)
        or ("棟" in text and _WING.search(text) is not None)
    )


_NON_DIGIT = re.compile(r"\D+")
_CHOME, _BAN, _GO = 9, 30, 20
# A block is chome, ban and go in one number (the pool index's low digits in radix 9 x 30 x 20): its numbers and
# both spellings of them are tabled once, not formatted per value.
_BLOCKS = _CHOME * _BAN * _GO
_BLOCK_NUMBERS = tuple((b // (_BAN * _GO) + 1, b // _GO % _BAN + 1, b % _GO + 1) for b in range(_BLOCKS))
_KANJI_BLOCKS = tuple(f"{chome}丁目{ban}番{go}号" for chome, ban, go in _BLOCK_NUMBERS)
_DASH_BLOCKS = tuple(f"{chome}-{ban}-{go}" for chome, ban, go in _BLOCK_NUMBERS)
# What a row's key draws: (extra, prefecture, city, town, block), a plain tuple: built per row, where a frozen
# dataclass's __init__ (object.__setattr__ per field) costs ~1 us.
_Draw = tuple[int, str, str, str, int]
_SHARED_DRAWS: dict[tuple[Keyring, str], Callable[[str], _Draw]] = {}


class AddressParams(KeyedParams):  # key_column: key all parts of one address on the same column so they agree
    part: Literal["full", "postal_code", "prefecture", "city", "street", "building"] = "full"
    keep_prefecture: bool = False  # full addresses only: keep the source's prefecture (regional statistics)
    locale: Literal["auto", "ja", "us", "gb"] = "auto"  # see the module docstring


@dataclass(frozen=True, slots=True)
class FakeAddress:
    postal: str  # 7 digits
    prefecture: str
    city: str
    town: str
    chome: int
    ban: int
    go: int
    building: str
    room: int


@register
class Address(Keyed[AddressParams], MemoizedTransformer[AddressParams]):
    name = "address"
    accepts = frozenset({"text"})
    identifying = True
    realistic_fakes = True
    default_domain = "address"
    keeps_blank = True
    capabilities = MemoizedTransformer.capabilities.but(leak="whole_or_nothing")  # see leak_items
    pii_kind = "ADDRESS"
    text_kinds = (
        TextKind("address", entities=("ADDRESS",)),
        TextKind("postal_code", {"part": "postal_code"}, entities=("POSTAL_CODE",)),
    )
    unique_fakes = "addresses"
    unique_transform = "address part"

    def repeats(self, params: AddressParams) -> bool:
        return params.part != "full"  # a full address holds its source's building and room: distinct enough

    def __init__(self, params: AddressParams, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        # A prefecture, city or postal code alone names an area (a postal code covers a town block of hundreds of
        # households), not a person: finding "東京都" or "160-0022" elsewhere is no leak, and a fake postal code
        # can't avoid every real one (all of 000-0000..999-9999 is in use somewhere). They still count as
        # personal: a value left unchanged in its own row fails the run. Street and full addresses identify.
        self.identifying = params.part not in ("prefecture", "city", "postal_code")
        # A region isn't personal data at all (the shipped rules keep these columns), and with 47 prefectures a
        # fake would equal its own row's real one once in 47 rows: not searched for, not counted unchanged.
        self.personal = params.part not in ("prefecture", "city")
        self.places = pool.places()
        self._size = len(self.places.cities) * len(self.places.towns) * _BLOCKS
        self._index_of = KeyedIndex.shared(keyring, self.domain, self._size)
        self._extra_digest = keyring.digester(self.domain + "\0extra")  # postal code, building, room
        self._by_prefecture: dict[str, list[str]] = {}
        for prefecture, city in self.places.cities:
            self._by_prefecture.setdefault(prefecture, []).append(city)
        # The parts of one address (postal code, street...) are separate columns keyed on the same row id: draw
        # each row's fake address once per process, whichever part asks first.
        marker = (keyring, self.domain)
        shared = _SHARED_DRAWS.get(marker)
        if shared is None:
            shared = _SHARED_DRAWS[marker] = memoized(self._drawer(), self.cache_size)
        self._drawn = shared
        self._western = WesternAddresses(keyring.digester(self.domain + "\0western"))
        self._is_western = locales.is_latin_text if params.locale == "auto" else self._western_text

    def leak_items(self, value: str) -> tuple[tuple[str, bool], ...]:
        # A unit alone ("Apt 12B", "Suite 870", "305号室") is in every building: it reaches nobody on its own, and
        # fakes of that form can't avoid the real ones (anonymize.specificity). Counted apart, like a common name;
        # left unchanged in its own row it still fails the run. `leak_values` inlined (the whole value, if personal
        # and not blank), a tuple rather than a generator: called once per value by the row loop and the JSON walk.
        if not (self.personal and value.strip()):
            return ()
        return ((value, self.identifying and specific_address(value)),)

    def native_leak_items(self) -> Callable[[str], tuple[tuple[str, bool], ...]] | None:
        # `leak_items` above, specific_address and all (anonymize/csrc/leak_items.c, held to it by
        # tests/anonymize/test_leak_items_native.py).
        leak_items = getattr(NATIVE, "LeakItems", None)
        return None if leak_items is None else leak_items("address", self.identifying, self.personal, NAMELESS)

    def native_transform(self) -> TransformCall | None:
        # The C fake writes Japanese postal codes and street lines; it hands any other value to `transform`
        # (`auto`). Under `us`/`gb` a street or building line in printable ASCII with a letter gets the same
        # Western fake as under `auto` (`_western_text` and `is_latin_text` agree on it); every other value goes
        # to `transform` (western_only). A postal code's shape depends on the locale: `auto` only.
        locale, part = self.params.locale, self.params.part
        western_only = locale in ("us", "gb") and part in ("street", "building")
        if NATIVE is None or part not in AddressPart.__members__ or (locale != "auto" and not western_only):
            return None
        return NATIVE.AddressFake(
            self._index_of.index,
            self._extra_digest,
            tuple(self.places.towns),
            _KANJI_BLOCKS,
            _DASH_BLOCKS,
            self._key_column,
            normalize.nfkc,
            AddressPart[self.params.part],  # the parts anonymize/csrc/address.c makes
            self.transform,
            native_max_length(self.max_length),
            western=self._western.native(),
            memo=self.plain_memo(),  # Western fakes are kept where `transform` keeps its own
            memo_size=self.cache_size,
            western_only=western_only,
        )

    def fake_address(self, key: str) -> FakeAddress:
        extra, prefecture, city, town, block = self._drawn(key)
        building, room = self._building(extra)
        chome, ban, go = _BLOCK_NUMBERS[block]
        return FakeAddress(_postal(extra), prefecture, city, town, chome, ban, go, building, room)

    def _drawer(self) -> Callable[[str], _Draw]:
        """key -> (extra, prefecture, city, town, block): the keyed draws of one fake address. The pool index
        (a keyed permutation of integer ids) picks the city, town and block (chome/ban/go); a keyed digest of the
        key, `extra`, the postal code, building and room, which each part derives only if it shows them."""
        index = self._index_of.index  # not the index's memo: the shared draws are the one cache the parts need
        extra_digest = self._extra_digest
        cities, towns = self.places.cities, self.places.towns
        city_count, town_count = len(cities), len(towns)
        from_bytes = int.from_bytes

        def draw(key: str) -> _Draw:
            area, block = divmod(index(text_key(key)), _BLOCKS)
            city_i, town_i = divmod(area, town_count)
            prefecture, city = cities[city_i % city_count]
            return (from_bytes(extra_digest(key)[:8], "big"), prefecture, city, towns[town_i], block)

        return draw

    def _building(self, extra: int) -> tuple[str, int]:
        buildings = self.places.buildings
        return buildings[extra % len(buildings)], (extra // 1000 % 12 + 1) * 100 + extra // 100_000 % 10 + 1

    def _western_text(self, text: str) -> bool:
        """Whether a (stripped, NFKC'd) value gets a Western fake, under `locale` us, gb or ja (auto: `_is_western`
        is locales.is_latin_text itself, one C call per value)."""
        return self.params.locale != "ja" and not locales.has_japanese(text)

    def _postal_format(self, text: str) -> str:
        """The form of a postal code's fake: "jp" (a Japanese code, as always), "us", "gb" or "other"."""
        locale = self.params.locale
        if locale == "ja" or locales.has_japanese(text):
            return "jp"  # a Japanese value (〒 and digits, or an address in the wrong column): a Japanese code
        found = locales.postal_format(text)
        if locale != "auto" and found != locale:
            found = "other"  # a us/gb column's odd value keeps its character shape
        if found == "other" and not any(c.isascii() and c.isalnum() for c in text):
            return "jp" if locale == "auto" else found  # no letter or digit to shape (未定): a Japanese code
        return found

    def _fake(self, value: str, key: str) -> str:
        text = value.strip() if value.isascii() else normalize.nfkc(value)  # NFKC leaves ASCII as it is
        part = self.params.part
        max_length = self.max_length
        if part == "postal_code":
            shape = self._postal_format(text)
            if shape != "jp":
                return fit(self._western.postal_code(text, key, shape), max_length)
        elif self._is_western(text):
            return fit(self._western.line(text, key), max_length)
        extra, prefecture, city, town, block = self._drawn(key)
        if part == "postal_code":
            digits = _postal(extra)
            if digits == _NON_DIGIT.sub("", text):
                # Drawn from the row's key, the fake equals its own row's real code once in 10^7 rows: step off
                # it (still a function of key and value), so no real postal code stays in its row.
                digits = str((int(digits) + 1) % 10**7).zfill(7)
            return fit(
                ("〒" if text.startswith("〒") else "") + (f"{digits[:3]}-{digits[3:]}" if "-" in text else digits),
                max_length,
            )
        if part == "prefecture":
            return fit(prefecture, max_length)
        if part == "city":
            return fit(city, max_length)
        if part == "building":
            building, room = self._building(extra)
            return fit(f"{building}{room}" + ("号室" if "号室" in text else ""), max_length)
        # 丁目/番/号 numbering if the input has it ("番地" holds "番"), else 3-12-5.
        street = town + (_KANJI_BLOCKS if "丁目" in text or "番" in text else _DASH_BLOCKS)[block]
        if part == "street":
            # The street line often carries the building too (桜台3丁目12番5号 コーポ桜305): mirror that.
            if has_building(text):
                building, room = self._building(extra)
                with_building = f"{street} {building}{room}" + ("号室" if "号室" in text else "")
                if max_length is None or len(with_building) <= max_length:
                    return with_building
            return fit(street, max_length)
        postal = _POSTAL.match(text)
        body = text[postal.end() :] if postal else text
        building, room = self._building(extra)
        if self.params.keep_prefecture:
            source = next((p for p in self.places.prefectures if body.startswith(p)), None)
            if source is not None:
                prefecture = source
                cities = self._by_prefecture[source]
                city = cities[room % len(cities)]
        pieces = []
        if postal:
            digits = _postal(extra)
            pieces.append(("〒" if text.startswith("〒") else "") + f"{digits[:3]}-{digits[3:]} ")
        pieces.append(f"{prefecture}{city}{street}")
        if has_building(body):
            pieces.append(f" {building}{room}" + ("号室" if "号室" in body else ""))
        full = "".join(pieces)
        if max_length is not None and len(full) > max_length:
            full = f"{prefecture}{city}{street}"
        return fit(full, max_length)


def _postal(extra: int) -> str:
    return str(extra // 10**7 % 10**7).zfill(7)
