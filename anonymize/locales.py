"""Which locale a value is written in, and which locale a column's sampled values call for.

Fakes look like the data they replace: a Latin-script name gets a Western (or romaji) name, a US ZIP a ZIP, a UK
postcode a postcode, a North American or British phone number a fictional number of its own country, and
Japanese values Japanese fakes as before. The transformers decide per value from the shape alone (the functions
below marked "per value": cheap, pure, and mirrored by the C fast paths where those must hand a value over);
`column_locales` decides for a whole column from sampled values, for what one value can't tell (a column of
short Latin family names: romaji or Western? an 11-digit 0-leading number: Japanese or British?), and the draft
(`devkit rules init`) writes that choice as the rule's `locale` param.

Everything here is pure: values in, a classification out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from anonymize import normalize
from anonymize.speedups import NATIVE

# Character classes. anonymize/csrc/person_name.c and address.c test the same ranges (keep them in step):
# ideographs (with 々 〆 〇), kana letters, kana marks (ー ・ ゝ ゛...), Latin letters (ASCII, Latin-1 and Latin
# Extended-A/B letters, Latin Extended Additional, full-width A-Z a-z).
IDEOGRAPH_RANGES = "\u3005-\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
KATAKANA_RANGES = "\u30a1-\u30fa\u31f0-\u31ff\uff66-\uff6f\uff71-\uff9d"
HIRAGANA_RANGES = "\u3041-\u3096"
JAPANESE_RANGES = IDEOGRAPH_RANGES + "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"
LATIN_RANGES = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff\uff21-\uff3a\uff41-\uff5a"

_IDEOGRAPH = re.compile(f"[{IDEOGRAPH_RANGES}]")
_KATAKANA = re.compile(f"[{KATAKANA_RANGES}]")
_HIRAGANA = re.compile(f"[{HIRAGANA_RANGES}]")
_JAPANESE = re.compile(f"[{JAPANESE_RANGES}]")
_LATIN = re.compile(f"[{LATIN_RANGES}]")
_LATIN_WORD = re.compile(f"[{LATIN_RANGES}]+")
_ASCII_LETTER = re.compile("[A-Za-z]")

NameScript = Literal["ideograph", "katakana", "hiragana", "latin", "other"]


def name_script(value: str) -> NameScript:
    """Per value: the script a name is written in. Any ideograph makes it kanji ("山田 たろう"), else any katakana
    letter katakana, any hiragana letter hiragana, any Latin letter (and no Japanese character) Latin."""
    if _IDEOGRAPH.search(value) is not None:
        return "ideograph"
    if _KATAKANA.search(value) is not None:
        return "katakana"
    if _HIRAGANA.search(value) is not None:
        return "hiragana"
    if _LATIN.search(value) is not None and _JAPANESE.search(value) is None:
        return "latin"
    return "other"


def has_japanese(text: str) -> bool:
    """Per value: whether the text holds a kana or kanji character (or a kana mark)."""
    return _JAPANESE.search(text) is not None


def python_is_latin_text(text: str) -> bool:
    """Per value: Latin letters and no Japanese character: "1234 Elm Street", "Flat 3, 12 Baker St"."""
    if text.isascii():
        return _ASCII_LETTER.search(text) is not None
    return _JAPANESE.search(text) is None and _LATIN.search(text) is not None


# What the address transformer asks of every value: the same in C when built (anonymize/csrc/address.c), ~4x
# cheaper than two regex searches on a Japanese address.
is_latin_text: Callable[[str], bool] = NATIVE.latin_text if NATIVE is not None else python_is_latin_text


# --- names -------------------------------------------------------------------------------------------------

# Words of a name that aren't the person's: titles before it, generational and degree suffixes after it. Kept as
# they are by the fakes and left out of the romaji test.
NAME_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "lady", "lord", "rev"})
NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq"})
_LONG_VOWEL = re.compile(r"(?<=o)[ouh](?=[^aeiou]|$)|(?<=u)u(?=[^aeiou]|$)")  # satou, satoh, yuuki -> sato, yuki


@cache
def _romaji_names() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(family names, given names) of the Japanese pools in lowercase romaji, and the Western pools' names."""
    from anonymize.names import pool

    family = frozenset(n.romaji for n in pool.surnames())
    given = frozenset(n.romaji for n in pool.given_names())
    western = frozenset(n.casefold() for n in pool.western_family() + pool.western_given())
    return family, given, western


def name_words(value: str) -> list[str]:
    """The words of a Latin-script name that name the person, lowercase: no titles, suffixes or initials
    ("Dr. J. Satou" -> ["satou"])."""
    return [
        word
        for word in _LATIN_WORD.findall(normalize.nfkc(value).casefold())
        if len(word) > 1 and word not in NAME_TITLES and word not in NAME_SUFFIXES
    ]


def romaji_spelling(word: str) -> str:
    """A lowercase romaji word with its long vowels folded as the pools spell them: satou, satoh -> sato."""
    return _LONG_VOWEL.sub("", word)


# A word made of Hepburn syllables: (consonant)(y)vowel, a syllabic n (or m before b/p/m), a doubled consonant.
_HEPBURN = re.compile(
    r"(?:(?:sh|ch|ts|[kgsztdnhbpmr]y|[kgsztdnhbpmrjfwyv])?[aeiou]|n(?![aeiouy])|m(?=[bpm])"
    r"|([kgstdhbpcfjmrz])(?=\1|ch|ts))+"
)


def looks_romaji(value: str, *, pool_hit: bool = True) -> bool:
    """Per value: a Latin-script name that is a Japanese name in romaji ("Taro Yamada", "YAMADA TARO", "Satou"):
    every word is spelled in Hepburn syllables, not every word is a Western name too ("Naomi", "Anna" stay
    Western), and (`pool_hit`) at least one is a family or given name of the Japanese pools ("Kenji" alone is
    left to the column's locale: the pools don't hold every given name)."""
    words = name_words(value)
    if not words:
        return False
    family, given, western = _romaji_names()
    folded = [romaji_spelling(w) for w in words]
    if not all(_HEPBURN.fullmatch(w) for w in folded) or all(w in western for w in words):
        return False
    return not pool_hit or any(w in family or w in given for w in folded)


def romaji_family_first(words: list[str]) -> bool:
    """Whether romaji name words (`name_words`) are written family name first ("Yamada Taro"): told by which end
    is a family name of the pools, else by which end is a given name; neither: given name first."""
    if len(words) < 2:
        return False
    family, given, _ = _romaji_names()
    first, last = romaji_spelling(words[0]), romaji_spelling(words[-1])
    if (first in family) != (last in family):
        return first in family
    if (first in given) != (last in given):
        return last in given
    return False


# --- postal codes ------------------------------------------------------------------------------------------

PostalFormat = Literal["jp", "us", "gb", "other"]
# Japanese: 7 digits, 3-4 with a hyphen (or a space, or ー), after an optional 〒 (NFKC'd text).
JP_POSTAL = re.compile(r"〒?\s*[0-9]{3}[-\u30fc\u2010\u2212\s]?[0-9]{4}")
US_ZIP = re.compile(r"[0-9]{5}(?:-[0-9]{4})?")
# A UK postcode's shape: outward code A9, A99, AA9, AA99, A9A or AA9A, a space (optional), inward code 9AA.
# Loose on the letters when reading (any letter); the fakes use only the letters the format allows.
GB_POSTCODE = re.compile(r"[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s*[0-9][A-Za-z]{2}")


def postal_format(text: str) -> PostalFormat:
    """Per value: the format of a postal code (stripped, NFKC'd text)."""
    if JP_POSTAL.fullmatch(text):
        return "jp"
    if US_ZIP.fullmatch(text):
        return "us"
    if GB_POSTCODE.fullmatch(text):
        return "gb"
    return "other"


# --- phone numbers -----------------------------------------------------------------------------------------

PhoneCountry = Literal["jp", "us", "gb", "other"]
NANP = re.compile(r"[2-9][0-9]{2}[2-9][0-9]{6}")  # NPA-NXX-XXXX: area code and exchange start 2-9
_JP_ELEVEN = re.compile(r"0(?:[5-9]0|20|800)")  # 11-digit Japanese numbers: 0A0 mobile/IP/M2M, 0800 free dial


def phone_country(value: str) -> PhoneCountry:
    """Per value (for the column classifier): the country a phone number's shape points to. A +81/+1/+44
    country code decides; else a 10-digit NANP number is North American, a 10- or 11-digit 0-leading number
    Japanese if it has a Japanese number's shape, British if it is 11 digits that no Japanese number has."""
    text = normalize.nfkc(value).lstrip("( ")
    digits = normalize.digits(value)
    if text.startswith("+") or text.startswith("00"):
        code = digits[2:] if text.startswith("00") else digits
        if code.startswith("81"):
            return "jp"
        if code.startswith("44"):
            return "gb"
        if code.startswith("1") and NANP.fullmatch(code[1:]):
            return "us"
        return "other"
    if NANP.fullmatch(digits) or (len(digits) == 11 and digits[0] == "1" and NANP.fullmatch(digits[1:])):
        return "us"
    if digits.startswith("0") and len(digits) == 10 and digits[1] != "0":
        return "jp"
    if digits.startswith("0") and len(digits) == 11:
        if _JP_ELEVEN.match(digits):
            return "jp"
        if digits[1] in "12379":
            return "gb"
    return "other"


# --- columns -----------------------------------------------------------------------------------------------

# A column is of one locale when at least this share of its classified sampled values is (and at least
# _MIN_VALUES values were classified): the rest are typos, foreigners and test rows the per-value shapes handle.
_SHARE = 0.6
_MIN_VALUES = 3


@dataclass(frozen=True)
class ColumnLocales:
    """What a column's sampled values say, for each kind of fake that could be drafted for it. None: nothing
    decisive (Japanese data, mixed data, too few values): the transformer's per-value `auto` applies."""

    name: Literal["ja", "en"] | None = None  # person_name: romaji (Japanese pools) or Western names
    phone: Literal["us", "gb"] | None = None
    postal: Literal["us", "gb"] | None = None
    street: Literal["us", "gb"] | None = None  # street lines, full addresses, buildings, cities


def _decide(counts: Counter[str], candidates: Iterable[str]) -> str | None:
    total = sum(counts.values())
    if total < _MIN_VALUES:
        return None
    for candidate in candidates:
        if counts[candidate] >= _SHARE * total:
            return candidate
    return None


def _name_locale(values: list[str]) -> Literal["ja", "en"] | None:
    scripts: Counter[str] = Counter()
    romaji = 0
    for value in values:
        script = name_script(value)
        if script == "other":
            continue
        scripts["latin" if script == "latin" else "japanese"] += 1
        romaji += script == "latin" and looks_romaji(value, pool_hit=False)
    if _decide(scripts, ("latin",)) is None:
        return None
    return "ja" if romaji >= _SHARE * scripts["latin"] else "en"


def _british_street(text: str) -> bool:
    return GB_POSTCODE.search(text) is not None or re.match(r"(?i)flat\b", text.strip()) is not None


def column_locales(values: Iterable[str]) -> ColumnLocales:
    """The locales a column's sampled (text) values call for."""
    sample = [value for value in values if value is not None and value.strip()]
    postal: Counter[str] = Counter(postal_format(normalize.nfkc(v)) for v in sample)
    phones: Counter[str] = Counter(phone_country(v) for v in sample if any(c.isdigit() for c in v))
    phones.pop("other", None)
    postal.pop("other", None)
    streets: Counter[str] = Counter(
        ("latin" if is_latin_text(normalize.nfkc(v)) else "japanese" if has_japanese(v) else "other") for v in sample
    )
    streets.pop("other", None)
    street: Literal["us", "gb"] | None = None
    if _decide(streets, ("latin",)) is not None:
        latin = [v for v in sample if is_latin_text(normalize.nfkc(v))]
        street = "gb" if sum(_british_street(v) for v in latin) >= 0.2 * len(latin) else "us"
    return ColumnLocales(
        name=_name_locale(sample),
        phone=_decide(phones, ("us", "gb")),  # type: ignore[arg-type]
        postal=_decide(postal, ("us", "gb")),  # type: ignore[arg-type]
        street=street,
    )


_ADDRESS_LINES = ("street", "full", "building", "city", "prefecture")


def locale_for(transform: str, params: Mapping[str, Any], locales: ColumnLocales | None) -> str | None:
    """The `locale` param to draft for a rule, from its column's sampled values (None: leave `auto`)."""
    if locales is None or "locale" in params:
        return None
    if transform == "person_name":
        return None if params.get("script") in ("romaji", "latin") else locales.name
    if transform == "phone":
        return locales.phone
    if transform == "address":
        part = params.get("part", "full")
        return locales.postal if part == "postal_code" else locales.street if part in _ADDRESS_LINES else None
    return None
