"""Normalize text for detection and keep the way back to the original's offsets.

Detection runs on one spelling of each value: NFKC (full-width digits and letters, half-width katakana, the
ideographic space), every dash look-alike and the wave dashes 〜/～ folded to '-', and the katakana prolonged
sound mark ー folded to '-' only next to a digit (０９０ー１２３４ is a phone; ジョージ stays a name). Spans found on
the normalized text must still replace the right characters of the original, so each normalized character
remembers the original characters it came from.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

# One-to-one folds applied to the original before NFKC (so they need no offset bookkeeping). ～ (U+FF5E) is here
# because NFKC would turn it into '~', which is also a legitimate character of its own (URLs).
_DASH_FOLD = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d\u301c\uff5e"), "-")
# After NFKC (which maps half-width ｰ to ー): the prolonged sound mark is a dash only beside a digit.
_CHOON_BY_DIGIT = re.compile(r"(?<=[0-9])ー|ー(?=[0-9])")
# Hangul conjoining vowels/finals compose with the preceding jamo without being combining marks.
_COMPOSING_RANGES = ((0x1160, 0x11FF),)


@cache
def _unstable_segment() -> re.Pattern[str]:
    """A char followed by marks that compose into it, or a lone char that NFKC changes. Built on first use:
    scanning the BMP takes ~30 ms, which import time should not pay."""
    changing: list[str] = []
    marks: list[str] = []
    for cp in range(0x80, 0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        if unicodedata.combining(ch) or any(lo <= cp <= hi for lo, hi in _COMPOSING_RANGES) or cp in (0xFF9E, 0xFF9F):
            marks.append(ch)
        elif unicodedata.normalize("NFKC", ch) != ch:
            changing.append(ch)

    def klass(chars: list[str]) -> str:
        return "[" + "".join(re.escape(c) for c in chars) + "]"

    # Astral characters (mathematical alphanumerics ...) are rare: each becomes a segment of its own, whether
    # NFKC changes it or not, rather than scanning 1M code points here.
    return re.compile(f"(?s:.){klass(marks)}+|{klass(changing)}|[\U00010000-\U0010ffff]")


@dataclass(slots=True)
class MappedText:
    """`text` is the normalized form of `original`; `to_original` maps a span of `text` back. Read-only by
    convention: frozen, its __init__ took 4x as long (0.71 vs 0.17 us), and one is made for every text detected."""

    original: str
    text: str
    # For each normalized character, the original range it came from; None when the mapping is the identity.
    starts: tuple[int, ...] | None = None
    ends: tuple[int, ...] | None = None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        if self.starts is None or self.ends is None:
            return start, end
        if start >= end:
            pos = self.starts[start] if start < len(self.starts) else len(self.original)
            return pos, pos
        return self.starts[start], self.ends[end - 1]


def normalize_text(original: str) -> MappedText:
    """Normalize `original` for detection, keeping the offset map when normalization changed lengths."""
    if original.isascii():
        # Every fold here (dashes, NFKC, ー) is of a character beyond ASCII: most payload strings and many notes
        # are ASCII, and str.translate alone cost them more than the rest of this function.
        return MappedText(original, original)
    return _normalize_text(original)


def _normalize_text(original: str) -> MappedText:
    """normalize_text's general case (any text; the tests hold its ASCII answers to the shortcut's)."""
    folded = original.translate(_DASH_FOLD)
    if folded.isascii() or unicodedata.is_normalized("NFKC", folded):
        return MappedText(original, _fold_choon(folded))
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for match in _unstable_segment().finditer(folded):
        if match.start() > pos:  # unchanged stretch: maps one to one
            pieces.append(folded[pos : match.start()])
            starts.extend(range(pos, match.start()))
            ends.extend(range(pos + 1, match.start() + 1))
        chunk = unicodedata.normalize("NFKC", match.group())
        pieces.append(chunk)
        starts.extend([match.start()] * len(chunk))
        ends.extend([match.end()] * len(chunk))
        pos = match.end()
    if pos < len(folded):
        pieces.append(folded[pos:])
        starts.extend(range(pos, len(folded)))
        ends.extend(range(pos + 1, len(folded) + 1))
    text = _fold_choon("".join(pieces))
    if len(text) == len(original) and starts == list(range(len(original))):
        return MappedText(original, text)
    return MappedText(original, text, tuple(starts), tuple(ends))


def normalize(original: str) -> str:
    """The normalized text alone: KnownValues' spelling of a column value, identical to what detection sees."""
    return normalize_text(original).text


def _fold_choon(text: str) -> str:
    return _CHOON_BY_DIGIT.sub("-", text) if "ー" in text else text
