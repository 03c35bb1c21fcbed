"""Name dictionaries for the person recognizer, loaded on first use.

Japanese surnames: our list of common surnames (data/surnames_ja.txt) plus Faker ja_JP's. Latin-script names:
Faker en_US first and last names, Faker ja_JP romanized names and our romaji list (data/names_romaji.txt). The
dictionaries help decide where a name starts and whether capitalized words are a name; a name next to an
honorific is found without them.
"""

from __future__ import annotations

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

    return frozenset(
        n.casefold() for n in (*En.first_names, *Ja.first_romanized_names, *_data_lines("names_romaji.txt"))
    )


@cache
def latin_last_names() -> frozenset[str]:
    from faker.providers.person.en_US import Provider as En
    from faker.providers.person.ja_JP import Provider as Ja

    return frozenset(n.casefold() for n in (*En.last_names, *Ja.last_romanized_names, *_data_lines("names_romaji.txt")))


def latin_name_token(token: str) -> bool:
    folded = token.casefold()
    return folded in latin_first_names() or folded in latin_last_names()
