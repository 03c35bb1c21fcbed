"""username: logins, handles and nicknames made of a person's name (jsmith, mary.jones, Tanaka_T) get the same kind
of login made of a fake person's name.

The fake keeps the login's form: each run of letters that is a given name, a family name or an initial plus a
family name becomes the fake person's given name, family name or initial plus family name; other letter runs get
keyed letters of their length; digits keyed digits of their count; separators (. _ -) and case stay. One login
is one fake person (keyed on the value), in every table.

On a unique column, `key_column` (the row's integer id) draws the fake person by a keyed permutation of the id,
so distinct rows get distinct people, and the login is written `given.family` (in the source's case) whatever its
form: a form that drops part of the name (jsmith) could make two fake people one login.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from anonymize.keys import Keyring
from anonymize.names import pool
from anonymize.specificity import specific_login
from anonymize.transformers.base import ColumnInfo, Keyed, KeyedParams, MemoizedTransformer, register
from anonymize.transformers.keyed import KeyedIndex, fit

_RUN = re.compile(r"[^\W\d_]+|\d+|[\W_]+")
_LOWER = "abcdefghijklmnopqrstuvwxyz"


class UsernameParams(KeyedParams):
    """key_column: on a unique column the row's integer id, so distinct rows get distinct logins."""


@cache
def _names() -> tuple[tuple[str, ...], tuple[str, ...], frozenset[str], frozenset[str]]:
    given = tuple(n.lower() for n in pool.western_given() if n.isascii() and n.isalpha())
    family = tuple(n.lower() for n in pool.western_family() if n.isascii() and n.isalpha())
    romaji_given = {n.romaji for n in pool.given_names()}
    romaji_family = {n.romaji for n in pool.surnames()}
    return given, family, frozenset(given) | romaji_given, frozenset(family) | romaji_family


def _cased(fake: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return fake.upper()
    if like[:1].isupper():
        return fake[:1].upper() + fake[1:]
    return fake


@register
class Username(Keyed[UsernameParams], MemoizedTransformer[UsernameParams]):
    name = "username"
    accepts = frozenset({"text"})
    identifying = True  # a login names one person: found anywhere else, it leaked ...
    realistic_fakes = True
    default_domain = "username"
    keeps_blank = True
    capabilities = MemoizedTransformer.capabilities.but(leak="whole_or_nothing")  # ... unless a word: leak_items

    def __init__(self, params: UsernameParams, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        self._given, self._family, self._given_set, self._family_set = _names()
        self._index = KeyedIndex.shared(keyring, self.domain, len(self._given) * len(self._family))
        self._digest = keyring.digester(self.domain + "\0chars")

    def leak_items(self, value: str) -> Iterator[tuple[str, bool]]:
        # A login that is one ordinary name ("kota", "bray") or three letters is many people's name and a word any
        # text or fake may hold (anonymize.specificity): counted apart, like a name; unchanged in its row, a failure.
        for piece in self.leak_values(value):
            yield piece, specific_login(piece)

    def _person(self, key: str) -> tuple[str, str]:
        index = self._index(key)
        return self._given[index % len(self._given)], self._family[index // len(self._given) % len(self._family)]

    def _fake(self, value: str, key: str) -> str:
        given, family = self._person(key.strip().lower() if key is value else key)
        if self._key_column is not None:
            letters = next((run for run in _RUN.findall(value) if run[0].isalpha()), "a")
            separator = next((run for run in _RUN.findall(value) if not run[0].isalnum()), ".")
            return fit(_cased(given, letters) + separator[:1] + _cased(family, letters), self.max_length)
        stream = self._digest(value)
        out = []
        for n, run in enumerate(_RUN.findall(value)):
            if run[0].isdigit():
                out.append("".join(str(stream[(n + i) % len(stream)] % 10) for i in range(len(run))))
            elif not run[0].isalpha():
                out.append(run)
            else:
                out.append(_cased(self._letters(run.lower(), given, family, stream, n), run))
        return fit("".join(out), self.max_length)

    def _letters(self, run: str, given: str, family: str, stream: bytes, n: int) -> str:
        if run in self._family_set:
            return family
        if run in self._given_set:
            return given
        if len(run) > 3 and run[1:] in self._family_set:  # jsmith
            return given[0] + family
        if len(run) > 3 and run[:-1] in self._family_set:  # smithj
            return family + given[0]
        if len(run) > 3 and run[:-1] in self._given_set:  # johns
            return given + family[0]
        if not run.isascii():
            return family  # a name in another script: the fake person's name
        return "".join(_LOWER[stream[(n + i) % len(stream)] % 26] for i in range(len(run)))
