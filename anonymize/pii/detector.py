"""The PII detector: normalized text in, spans on the original text out, fast on the repetitive text of real
note and log columns.

Speed comes from not doing work twice and not doing work that can't find anything:
- one LRU cache entry per distinct *normalized* text (０９０ and 090 share one), holding the spans found by the
  recognizers; known values (which change as the pipeline runs) are overlaid on each call, never cached;
- a pre-scan of cheap features (a digit? an '@'? a name cue?) so a recognizer runs only on texts that could
  hold what it finds, and a text with none of them costs one normalization and three searches;
- `detect_many` analyzes each distinct text of a batch once, optionally over worker processes.

By default the recognizers run in this module's own loop. `engine="presidio"` runs the same recognizers
through Presidio's BatchAnalyzerEngine instead (identical spans, slower); it is also what adds an installed
spaCy model's person names (see analyzer.py).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from multiprocessing import get_context
from operator import attrgetter
from types import SimpleNamespace
from typing import TYPE_CHECKING, Literal

from anonymize.context import KeyContext, key_context
from anonymize.pii import canonical, lookalikes
from anonymize.pii.features import features_of
from anonymize.pii.gate import Gate, gate_for
from anonymize.pii.json_leaves import LeafPath
from anonymize.pii.known import KnownValues
from anonymize.pii.normalize_map import MappedText, normalize_text
from anonymize.pii.recognizers import Recognizer, default_recognizers
from anonymize.pii.recognizers.base import KANJI, KATAKANA
from anonymize.pii.spans import BARE, DECLARED, Kind, Span

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine

Engine = Literal["direct", "presidio"]
_NAME_KEY = re.compile(
    r"(?i)(?:^|_)(?:name|full_?name|first_?name|last_?name|given_?name|family_?name|holder|card_?holder|"
    r"account_?holder|customer_?name|contact_?name|recipient|sender_?name)$|氏名|名前|名義"
)
_NAME_SHAPE = re.compile(
    f"[{KANJI}]{{1,6}}(?: [{KANJI}]{{1,4}})?|[{KATAKANA}]+(?:[ ・][{KATAKANA}]+)?"
    r"|[A-Z][a-zA-Z'\-]+(?: [A-Z][a-zA-Z'\-]+){0,2}|[A-Z]{2,}(?: [A-Z]{2,}){0,2}"
)
# Number-shaped kinds: under a JSON key that names an id of the platform they are that id (anonymize.context).
_NUMBER_KINDS = frozenset(
    {
        Kind.CARD,
        Kind.PHONE,
        Kind.POSTAL_CODE,
        Kind.MY_NUMBER,
        Kind.CORPORATE_NUMBER,
        Kind.INVOICE_NUMBER,
        Kind.BANK_ACCOUNT,
        Kind.BANK_BRANCH,
    }
)
# Below this many distinct uncached texts a batch stays in-process: starting (spawned) workers and shipping texts
# and spans costs more than it saves. Measured on the 2-core dev box: 30k distinct texts ran at 18k texts/s in
# process and 11k texts/s over 2 workers. The caller's main module must be import-safe (`if __name__ == ...`).
PARALLEL_MIN_TEXTS = 100_000


@dataclass(frozen=True, slots=True)
class CacheStats:
    hits: int
    misses: int

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class PiiDetector:
    """Finds personal data in free text. One instance per process; not thread-safe (the cache is unlocked)."""

    def __init__(
        self,
        known: KnownValues | None = None,
        *,
        recognizers: Sequence[Recognizer] | None = None,
        cache_size: int = 200_000,
        min_score: float = 0.5,
        engine: Engine = "direct",
        analyzer: AnalyzerEngine | None = None,
    ) -> None:
        self.known = known
        self.recognizers = list(recognizers) if recognizers is not None else default_recognizers()
        self._own = list(self.recognizers)  # before any a rules file adds (use_extra)
        self.cache_size = cache_size
        self.min_score = min_score
        self.engine = engine
        self._ungated = any(r.ungated for r in self.recognizers)  # then a featureless text still needs a look
        self._gate = self._gate_of(self.recognizers)
        self._selected: dict[int, tuple[Recognizer, ...]] = {}  # a gate's mask -> its recognizers (_recognize)
        self._analyzer = analyzer
        self._cache: OrderedDict[str, tuple[Span, ...]] = OrderedDict()
        self._hits = 0
        self._misses = 0
        self._fixed = SimpleNamespace(generation=0)  # the stamp without known values: moves only with use_extra

    # -- public API -------------------------------------------------------------------------------------------
    def detect(self, text: str, context: KeyContext | None = None) -> list[Span]:
        """Spans of personal data in `text`, offsets into `text` itself, sorted by start. `context` is what the JSON
        key above the text says (anonymize.context.key_context): under an "id" key number-shaped spans are the
        platform's identifiers and dropped (known values excepted); under a "card" key a bare card number counts,
        which elsewhere needs card grouping or a cue word."""
        return self._detect(normalize_text(text), context)

    def detect_many(
        self, texts: Iterable[str], *, workers: int = 1, parallel_min: int = PARALLEL_MIN_TEXTS
    ) -> list[list[Span]]:
        """`detect` for each text; each distinct uncached text is analyzed once, over `workers` processes when
        there are at least `parallel_min` of them."""
        mapped = [normalize_text(t) for t in texts]
        misses: dict[str, None] = {}
        for m in mapped:
            if m.text in misses:
                self._hits += 1  # a repeat within the batch: analyzed once
            elif self._cached(m.text) is None:
                misses[m.text] = None
        todo = list(misses)
        if todo:
            if workers > 1 and len(todo) >= parallel_min:
                results = self._analyze_parallel(todo, workers)
            else:
                results = self._analyze_batch(todo)
            for text, found in zip(todo, results, strict=True):
                self._store(text, found)
        fresh = dict(zip(todo, results, strict=True)) if todo else {}
        return [self._finish(m, fresh[m.text] if m.text in fresh else self._peek(m.text)) for m in mapped]

    def detect_leaf(self, path: LeafPath, text: str) -> list[Span]:
        """`detect` for a string leaf of a JSON value (json_leaves.iter_string_leaves gives both), in the context
        its keys give (`detect`'s `context`). A leaf shaped like a name under a name-like key ("name",
        "card_holder", "氏名" ...) is a person even without a cue."""
        mapped = normalize_text(text)
        spans = self._detect(mapped, key_context(path))
        key = next((part for part in reversed(path) if isinstance(part, str)), None)
        if spans or key is None or not _NAME_KEY.search(key):
            return spans
        stripped = mapped.text.strip()
        if not _NAME_SHAPE.fullmatch(stripped):
            return spans
        start = mapped.text.index(stripped)
        span = Span(
            Kind.PERSON, start, start + len(stripped), 0.8, canonical.value(Kind.PERSON, stripped), None, "json_key"
        )
        return self._finish(mapped, (span,))

    def stamp(self) -> KnownValues | SimpleNamespace:
        """An object whose `generation` changes when `detect` may answer a text it answered before differently: the
        known values it reads (its cache holds the recognizers' spans only, which don't depend on them)."""
        return self.known if self.known is not None else self._fixed

    def use_extra(self, extra: Sequence[Recognizer]) -> None:
        """Run `extra` (a rules file's Presidio recognizers) after this detector's own; replaces earlier extras."""
        self.recognizers = [*self._own, *extra]
        self._ungated = any(r.ungated for r in self.recognizers)
        self._gate = self._gate_of(self.recognizers)
        self._selected = {}
        self._analyzer = None
        self.clear_cache()
        self.stamp().generation += 1  # other recognizers: memoized answers (free_text's) no longer hold

    def clear_cache(self) -> None:
        """Forget cached results (they may name values of a KnownValues that has since changed)."""
        self._cache.clear()

    @property
    def stats(self) -> CacheStats:
        return CacheStats(self._hits, self._misses)

    def analyzer(self) -> AnalyzerEngine:
        """The Presidio AnalyzerEngine running these recognizers (built on first use)."""
        if self._analyzer is None:
            from anonymize.pii.analyzer import build_analyzer

            self._analyzer = build_analyzer(self.recognizers)
        return self._analyzer

    def _gate_of(self, recognizers: Sequence[Recognizer]) -> Gate | None:
        """The recognizers' gate (anonymize.pii.gate) when this detector's spans are theirs alone: Presidio's engine
        may add an installed spaCy model's names, which declare nothing."""
        return gate_for(recognizers) if self.engine == "direct" else None

    def _detect(self, mapped: MappedText, context: KeyContext | None = None) -> list[Span]:
        gate = self._gate
        mask = -1  # every recognizer may run (-1: every bit set)
        if gate is not None:
            mask = gate(mapped.text)
            if not mask:
                # No recognizer can find anything here (most of a payload's ids and timestamps): their spans are
                # none, which the cache need not hold. Known values are still looked for (_finish).
                return self._finish(mapped, (), context)
        found = self._cached(mapped.text)
        if found is None:
            text = mapped.text
            if self.engine == "presidio":
                found = self._analyze_batch([text])[0]
            else:  # _analyze_batch's, with the gate's answer above rather than asking it again
                found = self._settle(text, self._recognize(text, mask))
            self._store(text, found)
        return self._finish(mapped, found, context)

    # -- cache --------------------------------------------------------------------------------------------------
    def _cached(self, normalized: str) -> tuple[Span, ...] | None:
        found = self._cache.get(normalized)
        if found is None:
            self._misses += 1
            return None
        self._hits += 1
        self._cache.move_to_end(normalized)
        return found

    def _peek(self, normalized: str) -> tuple[Span, ...]:
        found = self._cache.get(normalized)
        if found is None:  # cached before this batch, evicted during it (a batch larger than the cache)
            found = self._store(normalized, self._analyze_batch([normalized])[0])
        return found

    def _store(self, normalized: str, found: tuple[Span, ...]) -> tuple[Span, ...]:
        self._cache[normalized] = found
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return found

    # -- analysis -----------------------------------------------------------------------------------------------
    def _analyze_batch(self, texts: list[str]) -> list[tuple[Span, ...]]:
        if self.engine == "presidio":
            return [self._settle(text, spans) for text, spans in zip(texts, self._presidio(texts), strict=True)]
        return [self._settle(text, self._recognize(text)) for text in texts]

    def _recognize(self, text: str, mask: int | None = None) -> list[Span]:
        """The recognizers' spans on `text`; `mask`: the gate's answer for it, when already asked."""
        if mask is None:
            mask = self._gate(text) if self._gate is not None else -1  # -1: every bit set
        if not mask:
            return []
        features = features_of(text)
        if not features and not self._ungated:
            return []
        selected = self._selected.get(mask)
        if selected is None:  # the recognizers of the mask's bits, in order: a handful of masks occur in a run
            selected = tuple(r for i, r in enumerate(self.recognizers) if mask >> i & 1)
            self._selected[mask] = selected
        spans: list[Span] = []
        for recognizer in selected:
            if recognizer.applies(text, features):
                spans.extend(recognizer.find(text))
        return spans

    def _presidio(self, texts: list[str]) -> list[list[Span]]:
        from presidio_analyzer import BatchAnalyzerEngine

        from anonymize.pii.analyzer import language_of, results_to_spans

        analyzer = self.analyzer()
        batch = BatchAnalyzerEngine(analyzer)
        out: list[list[Span]] = [[] for _ in texts]
        by_language: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            by_language.setdefault(language_of(text, analyzer.supported_languages), []).append(i)
        for language, indexes in by_language.items():
            results = batch.analyze_iterator([texts[i] for i in indexes], language=language)
            for i, found in zip(indexes, results, strict=True):
                out[i] = results_to_spans(texts[i], found)
        return out

    def _settle(self, text: str, spans: list[Span]) -> tuple[Span, ...]:
        """Drop low scores and look-alikes, then resolve overlaps."""
        if not spans:
            return ()
        spans = [
            s
            for s in spans
            if s.score >= self.min_score
            and (
                s.kind not in lookalikes.GUARDED
                or s.evidence == DECLARED
                or not lookalikes.is_lookalike(text, s.start, s.end)
            )
        ]
        return tuple(resolve(spans))

    def _analyze_parallel(self, texts: list[str], workers: int) -> list[tuple[Span, ...]]:
        size = -(-len(texts) // (workers * 4))
        chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=get_context("spawn"),
            initializer=_init_worker,
            initargs=(self.recognizers, self.min_score, self.engine),
        ) as pool:
            results: list[tuple[Span, ...]] = []
            for part in pool.map(_work, chunks):
                results.extend(part)
        return results

    # -- per call -----------------------------------------------------------------------------------------------
    def _finish(self, mapped: MappedText, found: tuple[Span, ...], context: KeyContext | None = None) -> list[Span]:
        known = self.known
        spans: Sequence[Span] = found
        if not found:  # what most texts hold: only known values may be there (the general case below, shortened)
            if known is None or not len(known):
                return []
            spans = known.find(mapped.text)
            if not spans:
                return []
            spans = resolve(spans)  # type: ignore[arg-type]
        else:
            if context != "card" and any(s.evidence == BARE for s in spans):  # a bare number: a card under a card key
                spans = [s for s in spans if s.evidence != BARE]
            if context == "id" and any(s.kind in _NUMBER_KINDS for s in spans):
                spans = [s for s in spans if s.kind not in _NUMBER_KINDS]
            if known is not None and len(known):
                extra = known.find(mapped.text)
                flagged = [as_known(s) if (s.kind, s.value) in known else s for s in spans]
                spans = resolve([*flagged, *extra]) if extra else flagged
        if mapped.starts is None:
            return list(spans)
        out = []
        for s in spans:
            start, end = mapped.to_original(s.start, s.end)
            out.append(replace(s, start=start, end=end))
        return out


def as_known(s: Span) -> Span:
    """`replace(s, known=True)` without dataclasses.replace's walk over the fields (3.1 vs 1.4 us, timeit; paid
    for every name a column met). tests/anonymize/pii/test_detector_fast_paths.py holds the two equal."""
    return Span(s.kind, s.start, s.end, s.score, s.value, s.honorific, s.recognizer, True, s.evidence)


def resolve(spans: list[Span]) -> list[Span]:
    """Non-overlapping spans, sorted by start. Where spans overlap the longer wins (an address over a town name
    that is also a known surname), then the higher score, then a known value; a known value of exactly the same
    extent marks the winner as known."""
    if len(spans) <= 1:
        return list(spans)
    if len(spans) == 2:  # most notes with a name: the recognizer's and the known value's, often the same extent
        return _resolve_two(spans[0], spans[1])
    return resolve_reference(spans)


def _resolve_two(first: Span, second: Span) -> list[Span]:
    """`resolve_reference([first, second])` without the sorts and loops (tests hold the two equal)."""
    if _precedence(second) < _precedence(first):  # (strictly: a tie keeps the given order, as the stable sort)
        first, second = second, first
    if second.start < first.end and first.start < second.end:
        same = (first.start, first.end, first.kind) == (second.start, second.end, second.kind)
        if second.known and not first.known and same:
            return [as_known(first)]
        return [first]
    return [first, second] if first.start <= second.start else [second, first]


def resolve_reference(spans: list[Span]) -> list[Span]:
    """`resolve` for any number of spans: the definition its shortcuts are held to."""
    chosen: list[Span] = []
    for span in sorted(spans, key=_precedence):
        start, end = span.start, span.end
        for i, clash in enumerate(chosen):  # (loops, not next() over a generator: run for nearly every note)
            if start < clash.end and clash.start < end:
                if span.known and not clash.known and (clash.start, clash.end, clash.kind) == (start, end, span.kind):
                    chosen[i] = as_known(clash)
                break
        else:
            chosen.append(span)
    chosen.sort(key=_START)
    return chosen


def _precedence(s: Span) -> tuple[int, float, bool, int]:
    return (-(s.end - s.start), -s.score, not s.known, s.start)


_START = attrgetter("start")


# -- worker processes ---------------------------------------------------------------------------------------------
_WORKER: PiiDetector | None = None


def _init_worker(recognizers: list[Recognizer], min_score: float, engine: Engine) -> None:
    global _WORKER
    _WORKER = PiiDetector(recognizers=recognizers, min_score=min_score, engine=engine, cache_size=0)


def _work(texts: list[str]) -> list[tuple[Span, ...]]:
    assert _WORKER is not None
    return _WORKER._analyze_batch(texts)
