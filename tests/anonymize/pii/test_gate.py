"""The recognizers' gate (anonymize.pii.gate): "skip" only where the recognizer finds nothing, the C scan equal to its
Python reference, and the detector's answers the same with and without it."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from anonymize.pii import PiiDetector
from anonymize.pii.features import Feature, features_of
from anonymize.pii.gate import ASCII_SPACES, Clue, NativeGate, _table, gate_for, python_gate
from anonymize.pii.known import KnownValues
from anonymize.pii.normalize_map import normalize_text
from anonymize.pii.recognizers import Recognizer, default_recognizers
from anonymize.pii.spans import Kind, Span
from anonymize.speedups import NATIVE
from testbed.pii.corpus_eval import load

# Pieces that are, or nearly are, what some recognizer finds; joined and cut at random below.
_PIECES = (
    "090-1234-5678", "03-1234-5678", "(03) 1234-5678", "03(1234)5678", "+81-(0)-3-1234-5678", "+81 90 1234 5678",
    "0312345678", "TEL0312345678", "+1 415 555 0100", "+44 20 7946 0958", "+00:00", "4111 1111 1111 1111",
    "4111-1111-1111-1111", "378282246310005", "3530111333300000", "T1234567890123", "法人番号 1234567890123",
    "マイナンバー 1234 5678 9012", "〒150-0001", "郵便番号 1500001", "150-0001 東京都", "東京都渋谷区神南1-2-3",
    "大阪市北区梅田3丁目1-1 グランドビル 5F", "普通 1234567", "口座番号:7654321", "支店番号 123", "account=1234567",
    "bank branch_code=123", "192.168.10.20", "10.0.0.1", "2001:db8::1", "fe80:0:0:0:0:0:0:1", "a@example.com",
    "taro.yamada@example.co.jp", "Mr. John Smith", "Dear Emily Martin", "Emily Martin", "Taro-san", "Kenji sama",
    "name=John Smith", "card_holder=TARO YAMADA", "holder: Hanako", "山田太郎様", "ヤマダ タロウ様", "田中より",
    "鈴木一郎から電話", "担当: 佐藤", "お世話になっております。山田です。", "山田太郎(ヤマダタロウ)様",
    "03-1234-5678(田中)", "pm_4Tn6Wiinotx2DFQ7JZIot461", "cus_pk0bNqTar2Uw05", "2024-12-15T18:35:30+00:00",
    "evt_1Nx8K2", "South Annechester", "Call", "credit", "v1.2.3.4", "12:00:00", "注文番号 #665620",
)  # fmt: skip
_GLUE = ("", " ", "-", "_", ".", ":", "/", "、", "\n", "@", "+", "(", ")", "x", "A", "様", "0", "　")


def _texts() -> Iterator[str]:
    """The pieces, the corpus's texts and windows of them, and random joins and cuts of the pieces."""
    rng = random.Random(1414)
    yield from _PIECES
    for item in [*load("planted.jsonl"), *load("lookalikes.jsonl")]:
        text = item["text"]
        yield text
        for _ in range(4):
            start = rng.randrange(len(text))
            yield text[start : start + rng.randint(1, 40)]
    for _ in range(6000):
        parts = [rng.choice(_PIECES) for _ in range(rng.randint(1, 3))]
        text = "".join(p + rng.choice(_GLUE) for p in parts)
        if rng.random() < 0.5:
            cut = rng.randrange(len(text))
            text = text[:cut] + text[cut + 1 :]
        yield text


TEXTS = sorted({normalize_text(t).text for t in _texts()})


def test_the_texts_reach_every_recognizer() -> None:
    """The population is worth testing on: every recognizer finds something in some text, and some texts are
    skipped by every recognizer."""
    gate = python_gate(default_recognizers())
    assert gate is not None
    found = {r.name for t in TEXTS for r in default_recognizers() if r.applies(t, features_of(t)) and r.find(t)}
    assert found == {r.name for r in default_recognizers()}
    assert sum(gate(t) == 0 for t in TEXTS) > 100


@pytest.mark.parametrize("recognizer", default_recognizers(), ids=lambda r: r.name)
def test_the_gate_skips_a_recognizer_only_where_it_finds_nothing(recognizer: Recognizer) -> None:
    gate = python_gate([recognizer])
    assert gate is not None, f"{recognizer.name} declares no clues"
    wrong = [t for t in TEXTS if not gate(t) and recognizer.applies(t, features_of(t)) and recognizer.find(t)]
    skipped = sum(not gate(t) for t in TEXTS)
    assert not wrong, wrong[:5]
    assert skipped > 0  # the declaration skips something (else it is no gate)


@pytest.mark.skipif(getattr(NATIVE, "pii_gate", None) is None, reason="the C extension is not built")
def test_the_c_scan_gives_the_python_answer() -> None:
    recognizers = default_recognizers()
    native, python, table = gate_for(recognizers), python_gate(recognizers), _table(recognizers)
    assert native is not None and python is not None and table is not None
    assert type(native).__name__ == "PiiGate"  # the C scan, its clues read once, is the one gate_for runs
    per_call = NativeGate(table)  # pii_gate: the same scan reading the tuples on every call
    extra = ["", "1", "+1", "+12", "1.2.3", "1.2.3.4", "::1", "1:2:3:4:5:6:7:8", "٠١٢٣٤٥٦٧٨٩٠١٢٣", "𝟎𝟏𝟐"]
    for text in [*TEXTS, *extra]:
        assert native(text) == python(text) == per_call(text), text


@pytest.mark.skipif(getattr(NATIVE, "pii_gate", None) is None, reason="the C extension is not built")
def test_the_c_scan_of_each_kind_of_condition() -> None:
    """Each Clue field on its own, with characters of every width (the C reads 1-, 2- and 4-byte strings)."""

    class Probe(Recognizer):
        name = "probe"
        kinds = frozenset({Kind.PERSON})
        needs = frozenset({"digit"})

        def find(self, text: str) -> list[Span]:
            return []

    clues = [
        Clue(literals=("ab", "様子")),
        Clue(digits=3),
        Clue(digits=5, seps="-", gap=1),
        Clue(digits=5, seps="- ", gap=2),
        Clue(digits=4, right_bad="x"),
        Clue(digits=2, after="+"),
        Clue(non_ascii=True),
        Clue(counts=((":", 2), ("😀", 1))),
    ]
    texts = ["ab", "様子", "12", "123", "12-345", "12 - 345", "12--345", "1234x", "1234 x", "+12", "-12", "a:b:",
             "😀:a:", "＋12", "１２３", "12😀345", "1😀2-345", "9999x1234"]  # fmt: skip
    for clue in clues:
        Probe.clues = (clue,)
        native, python = gate_for([Probe()]), python_gate([Probe()])
        assert native is not None and python is not None
        per_call = NativeGate([(1, clue)])
        for text in texts:
            assert native(text) == python(text) == per_call(text), (clue, text)


@pytest.mark.skipif(getattr(NATIVE, "PiiGate", None) is None, reason="the C extension is not built")
def test_the_compiled_gate_refuses_malformed_clues_and_pickles() -> None:
    """PiiGate reads its tuples once, so it checks them once: a malformed clue is refused when it is made."""
    import pickle

    good = (1, ("ab",), 3, "-", 1, "x", "", False, ((":", 1),))
    for bad in [
        (1, ("ab",)),
        (1, ("ab", 2), 3, "-", 1, "x", "", False, ()),
        (*good[:8], (("::", 1),)),
        (-1, *good[1:]),
    ]:
        with pytest.raises((TypeError, OverflowError)):
            NATIVE.PiiGate((good, bad))  # type: ignore[union-attr]
    gate = NATIVE.PiiGate((good, (2, (), 0, "", 1, "", "", True, ())))  # type: ignore[union-attr]
    assert gate("ab 1-23 :") == 1 and gate("様") == 2 and gate("ab 12") == 0
    copy = pickle.loads(pickle.dumps(gate))
    assert [copy(t) for t in ("ab 1-23 :", "様", "ab 12")] == [1, 2, 0]
    with pytest.raises(TypeError):
        gate(b"ab")


def test_a_recognizer_that_declares_nothing_turns_the_gate_off() -> None:
    class Undeclared(Recognizer):
        name = "undeclared"
        kinds = frozenset({Kind.PERSON})
        needs = frozenset({"name"})
        ungated = True

        def applies(self, text: str, features: frozenset[Feature]) -> bool:
            return True

        def find(self, text: str) -> list[Span]:
            return [self.span(Kind.PERSON, 0, len(text), 0.9, text)] if text == "pm_zzz" else []

    assert gate_for([*default_recognizers(), Undeclared()]) is None
    detector = PiiDetector(recognizers=[*default_recognizers(), Undeclared()])
    assert [s.kind for s in detector.detect("pm_zzz")] == [Kind.PERSON]
    assert PiiDetector().detect("pm_zzz") == []


def test_ascii_spaces_are_res_whitespace() -> None:
    import re

    assert {c for c in map(chr, range(128)) if re.match(r"\s", c)} == set(ASCII_SPACES)


def test_the_detector_answers_the_same_with_the_gate() -> None:
    """Every text, with and without known values met (the gate leaves known values to be looked for)."""
    known = KnownValues()
    known.add(Kind.PERSON, "Tn6Wiinotx")
    known.add(Kind.PHONE, "2024-12-15")
    for with_known in (None, known):
        gated, plain = PiiDetector(with_known), PiiDetector(with_known)
        plain._gate = None
        assert gated._gate is not None
        texts = [*TEXTS, "pm_4Tn6Wiinotx", "at 2024-12-15"]
        for text in texts:
            assert gated.detect(text) == plain.detect(text), text
        gated.clear_cache()
        plain.clear_cache()
        assert gated.detect_many(texts) == plain.detect_many(texts)


def test_a_detector_with_its_gate_still_pickles() -> None:
    """Detectors travel to worker processes (detect_many's pool builds its own; a pickled one must still load)."""
    import pickle

    detector = pickle.loads(pickle.dumps(PiiDetector()))
    assert detector._gate is not None
    assert detector.detect("Call 090-1234-5678") == PiiDetector().detect("Call 090-1234-5678")
    assert detector._gate("pm_4Tn6Wiinotx2DFQ7JZIot461") == 0
