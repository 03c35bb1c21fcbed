"""The recognizers' gate: which recognizers could find anything at all in a text, decided from what each declares it
needs, before any of them runs.

Most strings of a payload that reach detection once (provider ids such as "pm_4Tn6Wiinotx2DFQ7JZIot461",
timestamps such as "2024-12-15T18:35:30+00:00") hold a digit and a capital letter, so the cheap features
(`features.features_of`) let them through to the phone, card and person recognizers, which then find nothing.
Each recognizer declares instead, as `Recognizer.clues`, the ways it can find something: a `Clue` is a set of
conditions that all hold in every text where `find` (after `applies`) returns a span, read off its own patterns
(a card is a number of 8 digits or more, in groups joined by single spaces or hyphens, not followed by a letter;
a name in ASCII text needs a space, a label key or an honorific word ...). A recognizer whose clues all fail is
skipped; when every recognizer is skipped the detector does not look the text up at all. A recognizer that declares
no clues (`clues = None`: a rules file's Presidio recognizers) turns the gate off: every recognizer then runs as
before. tests/anonymize/pii/test_gate.py holds each declaration to its recognizer (the gate says "skip" only where
the recognizer finds nothing, on generated texts) and the C scan (anonymize/csrc/pii_gate.c: pii_gate, and PiiGate,
the same scan with the clues read once) to this reference.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from anonymize.speedups import NATIVE

if TYPE_CHECKING:
    from anonymize.pii.recognizers.base import Recognizer

# Characters a number followed by them can't end a match at: NUM_RIGHT's [0-9A-Za-z_@] (a digit never follows a
# maximal run anyway). Its "[-./][0-9]" part is left out: fewer skips, never a wrong one.
WORD_RIGHT = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_@"
# re's \s in ASCII (str.isspace agrees; tests check both): a Latin name pattern needs one of them.
ASCII_SPACES = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"


@dataclass(frozen=True, slots=True)
class Clue:
    """One way a recognizer can find something: every condition given here holds in the (normalized) text."""

    literals: tuple[str, ...] = ()  # one of these substrings occurs (none given: no such condition)
    # A number of at least this many decimal digits (re's \d): maximal digit runs joined by 1 to `gap` characters
    # of `seps` (no seps: one run), counted from a run that starts right after `after` (when given) to a run not
    # followed by a character of `right_bad`.
    digits: int = 0
    seps: str = ""
    gap: int = 1
    right_bad: str = ""
    after: str = ""
    non_ascii: bool = False  # a character beyond ASCII
    counts: tuple[tuple[str, int], ...] = ()  # (character, at least this many of it)


def clue_holds(text: str, clue: Clue) -> bool:
    """Does `clue` hold in `text`? (The reference of pii_gate.c's check.)"""
    if clue.non_ascii and text.isascii():
        return False
    if clue.literals and not any(literal in text for literal in clue.literals):
        return False
    if any(text.count(char) < least for char, least in clue.counts):
        return False
    return clue.digits <= 0 or _has_number(text, clue)


def _has_number(text: str, clue: Clue) -> bool:
    n = len(text)
    i = 0
    acc = -1  # digits of the current chain since its first run that may start a number; -1 before one
    previous_end = -1  # where the previous digit run ended
    while i < n:
        if not text[i].isdecimal():
            i += 1
            continue
        start = i
        while i < n and text[i].isdecimal():
            i += 1
        between = text[previous_end:start] if previous_end >= 0 else ""
        if not (between and len(between) <= clue.gap and all(char in clue.seps for char in between)):
            acc = -1  # not joined to the previous run: a new chain
        if acc < 0 and (not clue.after or (start > 0 and text[start - 1] == clue.after)):
            acc = 0
        if acc >= 0:
            acc += i - start
            if acc >= clue.digits and (i == n or text[i] not in clue.right_bad):
                return True
        previous_end = i
    return False


def _mask(text: str, table: Sequence[tuple[int, Clue]]) -> int:
    mask = 0
    for bit, clue in table:
        if not mask & bit and clue_holds(text, clue):
            mask |= bit
    return mask


Gate = Callable[[str], int]
# Bits of the C scan's answer (an unsigned 64-bit mask): more recognizers than this run the Python check.
NATIVE_MAX_RECOGNIZERS = 64


class PythonGate:
    """The gate in Python (the reference); a plain object, so a detector holding it still pickles."""

    def __init__(self, table: list[tuple[int, Clue]]) -> None:
        self.table = table

    def __call__(self, text: str) -> int:
        return _mask(text, self.table)


def _packed(table: list[tuple[int, Clue]]) -> tuple[tuple[object, ...], ...]:
    """The clues as the tuples pii_gate.c reads."""
    return tuple(
        (bit, c.literals, c.digits, c.seps, c.gap, c.right_bad, c.after, c.non_ascii, c.counts) for bit, c in table
    )


class NativeGate:
    """The gate as pii_gate.c checks it, the tuples read on every call (a build without PiiGate)."""

    def __init__(self, table: list[tuple[int, Clue]]) -> None:
        self.packed = _packed(table)

    def __call__(self, text: str) -> int:
        return NATIVE.pii_gate(text, self.packed)  # type: ignore[no-any-return,union-attr]


def _table(recognizers: Sequence[Recognizer]) -> list[tuple[int, Clue]] | None:
    if not recognizers or any(r.clues is None for r in recognizers):
        return None  # a recognizer that declares nothing: no text can be proved empty for it
    return [(1 << i, clue) for i, r in enumerate(recognizers) for clue in r.clues or ()]


def gate_for(recognizers: Sequence[Recognizer]) -> Gate | None:
    """A function of a normalized text giving the bitmask (bit i: `recognizers[i]`) of the recognizers that may find
    something in it, or None when some recognizer declares no clues (then all must run)."""
    table = _table(recognizers)
    if table is None:
        return None
    if getattr(NATIVE, "pii_gate", None) is None or len(recognizers) > NATIVE_MAX_RECOGNIZERS:
        return PythonGate(table)
    compiled = getattr(NATIVE, "PiiGate", None)
    # PiiGate reads the tuples into C structs once: called straight from the detector, with no Python frame and no
    # unpacking per text (pickles as its tuples). A build without it: NativeGate.
    return NativeGate(table) if compiled is None else compiled(_packed(table))  # type: ignore[no-any-return]


def python_gate(recognizers: Sequence[Recognizer]) -> Gate | None:
    """`gate_for` without the C scan (what the tests hold the C scan to)."""
    table = _table(recognizers)
    return None if table is None else PythonGate(table)
