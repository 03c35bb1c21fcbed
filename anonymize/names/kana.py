"""Hiragana -> katakana and -> romaji (Hepburn, long vowels folded the way names are usually romanized:
さとう -> sato, おおの -> ono, ゆうた -> yuta, but いのうえ -> inoue)."""

from __future__ import annotations

import re

_KATAKANA_SHIFT = 0x60  # ぁ (U+3041) -> ァ (U+30A1)

_BASE = {
    "あ": "a", "い": "i", "う": "u", "え": "e", "お": "o",
    "か": "ka", "き": "ki", "く": "ku", "け": "ke", "こ": "ko",
    "が": "ga", "ぎ": "gi", "ぐ": "gu", "げ": "ge", "ご": "go",
    "さ": "sa", "し": "shi", "す": "su", "せ": "se", "そ": "so",
    "ざ": "za", "じ": "ji", "ず": "zu", "ぜ": "ze", "ぞ": "zo",
    "た": "ta", "ち": "chi", "つ": "tsu", "て": "te", "と": "to",
    "だ": "da", "ぢ": "ji", "づ": "zu", "で": "de", "ど": "do",
    "な": "na", "に": "ni", "ぬ": "nu", "ね": "ne", "の": "no",
    "は": "ha", "ひ": "hi", "ふ": "fu", "へ": "he", "ほ": "ho",
    "ば": "ba", "び": "bi", "ぶ": "bu", "べ": "be", "ぼ": "bo",
    "ぱ": "pa", "ぴ": "pi", "ぷ": "pu", "ぺ": "pe", "ぽ": "po",
    "ま": "ma", "み": "mi", "む": "mu", "め": "me", "も": "mo",
    "や": "ya", "ゆ": "yu", "よ": "yo",
    "ら": "ra", "り": "ri", "る": "ru", "れ": "re", "ろ": "ro",
    "わ": "wa", "を": "o", "ん": "n", "ゔ": "vu",
}  # fmt: skip
_SMALL_Y = {"ゃ": "a", "ゅ": "u", "ょ": "o"}
_SMALL_VOWEL = {"ぁ": "a", "ぃ": "i", "ぅ": "u", "ぇ": "e", "ぉ": "o"}  # ふぁ fa, てぃ ti, ゔぁ va, しぇ she
_LONG_VOWEL = re.compile(r"(?<=o)[ou](?=[^aeiou]|$)|(?<=u)u(?=[^aeiou]|$)")


def to_katakana(hiragana: str) -> str:
    return "".join(chr(ord(c) + _KATAKANA_SHIFT) if "ぁ" <= c <= "ゖ" else c for c in hiragana)


def to_romaji(hiragana: str) -> str:
    out: list[str] = []
    i = 0
    geminate = False
    while i < len(hiragana):
        char = hiragana[i]
        if char == "っ":
            geminate = True
            i += 1
            continue
        syllable = _BASE.get(char, char)
        nxt = hiragana[i + 1] if i + 1 < len(hiragana) else ""
        if nxt in _SMALL_Y and syllable.endswith("i"):
            stem = syllable[:-1]
            syllable = stem + _SMALL_Y[nxt] if stem in {"sh", "ch", "j"} else stem + "y" + _SMALL_Y[nxt]
            i += 1
        elif nxt in _SMALL_VOWEL and syllable[-1:] in "aeiou":
            syllable = syllable[:-1] + _SMALL_VOWEL[nxt]
            i += 1
        if char == "ー":  # katakana long mark inside a reading: the vowel is already there
            syllable = ""
        if geminate and syllable:
            syllable = ("t" if syllable.startswith("ch") else syllable[0]) + syllable
            geminate = False
        out.append(syllable)
        i += 1
    return _LONG_VOWEL.sub("", "".join(out))
