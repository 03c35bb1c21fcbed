"""What a recognizer is: a named finder of spans on normalized text, run only when the text has what it needs.

Recognizers here are plain Python (no Presidio import), so `anonymize.pii` imports fast and the detector can run
them in its own loop; `anonymize.pii.analyzer` wraps the same objects as Presidio recognizers.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from typing import ClassVar

from anonymize.pii.features import Feature
from anonymize.pii.gate import Clue
from anonymize.pii.spans import Kind, Span

__all__ = ["Feature"]  # and what is defined here: recognizers name the features they need


# Boundaries of a number that stands alone: not glued to letters, digits or identifier punctuation on the left
# (SN-0901234567, #0312345678, v1.2), and not continued by more digits or "-5" / ".5" on the right.
NUM_LEFT = r"(?<![0-9A-Za-z_\-+./@#])"
NUM_RIGHT = r"(?![0-9A-Za-z_@]|[-./][0-9])"

KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆ヵヶ"
KATAKANA = "\u30a1-\u30fa\u30fc-\u30fe"  # ァ..ヺ, ー, ヽヾ — without the middle dot ・
HIRAGANA = "\u3041-\u3096"


class Recognizer(ABC):
    """Finds spans of `kinds` in normalized text. Stateless after construction; safe to share between threads."""

    name: ClassVar[str]
    kinds: ClassVar[frozenset[Kind]]
    needs: ClassVar[frozenset[Feature]]
    # A cheap pattern (literals, classes) without which `find` can't find anything: checked before running it.
    gate: ClassVar[re.Pattern[str] | None] = None
    # Runs even on a text with none of the cheap features (a rules file's Presidio recognizers: a deny list may
    # match any word); `applies` alone decides.
    ungated: ClassVar[bool] = False
    # Every way `find` (after `applies`) can return a span, as conditions on the text read off its patterns
    # (anonymize.pii.gate): a text where none holds is not handed to it. None: not declared, and then no recognizer
    # of the detector is skipped by the gate.
    clues: ClassVar[tuple[Clue, ...] | None] = None

    def applies(self, text: str, features: frozenset[Feature]) -> bool:
        """Worth running on `text`? (It has a feature this recognizer needs and passes its gate.)"""
        return bool(self.needs & features) and (self.gate is None or self.gate.search(text) is not None)

    @abstractmethod
    def find(self, text: str) -> list[Span]:
        """Spans on `text` (already normalized by normalize_map), values normalized by canonical.py."""

    def span(
        self,
        kind: Kind,
        start: int,
        end: int,
        score: float,
        value: str,
        honorific: str | None = None,
        evidence: str = "",
    ) -> Span:
        return Span(kind, start, end, score, value, honorific, self.name, evidence=evidence)


def words(text: str) -> tuple[str, ...]:
    """A whitespace-separated word list: keeps long Japanese vocabularies readable in the source."""
    return tuple(text.split())


def scan(pattern: re.Pattern[str], text: str, accept: Callable[[re.Match[str]], bool]) -> Iterator[re.Match[str]]:
    """Like `finditer`, but a rejected candidate consumes only its first character: in "10:08 045 377 5675" the
    candidate "08 045 377" is not a phone, and the real one starting two characters later must still be seen."""
    pos = 0
    while (match := pattern.search(text, pos)) is not None:
        if accept(match):
            yield match
            pos = max(match.end(), match.start() + 1)
        else:
            pos = match.start() + 1


def preceded_by(text: str, start: int, cue: re.Pattern[str], window: int) -> bool:
    """Does a context cue occur in the `window` characters before `start`?"""
    return cue.search(text, max(0, start - window), start) is not None
