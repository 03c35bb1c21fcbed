"""Normalization before detection, and the way back to the original text's offsets."""

from __future__ import annotations

import pytest

from anonymize.pii.normalize_map import normalize, normalize_text


@pytest.mark.parametrize(
    ("original", "normalized"),
    [
        ("０９０ー１２３４ー５６７８", "090-1234-5678"),  # full-width digits, prolonged sound mark as hyphen
        ("03－1234‐5678", "03-1234-5678"),  # full-width hyphen-minus, hyphen
        ("03–1234—5678―9", "03-1234-5678-9"),  # en dash, em dash, horizontal bar
        ("03−1234‑5678", "03-1234-5678"),  # minus sign, non-breaking hyphen
        ("10:00〜12:00", "10:00-12:00"),  # wave dash
        ("10:00～12:00", "10:00-12:00"),  # full-width tilde
        ("ジョージ・スミス", "ジョージ・スミス"),  # ー inside katakana words stays
        ("ｶﾞｷﾞ ﾀﾛｳ", "ガギ タロウ"),  # half-width katakana with voiced marks: two characters become one
        ("㈱テスト", "(株)テスト"),  # one character becomes three
        ("田中　太郎", "田中 太郎"),  # ideographic space
        ("ＴＥＬ：０３", "TEL:03"),
    ],
)
def test_normalized_text(original: str, normalized: str) -> None:
    assert normalize_text(original).text == normalized
    assert normalize(original) == normalized


def test_identity_needs_no_map() -> None:
    mapped = normalize_text("田中様 090-1234-5678")
    assert mapped.starts is None
    assert mapped.to_original(4, 17) == (4, 17)


def test_spans_map_back_to_the_original_characters() -> None:
    original = "㈱ｶﾞｽ ﾀﾛｳ様 ０９０ー１２３４ー５６７８"
    mapped = normalize_text(original)
    assert mapped.text == "(株)ガス タロウ様 090-1234-5678"
    name = mapped.text.index("タロウ")
    start, end = mapped.to_original(name, name + 3)
    assert original[start:end] == "ﾀﾛｳ"
    phone = mapped.text.index("090")
    start, end = mapped.to_original(phone, phone + 13)
    assert original[start:end] == "０９０ー１２３４ー５６７８"
    gas = mapped.text.index("ガス")
    assert original[slice(*mapped.to_original(gas, gas + 2))] == "ｶﾞｽ"  # the voiced mark goes with its kana
    kabu = mapped.text.index("株")
    assert original[slice(*mapped.to_original(kabu, kabu + 1))] == "㈱"  # part of an expansion -> the whole source


def test_every_normalized_char_maps_inside_the_original() -> None:
    original = "①②③ｱｲｳ㍉ＡＢＣ〒１５０－０００１ﾊﾟﾋﾟﾌﾟ"
    mapped = normalize_text(original)
    for i in range(len(mapped.text)):
        start, end = mapped.to_original(i, i + 1)
        assert 0 <= start < end <= len(original)
