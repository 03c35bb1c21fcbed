"""address: fake Japanese addresses (〒123-4567 東京都新宿区桜台3丁目12番5号 サクラハイツ305), whole or by part.

Columns holding parts of one address (postal code, prefecture, city, street, building) get parts of the SAME fake
address when keyed alike (`key_column`, e.g. the customer id). The full form mirrors the input: a postal code
only if the input had one, 丁目/番/号 or 3-12-5 numbering, a building only if the input had one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel

from anonymize import normalize
from anonymize.errors import RulesError
from anonymize.keys import Keyring
from anonymize.names import pool
from anonymize.transformers.base import ColumnInfo, StrictParams, Transformer, register
from anonymize.transformers.keyed import KeyedIndex, fit, key_of

_POSTAL = re.compile(r"^〒?\s*\d{3}-?\d{4}\s*")
_BUILDING = re.compile(
    r"(ハイツ|マンション|コーポ|レジデンス|ビル|パレス|ヒルズ|タワー|ハウス|コート|荘|号室|\d+階|[A-Za-z]棟)"
)
_NON_DIGIT = re.compile(r"\D+")
_CHOME, _BAN, _GO = 9, 30, 20
_SHARED_DRAWS: dict[tuple[Keyring, str], Callable[[str], FakeAddress]] = {}


class AddressParams(StrictParams):
    part: Literal["full", "postal_code", "prefecture", "city", "street", "building"] = "full"
    key_column: str | None = None  # key all parts of one address on the same column so they agree
    keep_prefecture: bool = False  # full addresses only: keep the source's prefecture (regional statistics)


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
class Address(Transformer):
    name = "address"
    accepts = frozenset({"text"})
    Params = AddressParams
    identifying = True
    default_domain = "address"

    def __init__(self, params: BaseModel, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        assert isinstance(params, AddressParams)
        self.p = params
        # A prefecture, city or postal code alone names an area (a postal code covers a town block of hundreds of
        # households), not a person: finding "東京都" or "160-0022" elsewhere is no leak, and a fake postal code
        # can't avoid every real one (all of 000-0000..999-9999 is in use somewhere). They still count as
        # personal: a value left unchanged in its own row fails the run. Street and full addresses identify.
        self.identifying = params.part not in ("prefecture", "city", "postal_code")
        # A region isn't personal data at all (the shipped rules keep these columns), and with 47 prefectures a
        # fake would equal its own row's real one once in 47 rows: not searched for, not counted unchanged.
        self.personal = params.part not in ("prefecture", "city")
        if column.unique and params.key_column is None and params.part != "full":
            raise RulesError(f"{column.qualified}: address part on a unique column needs key_column")
        self.places = pool.places()
        self._size = len(self.places.cities) * len(self.places.towns) * _CHOME * _BAN * _GO
        self._index_of = KeyedIndex.shared(keyring, self.domain, self._size)
        self._by_prefecture: dict[str, list[str]] = {}
        for prefecture, city in self.places.cities:
            self._by_prefecture.setdefault(prefecture, []).append(city)
        self._cached = lru_cache(maxsize=self.cache_size)(self._fake)
        # The parts of one address (postal code, street...) are separate columns keyed on the same row id: draw
        # each row's fake address once per process, whichever part asks first.
        marker = (keyring, self.domain)
        shared = _SHARED_DRAWS.get(marker)
        if shared is None:
            shared = _SHARED_DRAWS[marker] = lru_cache(maxsize=self.cache_size)(self._draw)
        self._fake_address = shared

    @property
    def row_columns(self) -> frozenset[str]:
        return frozenset({self.p.key_column}) if self.p.key_column else frozenset()

    def fake_address(self, key: str) -> FakeAddress:
        return self._fake_address(key)

    def _draw(self, key: str) -> FakeAddress:
        index = self._index_of(normalize.text(key))
        index, go = divmod(index, _GO)
        index, ban = divmod(index, _BAN)
        index, chome = divmod(index, _CHOME)
        city_i, town_i = divmod(index, len(self.places.towns))
        prefecture, city = self.places.cities[city_i % len(self.places.cities)]
        extra = int.from_bytes(self.keyring.digest(self.domain + "\0extra", key)[:8], "big")
        building = self.places.buildings[extra % len(self.places.buildings)]
        room = (extra // 1000 % 12 + 1) * 100 + extra // 100_000 % 10 + 1
        postal = str(extra // 10**7 % 10**7).zfill(7)
        return FakeAddress(
            postal, prefecture, city, self.places.towns[town_i], chome + 1, ban + 1, go + 1, building, room
        )

    def _street(self, fake: FakeAddress, kanji_style: bool) -> str:
        if kanji_style:
            return f"{fake.town}{fake.chome}丁目{fake.ban}番{fake.go}号"
        return f"{fake.town}{fake.chome}-{fake.ban}-{fake.go}"

    def _fake(self, value: str, key: str) -> str:
        fake = self.fake_address(key)
        text = normalize.nfkc(value)
        part = self.p.part
        if part == "postal_code":
            digits = fake.postal
            if digits == _NON_DIGIT.sub("", text):
                # Drawn from the row's key, the fake equals its own row's real code once in 10^7 rows: step off
                # it (still a function of key and value), so no real postal code stays in its row.
                digits = str((int(digits) + 1) % 10**7).zfill(7)
            return fit(
                ("〒" if text.startswith("〒") else "") + (f"{digits[:3]}-{digits[3:]}" if "-" in text else digits),
                self.max_length,
            )
        if part == "prefecture":
            return fit(fake.prefecture, self.max_length)
        if part == "city":
            return fit(fake.city, self.max_length)
        if part == "building":
            return fit(f"{fake.building}{fake.room}" + ("号室" if "号室" in text else ""), self.max_length)
        kanji_style = "丁目" in text or "番地" in text or "番" in text
        street = self._street(fake, kanji_style)
        if part == "street":
            # The street line often carries the building too (桜台3丁目12番5号 コーポ桜305): mirror that.
            if _BUILDING.search(text):
                with_building = f"{street} {fake.building}{fake.room}" + ("号室" if "号室" in text else "")
                if self.max_length is None or len(with_building) <= self.max_length:
                    return with_building
            return fit(street, self.max_length)
        prefecture, city = fake.prefecture, fake.city
        postal = _POSTAL.match(text)
        body = text[postal.end() :] if postal else text
        if self.p.keep_prefecture:
            source = next((p for p in self.places.prefectures if body.startswith(p)), None)
            if source is not None:
                prefecture = source
                cities = self._by_prefecture[source]
                city = cities[fake.room % len(cities)]
        pieces = []
        if postal:
            digits = fake.postal
            pieces.append(("〒" if text.startswith("〒") else "") + f"{digits[:3]}-{digits[3:]} ")
        pieces.append(f"{prefecture}{city}{street}")
        if _BUILDING.search(body):
            pieces.append(f" {fake.building}{fake.room}" + ("号室" if "号室" in body else ""))
        full = "".join(pieces)
        if self.max_length is not None and len(full) > self.max_length:
            full = f"{prefecture}{city}{street}"
        return fit(full, self.max_length)

    def transform(self, value: str, row: Mapping[str, str | None]) -> str | None:
        if not value.strip():
            return value
        return self._cached(value, key_of(value, row, self.p.key_column))
