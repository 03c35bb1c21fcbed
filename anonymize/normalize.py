"""Normalization before keying: two spellings of one value must get one pseudonym.

NFKC folds full-width digits/letters and the ideographic space; then each kind trims, folds case or keeps only
the digits that identify the value.
"""

from __future__ import annotations

import re
import unicodedata

# Hyphen and dash look-alikes seen in Japanese input (phone numbers, addresses, postal codes).
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d\u30fc\uff70\u301c\uff5e"), "-")
_SPACE = re.compile(r"\s+")
_NON_DIGIT = re.compile(r"\D+")


def nfkc(value: str) -> str:
    """NFKC and trim: the base of every other normalization."""
    return unicodedata.normalize("NFKC", value).strip()


def text(value: str) -> str:
    """Free text and generic values: NFKC, trimmed, runs of whitespace collapsed to one space."""
    return _SPACE.sub(" ", nfkc(value))


def email(value: str) -> str:
    """Emails: NFKC, trimmed, lowercased (the local part is case-insensitive in practice)."""
    return nfkc(value).lower()


def digits(value: str) -> str:
    """Phones, cards, account and registry numbers: only the digits (after full-width folding)."""
    return _NON_DIGIT.sub("", unicodedata.normalize("NFKC", value))


def name(value: str) -> str:
    """Person and company names: NFKC, case-folded, whitespace removed ("山田 太郎" == "山田太郎")."""
    return _SPACE.sub("", nfkc(value)).casefold()


def dashes(value: str) -> str:
    """NFKC with every dash look-alike (ー, －, 〜 ...) folded to '-', for shapes like 0９0ー1234ー5678."""
    return unicodedata.normalize("NFKC", value).translate(_DASHES)
