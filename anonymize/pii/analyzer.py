"""Presidio wiring: an AnalyzerEngine that runs our recognizers and needs nothing downloaded.

- NLP engine: Presidio's NoOpNlpEngine (empty NlpArtifacts, no model) for every language, unless a spaCy model
  is installed for it (`spacy.util.is_package`); then that model adds its named entities (PERSON) for that
  language. Nothing is ever downloaded: presidio's own defaults would fetch en_core_web_lg.
- Public-suffix list pinned to tldextract's bundled snapshot, for our email recognizer and for Presidio's stock
  EmailRecognizer alike (tldextract's default extractor fetches the list over HTTP at first use).
- Our recognizers (anonymize.pii.recognizers) wrapped as Presidio EntityRecognizers for "ja" and "en"; they
  normalize the text themselves and report offsets in the text they were given.
- A context-aware enhancer that also drops number-shaped results inside look-alikes (order numbers, amounts,
  timestamps ...), so a plain `analyze()` gives what the detector gives.

Importing this module imports Presidio and so spaCy (~1.5 s): only `PiiDetector(engine="presidio")`, scanning
tools and benchmarks do.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import spacy.util
import tldextract.tldextract
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer, LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine, NoOpNlpEngine, SpacyNlpEngine

from anonymize.pii import canonical, lookalikes
from anonymize.pii.features import Feature, features_of
from anonymize.pii.normalize_map import MappedText, normalize_text
from anonymize.pii.recognizers import Recognizer, default_recognizers
from anonymize.pii.recognizers.network import offline_tld_extractor
from anonymize.pii.spans import DECLARED, Kind, Span

logger = logging.getLogger(__name__)

LANGUAGES: tuple[str, ...] = ("ja", "en")
# Installed spaCy models we would use, best first. Checked, never downloaded.
SPACY_MODELS: dict[str, tuple[str, ...]] = {
    "ja": ("ja_core_news_lg", "ja_core_news_md", "ja_core_news_sm", "ja_ginza"),
    "en": ("en_core_web_lg", "en_core_web_md", "en_core_web_sm"),
}
_VALUE_KEY = "normalized_value"
_HONORIFIC_KEY = "honorific"
_NORMALIZED_SPAN_KEY = "normalized_span"  # (start, end) in the normalized text, for the look-alike check
_EVIDENCE_KEY = "evidence"  # Span.evidence: what besides its digits makes a card a card


def pin_public_suffix_list() -> None:
    """Point tldextract's module-level extractor (the one Presidio's EmailRecognizer calls) at the bundled
    public-suffix snapshot, so no recognizer in this process tries to download the list."""
    tldextract.tldextract.TLD_EXTRACTOR = offline_tld_extractor()


def installed_spacy_models(languages: Iterable[str] = LANGUAGES) -> dict[str, str]:
    """language -> the best installed spaCy model package for it (none installed: empty)."""
    found = {}
    for language in languages:
        for model in SPACY_MODELS.get(language, ()):
            if spacy.util.is_package(model):
                found[language] = model
                break
    return found


class OfflineNlpEngine(NlpEngine):
    """Per language: an installed spaCy model, or no model at all (empty artifacts from NoOpNlpEngine)."""

    def __init__(self, languages: Sequence[str], models: dict[str, str]) -> None:
        self.languages = list(languages)
        self.models = dict(models)
        self._none = NoOpNlpEngine(models=[{"lang_code": lang, "model_name": "none"} for lang in self.languages])
        self._spacy = (
            SpacyNlpEngine(models=[{"lang_code": lang, "model_name": name} for lang, name in self.models.items()])
            if self.models
            else None
        )

    def _engine(self, language: str) -> NlpEngine:
        return self._spacy if self._spacy is not None and language in self.models else self._none

    def load(self) -> None:
        self._none.load()
        if self._spacy is not None:
            self._spacy.load()

    def is_loaded(self) -> bool:
        return self._none.is_loaded() and (self._spacy is None or self._spacy.is_loaded())

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        return self._engine(language).process_text(text, language)

    def process_batch(
        self, texts: Iterable[str], language: str, batch_size: int = 1, n_process: int = 1, **kwargs: Any
    ) -> Iterator[tuple[str, NlpArtifacts]]:
        return self._engine(language).process_batch(texts, language, batch_size=batch_size, n_process=n_process)

    def is_stopword(self, word: str, language: str) -> bool:
        return self._engine(language).is_stopword(word, language)

    def is_punct(self, word: str, language: str) -> bool:
        return self._engine(language).is_punct(word, language)

    def get_supported_entities(self) -> list[str]:
        return self._spacy.get_supported_entities() if self._spacy is not None else []

    def get_supported_languages(self) -> list[str]:
        return list(self.languages)


def build_nlp_engine(languages: Sequence[str] = LANGUAGES, models: dict[str, str] | None = None) -> NlpEngine:
    """NoOpNlpEngine when no model is installed (the usual case here); else models where there are some.
    `models` (language -> package name or path) overrides the installed-package lookup."""
    models = installed_spacy_models(languages) if models is None else models
    if not models:
        return NoOpNlpEngine(models=[{"lang_code": lang, "model_name": "none"} for lang in languages])
    return OfflineNlpEngine(languages, models)


class _Normalized:
    """The last text's normalization, shared by the adapters of one analyze() call (they see the same text)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def get(self, text: str) -> tuple[MappedText, frozenset[Feature]]:
        last = getattr(self._local, "last", None)
        if last is not None and last[0] is text:
            return last[1], last[2]
        mapped = normalize_text(text)
        features = features_of(mapped.text)
        self._local.last = (text, mapped, features)
        return mapped, features


_NORMALIZED = _Normalized()


class PresidioRecognizer(EntityRecognizer):
    """One of our recognizers as a Presidio EntityRecognizer for one language."""

    def __init__(self, core: Recognizer, language: str) -> None:
        self.core = core
        super().__init__(
            supported_entities=sorted(k.value for k in core.kinds),
            name=f"{core.name}",
            supported_language=language,
            version="1",
        )

    def load(self) -> None:  # nothing to load: patterns compile at import
        pass

    def analyze(
        self, text: str, entities: list[str] | None, nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        mapped, features = _NORMALIZED.get(text)
        if not self.core.applies(mapped.text, features):
            return []
        results = []
        for span in self.core.find(mapped.text):
            if entities and span.kind.value not in entities:
                continue
            start, end = mapped.to_original(span.start, span.end)
            metadata = {
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                _VALUE_KEY: span.value,
                _HONORIFIC_KEY: span.honorific,
                _NORMALIZED_SPAN_KEY: (span.start, span.end),
                _EVIDENCE_KEY: span.evidence,
            }
            results.append(RecognizerResult(span.kind.value, start, end, span.score, recognition_metadata=metadata))
        return results


class LookalikeAwareEnhancer(ContextAwareEnhancer):
    """Presidio's lemma context enhancer, then drop number-shaped results inside look-alike regions. (Wraps the
    lemma enhancer rather than subclassing it: Presidio warns about a lemma enhancer next to the no-model engine,
    and our recognizers read their context cues from the text themselves.)"""

    def __init__(self) -> None:
        self._lemma = LemmaContextAwareEnhancer()
        super().__init__(
            context_similarity_factor=self._lemma.context_similarity_factor,
            min_score_with_context_similarity=self._lemma.min_score_with_context_similarity,
            context_prefix_count=self._lemma.context_prefix_count,
            context_suffix_count=self._lemma.context_suffix_count,
        )

    def enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        results = self._lemma.enhance_using_context(text, raw_results, nlp_artifacts, recognizers, context)
        guarded = {k.value for k in lookalikes.GUARDED}
        if not any(r.entity_type in guarded for r in results):
            return results
        mapped, _ = _NORMALIZED.get(text)
        kept = []
        for result in results:
            metadata = result.recognition_metadata or {}
            where = metadata.get(_NORMALIZED_SPAN_KEY)
            declared = metadata.get(_EVIDENCE_KEY) == DECLARED  # a rules file's recognizer: not second-guessed
            if (
                result.entity_type in guarded
                and where
                and not declared
                and lookalikes.is_lookalike(mapped.text, *where)
            ):
                continue
            kept.append(result)
        return kept


def build_analyzer(
    recognizers: Sequence[Recognizer] | None = None,
    languages: Sequence[str] = LANGUAGES,
    spacy_models: dict[str, str] | None = None,
) -> AnalyzerEngine:
    """An AnalyzerEngine with our recognizers for each language, offline. An installed spaCy model (or one given
    in `spacy_models`, language -> package or path) adds Presidio's SpacyRecognizer for its language."""
    pin_public_suffix_list()
    nlp_engine = build_nlp_engine(languages, spacy_models)
    nlp_engine.load()
    registry = RecognizerRegistry(supported_languages=list(languages))
    for core in recognizers if recognizers is not None else default_recognizers():
        for language in languages:
            registry.add_recognizer(PresidioRecognizer(core, language))
    if isinstance(nlp_engine, OfflineNlpEngine):
        registry.add_nlp_recognizer(nlp_engine=nlp_engine)
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=nlp_engine,
        supported_languages=list(languages),
        context_aware_enhancer=LookalikeAwareEnhancer(),
    )


def build_stock_analyzer(language: str = "en") -> AnalyzerEngine:
    """Presidio as it comes: the default recognizer registry, no model (NoOpNlpEngine), the public-suffix list
    pinned. The baseline the benchmark measures against."""
    pin_public_suffix_list()
    nlp_engine = NoOpNlpEngine(models=[{"lang_code": language, "model_name": "none"}])
    nlp_engine.load()
    registry = RecognizerRegistry(supported_languages=[language])
    registry.load_predefined_recognizers(nlp_engine=nlp_engine, languages=[language])
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=[language])


def language_of(text: str, supported: Sequence[str]) -> str:
    """ "ja" for text with kana or kanji when supported, else "en" (or the first supported language)."""
    if "ja" in supported and any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text):
        return "ja"
    return "en" if "en" in supported else supported[0]


def results_to_spans(text: str, results: Iterable[RecognizerResult]) -> list[Span]:
    """Presidio results -> spans; results of entity types we don't replace (spaCy's DATE_TIME, ORG ...) are left."""
    spans = []
    for result in results:
        try:
            kind = Kind(result.entity_type)
        except ValueError:
            continue
        metadata = result.recognition_metadata or {}
        value = metadata.get(_VALUE_KEY) or canonical.value(kind, text[result.start : result.end])
        name = metadata.get(RecognizerResult.RECOGNIZER_NAME_KEY, "")
        honorific, evidence = metadata.get(_HONORIFIC_KEY), metadata.get(_EVIDENCE_KEY, "")
        spans.append(Span(kind, result.start, result.end, result.score, value, honorific, name, evidence=evidence))
    return spans
