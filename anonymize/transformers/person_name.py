"""person_name: Japanese names in kanji with a matching kana reading, in romaji, or Western names.

The fake is a pool index chosen by the source key: the column's own value, or another column of the row
(`key_column`). A reading column keyed on the kanji column (or both keyed on the same id) gets the reading of
the SAME fake person: 山田 太郎 -> 北松 航彦 and ヤマダ タロウ -> キタマツ コウヒコ.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import BaseModel

from anonymize.keys import Keyring
from anonymize.names import pool
from anonymize.speedups import NATIVE
from anonymize.transformers.base import (
    ColumnInfo,
    MemoizedTransformer,
    StrictParams,
    TransformCall,
    register,
    unique_needs_key,
)
from anonymize.transformers.keyed import KeyedIndex, fit, name_key, native_max_length

Script = Literal["kanji", "katakana", "hiragana", "romaji", "latin"]
_PARTS = ("full", "family", "given")  # anonymize/csrc/person_name.c's codes for `part`
_REDRAWS = 8  # neighbouring pool names may share a reading (浩/博: ヒロシ): a few steps always find another


class PersonNameParams(StrictParams):
    script: Script = "kanji"
    part: Literal["full", "family", "given"] = "full"
    key_column: str | None = None  # key the fake on this column (e.g. the kanji name, or the id)
    order: Literal["auto", "family_first", "given_first"] = (
        "auto"  # auto: kanji/kana family first, romaji/latin given first
    )
    separator: str | None = None  # between family and given; None: mirror the input (space, ideographic space, none)


@cache
def _spelled(script: Script) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(family names, given names) of the pool as written in `script`, index for index: spelled once per process
    instead of per value."""
    if script == "latin":
        return pool.western_family(), pool.western_given()
    if script == "romaji":
        return tuple(n.romaji.title() for n in pool.surnames()), tuple(n.romaji.title() for n in pool.given_names())
    return tuple(getattr(n, script) for n in pool.surnames()), tuple(getattr(n, script) for n in pool.given_names())


@register
class PersonName(MemoizedTransformer):
    name = "person_name"
    accepts = frozenset({"text"})
    Params = PersonNameParams
    default_domain = "person_name"
    keeps_blank = True

    def __init__(self, params: BaseModel, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        assert isinstance(params, PersonNameParams)
        self.p = params
        if column.unique and params.key_column is None:
            raise unique_needs_key(column, self.name, "names")
        if params.script == "latin":
            self._given: tuple = pool.western_given()
            self._family: tuple = pool.western_family()
        else:
            self._given = pool.given_names()
            self._family = pool.surnames()
        self._family_text, self._given_text = _spelled(params.script)
        self._index_of = KeyedIndex.shared(keyring, self.domain, len(self._family) * len(self._given))
        self._lookup = self._index_of.lookup
        self._given_first = params.order == "given_first" or (
            params.order == "auto" and params.script in ("romaji", "latin")
        )
        self._latin = params.script in ("romaji", "latin")
        self._key_column = params.key_column

    @property
    def row_columns(self) -> frozenset[str]:
        return frozenset({self.p.key_column}) if self.p.key_column else frozenset()

    def native_transform(self) -> TransformCall | None:
        if NATIVE is None or self._latin:  # Latin scripts follow the value's case: Python
            return None
        return NATIVE.NameFake(
            self._index_of.index,
            self._family_text,
            self._given_text,
            self._key_column,
            self.p.separator,
            _PARTS.index(self.p.part),
            self._given_first,
            self.transform,
            native_max_length(self.max_length),
        )

    def _fake(self, value: str, key: str) -> str:
        # The key picks the person. A fake never equals the name it replaces (the verification would rightly call
        # that a value left in its own row): a common given name drawn for its own bearer moves on to the next
        # pool name. A reading column keyed alike doesn't see that and keeps its draw (about one row in 2,700).
        index = self._lookup(name_key(key))
        fake = self._render(value, index)
        if name_key(fake) != name_key(value):
            return fake
        step = len(self._given_text) if self.p.part == "family" else 1  # the next family name, or given name
        for _ in range(_REDRAWS):
            index = (index + step) % self._index_of.size
            fake = self._render(value, index)
            if name_key(fake) != name_key(value):
                break
        return fake

    def _render(self, value: str, index: int) -> str:
        # The input shapes the output (separator, case).
        family, given = divmod(index, len(self._given_text))
        family_text, given_text = self._family_text[family], self._given_text[given]
        if self._latin:
            if value.isupper():
                family_text, given_text = family_text.upper(), given_text.upper()
            elif value.islower():
                family_text, given_text = family_text.lower(), given_text.lower()
        part = self.p.part
        if part == "family":
            return fit(family_text, self.max_length)
        if part == "given":
            return fit(given_text, self.max_length)
        separator = self.p.separator
        if separator is None:
            if self._latin:
                separator = " "
            elif "\u3000" in value:
                separator = "\u3000"
            elif " " in value.strip():
                separator = " "
            else:
                separator = ""
        first, second = (given_text, family_text) if self._given_first else (family_text, given_text)
        full = f"{first}{separator}{second}"
        if self.max_length is not None and len(full) > self.max_length:
            # Shorter fakes before truncation: drop the separator, then keep the family name alone.
            full = first + second if len(first + second) <= self.max_length else family_text
        return fit(full, self.max_length)
