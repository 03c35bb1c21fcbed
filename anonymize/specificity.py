"""Which personal values are specific enough that finding them ANYWHERE in the output is a leak.

The leak check searches the whole output for every identifying source value (anonymize.verify). For kinds whose
fakes come from reserved space (phones, e-mails, cards, IPs, tokens) any find is a leak or a broken transform. For
kinds whose fakes must look real (addresses, logins), two kinds of value reach nobody on their own, and a fake or
an ordinary word equals them by chance at any scale:

- a unit designator with its number and nothing else -- "Apt 12B", "Suite 870", "Flat 3", "PO Box 12", "305号室":
  every building has one, so many unrelated people share it. An address line holding a word that names something
  (a street, a building, a person: "12 Baker St", "Flat 3, Jones House", "c/o Mary Jones", "サクラハイツ305号室")
  stays identifying. Measured on bench/snapshot's strangers dataset (scale 1): 23,222 distinct second address
  lines in 24,789 rows, every "Suite N" of N in 100..9999 in use, so every fake of that form equalled a real one.
- a login that is one ordinary name ("kota", "bray", "sanderson": the name of many people, and a word any fake
  name or street may be) or three letters or fewer (17,576 such strings: text holds them by chance). "jsmith",
  "mary.jones", "tanaka_t2" stay identifying.

Such values stay personal: left unchanged in their own row they still fail the run, and finds elsewhere are
counted like names (coincidences), never shown.
"""

from __future__ import annotations

import re
from functools import cache

from anonymize.names import pool
from anonymize.transformers.western_address import NAMELESS_WORDS

_WORD = re.compile(r"[^\W\d_]+")
# Japanese unit words: room, floor, wing, number (a building's NAME is specific: サクラハイツ).
_NAMELESS_JA = frozenset({"号室", "号", "室", "階", "棟", "番", "号棟", "号館"})
# Every word that names nothing on its own, as the C leak items (anonymize/csrc/leak_items.c) read them.
NAMELESS = frozenset(NAMELESS_WORDS | _NAMELESS_JA)
SHORT_LOGIN = 3  # letters: a login this short is a string text holds by chance (our assumption, 26^3 = 17,576)


def specific_address(value: str) -> bool:
    """Does this address value hold a word that names something (a street, building, place or person)?"""
    for word in _WORD.findall(value.casefold()):
        if len(word) >= 2 and word not in NAMELESS_WORDS and word not in _NAMELESS_JA:
            return True
    return False


@cache
def _ordinary_names() -> frozenset[str]:
    names = {n.lower() for n in pool.western_given() + pool.western_family()}
    names |= {n.romaji for n in pool.given_names()} | {n.romaji for n in pool.surnames()}
    return frozenset(names)


def specific_login(value: str) -> bool:
    """Is this login more than one ordinary name or a short string?"""
    key = value.strip().casefold()
    if not key.isalpha() or not key.isascii():
        return True  # digits, separators (jsmith2, mary.jones) or another script: no ordinary word
    return len(key) > SHORT_LOGIN and key not in _ordinary_names()
