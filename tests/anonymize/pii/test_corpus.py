"""The corpus: recall on planted personal data, and look-alikes left alone — exact spans.

The corpus (testbed/pii/corpus: planted.jsonl, lookalikes.jsonl) is built by its generate.py; see its docstring.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from anonymize.pii import PiiDetector
from testbed.pii.corpus_eval import CORPUS, Score, load, score


@pytest.fixture(scope="module")
def planted() -> Score:
    return score(PiiDetector(), load("planted.jsonl"))


@pytest.fixture(scope="module")
def lookalikes() -> Score:
    return score(PiiDetector(), load("lookalikes.jsonl"))


def test_corpus_size() -> None:
    items = load("planted.jsonl")
    assert len(items) >= 500
    assert sum(len(i["planted"]) for i in items) >= 1000
    assert {i["category"] for i in items} == {"order_note", "support_ja", "support_en", "audit_log", "webhook"}
    assert len(load("lookalikes.jsonl")) >= 300


def test_recall_on_planted_values_is_at_least_99_percent(planted: Score) -> None:
    per_kind = {kind: planted.found[kind] / n for kind, n in planted.planted.items()}
    assert planted.recall >= 0.99, (per_kind, planted.missed[:20])
    assert min(per_kind.values()) >= 0.95, per_kind


def test_no_lookalike_is_flagged(planted: Score, lookalikes: Score) -> None:
    assert planted.n_lookalikes > 500 and lookalikes.n_lookalikes > 500
    assert planted.lookalikes_flagged == []
    assert lookalikes.lookalikes_flagged == []


def test_texts_without_personal_data_get_no_span(lookalikes: Score) -> None:
    assert lookalikes.unplanted == []


def test_every_span_in_planted_texts_is_a_planted_value(planted: Score) -> None:
    assert planted.unplanted == []


def test_the_corpus_is_what_the_generator_writes() -> None:
    path = CORPUS / "generate.py"
    spec = importlib.util.spec_from_file_location("pii_corpus_generate", path)
    assert spec and spec.loader
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    planted_items, lookalike_items = generator.generate()
    assert generator.dump(planted_items) == Path(CORPUS / "planted.jsonl").read_text(encoding="utf-8")
    assert generator.dump(lookalike_items) == Path(CORPUS / "lookalikes.jsonl").read_text(encoding="utf-8")
