"""person_name: Japanese names in kanji with a matching kana reading, in romaji, or Western names.

The fake is a pool index chosen by the source key: the column's own value, or another column of the row
(`key_column`). A reading column keyed on the kanji column (or both keyed on the same id) gets the reading of
the SAME fake person: 山田 太郎 -> 北松 航彦 and ヤマダ タロウ -> キタマツ コウヒコ.

The fake follows the locale of the name it replaces (anonymize.locales), whatever the rule's Japanese `script`:
- a kanji name gets a name in the rule's script, as always; under the default `script: kanji` a name written only
  in katakana or hiragana keeps its kana (ヤマダ タロウ -> キタマツ コウヒコ);
- a name in Latin letters gets a Latin one of the same shape: "John Smith" -> "Bhavya Ahluwalia", "Smith, John",
  "J. Smith", "Dr. John A. Smith Jr." and ALL CAPS / lowercase keep their form (titles and suffixes stay, initials
  become the fake's initials). It is a Western name (pools from Faker's English locales, 3,332 x 1,824 = 6.1M full
  names: keyed permutations of ids keep unique columns collision-free) unless the name is Japanese in romaji
  ("Taro Yamada", "YAMADA TARO": Hepburn syllables, a name of the Japanese pools), which gets a romaji name of
  the Japanese pools in the same order. `locale: en` makes every Latin name Western, `locale: ja` every Latin name
  romaji (a column's sampled values decide that in `devkit rules init`: a column of short Latin family names
  can't be told name by name).
`script: romaji` / `script: latin` write every name in that script, whatever its own.

One name is one fake wherever it is met: the pool and the shape come from the value, the index from (key, domain,
normalized value), so "Jane Doe" in a column, in a JSON payload and in free text gets the same fake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from typing import Literal

from anonymize import locales
from anonymize.errors import RulesError
from anonymize.keys import Keyring
from anonymize.names import pool
from anonymize.native_interface import NAME_SPREAD, LatinLocale, NameNeeds
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
from anonymize.transformers.keyed import KeyedIndex, fit, name_key, native_max_length

Script = Literal["kanji", "katakana", "hiragana", "romaji", "latin"]
_JAPANESE_SCRIPTS = ("kanji", "katakana", "hiragana")
_PARTS = ("full", "family", "given")  # anonymize/csrc/person_name.c's codes for `part`
_REDRAWS = 8  # neighbouring pool names may share a reading (浩/博: ヒロシ): a few steps always find another
_WORD = re.compile(r"[^\s,]+")
# Lowercase particles of Western names: kept as they are (nobody's name on their own).
_PARTICLES = frozenset({"de", "da", "di", "del", "della", "der", "den", "van", "von", "la", "le", "du", "dos", "bin"})
_FAR = 997  # a Latin name's redraw steps this far through its (alphabetical) pool


class PersonNameParams(KeyedParams):  # key_column: e.g. the kanji name, or the id
    script: Script = "kanji"
    part: Literal["full", "family", "given"] = "full"
    order: Literal["auto", "family_first", "given_first"] = (
        "auto"  # auto: kanji/kana family first, romaji/latin given first (Latin input: as the value is written)
    )
    separator: str | None = None  # between family and given; None: mirror the input (space, ideographic space, none)
    # Latin-script names under a Japanese script: auto (romaji-looking -> romaji, else Western), en (Western), ja
    # (romaji of the Japanese pools). Japanese-script names are Japanese under every locale.
    locale: Literal["auto", "ja", "en"] = "auto"


@cache
def _spelled(script: Script) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(family names, given names) of the pool as written in `script`, index for index: spelled once per process
    instead of per value."""
    if script == "latin":
        return pool.western_family(), pool.western_given()
    if script == "romaji":
        return tuple(n.romaji.title() for n in pool.surnames()), tuple(n.romaji.title() for n in pool.given_names())
    return tuple(getattr(n, script) for n in pool.surnames()), tuple(getattr(n, script) for n in pool.given_names())


@cache
def _western_roles() -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(n.casefold() for n in pool.western_family()), frozenset(n.casefold() for n in pool.western_given())


@dataclass(frozen=True, slots=True)
class _Names:
    """One pool as written in one script, with the keyed index over its full names."""

    script: Script
    family: tuple[str, ...]
    given: tuple[str, ...]
    index: KeyedIndex

    @property
    def latin(self) -> bool:
        return self.script in ("romaji", "latin")


@register
class PersonName(Keyed[PersonNameParams], MemoizedTransformer[PersonNameParams]):
    name = "person_name"
    pii_kind = "PERSON"
    # The PII detector's names by shape (anonymize/pii/hook.py): 田中様 -> a surname, Mr. Smith -> romaji.
    text_kinds = (
        TextKind("person", entities=("PERSON",)),
        TextKind("person_family", {"part": "family"}),
        TextKind("person_katakana", {"script": "katakana"}),
        TextKind("person_family_katakana", {"part": "family", "script": "katakana"}),
        TextKind("person_romaji", {"script": "romaji"}),
        TextKind("person_family_romaji", {"part": "family", "script": "romaji"}),
    )
    remembered = True
    unique_fakes = "names"
    accepts = frozenset({"text"})
    default_domain = "person_name"
    realistic_fakes = True
    keeps_blank = True

    def __init__(
        self, params: PersonNameParams, column: ColumnInfo, keyring: Keyring, domain: str | None = None
    ) -> None:
        super().__init__(params, column, keyring, domain)
        self._adapts = params.script in _JAPANESE_SCRIPTS  # the value's own script and locale decide
        if not self._adapts and params.locale != "auto":
            raise RulesError(
                f"person_name: locale {params.locale} with script {params.script}",
                "locale chooses the pool of Latin-script names under a Japanese script; script romaji/latin "
                "already writes every name in that script",
            )
        self._pools: dict[Script, _Names] = {}
        self._names = self._pool(params.script)
        self._index_of = self._names.index  # the rule's own pool (what the C fake draws from)

    def _pool(self, script: Script) -> _Names:
        names = self._pools.get(script)
        if names is None:
            family, given = _spelled(script)
            index = KeyedIndex.shared(self.keyring, self.domain, len(family) * len(given))
            names = self._pools[script] = _Names(script, family, given, index)
        return names

    def known_kind(self) -> str | None:
        # Free text replaces a whole name keyed on itself in the written script: a column keyed on another, a part
        # or a reading gets fakes free text can't reproduce.
        params = self.params
        if params.key_column is not None or params.part != "full" or params.script not in ("kanji", "romaji", "latin"):
            return None
        return super().known_kind()

    def native_transform(self) -> TransformCall | None:
        if NATIVE is None or not self._adapts:  # Latin scripts follow the value's shape and case: Python
            return None
        return NATIVE.NameFake(
            self._index_of.index,
            self._names.family,
            self._names.given,
            self._key_column,
            self.params.separator,
            _PARTS.index(self.params.part),
            self._given_first(self._names),
            self.transform,
            native_max_length(self.max_length),
            NameNeeds.ideograph if self.params.script == "kanji" else NameNeeds.japanese,
            latin=self._native_latin(),
            memo=self.plain_memo(),  # Western fakes are kept where `transform` keeps its own
            memo_size=self.cache_size,
        )

    def _native_latin(self) -> tuple | None:
        """What the C fake needs to write Western names itself (anonymize/csrc/person_name.c's `latin`): the
        Western pool, the words _LatinShape keeps, the locale; None when Latin names stay Python's (keyed on
        another column, a set separator, `locale: ja`: romaji for all)."""
        params = self.params
        if self._key_column is not None or params.separator is not None or params.locale == "ja":
            return None
        names = self._pool("latin")
        locale = LatinLocale.auto if params.locale == "auto" else LatinLocale.en
        return (
            names.index.index,
            names.family,
            names.given,
            locales.NAME_TITLES,
            locales.NAME_SUFFIXES,
            _PARTICLES,
            locale,
            self._given_first(names),
        )

    def _given_first(self, names: _Names) -> bool:
        return self.params.order == "given_first" or (self.params.order == "auto" and names.latin)

    def _names_for(self, value: str) -> tuple[_Names, bool]:
        """The pool a value's fake comes from, and whether the value is a Latin-script name (its shape is kept)."""
        script = locales.name_script(value)
        if not self._adapts:
            return self._names, script == "latin"
        if script == "latin":
            locale = self.params.locale
            romaji = locale == "ja" or (locale == "auto" and locales.looks_romaji(value))
            return self._pool("romaji" if romaji else "latin"), True
        if (script == "katakana" or script == "hiragana") and self.params.script == "kanji":
            return self._pool(script), False
        return self._names, False

    def _fake(self, value: str, key: str) -> str:
        # The key picks the person. A fake never equals the name it replaces (the verification would rightly call
        # that a value left in its own row): a common given name drawn for its own bearer moves on to the next
        # pool name. A reading column keyed alike doesn't see that and keeps its draw (about one row in 2,700).
        names, shaped = self._names_for(value)
        index = names.index.lookup(name_key(key))
        fake = self._render(value, index, names, shaped)
        if name_key(fake) != name_key(value):
            return fake
        # The next family name, or given name; a Latin name (whose pools are in alphabetical order, and whose
        # initials are all that may show) a far one, with another initial.
        step = _FAR if shaped else 1
        if self.params.part == "family":
            step *= len(names.given)
        for _ in range(_REDRAWS):
            index = (index + step) % names.index.size
            fake = self._render(value, index, names, shaped)
            if name_key(fake) != name_key(value):
                break
        return fake

    def _render(self, value: str, index: int, names: _Names, shaped: bool) -> str:
        # The input shapes the output (separator, case; a Latin name's whole form).
        family, given = divmod(index, len(names.given))
        if shaped and not (self.params.separator is not None and self.params.part == "full"):
            # Keyed on another column (a unique column's id), a full name keeps both drawn names whole, or it
            # would give distinct ids one fake: "x", "J. Smith" are then written as "Given Family".
            whole = self._key_column is not None and self.params.part == "full"
            shaped_fake = _LatinShape(value, self.params.part, self.params.order, names).render(family, given, whole)
            if shaped_fake is not None and (self.max_length is None or len(shaped_fake) <= self.max_length):
                return shaped_fake
        family_text, given_text = names.family[family], names.given[given]
        latin = names.latin
        if latin:
            if value.isupper():
                family_text, given_text = family_text.upper(), given_text.upper()
            elif value.islower():
                family_text, given_text = family_text.lower(), given_text.lower()
        part = self.params.part
        if part == "family":
            return fit(family_text, self.max_length)
        if part == "given":
            return fit(given_text, self.max_length)
        separator = self.params.separator
        if separator is None:
            if latin:
                separator = " "
            elif "\u3000" in value:
                separator = "\u3000"
            elif " " in value.strip():
                separator = " "
            else:
                separator = ""
        first, second = (given_text, family_text) if self._given_first(names) else (family_text, given_text)
        full = f"{first}{separator}{second}"
        if self.max_length is not None and len(full) > self.max_length:
            # Shorter fakes before truncation: drop the separator, then keep the family name alone.
            full = first + second if len(first + second) <= self.max_length else family_text
        return fit(full, self.max_length)


class _LatinShape:
    """A Latin-script name's form: which words are titles, suffixes and particles (kept), initials (the fake's
    initials) and names (family or given), where the comma is, the case of each word. `render` writes a fake
    person in that form, leaving every gap (spaces, commas) as it was."""

    __slots__ = ("comma_after", "kinds", "names", "order", "part", "value", "words")

    def __init__(self, value: str, part: str, order: str, names: _Names) -> None:
        self.value, self.part, self.order, self.names = value, part, order, names
        self.words = [(m.start(), m.end()) for m in _WORD.finditer(value)]
        bare = [value[start:end].rstrip(".").casefold() for start, end in self.words]
        kinds = ["name"] * len(bare)
        first, last = 0, len(bare)
        while first < last - 1 and bare[first] in locales.NAME_TITLES:
            kinds[first] = "keep"
            first += 1
        while last - 1 > first and bare[last - 1] in locales.NAME_SUFFIXES:
            kinds[last - 1] = "keep"
            last -= 1
        core = list(range(first, last))
        for i in core:
            if bare[i] in _PARTICLES and len(core) > 1 and value[self.words[i][0]].islower():
                kinds[i] = "keep"
            elif len(bare[i]) == 1:
                kinds[i] = "initial"
        self.kinds = kinds
        # "Smith, John": the first comma between two name words splits family from given.
        self.comma_after: int | None = None
        if part == "full":
            for a, b in pairwise(core):
                if "," in value[self.words[a][1] : self.words[b][0]]:
                    self.comma_after = a
                    break

    def _roles(self) -> list[str | None]:
        """'family' / 'given' per word (None: kept as it is)."""
        named = [i for i, kind in enumerate(self.kinds) if kind != "keep"]
        roles: list[str | None] = [None] * len(self.kinds)
        if not named:
            return roles
        if self.part != "full":
            for i in named:
                roles[i] = self.part
            return roles
        if self.comma_after is not None:
            for i in named:
                roles[i] = "family" if i <= self.comma_after else "given"
            return roles
        if len(named) == 1:
            roles[named[0]] = "family" if self._family_alone(named[0]) else "given"
            return roles
        given_first = self.order == "given_first" or (
            self.order == "auto"
            and (self.names.script == "latin" or not locales.romaji_family_first(locales.name_words(self.value)))
        )
        family_at = named[-1] if given_first else named[0]
        for i in named:
            roles[i] = "family" if i == family_at else "given"
        return roles

    def _family_alone(self, at: int) -> bool:
        """A full name of one word: a family name if the pools know it as one and not as a given name."""
        word = self.value[self.words[at][0] : self.words[at][1]].rstrip(".").casefold()
        if self.names.script == "latin":
            family, given = _western_roles()
        else:
            family_set, given_set, _ = locales._romaji_names()
            family, given = family_set, given_set
            word = locales.romaji_spelling(word)
        return word in family and word not in given

    def render(self, family: int, given: int, whole: bool = False) -> str | None:
        """The fake person (family, given: pool positions) in this form; None if the form has no name to write,
        or (`whole`) doesn't write both names in full."""
        if not self.words:
            return None
        roles = self._roles()
        if all(role is None for role in roles):
            return None
        if whole and not all(
            any(role == wanted and kind == "name" for kind, role in zip(self.kinds, roles, strict=True))
            for wanted in ("family", "given")
        ):
            return None
        value, pieces, at = self.value, [], 0
        counts = {"family": 0, "given": 0}
        for (start, end), kind, role in zip(self.words, self.kinds, roles, strict=True):
            pieces.append(value[at:start])
            word = value[start:end]
            if role is None:
                pieces.append(word)
            else:
                k = counts[role]
                counts[role] += 1
                if role == "family":
                    fake = self.names.family[(family + k * NAME_SPREAD) % len(self.names.family)]
                else:
                    fake = self.names.given[(given + k * NAME_SPREAD) % len(self.names.given)]
                pieces.append(_initial(fake, word) if kind == "initial" else _cased(fake, word))
            at = end
        pieces.append(value[at:])
        return "".join(pieces)


def _cased(fake: str, like: str) -> str:
    letters = [c for c in like if c.isalpha()]
    if len(letters) > 1 and like.isupper():
        return fake.upper()
    if like.islower():
        return fake.lower()
    return fake


def _initial(fake: str, like: str) -> str:
    """The fake's initial written as `like` ("J." -> "B.", "j" -> "b")."""
    letter = fake[:1]
    return (letter.lower() if like[:1].islower() else letter.upper()) + like[1:]
