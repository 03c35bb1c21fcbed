"""KnownValues' literal matches found in C (anonymize/csrc/known_literals.c: KnownLiterals) equal to the automaton's
with the word check in Python (`_find_literals_reference`), match for match and in the same order, with and without
known_gate's bitmaps in front; and the gate's digit runs held once (pii_gate.c) giving the Python answer on texts with
more runs than it holds."""

from __future__ import annotations

import itertools
import pickle
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymize.pii import known as known_module
from anonymize.pii.gate import Clue, NativeGate, gate_for, python_gate
from anonymize.pii.known import KnownValues
from anonymize.pii.recognizers import default_recognizers
from anonymize.pii.recognizers.base import Recognizer
from anonymize.pii.spans import Kind, Span
from anonymize.speedups import NATIVE
from tests.anonymize.pii.test_detector_fast_paths import ALL, _known
from tests.anonymize.pii.test_known_gate import EDGE, _edge_known

needs_c = pytest.mark.skipif(getattr(NATIVE, "KnownLiterals", None) is None, reason="C extension not built")

# Overlapping spellings (a name inside a longer one, one ending where another starts), spellings of one and of many
# scripts, a spelling at the text's very start and end, and the Kelvin sign (lowered to an ASCII k: such a text is
# searched as written).
_OVERLAPS = ("Ann", "Anna", "Anna Lee", "Lee Ann", "Ann Lee", "山田", "山田花子", "田花", "Mary 山田", "Ken", "Kenji")
_PIECES = (*_OVERLAPS, "ann", "ANNA LEE", "annalee", "山田花", "\u212aen", "KEN", "Zoë", "l", "e")
_GLUE = ("", " ", "、", ".", "_", "9", "é", "\n", "山", "(", "\u212a", "x")


def _overlap_known() -> KnownValues:
    known = KnownValues()
    for name in _OVERLAPS:
        known.add(Kind.PERSON, name)
    known.add(Kind.EMAIL, "ann@example.com")
    known.add(Kind.EMAIL, "lee.ann@example.com")
    known.add(Kind.IP, "10.0.0.1")
    known.add(Kind.ADDRESS, "1-2-3 山田町")
    return known


def _texts(count: int) -> list[str]:
    rng = random.Random(17)
    out = ["", "A", "Ann", "Anna Lee", "xAnn", "Ann9", "山田花子", "lee.ann@example.com", "ann@example.com.jp"]
    for _ in range(count):
        out.append("".join(rng.choice(_PIECES) + rng.choice(_GLUE) for _ in range(rng.randint(1, 5))))
    return out


OVERLAP_TEXTS = _texts(3000)
_text = st.lists(st.one_of(st.sampled_from([*_PIECES, *_GLUE]), st.text(max_size=3))).map("".join)


def _native(known: KnownValues, text: str) -> list[Span]:
    return known._find_literals(text)


def _both(known: KnownValues, text: str) -> tuple[list[Span], list[Span]]:
    return known._find_literals(text), known._find_literals_reference(text)


@needs_c
def test_the_samples_hold_overlapping_matches() -> None:
    # Without texts where spellings overlap or sit inside words, the comparisons below would test little.
    known = _overlap_known()
    found = [known._find_literals_reference(t) for t in OVERLAP_TEXTS]
    assert sum(len(f) >= 2 for f in found) > 200
    assert sum(any(a.end > b.start and b.end > a.start for a, b in itertools.pairwise(f)) for f in found) > 50


@needs_c
@pytest.mark.parametrize("make", [_known, _edge_known, _overlap_known], ids=["notes", "edges", "overlaps"])
def test_the_c_finds_what_the_automaton_keeps(make: object) -> None:
    known = make()  # type: ignore[operator]
    for text in [*ALL, *EDGE, *OVERLAP_TEXTS]:
        native, reference = _both(known, text)
        assert native == reference, text


@needs_c
@settings(max_examples=300, deadline=None)
@given(_text)
def test_the_c_finds_what_the_automaton_keeps_on_any_text(text: str) -> None:
    for known in (_OVERLAP_KNOWN, _EDGE_KNOWN):
        native, reference = _both(known, text)
        assert native == reference


_OVERLAP_KNOWN = _overlap_known()
_EDGE_KNOWN = _edge_known()


@needs_c
def test_without_the_gate_the_table_finds_the_same() -> None:
    known = _overlap_known()
    known._find_literals("")  # builds the table
    assert known._native is not None
    spelled, _, entries = known._native
    ungated = (spelled, NATIVE.KnownLiterals(tuple(known._literals)), entries)  # type: ignore[union-attr]
    for text in OVERLAP_TEXTS:
        known._native = ungated
        plain = known._find_literals(text)
        assert plain == known._find_literals_reference(text), text


@needs_c
def test_the_table_follows_the_values_and_pickles() -> None:
    known = KnownValues()
    known.add(Kind.PERSON, "Anna Lee")
    assert [s.value for s in known.find("Met Anna Lee and Ken")] == ["annalee"]
    known.add(Kind.PERSON, "Ken")  # a new spelling: the table is rebuilt
    assert [s.value for s in known.find("Met Anna Lee and Ken")] == ["annalee", "ken"]
    assert known._native is not None
    table = known._native[1]
    copy = pickle.loads(pickle.dumps(table))
    ken = list(known._literals).index("ken")
    assert copy.find("met ken", None) == table.find("met ken", None) == [(4, 7, ken)]  # type: ignore[attr-defined]
    known.clear()
    assert known.find("Met Anna Lee and Ken") == []


@needs_c
def test_the_table_refuses_what_it_cannot_read() -> None:
    table_type = NATIVE.KnownLiterals  # type: ignore[union-attr]
    with pytest.raises(TypeError):
        table_type(("ok", 3))
    with pytest.raises(TypeError):
        table_type(("ok", ""))
    with pytest.raises(ValueError):
        table_type(("ok",), (b"\0" * 8, b"\0" * 8))
    with pytest.raises(ValueError):
        table_type(("ok",), (b"\0" * 8, b"\0" * 8, b"\0" * 6))
    table = table_type(("ok",))
    with pytest.raises(ValueError):
        table.find("ok", "o")  # the haystack is the text's length
    with pytest.raises(ValueError):
        table.find("山ok", None)  # None: an ASCII text only
    assert table.find("OK ok", None) == [(0, 2, 0), (3, 5, 0)]


def test_the_reference_runs_without_the_c(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(known_module, "_NATIVE_LITERALS", None)
    known = _overlap_known()
    for text in OVERLAP_TEXTS[:300]:
        assert known._find_literals(text) == known._find_literals_reference(text)


# -- the gate's digit runs (pii_gate.c holds up to 32 of a text's runs, then scans the text as before) -----------------
class _Probe(Recognizer):
    name = "probe"
    kinds = frozenset({Kind.PHONE})
    needs = frozenset({"digit"})

    def find(self, text: str) -> list[Span]:
        return []


_MANY_RUNS = [
    " ".join(["1"] * 40),
    "x".join(["12"] * 40),
    " ".join(["1"] * 40) + " 12345",
    "-".join(["12"] * 40),
    " ".join(["1"] * 31) + " 1-2345",
    " ".join(["1"] * 32) + " 1-2345",
    " ".join(["1"] * 33) + " 1-2345x",
    "+" + "-".join(["1"] * 60),
    " ".join(["1"] * 40) + " +123",
    "٠-" * 40 + "١٢٣٤٥",
]


@pytest.mark.skipif(getattr(NATIVE, "PiiGate", None) is None, reason="the C extension is not built")
@pytest.mark.parametrize("clue", [Clue(digits=5), Clue(digits=5, seps="-", gap=1), Clue(digits=3, after="+"),
                                  Clue(digits=4, seps="- ", gap=2, right_bad="x")], ids=str)  # fmt: skip
def test_the_gate_on_texts_with_many_digit_runs(clue: Clue) -> None:
    _Probe.clues = (clue,)
    native, python = gate_for([_Probe()]), python_gate([_Probe()])
    assert native is not None and python is not None
    per_call = NativeGate([(1, clue)])
    answers = set()
    for text in _MANY_RUNS:
        answers.add(python(text))
        assert native(text) == python(text) == per_call(text), (clue, text)
    assert answers == {0, 1}  # the samples tell a holding clue from a failing one


@pytest.mark.skipif(getattr(NATIVE, "PiiGate", None) is None, reason="the C extension is not built")
@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["1", "12", "١", " ", "-", "+", "x", "@", "様", "::", "."]), max_size=120).map("".join))
def test_the_gate_with_its_runs_held_gives_the_python_answer(text: str) -> None:
    native, python = gate_for(default_recognizers()), python_gate(default_recognizers())
    assert native is not None and python is not None
    assert native(text) == python(text)
