"""The known values' prefix gate (anonymize.pii.known_gate): the C check equal to its Python reference, the numpy
bitmaps equal to the one-at-a-time ones, and no text the automaton keeps a spelling in ever gated out."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymize.pii import known_gate
from anonymize.pii.known import KnownValues
from anonymize.pii.spans import Kind
from anonymize.speedups import NATIVE
from tests.anonymize.pii.test_detector_fast_paths import ALL, _known, _reference_find

_LITERAL_KINDS = (Kind.PERSON, Kind.EMAIL, Kind.ADDRESS, Kind.IP)
needs_c = pytest.mark.skipif(getattr(NATIVE, "known_gate", None) is None, reason="C extension not built")

# Spellings at the edges of what the gate reads: two and three characters (a whole prefix), an ASCII name after a
# non-ASCII character or punctuation, a non-ASCII name starting with an ASCII letter, the Kelvin sign (lowered to an
# ASCII k: a text holding it is searched as it is), digits (IPs, house numbers).
_EDGE_NAMES = ("Li", "Ng", "Bo Ek", "Kenji Sato", "山田", "田中 一", "Mary 山田", "O'Neil", "Zoë Smith", "K-Pop Kim")
_PIECES = (*_EDGE_NAMES, "li", "ng", "Ｌｉ", "\u212aenji Sato", "kenji", "ジョージ", "1-2-3", "x", "_", "9", "-", "@")
_GLUE = ("", " ", "、", ".", "_", "9", "é", "\n", "山", "(", "\u212a")


def _edge_known() -> KnownValues:
    known = KnownValues()
    for name in _EDGE_NAMES:
        known.add(Kind.PERSON, name)
    known.add(Kind.IP, "10.1.2.3")
    known.add(Kind.ADDRESS, "1-2-3 Nishi Shinjuku")
    known.add(Kind.EMAIL, "li@example.com")
    return known


def _edge_texts(count: int) -> list[str]:
    rng = random.Random(14)
    out = ["", "L", "Li", "li", "山", "山田", " Li", "xLi", "é Li", "Li9"]
    for _ in range(count):
        out.append("".join(rng.choice(_PIECES) + rng.choice(_GLUE) for _ in range(rng.randint(1, 4))))
    return out


EDGE = _edge_texts(4000)
_text = st.lists(st.one_of(st.sampled_from([*_PIECES, *_GLUE]), st.text(max_size=3))).map("".join)


def _haystack(text: str) -> str:
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else text


def test_numpy_bitmaps_are_the_reference_bitmaps() -> None:
    for known in (_known(), _edge_known()):
        assert known_gate.prefix_tables(known._literals) == known_gate.prefix_tables_reference(known._literals)
    assert known_gate.prefix_tables([]) == known_gate.prefix_tables_reference([])


def test_a_one_character_spelling_is_refused() -> None:
    with pytest.raises(ValueError, match="one character"):
        known_gate.prefix_tables(["a"])


@pytest.mark.parametrize("make", [_known, _edge_known])
def test_the_gate_never_hides_a_kept_spelling(make: object) -> None:
    known = make()  # type: ignore[operator]
    known._build()
    tables = known_gate.prefix_tables(known._literals)  # (what _build keeps, with the C check)
    gated = 0
    for text in [*ALL, *EDGE]:
        ungated = _reference_find(known, text)
        assert known.find(text) == ungated, text  # gated: the ungated reference's spans
        if not known_gate.may_hold(text, _haystack(text), tables):
            assert not [s for s in ungated if s.kind in _LITERAL_KINDS], text
            gated += 1
    assert gated > 1000  # the gate does skip texts here (else this test would prove nothing)


@needs_c
@pytest.mark.parametrize("make", [_known, _edge_known])
def test_c_check_is_the_reference(make: object) -> None:
    known = make()  # type: ignore[operator]
    tables = known_gate.prefix_tables(known._literals)
    answers = set()
    for text in [*ALL, *EDGE]:
        haystack = _haystack(text)
        answer = known_gate.native_may_hold(text, haystack, tables)
        assert answer == known_gate.may_hold(text, haystack, tables), text
        answers.add(answer)
    assert answers == {True, False}


@needs_c
@given(_text)
@settings(max_examples=400, deadline=None)
def test_c_check_on_generated_texts(text: str) -> None:
    tables = known_gate.prefix_tables(_edge_known()._literals)
    haystack = _haystack(text)
    assert known_gate.native_may_hold(text, haystack, tables) == known_gate.may_hold(text, haystack, tables)


@needs_c
def test_c_check_refuses_bad_arguments() -> None:
    table = bytes(known_gate.BITS >> 3)
    with pytest.raises(ValueError, match="power-of-two"):
        NATIVE.known_gate("ab", "ab", table, table, table[:-1])  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="same length"):
        NATIVE.known_gate("ab", "abc", table, table, table)  # type: ignore[union-attr]
    with pytest.raises(TypeError):
        NATIVE.known_gate("ab", "ab", table, table)  # type: ignore[union-attr]


@needs_c
def test_the_c_check_is_what_known_values_run() -> None:
    known = _edge_known()
    known.find("Li")
    assert known_gate.check is known_gate.native_may_hold and known._native is not None
    _, (_, gate) = known._native[1].__reduce__()  # type: ignore[attr-defined]
    assert gate is not None  # the C table asks the gate before it scans


def test_pure_python_mode_runs_no_gate() -> None:
    # In Python the gate costs more per text than the scan it would skip: without the C there is none.
    import os
    import subprocess
    import sys

    code = (
        "from anonymize.pii import known_gate; from anonymize.pii.known import KnownValues; "
        "from anonymize.pii.spans import Kind; k = KnownValues(); k.add(Kind.PERSON, 'Kenji Sato'); "
        "assert [(s.start, s.end) for s in k.find('to Kenji Sato.')] == [(3, 13)], k.find('to Kenji Sato.'); "
        "assert known_gate.check is None and k._prefixes is None"
    )
    env = {**os.environ, "DEVKIT_PURE_PYTHON": "1"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
