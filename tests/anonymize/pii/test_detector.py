"""The detector: offsets on the original text, the cache, the pre-scan, batches, worker processes, JSON leaves,
and a light import."""

from __future__ import annotations

import subprocess
import sys
from typing import ClassVar

from anonymize.pii import Kind, PiiDetector, Span
from anonymize.pii.json_leaves import EMBEDDED
from anonymize.pii.recognizers import Recognizer, default_recognizers
from anonymize.pii.recognizers.base import Feature


def test_spans_are_offsets_into_the_original_text() -> None:
    text = "㈱ﾃｽﾄ ﾔﾏﾀﾞ様 ＴＥＬ：０９０ー１２３４ー５６７８ 〒１５０－０００１"
    spans = PiiDetector().detect(text)
    assert [(s.kind, text[s.start : s.end], s.value) for s in spans] == [
        (Kind.PERSON, "ﾔﾏﾀﾞ", "ヤマダ"),
        (Kind.PHONE, "０９０ー１２３４ー５６７８", "09012345678"),
        (Kind.POSTAL_CODE, "１５０－０００１", "1500001"),
    ]


def test_one_cache_entry_per_normalized_text() -> None:
    detector = PiiDetector()
    first = detector.detect("田中様 090-1234-5678")
    second = detector.detect("田中様 ０９０－１２３４－５６７８")  # same normalized text: a hit
    assert detector.stats.hits == 1 and detector.stats.misses == 1
    assert [s.value for s in first] == [s.value for s in second]
    assert second[1].end == len("田中様 ０９０－１２３４－５６７８")  # mapped to this text's own offsets


def test_the_cache_is_bounded() -> None:
    detector = PiiDetector(cache_size=2)
    for text in ("a 090-1234-5678", "b 090-1234-5678", "c 090-1234-5678", "a 090-1234-5678"):
        detector.detect(text)
    assert detector.stats.misses == 4  # "a" was evicted by "c"


class _Counting(Recognizer):
    """A recognizer that counts how often it runs."""

    name = "counting"
    kinds = frozenset({Kind.PERSON})
    needs: ClassVar[frozenset[Feature]] = frozenset({"digit", "at", "name"})
    calls = 0

    def find(self, text: str) -> list[Span]:
        type(self).calls += 1
        return []


def test_texts_without_digits_at_signs_or_name_cues_skip_the_recognizers() -> None:
    _Counting.calls = 0
    detector = PiiDetector(recognizers=[_Counting()])
    for text in ("置き配希望", "領収書不要", "のし不要 ギフト包装", "", "leave at door"):
        assert detector.detect(text) == []
    assert _Counting.calls == 0
    detector.detect("090-1234-5678")
    detector.detect("田中様")
    detector.detect("a@b")
    assert _Counting.calls == 3


def test_detect_many_matches_detect_and_analyzes_each_distinct_text_once() -> None:
    texts = ["田中様 090-1234-5678", "置き配希望", "田中様 090-1234-5678", "mail taro@example.co.jp"] * 50
    detector = PiiDetector()
    batch = detector.detect_many(texts)
    assert batch == [PiiDetector().detect(t) for t in texts]
    assert detector.stats.misses == 3 and detector.stats.hits == len(texts) - 3
    assert detector.stats.hit_rate == (len(texts) - 3) / len(texts)


def test_worker_processes_give_the_same_answers() -> None:
    texts = [f"注文{i} 田中様 090-{1000 + i:04d}-5678 taro{i}@example.co.jp" for i in range(300)]
    parallel = PiiDetector().detect_many(texts, workers=2, parallel_min=1)
    assert parallel == PiiDetector().detect_many(texts)
    assert all(len(spans) == 3 for spans in parallel)


def test_name_like_json_leaves_under_name_keys() -> None:
    detector = PiiDetector()
    assert [s.kind for s in detector.detect_leaf(("customer", "name"), "山田 太郎")] == [Kind.PERSON]
    assert [s.kind for s in detector.detect_leaf(("data", EMBEDDED, "card_holder"), "TARO YAMADA")] == [Kind.PERSON]
    assert detector.detect_leaf(("customer", "plan"), "山田 商店") == []  # not a name key (nor a full name)
    assert detector.detect_leaf(("customer", "name"), "プレミアムプラン 2") == []  # not a name shape
    assert [s.kind for s in detector.detect_leaf(("note",), "田中様 090-1234-5678")] == [Kind.PERSON, Kind.PHONE]


def test_default_recognizers_cover_every_kind() -> None:
    kinds = set().union(*(r.kinds for r in default_recognizers()))
    assert kinds == set(Kind)


def test_importing_the_package_loads_neither_presidio_nor_spacy() -> None:
    code = (
        "import sys\n"
        "import anonymize.pii, anonymize.pii.detector, anonymize.pii.json_leaves, anonymize.pii.known\n"
        "print('spacy' in sys.modules, 'presidio_analyzer' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    spacy_loaded, presidio_loaded = out.stdout.split()
    assert (spacy_loaded, presidio_loaded) == ("False", "False")
