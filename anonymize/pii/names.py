"""Name dictionaries for the person recognizer, loaded on first use.

Japanese surnames: our list of common surnames (data/surnames_ja.txt) plus Faker ja_JP's. Latin-script names:
Faker en_US first and last names, Faker ja_JP romanized names and our romaji list (data/names_romaji.txt). The
dictionaries help decide where a name starts and whether capitalized words are a name; a name next to an
honorific is found without them.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources


def _data_lines(filename: str) -> list[str]:
    text = resources.files("anonymize.pii").joinpath("data", filename).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@cache
def ja_surnames() -> frozenset[str]:
    from faker.providers.person.ja_JP import Provider

    return frozenset(_data_lines("surnames_ja.txt")) | frozenset(Provider.last_names)


@cache
def ja_surname_prefixes() -> dict[str, tuple[str, ...]]:
    """First character -> surnames starting with it, longest first (for "does this run start with a surname")."""
    by_first: dict[str, list[str]] = {}
    for surname in ja_surnames():
        by_first.setdefault(surname[0], []).append(surname)
    return {first: tuple(sorted(names, key=len, reverse=True)) for first, names in by_first.items()}


def surname_at(run: str, pos: int = 0) -> str | None:
    """The longest dictionary surname starting at `run[pos]`, if any."""
    for surname in ja_surname_prefixes().get(run[pos], ()) if pos < len(run) else ():
        if run.startswith(surname, pos):
            return surname
    return None


@cache
def latin_first_names() -> frozenset[str]:
    from faker.providers.person.en_US import Provider as En
    from faker.providers.person.ja_JP import Provider as Ja

    from anonymize.names.pool import western_given

    names = (*En.first_names, *Ja.first_romanized_names, *_data_lines("names_romaji.txt"), *western_given())
    return frozenset(n.casefold() for n in names)


@cache
def latin_last_names() -> frozenset[str]:
    from faker.providers.person.en_US import Provider as En
    from faker.providers.person.ja_JP import Provider as Ja

    from anonymize.names.pool import western_family

    names = (*En.last_names, *Ja.last_romanized_names, *_data_lines("names_romaji.txt"), *western_family())
    return frozenset(n.casefold() for n in names)


# Everyday English words (function words, greetings, shop and street words) that the name pools also hold: a
# capitalized pair made only of them ("Great Service", "Thank You", "Happy Street") is words, not a name. Words
# that are names as often as words (Mark, Brown, Grace, Hill, Young) are not here: "Mark Brown" is somebody.
_COMMON_TEXT = """
a an and the of to in on at by for from with as or not no yes my our your his her their its it is be are was all
any one two new old big good great best fine first last next same more most less many much very well just can
help desk service support team staff shipping delivery refund return thanks thank dear hello hi hey sir madam ok
okay note notes fast quick slow late early soon now today happy lucky sweet free sale card pay paid order box case
set kit pack pair gift street road avenue drive court square shop store mall market bank church school
"""
COMMON_WORDS = frozenset(_COMMON_TEXT.split())


@cache
def ja_given_names() -> frozenset[str]:
    """Japanese given names in kanji (and kana): Faker ja_JP's and the fake pools' (anonymize/names)."""
    from faker.providers.person.ja_JP import Provider

    from anonymize.names.pool import given_names

    listed = {name for line in _data_lines("given_ja.txt") for name in line.split()}
    return frozenset(Provider.first_names) | frozenset(n.kanji for n in given_names()) | listed


def ja_full_name(run: str) -> bool:
    """Is a kanji run (or "surname given" with one space) a dictionary surname followed by a pool given name?"""
    if " " in run or "\u3000" in run:
        parts = run.split()
        return len(parts) == 2 and parts[0] in ja_surnames() and parts[1] in ja_given_names()
    for surname in ja_surname_prefixes().get(run[:1], ()):
        if run.startswith(surname) and run[len(surname) :] in ja_given_names():
            return True
    return False


_LATIN_TOKEN = re.compile(r"^[A-Z][A-Za-z'\-]*[a-z][A-Za-z'\-]*$|^[A-Z][A-Z'\-]+$")


def latin_full_name(text: str) -> bool:
    """ "Emily Clark", "JOHN O'NEILL", "Mary Ann Smith": 2-3 capitalized words, a first name first and a last name
    last, from the name dictionaries."""
    tokens = text.split()
    if not 2 <= len(tokens) <= 3 or not all(_LATIN_TOKEN.match(t) for t in tokens):
        return False
    first, last = tokens[0].casefold(), tokens[-1].casefold()
    if first in COMMON_WORDS and last in COMMON_WORDS:
        return False
    return first in latin_first_names() and last in latin_last_names()


def full_name_like(text: str) -> bool:
    """A person's full name by the dictionaries alone (no cue needed), in Latin script or kanji."""
    stripped = text.strip()
    if not stripped:
        return False
    if stripped.isascii():
        return latin_full_name(stripped)
    return 2 <= len(stripped.replace(" ", "")) <= 8 and ja_full_name(stripped)


def latin_name_token(token: str) -> bool:
    folded = token.casefold()
    return folded in latin_first_names() or folded in latin_last_names()


@cache
def ja_given_prefixes() -> dict[str, tuple[str, ...]]:
    """First character -> given names starting with it, longest first."""
    by_first: dict[str, list[str]] = {}
    for name in ja_given_names():
        by_first.setdefault(name[0], []).append(name)
    return {first: tuple(sorted(names, key=len, reverse=True)) for first, names in by_first.items()}


def given_at(text: str, pos: int) -> tuple[str, ...]:
    """The pool given names that `text` spells from `pos`, longest first."""
    return tuple(g for g in ja_given_prefixes().get(text[pos : pos + 1], ()) if text.startswith(g, pos))


def surnames_at(text: str, pos: int) -> tuple[str, ...]:
    """The dictionary surnames that `text` spells from `pos`, longest first."""
    return tuple(s for s in ja_surname_prefixes().get(text[pos : pos + 1], ()) if text.startswith(s, pos))
