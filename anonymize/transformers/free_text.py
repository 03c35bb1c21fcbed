"""free_text: find personal data inside text and replace each piece with the fake its structured column gets.

Detection is pluggable: a Detector returns spans (start, end, kind) and DETECTORS maps a name to a factory, so
the Presidio-based detector (the PII issue) registers itself as another name and rules select it with
`params: {detector: presidio}`. The built-in "regex" detector finds emails, Japanese phone numbers, card numbers
(a network's IIN range and length, Luhn, and context: see anonymize.context) and IP addresses. Each kind is
replaced by its transformer in its natural domain (email -> "email", phone -> "phone", card -> "card", ip ->
"ip"), so 「田中様 090-1234-5678」 gets the same fake number as the customer's phone column.

`ignore: [card, ...]` settles a column's false positives in the rules: those kinds are neither replaced nor
recorded by the leak check there. Inside JSON (`other_strings`), the key above a string is context too: under an id
key (`id`, `*_id`, transaction/reference keys) number-shaped kinds are the platform's identifiers.
"""

from __future__ import annotations

import importlib
import ipaddress
import re
from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Protocol

from pydantic import Field, field_validator

from anonymize.context import (
    NUMBER_KINDS,
    KeyContext,
    card_grouped,
    card_label_before,
    has_card_cue,
    is_card_number,
)
from anonymize.errors import RulesError
from anonymize.keys import Keyring
from anonymize.leak_origins import Origin, origin_id
from anonymize.transformers.base import (
    REGISTRY,
    ColumnInfo,
    MemoizedTransformer,
    StrictParams,
    TransformCall,
    Transformer,
    register,
)
from anonymize.transformers.declared import text_kind_transforms
from anonymize.transformers.keyed import fit


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    kind: str  # a kind a transformer declares (declared.text_kind_transforms)
    weak: bool = False  # a card number known only by a cue word near it (the source may hold it as an identifier)


class Detector(Protocol):
    def detect(self, text: str, context: KeyContext | None = None) -> Sequence[Span]:
        """Spans in `text`; `context`: what the JSON key above it says (anonymize.context.key_context)."""
        ...


class Stamp(Protocol):
    generation: int  # changes whenever a detector may answer a text it answered before differently


class MemoizableDetector(Detector, Protocol):
    """A detector whose spans are a function of (text, context) until its stamp's `generation` changes (the known
    values it reads grow): FreeText memoizes its spans per (text, context). A detector without `stamp` is asked
    every time."""

    def stamp(self) -> Stamp: ...


PURE = SimpleNamespace(generation=0)  # the stamp of a detector whose spans depend on (text, context) alone


# What replaces each kind of span is the transformer declaring it (its `text_kinds`), with its params: Detectors may
# only emit these kinds (case-insensitive: Presidio-style "EMAIL" is "email"). See anonymize.transformers.declared.

_DASH = "\\-\u2010\u2011\u2012\u2013\u2212\uff0d\u30fc"
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# Card numbers as people write them: 13-19 digits in one run, or 4-4-4-4(-3) / 4-6-5 (Amex) groups.
_CARD = re.compile(
    r"(?<![\dA-Za-z\-])(?:\d{13,19}|\d{4}([ \-])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ \-])\d{6}\2\d{4,5})(?![\dA-Za-z\-])"
)
_PHONE = re.compile(
    rf"(?<![\dA-Za-z{_DASH}+])(?:\+81[\s{_DASH}]?\(?\d{{1,4}}\)?|\(?\d{{2,5}}\)?)[\s{_DASH}]?\d{{1,4}}[\s{_DASH}]?\d{{3,4}}(?![\dA-Za-z{_DASH}])"
)
_IPV4 = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])", re.ASCII)
_IPV6 = re.compile(r"(?<![:\w])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![:\w])")


_NON_DIGITS = re.compile(r"\D+")
_ANY_DIGIT = re.compile(r"\d")


def _digits(text: str) -> str:
    """The decimal digits of `text` (any script's, e.g. full width) as ASCII digits."""
    digits = _NON_DIGITS.sub("", text)
    return digits if digits.isascii() else "".join(str(int(c)) for c in digits)


class RegexDetector:
    """Emails, Japanese phone numbers, card numbers, IPv4/IPv6. Full-width digits count as digits."""

    def __init__(self, kinds: frozenset[str] | None = None) -> None:
        self.kinds = kinds

    def stamp(self) -> Stamp:
        return PURE  # a function of (text, context): memoizable for good

    def detect(self, text: str, context: KeyContext | None = None) -> list[Span]:
        spans: list[Span] = []
        if "@" in text:
            spans += [Span(m.start(), m.end(), "email") for m in _EMAIL.finditer(text)]
        # Each scan below only runs where it could find something: a card holds 13+ digits, a phone number 10+
        # (shorter matches are dropped), an IPv4 address 3 dots. Most notes have no digits at all.
        digit_count = len(_NON_DIGITS.sub("", text)) if _ANY_DIGIT.search(text) else 0
        if digit_count >= 13:
            for match in _CARD.finditer(text):
                digits = _digits(match.group())
                if not is_card_number(digits):
                    continue
                if card_grouped(match.group()) or context == "card" or card_label_before(text, match.start()):
                    spans.append(Span(match.start(), match.end(), "card"))
                elif has_card_cue(text, match.start(), match.end()):
                    spans.append(Span(match.start(), match.end(), "card", weak=True))
        if digit_count >= 10:
            for match in _PHONE.finditer(text):
                digits = _digits(match.group())
                international = match.group().startswith("+81")
                if (international and 10 <= len(digits) <= 12) or (digits.startswith("0") and 10 <= len(digits) <= 11):
                    spans.append(Span(match.start(), match.end(), "phone"))
        if digit_count >= 4 and text.count(".") >= 3:
            for match in _IPV4.finditer(text):
                spans.append(Span(match.start(), match.end(), "ip"))
        if ":" in text:
            for match in _IPV6.finditer(text):
                try:
                    ipaddress.IPv6Address(match.group())
                except ValueError:
                    continue
                spans.append(Span(match.start(), match.end(), "ip"))
        if context == "id":
            spans = [s for s in spans if s.kind not in NUMBER_KINDS]
        return self._resolved(spans)

    def _resolved(self, spans: list[Span]) -> list[Span]:
        if self.kinds is not None:
            spans = [s for s in spans if s.kind.lower() in self.kinds]
        return resolve_overlaps(spans) if len(spans) > 1 else spans  # none or one: nothing overlaps


def resolve_overlaps(spans: list[Span]) -> list[Span]:
    """Non-overlapping spans, earlier-found kinds (the detector's priority order) winning ties, then longest."""
    chosen: list[Span] = []
    for span in sorted(enumerate(spans), key=lambda p: (p[1].start, -(p[1].end - p[1].start), p[0])):
        candidate = span[1]
        if all(candidate.end <= kept.start or candidate.start >= kept.end for kept in chosen):
            chosen.append(candidate)
    return sorted(chosen, key=lambda s: s.start)


# FreeText's memo of spans: entries per column (as many as its memo of fakes), and the longest text memoized (long
# notes rarely repeat whole; the PII detector keeps its own cache of their recognizers' spans). Our assumption,
# sized so a worker's memos stay within a few MB per column.
SPANS_MEMO_SIZE = 1 << 14
MEMO_MAX_LENGTH = 512
_NO_SPANS: Sequence[Span] = ()  # what most texts hold: one shared empty sequence in the memo

DetectorFactory = Callable[["FreeTextParams", Keyring], Detector]


def _regex_detector(params: FreeTextParams, keyring: Keyring) -> Detector:
    return RegexDetector(frozenset(k.lower() for k in params.kinds) if params.kinds else None)


DETECTORS: dict[str, DetectorFactory] = {"regex": _regex_detector}
# Detectors living in other modules, imported on first use so a rules file can name them without the caller
# importing anything (the module registers itself).
DETECTOR_MODULES: dict[str, str] = {"presidio": "anonymize.pii.hook"}
# Detectors that read the run's known values (names, emails, phones met in columns), as registered: a run using
# one gathers them before any table moves (Capabilities.known_values).
READS_KNOWN_VALUES: set[str] = set()


def register_detector(name: str, factory: DetectorFactory, reads_known_values: bool = False) -> None:
    """Make a detector selectable by `params: {detector: name}` (the PII issue registers "presidio", which reads
    the run's known values)."""
    DETECTORS[name] = factory
    if reads_known_values:
        READS_KNOWN_VALUES.add(name)
    else:
        READS_KNOWN_VALUES.discard(name)


def _known_kinds(value: list[str] | None) -> list[str] | None:
    kinds = text_kind_transforms()
    unknown = sorted({k.lower() for k in value or ()} - kinds.keys())
    if unknown:
        raise ValueError(f"unknown kind(s) {', '.join(unknown)}: use some of {', '.join(kinds)}")
    return value


def _not_ids(value: str, spans: Sequence[Span], ids: Container[str]) -> Sequence[Span]:
    """`spans` without the numbers that repeat one of a document's identifiers (`ids`: their digits); the very
    same sequence when none does."""
    if not any(s.kind.lower() in NUMBER_KINDS for s in spans):
        return spans
    kept = [s for s in spans if s.kind.lower() not in NUMBER_KINDS or _digits(value[s.start : s.end]) not in ids]
    return spans if len(kept) == len(spans) else kept


class FreeTextParams(StrictParams):
    detector: str = "regex"
    kinds: list[str] | None = None  # only these kinds (default: all the detector finds)
    # Kinds found here that are not personal data (a provider's ids that look like cards): neither replaced nor
    # recorded by the leak check. `person` covers every shape of name (person_family, person_romaji ...).
    ignore: list[str] = Field(default_factory=list)
    domains: dict[str, str] = Field(default_factory=dict)  # kind -> pseudonym domain, if not the natural one

    _kinds_known = field_validator("kinds", "ignore")(_known_kinds)


def kind_family(kind: str) -> str:
    """The kind as `ignore` and reports name it: every shape of a person's name is "person"."""
    kind = kind.lower()
    return "person" if kind.startswith("person") else kind


# (piece, identifying, kind family, weak): one detection, as the leak check and its origins need it.
Detection = tuple[str, bool, str, bool]


@register
class FreeText(MemoizedTransformer[FreeTextParams]):
    name = "free_text"
    accepts = frozenset({"text"})
    # The text as a whole isn't searched for: leak_values/leak_items yield the pieces detected in it.
    personal = True
    identifying = True
    cache_size = 1 << 14
    # Its pieces feed the leak check; inside JSON it reads a string in the context of its key (transform_in,
    # detections); whether it needs the run's known values depends on its detector (set per instance).
    capabilities = MemoizedTransformer.capabilities.but(leak="pieces", key_context=True)

    def __init__(self, params: FreeTextParams, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        self._kinds = text_kind_transforms()
        unknown = sorted({k.lower() for k in [*(params.kinds or ()), *params.ignore]} - self._kinds.keys())
        if unknown:
            raise RulesError(f"free_text: unknown kinds {unknown}", f"use some of: {', '.join(self._kinds)}")
        self.ignore = frozenset(k.lower() for k in params.ignore)
        if params.detector not in DETECTORS and params.detector in DETECTOR_MODULES:
            importlib.import_module(DETECTOR_MODULES[params.detector])
        factory = DETECTORS.get(params.detector)
        if factory is None:
            raise RulesError(f"free_text: unknown detector {params.detector!r}", f"use one of: {', '.join(DETECTORS)}")
        self.detector = factory(params, keyring)
        self.capabilities = self.capabilities.but(known_values=params.detector in READS_KNOWN_VALUES)
        self._replacers: dict[str, Transformer] = {}
        self._replace: dict[str, TransformCall] = {}  # kind -> its transform
        # The pipeline asks for a value's fake, then for its pieces (the leak check), and JSON payloads repeat their
        # strings (statuses, currencies, event names): one detection per (text, context) serves them all, while
        # the detector's generation holds (MemoizableDetector). Bounded, emptied when full, as the plain memo is.
        stamp = getattr(self.detector, "stamp", None)  # MemoizableDetector's, when the detector is one
        self._stamp: Stamp | None = stamp() if callable(stamp) else None
        self._spans: dict[tuple[str, KeyContext | None], Sequence[Span]] = {}
        self._generation = self._stamp.generation if self._stamp is not None else 0
        # Texts not memoized (too long, or a detector without a generation): the last answer only.
        self._last: tuple[str | None, KeyContext | None, Sequence[Span]] = (None, None, [])
        self._origins: dict[tuple[str, bool], int] = {}  # (kind, weak) -> origin id, for this column

    def replacer(self, kind: str) -> Transformer:
        replacer = self._replacers.get(kind)
        if replacer is None:
            kind = kind.lower()
            transform, params = self._kinds[kind]
            cls = REGISTRY[transform]
            column = ColumnInfo(self.column.table, f"{self.column.name}<{kind}>", "text")
            replacer = cls(cls.Params.model_validate(params), column, self.keyring, self.params.domains.get(kind))
            self._replacers[kind] = self._replacers[kind.upper()] = replacer
        return replacer

    def _replacement(self, kind: str) -> TransformCall:
        """The replacer's transform as the row loop would call it: its common case in C when there is one."""
        replace = self._replace.get(kind)
        if replace is None:
            replacer = self.replacer(kind)
            replace = self._replace[kind] = replacer.native_transform() or replacer.transform
        return replace

    def _detect(self, value: str, context: KeyContext | None = None) -> Sequence[Span]:
        last = self._last  # one read: (value, context, spans) stay together when threads share the transformer
        if last[0] is value and last[1] == context:
            return last[2]
        stamp = self._stamp
        memoize = stamp is not None and len(value) <= MEMO_MAX_LENGTH
        if memoize:
            generation = stamp.generation  # type: ignore[union-attr]
            if generation != self._generation:
                self._spans.clear()
                self._generation = generation
            found = self._spans.get((value, context))
            if found is not None:
                return found
        spans = self.detector.detect(value) if context is None else self.detector.detect(value, context)
        if self.ignore and spans:
            spans = [s for s in spans if s.kind.lower() not in self.ignore and kind_family(s.kind) not in self.ignore]
        if memoize:
            spans = spans or _NO_SPANS
            if len(self._spans) >= SPANS_MEMO_SIZE:
                self._spans.clear()
            self._spans[(value, context)] = spans
        else:
            self._last = (value, context, spans)
        return spans

    def _fake(self, value: str, key: str) -> str:
        return self._replaced(value, self._detect(value))

    def transform_in(
        self,
        value: str,
        context: KeyContext | None,
        row: Mapping[str, str | None],
        ids: Container[str] | None = None,
    ) -> str | None:
        """`transform` of a string inside a JSON document: under a key that says something about it (`context`),
        next to the document's own identifiers (`ids`, their digits), which a number found here may repeat."""
        spans = self._detect(value, context)
        if not spans:  # nothing found (most strings of a payload): the value, as `transform` would give it
            return fit(value, self.max_length)
        if ids is not None:
            kept = _not_ids(value, spans, ids)
            if kept is not spans:
                return self._replaced(value, kept)
        if context is None:
            return self.transform(value, row)
        return self._replaced(value, self._detect(value, context))

    def _replaced(self, value: str, spans: Sequence[Span]) -> str:
        if not spans:
            return fit(value, self.max_length)
        out: list[str] = []
        position = 0
        for span in spans:
            out.append(value[position : span.start])
            out.append(self._replacement(span.kind)(value[span.start : span.end], {}) or "")
            position = span.end
        out.append(value[position:])
        return fit("".join(out), self.max_length)

    def leak_values(self, value: str) -> Iterator[str]:
        for span in self._detect(value):
            yield value[span.start : span.end]

    def detections(
        self, value: str, context: KeyContext | None = None, ids: Container[str] | None = None
    ) -> list[Detection]:
        """What the leak check records of a value (`transform_in`'s arguments): each piece with its flag, its kind
        and whether it is weak."""
        spans = self._detect(value, context)
        if not spans:
            return []
        if ids is not None:
            spans = _not_ids(value, spans, ids)
        return [
            (value[s.start : s.end], self._identifying(s.kind, value[s.start : s.end]), kind_family(s.kind), s.weak)
            for s in spans
        ]

    def _identifying(self, kind: str, piece: str) -> bool:
        """The replacer's flag for this piece: realistic kinds (addresses, logins) say it per value, as in their
        own columns (anonymize.specificity: "Suite 870" alone identifies nobody)."""
        replacer = self.replacer(kind)
        if not (replacer.identifying and replacer.realistic_fakes):
            return replacer.identifying
        return all(item[1] for item in replacer.leak_items(piece))

    def leak_items(self, value: str) -> Iterator[tuple[str, bool, int]]:
        """(piece, identifying, origin id): each piece found in this column's value, and where it came from."""
        for piece, identifying, kind, weak in self.detections(value):
            origin = self._origins.get((kind, weak))
            if origin is None:
                origin = origin_id(Origin(self.column.qualified, None, kind, True, weak))
                self._origins[(kind, weak)] = origin
            yield piece, identifying, origin
