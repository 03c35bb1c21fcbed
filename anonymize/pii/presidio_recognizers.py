"""Recognizers in Presidio's own forms, run inside the detector's loop with the results AnalyzerEngine gives.

Teams that use Presidio extend it with recognizers written for it: pattern recognizers with context words and deny
lists in Presidio's recognizer YAML, `EntityRecognizer` subclasses of their own, an installed NER model. The rules
file names them (`pii:` in anonymize/rules.py, loaded by `from_rules`) and `PresidioRecognizers` runs
them as one of the detector's recognizers, doing what `AnalyzerEngine.analyze` does for each text — the
recognizers' `analyze`, each recognizer's own context step, then the context-aware enhancer, the score thresholds,
`remove_duplicates` — with three savings that change no result:
- NLP artifacts are computed only for a text on which some recognizer found something (pattern recognizers don't
  read them; only the context step does), unless a recognizer needs them to analyze (a class, an NER model);
- results of recognizers without context words skip the context steps, which could not change them;
- a class recognizer given a `gate` (a pattern without which it finds nothing) runs only on texts that match it.
The detector's cache, normalization and overlap resolution then apply as to every recognizer.

Context words need tokens and lemmas. No model is installed here and none may be downloaded, so `TokenNlpEngine`
gives them without one: runs of one script (Latin letters and digits, kanji, katakana, hiragana) are tokens and a
token's lemma is its lowercase form — enough for Presidio's LemmaContextAwareEnhancer to find 「社員番号」 or
"employee" in the words before a match. An installed spaCy model replaces it for its language when asked (`ner`).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import spacy.util
import yaml
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, PatternRecognizer, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer, LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine, SpacyNlpEngine
from presidio_analyzer.recognizer_registry import RecognizerRegistry

from anonymize.errors import RulesError, TransformError
from anonymize.pii import canonical
from anonymize.pii.analyzer import (
    LANGUAGES,
    SPACY_MODELS,
    installed_spacy_models,
    language_of,
    pin_public_suffix_list,
)
from anonymize.pii.recognizers.base import Feature, Recognizer
from anonymize.pii.spans import DECLARED, Kind, Span

if TYPE_CHECKING:
    from anonymize.rules import PiiRules

# A token: a run of one script, or any other single non-space character.
_TOKEN = re.compile(
    r"[0-9A-Za-z_]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆ヵヶ]+|[\u30a1-\u30fa\u30fc-\u30fe]+|[\u3041-\u3096]+|\S"
)
# Entity types that need no entry in `pii.entities`: devkit's kinds by their own names, and Presidio's names for the
# same kinds (its predefined recognizers' EMAIL_ADDRESS, PHONE_NUMBER ...), so recognizers written for them load as
# they are. An NER model's other labels (DATE_TIME, NRP, ORG ...) are not replaced unless the rules map them.
IMPLIED_ENTITIES: dict[str, Kind] = {
    **{kind.value: kind for kind in Kind},
    "EMAIL_ADDRESS": Kind.EMAIL,
    "PHONE_NUMBER": Kind.PHONE,
    "CREDIT_CARD": Kind.CARD,
    "IP_ADDRESS": Kind.IP,
}


class TokenNlpEngine(NlpEngine):
    """Tokens and lemmas without a model (see the module's doc); no named entities."""

    def __init__(self, languages: Sequence[str] = LANGUAGES) -> None:
        self.languages = list(languages)

    def load(self) -> None:
        pass

    def is_loaded(self) -> bool:
        return True

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        tokens, starts = [], []
        for match in _TOKEN.finditer(text):
            tokens.append(match.group())
            starts.append(match.start())
        # Presidio's enhancer reads tokens as a sequence of strings (len, enumerate): a list is one.
        return NlpArtifacts([], tokens, starts, [t.lower() for t in tokens], self, language)  # type: ignore[arg-type]

    def process_batch(
        self, texts: Iterable[str], language: str, batch_size: int = 1, n_process: int = 1, **kwargs: Any
    ) -> Iterator[tuple[str, NlpArtifacts]]:
        for text in texts:
            yield text, self.process_text(text, language)

    def is_stopword(self, word: str, language: str) -> bool:
        return False

    def is_punct(self, word: str, language: str) -> bool:
        return len(word) == 1 and not word.isalnum()

    def get_supported_entities(self) -> list[str]:
        return []

    def get_supported_languages(self) -> list[str]:
        return list(self.languages)


class PresidioRecognizers(Recognizer):
    """Presidio recognizers as one devkit recognizer: AnalyzerEngine's steps for the text's language, results
    mapped to devkit kinds by `entities` (Presidio entity type -> Kind)."""

    name = "presidio_rules"
    kinds: frozenset[Kind] = frozenset()  # per instance: the kinds `entities` maps to
    needs: frozenset[Feature] = frozenset({"digit", "at", "name"})
    ungated = True  # a deny list or pattern may match a text with none of the cheap features

    def __init__(
        self,
        recognizers: Sequence[EntityRecognizer],
        entities: Mapping[str, Kind],
        *,
        nlp_engine: NlpEngine | None = None,
        gates: Mapping[str, re.Pattern[str]] | None = None,
        enhancer: ContextAwareEnhancer | None = None,
    ) -> None:
        self.recognizers = list(recognizers)
        self.entities = dict(entities)
        found = {e for r in self.recognizers for e in r.supported_entities}
        self.kinds = frozenset(kind for entity, kind in self.entities.items() if entity in found)
        languages = sorted({r.supported_language for r in self.recognizers}) or list(LANGUAGES)
        self.nlp_engine = nlp_engine if nlp_engine is not None else TokenNlpEngine(languages)
        self.enhancer = enhancer if enhancer is not None else LemmaContextAwareEnhancer()
        self.gates = dict(gates or {})  # recognizer id -> its gate
        self.languages = languages
        for recognizer in self.recognizers:
            if not recognizer.is_loaded:
                recognizer.load()
                recognizer.is_loaded = True
        self._by_language = {lang: [r for r in self.recognizers if r.supported_language == lang] for lang in languages}
        # What AnalyzerEngine passes as `entities` when none are asked for: every entity of the language.
        self._supported = {
            lang: sorted({e for r in found for e in r.supported_entities}) for lang, found in self._by_language.items()
        }
        # Pattern recognizers read no NLP artifacts in `analyze`; anything else may.
        self._eager = {r.id for r in self.recognizers if not isinstance(r, PatternRecognizer)}
        self._always = any(r.id not in self.gates for r in self.recognizers)
        self._thresholds = {r.id: getattr(r, "score_thresholds", None) or {} for r in self.recognizers}
        # Results of these pass both context steps unchanged (no context words, the base class's own step), so a text
        # whose results all come from them needs no NLP artifacts (the enhancer would only deep-copy them).
        self._plain = {
            r.id
            for r in self.recognizers
            if not r.context and type(r).enhance_using_context is EntityRecognizer.enhance_using_context
        }

    def applies(self, text: str, features: frozenset[Feature]) -> bool:
        return self._always or any(gate.search(text) for gate in self.gates.values())

    def find(self, text: str) -> list[Span]:
        spans = []
        for result in self.analyze(text, language_of(text, self.languages)):
            kind = self.entities.get(result.entity_type)
            if kind is None:  # an NER entity the rules don't map (DATE_TIME, ORG ...)
                continue
            value = canonical.value(kind, text[result.start : result.end])
            spans.append(Span(kind, result.start, result.end, result.score, value, None, self.name, evidence=DECLARED))
        return spans

    def analyze(self, text: str, language: str) -> list[RecognizerResult]:
        """What `AnalyzerEngine(registry=these recognizers, nlp_engine=this engine).analyze(text, language)`
        returns (with its default score threshold, 0)."""
        recognizers = self._by_language.get(language, [])
        entities = self._supported.get(language, [])
        artifacts: NlpArtifacts | None = None
        raw: list[RecognizerResult] = []
        for recognizer in recognizers:
            gate = self.gates.get(recognizer.id)
            if gate is not None and gate.search(text) is None:
                continue
            if artifacts is None and recognizer.id in self._eager:
                artifacts = self.nlp_engine.process_text(text, language)
            try:
                found = recognizer.analyze(text=text, entities=entities, nlp_artifacts=artifacts)
            except Exception as exc:  # a team's own code: one line naming it, never the text (it may hold PII)
                raise TransformError(
                    f"pii recognizer {recognizer.name!r} failed: {type(exc).__name__}",
                    "fix the recognizer, or remove it from pii.recognizers",
                ) from None
            for result in found or ():
                metadata = result.recognition_metadata
                if metadata is None:
                    metadata = result.recognition_metadata = {}
                metadata.setdefault(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY, recognizer.id)
                metadata.setdefault(RecognizerResult.RECOGNIZER_NAME_KEY, recognizer.name)
                raw.append(result)
        if not raw:
            return []
        key = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY
        plain = all(r.recognition_metadata[key] in self._plain for r in raw)
        if plain and type(self.enhancer) is LemmaContextAwareEnhancer:
            return self._settle(raw, recognizers)
        if artifacts is None:
            artifacts = self.nlp_engine.process_text(text, language)
        results = []
        for recognizer in recognizers:  # AnalyzerEngine._enhance_using_context, first step: the recognizer's own
            mine = [r for r in raw if r.recognition_metadata[key] == recognizer.id]
            others = [r for r in raw if r.recognition_metadata[key] != recognizer.id]
            results.extend(
                recognizer.enhance_using_context(
                    text=text,
                    raw_recognizer_results=mine,
                    other_raw_recognizer_results=others,
                    nlp_artifacts=artifacts,
                    context=None,
                )
            )
        results = self.enhancer.enhance_using_context(
            text=text, raw_results=results, nlp_artifacts=artifacts, recognizers=recognizers, context=None
        )
        return self._settle(results, recognizers)

    def _settle(
        self, results: list[RecognizerResult], recognizers: Sequence[EntityRecognizer]
    ) -> list[RecognizerResult]:
        """AnalyzerEngine's last steps: score thresholds, then `remove_duplicates`."""
        results = [r for r in results if r.score >= _threshold(r, self._thresholds)]
        return EntityRecognizer.remove_duplicates(results)

    def reference_analyzer(self) -> AnalyzerEngine:
        """Presidio's AnalyzerEngine on these recognizers and this NLP engine: what `analyze` must equal."""
        registry = RecognizerRegistry(supported_languages=self.languages)
        for recognizer in self.recognizers:
            registry.add_recognizer(recognizer)
        return AnalyzerEngine(
            registry=registry,
            nlp_engine=self.nlp_engine,
            supported_languages=self.languages,
            context_aware_enhancer=self.enhancer,
        )


def _threshold(result: RecognizerResult, thresholds: Mapping[str, Mapping[str, float]]) -> float:
    """AnalyzerEngine's threshold for a result: its recognizer's for its entity, the recognizer's default, else the
    engine's default (0)."""
    mine = thresholds.get((result.recognition_metadata or {}).get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY, ""), {})
    found = mine.get(result.entity_type)
    if found is None:
        found = mine.get("default")
    return 0.0 if found is None else found


# -- loading what the rules file names ------------------------------------------------------------------------------
def yaml_recognizers(path: Path) -> list[EntityRecognizer]:
    """The recognizers of a Presidio recognizer YAML file (`recognizers:` list of pattern recognizers with
    patterns, context, deny_list, score_thresholds), built by Presidio's own loader so they are Presidio's."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulesError(
            f"pii recognizers: can't read {path}: {exc.strerror}", "fix the path in pii.recognizers"
        ) from exc
    except yaml.YAMLError as exc:
        raise RulesError(f"pii recognizers: {path} is not YAML ({exc})", "fix the file's syntax") from exc
    entries = document.get("recognizers") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise RulesError(f"pii recognizers: {path} has no `recognizers:` list", "use Presidio's recognizer YAML form")
    registry = RecognizerRegistry(supported_languages=list(LANGUAGES))
    for number, entry in enumerate(entries, 1):
        try:
            registry.add_pattern_recognizer_from_dict(entry)
        except (TypeError, ValueError, AttributeError, re.error) as exc:
            name = entry.get("name", f"#{number}") if isinstance(entry, dict) else f"#{number}"
            raise RulesError(
                f"pii recognizers: {path}: recognizer {name!r}: {exc}", "fix it as Presidio's docs say"
            ) from exc
    return list(registry.recognizers)


def class_recognizer(spec: str, params: Mapping[str, Any]) -> EntityRecognizer:
    """An EntityRecognizer subclass named `package.module:Class` (or `package.module.Class`), built with `params`."""
    module_name, _, class_name = spec.partition(":") if ":" in spec else spec.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise RulesError(
            f"pii recognizers: can't import {spec!r} ({exc})", "install its package or fix the name"
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, EntityRecognizer)):
        raise RulesError(f"pii recognizers: {spec!r} is not an EntityRecognizer class", "name a recognizer class")
    try:
        return cls(**params)
    except Exception as exc:  # a user's constructor: whatever it raises is a rules problem
        raise RulesError(
            f"pii recognizers: {spec}({params}) failed: {exc}", "fix its params in pii.recognizers"
        ) from exc


def spacy_ner(models: Mapping[str, str]) -> tuple[NlpEngine, list[EntityRecognizer]]:
    """An installed spaCy model's engine and Presidio's recognizer of its named entities."""
    engine = SpacyNlpEngine(models=[{"lang_code": lang, "model_name": name} for lang, name in models.items()])
    try:
        engine.load()
    except (OSError, ValueError) as exc:  # spaCy's "can't find model" (E050) and a directory that isn't a pipeline
        raise RulesError(f"pii.ner: can't load spaCy model ({exc})", "fix pii.ner_models or reinstall it") from exc
    registry = RecognizerRegistry(supported_languages=list(models))
    registry.add_nlp_recognizer(nlp_engine=engine)
    return engine, list(registry.recognizers)


def ner_models(
    mode: str, languages: Sequence[str] = LANGUAGES, named: Mapping[str, str] | None = None
) -> dict[str, str]:
    """language -> spaCy model for `ner: auto|required` (none for `off`): the `named` ones (package or directory)
    that are there, else the installed ones. `required` with none is an error: results would differ from the
    machine the rules were written on."""
    if mode == "off":
        return {}
    if named:
        found = {lang: model for lang, model in named.items() if Path(model).is_dir() or is_installed(model)}
        missing = sorted(set(named) - found.keys())
        if missing and mode == "required":
            raise RulesError(
                f"pii.ner_models: no spaCy model at {', '.join(named[lang] for lang in missing)}",
                "install the package or fix the path",
            )
    else:
        found = installed_spacy_models(languages)
    if not found and mode == "required":
        wanted = ", ".join(m for lang in languages for m in _spacy_candidates(lang))
        raise RulesError("pii.ner is required but no spaCy NER model is installed", f"install one of: {wanted}")
    return found


def _spacy_candidates(language: str) -> tuple[str, ...]:
    return SPACY_MODELS.get(language, ())


def is_installed(package: str) -> bool:
    return bool(spacy.util.is_package(package))


def build(
    recognizers: Sequence[EntityRecognizer],
    entities: Mapping[str, str],
    gates: Mapping[str, re.Pattern[str]] | None = None,
    ner: str = "off",
    ner_named: Mapping[str, str] | None = None,
) -> list[Recognizer]:
    """Devkit recognizers for the rules' Presidio recognizers (and an installed NER model when `ner` asks). Every
    entity type a recognizer finds must be mapped to a devkit kind: an unmapped one fails here, before data moves."""
    pin_public_suffix_list()
    mapping = _kinds(entities)
    out: list[Recognizer] = []
    if recognizers:
        others = sorted({r.name for r in recognizers if r.supported_language not in LANGUAGES})
        if others:
            raise RulesError(
                f"pii: recognizers {', '.join(others)} are for a language devkit doesn't analyze",
                f"set supported_language to one of: {', '.join(LANGUAGES)} (texts with kana or kanji are ja)",
            )
        unmapped = sorted(
            {e for r in recognizers for e in r.supported_entities} - mapping.keys() - IMPLIED_ENTITIES.keys()
        )
        if unmapped:
            raise RulesError(
                f"pii: entity types {', '.join(unmapped)} have no devkit kind",
                f"map each under pii.entities to one of: {', '.join(k.value.lower() for k in Kind)}",
            )
        out.append(PresidioRecognizers(recognizers, {**IMPLIED_ENTITIES, **mapping}, gates=gates))
    models = ner_models(ner, named=ner_named)
    if models:
        engine, ner_recognizers = spacy_ner(models)
        out.append(PresidioRecognizers(ner_recognizers, {**IMPLIED_ENTITIES, **mapping}, nlp_engine=engine))
    return out


def from_rules(pii: PiiRules, base: Path) -> list[Recognizer]:
    """The detector recognizers a rules file's `pii:` section names (paths relative to `base`, its folder)."""
    recognizers: list[EntityRecognizer] = []
    gates: dict[str, re.Pattern[str]] = {}
    for entry in pii.recognizers:
        if entry.yaml is not None:
            recognizers.extend(yaml_recognizers(base / entry.yaml))
        elif entry.class_ is not None:
            recognizer = class_recognizer(entry.class_, entry.params)
            if entry.gate is not None:
                gates[recognizer.id] = re.compile(entry.gate)
            recognizers.append(recognizer)
    named = {lang: str(base / model) if (base / model).is_dir() else model for lang, model in pii.ner_models.items()}
    return build(recognizers, pii.entities, gates, pii.ner, named)


def _kinds(entities: Mapping[str, str]) -> dict[str, Kind]:
    out = {}
    for entity, kind in entities.items():
        try:
            out[entity] = Kind(kind.upper())
        except ValueError:
            choices = ", ".join(k.value.lower() for k in Kind)
            raise RulesError(
                f"pii.entities: {entity}: unknown devkit kind {kind!r}", f"use one of: {choices}"
            ) from None
    return out
