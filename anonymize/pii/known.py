"""Values this run already met in structured columns, recognized again when they reappear in free text.

The pipeline adds the names, emails, phones ... it transforms in columns; the detector then marks a span whose
normalized value is known (`Span.known`), and finds known names and addresses even where no context cue
would (「山田太郎から電話」), so the free-text transformer can give them the same fake as their column.

Literal values (names, emails, addresses, IPs) are matched with one table of their spellings over the normalized
text (in C; an Aho-Corasick automaton without the extension), rebuilt lazily after additions; number-shaped values
(phones, cards, accounts ...) are matched by their digits, whatever the separators.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache

import ahocorasick

from anonymize.pii import canonical, known_gate
from anonymize.pii.normalize_map import normalize
from anonymize.pii.spans import Kind, Span
from anonymize.speedups import NATIVE

_LITERAL_KINDS = frozenset({Kind.PERSON, Kind.EMAIL, Kind.ADDRESS, Kind.IP})
_MIN_LITERAL = {Kind.PERSON: 2, Kind.EMAIL: 6, Kind.ADDRESS: 6, Kind.IP: 7}
# Digit runs that may hold a number-shaped known value; separators as people type them.
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z_])\+?\(?\d[\d\-. ()]{4,22}\d(?![0-9A-Za-z_])")
# The ASCII word characters a known ASCII spelling must not touch on either side, the gate's own (a set lookup per
# match: the per-match loop of _find_literals runs for every hit of the automaton, most of them rejected here).
_WORD_CHARS = known_gate.WORD_CHARS
# _DIGIT_RUN without its boundaries and optional "+(" : every match of _DIGIT_RUN holds one, and without the
# lookbehind first `re` skips ahead to a digit, ~5x faster on the texts (ids, timestamps) that hold none.
_DIGIT_RUN_CORE = re.compile(r"\d[\d\-. ()]{4,22}\d")
# The literal matches found in C (anonymize/csrc/known_literals.c): the automaton's matches with the word check
# already applied, so only the kept ones cost Python (_find_literals_reference is what the tests hold it to).
# Built from the spellings whenever they changed, by `prepare` in the run's parent before the workers fork (else at a
# process's first text: 29 ms and ~7.5 MB at a strangers run's 169k spellings, 4.8 MB of C tables, two tuples); with
# it no Aho-Corasick automaton is built. Without it, the automaton and its loop in Python.
_NATIVE_LITERALS = getattr(NATIVE, "KnownLiterals", None)


class KnownValues:
    """Values met in structured columns, by kind (normalized as canonical.py does). `add` is thread-safe."""

    def __init__(self) -> None:
        self._values: dict[Kind, set[str]] = {}
        self._literals: dict[str, tuple[Kind, str]] = {}  # searchable spelling -> (kind, normalized value)
        self._automaton: ahocorasick.Automaton | None = None
        self._prefixes: known_gate.PrefixTables | None = None  # the automaton's gate, built with it
        # (the `_spelled` it was built at, the C table, each spelling's (kind, value) in the table's order)
        self._native: tuple[int, object, tuple[tuple[Kind, str], ...]] | None = None
        self._spelled = 0  # bumped whenever `_literals` changes: a C table built before is stale
        self._lock = threading.Lock()
        self._count = 0  # len(self): asked for on every detection, so kept rather than summed
        self._number_kinds: tuple[Kind, ...] = ()  # the kinds held that are matched by their digits, in added order
        # Bumped whenever a value is added or all are forgotten: what was found in a text before may change.
        self.generation = 0

    def add(self, kind: Kind, raw: str) -> str | None:
        """Remember `raw` as a `kind`; returns its normalized value (None when nothing is left of it)."""
        self.add_pairs(((kind, raw),))
        return canonical.VALUE_OF[kind](raw) or None

    def clear(self) -> None:
        """Forget every value (a new run over another source)."""
        with self._lock:
            self._values.clear()
            self._literals.clear()
            self._automaton = self._prefixes = None
            self._spelled += 1
            self._count = 0
            self._number_kinds = ()
            self.generation += 1

    def add_many(self, kind: Kind, raws: Iterable[str]) -> None:
        self.add_pairs((kind, raw) for raw in raws)

    def add_pairs(self, pairs: Iterable[tuple[Kind, str]]) -> int:
        """`add` of each (kind, raw), in order, under one lock: what the run's pre-pass adds, a chunk of rows at a
        time. The same values, literals, generation and kinds' order as one `add` after another (the tests hold the
        two equal); the per-value calls and attribute reads `add` repeats are done once (~60% of the pre-pass, its
        cProfile). Returns how many values were new."""
        values_of = self._values
        literals = self._literals
        normalizers = canonical.VALUE_OF
        new = spelled = 0
        with self._lock:
            for kind, raw in pairs:
                value = normalizers[kind](raw)
                if not value:
                    continue
                values = values_of.get(kind)
                if values is None:
                    values = values_of[kind] = set()
                elif value in values:
                    continue
                values.add(value)
                new += 1
                if kind in _LITERAL_KINDS:
                    minimum = _MIN_LITERAL[kind]
                    for spelling in _spellings(kind, raw):
                        if len(spelling) >= minimum:
                            literals.setdefault(spelling, (kind, value))
                            spelled += 1
                elif kind not in self._number_kinds:
                    self._number_kinds += (kind,)
            self._count += new
            self.generation += new
            if spelled:
                self._automaton = self._prefixes = None
                self._spelled += 1
        return new

    def __contains__(self, item: tuple[Kind, str]) -> bool:
        kind, value = item
        return value in self._values.get(kind, ())

    def __len__(self) -> int:
        return self._count

    def find(self, text: str) -> list[Span]:
        """Known values in `text` (normalized)."""
        native = self._native
        if native is not None and native[0] == self._spelled and text.isascii():
            # _find_literals' common case inline (a call less for every text of a payload)
            spans = []
            for start, end, index in native[1].find(text, None):  # type: ignore[attr-defined]
                kind, value = native[2][index]
                spans.append(Span(kind, start, end, 1.0, value, None, "known", True))
        else:
            spans = self._find_literals(text) if self._literals else []
        number_kinds = self._number_kinds
        if number_kinds and _DIGIT_RUN_CORE.search(text):
            spans.extend(self._find_numbers(text, number_kinds))
        return spans

    def prepare(self) -> None:
        """Build the literals' matcher now: in the parent before workers fork, it is built once and shared (copy on
        write), instead of once in each worker at its first text (~2.6% of a strangers run's samples, py-spy). With
        the C table that is all: the Aho-Corasick automaton is only the reference's (and the no-C path's), and
        building it was ~40% of the known-values phase (bench/snapshot/profile_known.py)."""
        if not self._literals:
            return
        if _NATIVE_LITERALS is not None:
            if self._native is None or self._native[0] != self._spelled:
                self._build_native()
        elif self._automaton is None:
            self._build()

    def _find_literals(self, text: str) -> list[Span]:
        if _NATIVE_LITERALS is None:
            return self._find_literals_reference(text)
        native = self._native
        if native is None or native[0] != self._spelled:  # (add and clear make it stale: rebuilt)
            native = self._build_native()
        if text.isascii():  # str.lower is A-Z to a-z there: the C reads them so (None)
            found = native[1].find(text, None)  # type: ignore[attr-defined]
        else:
            lowered = text.lower()
            found = native[1].find(text, lowered if len(lowered) == len(text) else text)  # type: ignore[attr-defined]
        if not found:
            return []
        entries = native[2]
        spans = []
        for start, end, index in found:
            kind, value = entries[index]
            spans.append(Span(kind, start, end, 1.0, value, None, "known", True))
        return spans

    def _build_native(self) -> tuple[int, object, tuple[tuple[Kind, str], ...]]:
        with self._lock:  # the spellings as they are now: `add` holds the lock while it adds
            spelled = self._spelled
            spellings = tuple(self._literals)
            entries = tuple(self._literals.values())
        prefixes = known_gate.prefix_tables(spellings) if known_gate.check is not None else None
        gate = None if prefixes is None else (prefixes.ascii, prefixes.other, prefixes.other_ascii_first)
        native = (spelled, _NATIVE_LITERALS(spellings, gate), entries)  # type: ignore[misc]
        self._native = native
        return native

    def _find_literals_reference(self, text: str) -> list[Span]:
        """_find_literals with the automaton and the word check in Python (the reference of known_literals.c)."""
        automaton = self._automaton or self._build()
        lowered = text.lower()
        haystack = lowered if len(lowered) == len(text) else text
        prefixes = self._prefixes  # (set before the automaton; None without the C check, or while a thread rebuilds)
        if prefixes is not None and not known_gate.check(text, haystack, prefixes):  # type: ignore[misc]
            return []  # no spelling starts anywhere a kept one could (two texts in three)
        spans = []
        literals = self._literals
        size = len(text)
        for last, length in automaton.iter(haystack):
            start, end = last - length + 1, last + 1
            spelling = haystack[start:end]
            if spelling.isascii() and (
                (start > 0 and text[start - 1] in _WORD_CHARS) or (end < size and text[end] in _WORD_CHARS)
            ):
                continue  # "Ken" inside "Kenji", an email inside a longer one
            kind, value = literals[spelling]
            spans.append(Span(kind, start, end, 1.0, value, None, "known", True))
        return spans

    def _find_numbers(self, text: str, kinds: tuple[Kind, ...]) -> list[Span]:
        spans = []
        for match in _DIGIT_RUN.finditer(text):
            raw = match.group().strip("() ")
            start = match.start() + match.group().index(raw)
            digits: str | None = None  # the digit kinds' value, the same for each of them: computed once
            for kind in kinds:
                if kind in canonical.DIGIT_KINDS:
                    if digits is None:
                        digits = _number_value(kind, raw)
                    value = digits
                else:
                    value = _number_value(kind, raw)
                if value in self._values[kind]:
                    spans.append(Span(kind, start, start + len(raw), 1.0, value, None, "known", True))
                    break
        return spans

    def __getstate__(self) -> dict[str, object]:
        # Worker processes get the values; the lock can't travel and the automaton is rebuilt there on demand.
        return {"_values": self._values, "_literals": self._literals, "generation": self.generation}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._automaton = self._prefixes = None
        self._native = None
        self._spelled = 0
        self._lock = threading.Lock()
        self._count = sum(len(v) for v in self._values.values())
        self._number_kinds = tuple(k for k in self._values if k not in _LITERAL_KINDS)

    def _build(self) -> ahocorasick.Automaton:
        with self._lock:
            # Lengths only, no Python object per word: a match's spelling is the text it covers, its kind and value
            # are `_literals`' (a tuple a word cost ~64 bytes more, in every worker).
            automaton = ahocorasick.Automaton(ahocorasick.STORE_LENGTH)
            for spelling in self._literals:
                automaton.add_word(spelling)
            automaton.make_automaton()
            self._prefixes = known_gate.prefix_tables(self._literals) if known_gate.check is not None else None
            self._automaton = automaton
            return automaton


@lru_cache(maxsize=1 << 14)
def _number_value(kind: Kind, raw: str) -> str:
    """canonical.value of a digit run (a pure function): payloads repeat their dates and amounts row after row, and
    each run cost a phone's normalization (our measurement: 1.4 of 2.0 us of `find` on a strangers run's ids and
    timestamps)."""
    return canonical.value(kind, raw)


def _spellings(kind: Kind, raw: str) -> tuple[str, ...]:
    """How a column value may be spelled in normalized free text, lowercased (the text is searched lowercased)."""
    # normalize() leaves ASCII as it is (most names and every email): the check here spares its MappedText.
    text = " ".join((raw if raw.isascii() else normalize(raw)).split()).lower()
    if not text:
        return ()
    if kind is Kind.PERSON and " " in text:
        return (text, text.replace(" ", ""))  # 山田 太郎 is also written 山田太郎
    return (text,)
