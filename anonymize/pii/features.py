"""The cheap features of a text that decide which recognizers run on it, beside what a feature is: computed once per
text by the detector (anonymize.pii.detector) and by the Presidio wrapper (anonymize.pii.analyzer), neither of which
needs the other for it."""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

# Cheap features of a text, computed once per text by the detector; a recognizer runs only if the text has one
# of the features it needs (most notes have no '@', many have no digit).
Feature = Literal["digit", "at", "name"]

_DIGIT = re.compile(r"[0-9]")
_CAPITAL = re.compile(r"[A-Z]")
# Plain literals and classes only (no lookbehind first), so `re` can skip ahead by first character: it must cover
# every way a name is found here — honorifics, labels (all contain one of these words), と申します, より, a bracket
# after a number, and capitals.
NAME_TRIGGER = re.compile(
    "様|さま|さん|殿|氏|君|くん|ちゃん|と申し|お世話|客|名|担当|義|受取|依頼|申込|契約|宛|差出|送り主|購入|注文者|連絡者|"
    "代表者|フリガナ|ふりがな|ありがとう|こんにちは|はじめまして|初めまして|失礼いたします|"
    "name|holder|kana|shimei|普通|当座|貯蓄|より|[0-9A-Za-z] ?\\(|[A-Z]"
)


def features_of(text: str) -> frozenset[Feature]:
    """The cheap features that decide which recognizers run on `text` (normalized)."""
    found: set[Feature] = set()
    if _DIGIT.search(text):
        found.add("digit")
    if "@" in text:
        found.add("at")
    # A capital letter is one of NAME_TRIGGER's alternatives: found by a plain class scan, far cheaper than trying
    # every alternative at each letter.
    if _CAPITAL.search(text) or NAME_TRIGGER.search(text) or (not text.isascii() and _may_hold_full_name(text)):
        found.add("name")
    return frozenset(found)


def _may_hold_full_name(text: str) -> bool:
    """A dictionary surname followed by a character that starts a given name: a full name may be there with no
    cue at all (鈴木一郎から電話). Cheap: most texts have no surname's first character."""
    from anonymize.pii.names import ja_given_prefixes, surnames_at

    initials = _surname_initials()
    given = ja_given_prefixes()
    for position, char in enumerate(text):
        if char in initials:
            for surname in surnames_at(text, position):
                after = position + len(surname)
                if text[after : after + 1] in given or text[after + 1 : after + 2] in given:
                    return True
    return False


@cache
def _surname_initials() -> frozenset[str]:
    from anonymize.pii.names import ja_surname_prefixes

    return frozenset(ja_surname_prefixes())
