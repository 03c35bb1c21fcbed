"""The person recognizer's English-label scan in C (anonymize/csrc/person_latin.c) equal to its definition,
person.label_heads_reference (the _EN_LABEL and _LATIN_HEAD regexes), on fixed texts and generated ones: every
label, optional parts present and cut short, colons and spaces of every kind, word boundaries (letters, digits,
underscores and non-ASCII letters before a label), Japanese and mixed scripts, honorifics."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymize.pii.recognizers.person import PersonRecognizer, label_heads_reference
from anonymize.speedups import NATIVE

pytestmark = pytest.mark.skipif(
    getattr(NATIVE, "person_label_heads", None) is None, reason="the C extension is not built"
)

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
    "Hello\u3000World Wide Web Co",
]  # fmt: skip
_PIECES = st.sampled_from(
    [*_LABELS, " ", "  ", ":", ".", "\t", "\n", "\u3000", "\xa0", "_", "x", "1", "é", "様", "さん", "山田", "タロウ",
     "John", "Smith", "O'Neil", "Ann-Marie", "AB", "A", "a", "Taro", "-san", "。", "、", ",", "'", "-", "Ｂ"]
)  # fmt: skip


@pytest.mark.parametrize("text", _FIXED)
def test_the_c_scan_equals_the_regexes_on_fixed_texts(text: str) -> None:
    assert NATIVE.person_label_heads(text) == label_heads_reference(text)  # type: ignore[union-attr]


def test_the_fixed_texts_find_labels_and_miss_some() -> None:
    """The fixed texts are worth it: some find a head, some a label with no head, some no label."""
    found = [bool(label_heads_reference(t)) for t in _FIXED]
    assert sum(found) > 20 and found.count(False) > 10


@settings(max_examples=1500, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_the_c_scan_equals_the_regexes_on_joined_pieces(text: str) -> None:
    assert NATIVE.person_label_heads(text) == label_heads_reference(text)  # type: ignore[union-attr]


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_the_c_scan_equals_the_regexes_on_any_text(text: str) -> None:
    assert NATIVE.person_label_heads(text) == label_heads_reference(text)  # type: ignore[union-attr]


def test_the_recognizer_finds_the_same_with_either_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    from anonymize.pii.recognizers import person

    texts = [*_FIXED, "Requested by John Smith Tokyo", "Dear Customer, Emily Martin called", "Hi team"]
    native = [PersonRecognizer().find(t) for t in texts]
    monkeypatch.setattr(person, "_label_heads", label_heads_reference)
    assert [PersonRecognizer().find(t) for t in texts] == native
    assert any(native)
