"""The person recognizer's Latin scan in C (anonymize/csrc/person_latin.c) equal to its definition,
person.latin_candidates_reference (the _EN_TITLE, _EN_LABEL, _EN_SAN, _EN_PAIR and _LATIN_HEAD regexes), and the
recognizer's spans from it equal to the regexes' (`_latin_all`), on fixed texts and generated ones: every label and
title, optional parts present and cut short, colons and spaces of every kind, word boundaries (letters, digits,
underscores and non-ASCII letters before and after), Japanese and mixed scripts, honorifics, dictionary pairs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymize.pii.recognizers.person import PersonRecognizer, latin_candidates_reference
from anonymize.speedups import NATIVE

pytestmark = pytest.mark.skipif(getattr(NATIVE, "person_latin", None) is None, reason="the C extension is not built")

_LABELS = (
    "Dear", "Hi", "Hello", "Attn", "Attn.", "ATTN", "ATTN.", "Customer", "customer", "Customer Name", "customer name",
    "Contact", "Contact Person", "contact person", "Cardholder", "cardholder Name", "Account Holder", "account holder",
    "Name", "name", "Caller", "Signed by", "requested by", "Reported by", "Submitted by", "handled by", "Approved by",
    "From", "from", "By", "by", "Cc", "cc", "To", "to", "Staff", "Operator", "agent", "Agent",
)  # fmt: skip
_FIXED = [
    "Dear John Smith", "Dear  Ms. Tanaka", "Hello: Emily Martin", "Hi:Bob", "Hi : Bob", "Hiroshi Tanaka", "Attn. Bob",
    "Attn.Bob", "ATTN: TARO YAMADA", "Customer Name: Taro Yamada x", "Customer Namex Al", "Customer Name", "Customer",
    "Contact Person : Ann O'Neil-Smith Jr Extra", "Cardholder Name:\u3000Ken Abe", "Account holder: Mary Ann Lee Kay",
    "requested by  :  Ann Lee", "x,By Al", "xBy Al", "_By Al", "1By Al", "éBy Al", "山田By Al", "山田 By Al",
    "Reported by:\tJim", "To\xa0Jim", "To\u2028Jim", "To :\n Jim", "To::Jim", "To : : Jim", "from Tokyo Station",
    "Name:", "Name: ", "Name: a", "Name: A", "Name: Ab", "Name: AB CD EF GH", "Name: Ab  Cd", "cc Ab-cd Ef'gh",
    "お世話になっております。Dear Taro-san 様", "担当: Staff Ken Abe様", "By By By Al", "Dear Dear Jo", "Operator-Jo",
    "Agent 007", "Staff: 山田 太郎", "Signed byAl", "Signed by Al", "Approved by\u3000Ｂob",
    "Hello\u3000World Wide Web Co", "Mr. John Smith", "Mrs. Emily Martin", "Mrs.Emily Martin", "Mr.  Jo", "xMr Jo",
    "Ms Tanaka様", "Miss Ann", "Mx. Lee Kay Dee Four", "Dr. Who", "Prof. X Men", "Prof Al", "Mister Al", "Mr. team",
    "Taro-san", "Taro-sanx", "Taro san様", "Taro-sama", "Tanaka sensei", "Ken-kun!", "xTaro-san", "Staff-san",
    "TAro-san", "Taro--san", "Emily Martin", "Per Emily Martin", "Grace Hill", "75400 Timothy Street", "Emily Martinx",
    "Emily Martin1", "Emily Martin_", "Emily Martiné", "éEmily Martin", "Emily  Martin", "Emily Mar Tin Ann Lee",
    "Dear Emily Martin, Mr. John Smith and Taro-san", "山田様 Emily Martin 様", "John Smith\u3000Emily Martin",
]  # fmt: skip
_PIECES = st.sampled_from(
    [*_LABELS, " ", "  ", ":", ".", "\t", "\n", "\u3000", "\xa0", "_", "x", "1", "é", "様", "さん", "山田", "タロウ",
     "John", "Smith", "O'Neil", "Ann-Marie", "AB", "A", "a", "Taro", "-san", "。", "、", ",", "'", "-", "Ｂ",
     "Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "san", "sama", "sensei", "kun", "Emily", "Martin", "Street", "12"]
)  # fmt: skip


PERSON = PersonRecognizer()


@pytest.mark.parametrize("text", _FIXED)
def test_the_c_scan_equals_the_regexes_on_fixed_texts(text: str) -> None:
    assert NATIVE.person_latin(text) == latin_candidates_reference(text)  # type: ignore[union-attr]
    assert PERSON._latin(text) == PERSON._latin_all(text)


def test_the_fixed_texts_find_every_kind_and_miss_some() -> None:
    """The fixed texts are worth it: each kind of candidate occurs, spans are found, and some texts have none."""
    candidates = [latin_candidates_reference(t) for t in _FIXED]
    assert {code for found in candidates for code, *_ in found} == {0, 1, 2, 3}
    assert sum(not found for found in candidates) > 10
    assert sum(bool(PERSON._latin_all(t)) for t in _FIXED) > 30


@settings(max_examples=1500, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_the_c_scan_equals_the_regexes_on_joined_pieces(text: str) -> None:
    assert NATIVE.person_latin(text) == latin_candidates_reference(text)  # type: ignore[union-attr]
    assert PERSON._latin(text) == PERSON._latin_all(text)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_the_c_scan_equals_the_regexes_on_any_text(text: str) -> None:
    assert NATIVE.person_latin(text) == latin_candidates_reference(text)  # type: ignore[union-attr]


def test_the_recognizer_finds_the_same_without_the_c_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """find() with the C scan and with the Python path a build without it runs."""
    from anonymize.pii.recognizers import person

    texts = [*_FIXED, "Requested by John Smith Tokyo", "Dear Customer, Emily Martin called", "Hi team"]
    native = [PERSON.find(t) for t in texts]
    monkeypatch.setattr(person, "_latin_candidates", None)
    assert [PERSON.find(t) for t in texts] == native
    assert sum(map(bool, native)) > 30
