"""The name pools: Japanese surnames and given names with readings, and Western names, built once per process.

Japanese pools = the common names of surnames.txt / given_names.txt first, then every combination of the parts
files (first part x second part, distinct kanji), deduplicated by spelling. A full name is a pool index
`surname * len(GIVEN) + given`, so the index space is |surnames| x |given| (millions), which a keyed
permutation maps without collisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from anonymize.names.kana import to_katakana, to_romaji


@dataclass(frozen=True, slots=True)
class Name:
    kanji: str
    hiragana: str
    katakana: str
    romaji: str  # lowercase Hepburn, e.g. "sato"
    gender: str = ""  # "m" / "f" for given names


def _lines(filename: str) -> list[str]:
    text = resources.files("anonymize.names").joinpath(filename).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _sections(filename: str) -> dict[str, list[tuple[str, str]]]:
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for line in _lines(filename):
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        if current is None:
            raise ValueError(f"{filename}: entry before the first [section]")
        kanji, reading = line.split()
        current.append((kanji, reading))
    return sections


def _name(kanji: str, reading: str, gender: str = "") -> Name:
    return Name(kanji, reading, to_katakana(reading), to_romaji(reading), gender)


def _combine(firsts: list[tuple[str, str]], seconds: list[tuple[str, str]], gender: str, into: dict[str, Name]) -> None:
    for first_kanji, first_reading in firsts:
        for second_kanji, second_reading in seconds:
            if first_kanji == second_kanji:
                continue
            kanji = first_kanji + second_kanji
            if kanji not in into:
                into[kanji] = _name(kanji, first_reading + second_reading, gender)


@cache
def surnames() -> tuple[Name, ...]:
    pool: dict[str, Name] = {}
    for line in _lines("surnames.txt"):
        kanji, reading = line.split()
        pool.setdefault(kanji, _name(kanji, reading))
    parts = _sections("surname_parts.txt")
    _combine(parts["first"], parts["second"], "", pool)
    return tuple(pool.values())


@cache
def given_names() -> tuple[Name, ...]:
    pool: dict[str, Name] = {}
    for line in _lines("given_names.txt"):
        kanji, reading, gender = line.split()
        pool.setdefault(kanji, _name(kanji, reading, gender))
    parts = _sections("given_parts.txt")
    _combine(parts["male_first"], parts["male_second"], "m", pool)
    _combine(parts["female_first"], parts["female_second"], "f", pool)
    return tuple(pool.values())


@cache
def western_given() -> tuple[str, ...]:
    return tuple(_lines("western_given.txt"))


@cache
def western_family() -> tuple[str, ...]:
    return tuple(_lines("western_family.txt"))


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    katakana: str  # the reading
    romaji: str  # lowercase
    english: str = ""


def _word(text: str, reading: str, english: str = "") -> Word:
    hiragana = "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in reading)
    return Word(text, to_katakana(hiragana), to_romaji(hiragana), english)


@dataclass(frozen=True)
class CompanyParts:
    stems: tuple[Word, ...]
    industries: tuple[Word, ...]
    regions: tuple[Word | None, ...]  # None: no region prefix


@cache
def company_parts() -> CompanyParts:
    raw: dict[str, list[list[str]]] = {}
    current: list[list[str]] = []
    for line in _lines("companies.txt"):
        if line.startswith("["):
            current = raw.setdefault(line.strip("[]"), [])
        else:
            current.append(line.split())
    stems: dict[str, Word] = {}
    for first, first_reading in raw["stem_first"]:
        for second, second_reading in raw["stem_second"]:
            if first != second:
                stems.setdefault(first + second, _word(first + second, first_reading + second_reading))
    for text, reading in raw["stem_katakana"]:
        stems.setdefault(text, _word(text, reading))
    industries = tuple(_word(text, reading, english) for text, reading, english in raw["industry"])
    # Regions multiply the pool ~20x so unique columns keyed by id stay collision-free past a million rows;
    # each region appears once (a repeated "no region" slot would map distinct indexes to one name).
    regions = (None, *(_word(text, reading) for text, reading in raw["region"]))
    return CompanyParts(tuple(stems.values()), industries, regions)


@dataclass(frozen=True)
class Places:
    cities: tuple[tuple[str, str], ...]  # (prefecture, city)
    prefectures: tuple[str, ...]
    towns: tuple[str, ...]
    buildings: tuple[str, ...]


@cache
def places() -> Places:
    sections: dict[str, list[list[str]]] = {}
    current: list[list[str]] = []
    for line in _lines("places.txt"):
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
        else:
            current.append(line.split())
    cities = tuple((row[0], city) for row in sections["cities"] for city in row[1:])
    prefectures = tuple(row[0] for row in sections["cities"])
    firsts = [w for row in sections["town_first"] for w in row]
    seconds = [w for row in sections["town_second"] for w in row]
    towns = tuple(dict.fromkeys(f + s for f in firsts for s in seconds if not f.endswith(s)))
    stems = [w for row in sections["building_stem"] for w in row]
    kinds = [w for row in sections["building_type"] for w in row]
    buildings = tuple(f"{stem}{kind}" for stem in stems for kind in kinds)
    return Places(cities, prefectures, towns, buildings)
