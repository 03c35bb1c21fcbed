"""The Presidio wiring: offline NLP engine, our recognizers inside AnalyzerEngine, an installed model when there
is one, and the same answers as the detector's own loop."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from presidio_analyzer.nlp_engine import NoOpNlpEngine

from anonymize.pii import Kind, PiiDetector
from anonymize.pii.analyzer import OfflineNlpEngine, build_analyzer, build_nlp_engine, build_stock_analyzer
from testbed.pii.corpus_eval import load


@pytest.fixture(scope="module")
def analyzer():  # type: ignore[no-untyped-def]
    return build_analyzer(spacy_models={})


def test_no_model_means_the_no_op_engine() -> None:
    engine = build_nlp_engine(("ja", "en"), models={})
    assert isinstance(engine, NoOpNlpEngine)


def test_analyze_finds_japanese_data_in_both_languages(analyzer) -> None:  # type: ignore[no-untyped-def]
    assert sorted(analyzer.supported_languages) == ["en", "ja"]
    text = "田中様 ＴＥＬ：０９０ー１２３４ー５６７８ mail taro@example.co.jp"
    for language in ("ja", "en"):
        results = sorted(analyzer.analyze(text, language=language), key=lambda r: r.start)
        assert [(r.entity_type, text[r.start : r.end]) for r in results] == [
            ("PERSON", "田中"),
            ("PHONE", "０９０ー１２３４ー５６７８"),
            ("EMAIL", "taro@example.co.jp"),
        ]
        assert results[1].recognition_metadata["normalized_value"] == "09012345678"


def test_analyze_drops_lookalikes(analyzer) -> None:  # type: ignore[no-untyped-def]
    assert analyzer.analyze("注文番号 09012345678 ¥12,800 2026-11-25 12:00:00", language="ja") == []


def test_presidio_engine_gives_the_detectors_answers(analyzer) -> None:  # type: ignore[no-untyped-def]
    items = [i for i in load("planted.jsonl") + load("lookalikes.jsonl") if not i.get("json")]
    texts = [i["text"] for i in items]
    direct = PiiDetector().detect_many(texts)
    via_presidio = PiiDetector(engine="presidio", analyzer=analyzer).detect_many(texts)
    differences = [(t, d, p) for t, d, p in zip(texts, direct, via_presidio, strict=True) if d != p]
    assert differences == []


def test_an_installed_spacy_model_adds_its_person_names(tmp_path: Path) -> None:
    """A model (here a tiny one made on the spot: a blank English pipeline with an entity ruler) is loaded from
    where it is installed and its PERSON entities join ours; languages without a model keep the no-op engine."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PERSON", "pattern": [{"LOWER": "zorblax"}, {"LOWER": "quenton"}]}])
    nlp.to_disk(tmp_path / "tiny_en")
    analyzer = build_analyzer(spacy_models={"en": str(tmp_path / "tiny_en")})
    assert isinstance(analyzer.nlp_engine, OfflineNlpEngine)
    detector = PiiDetector(engine="presidio", analyzer=analyzer)
    text = "please call zorblax quenton at 090-1234-5678"
    spans = detector.detect(text)
    assert [(s.kind, text[s.start : s.end]) for s in spans] == [
        (Kind.PERSON, "zorblax quenton"),
        (Kind.PHONE, "090-1234-5678"),
    ]
    assert spans[0].value == "zorblaxquenton"
    assert [s.kind for s in detector.detect("田中様 090-1234-5678")] == [Kind.PERSON, Kind.PHONE]  # ja: no model


def test_the_stock_baseline_runs_offline() -> None:
    stock = build_stock_analyzer()
    assert isinstance(stock.nlp_engine, NoOpNlpEngine)
    results = stock.analyze("mail taro@example.co.jp", language="en")
    assert "EMAIL_ADDRESS" in {r.entity_type for r in results}
