"""Names in free text are replaced by names of the same shape, honorific kept; a name met in a column by the
column's fake."""

from __future__ import annotations

import re

import pytest

from anonymize.columns import ColumnInfo
from anonymize.keys import Keyring
from anonymize.names import pool
from anonymize.pii import canonical
from anonymize.pii.hook import KNOWN, person_shape, reset_known
from anonymize.pii.spans import Kind
from anonymize.rules import ColumnRule
from anonymize.transformers.factory import build_transformer

KEY = Keyring(b"shape-test-key-0123456789abcdef!")


def _build(transform: str, **params: object):  # type: ignore[no-untyped-def]
    return build_transformer(ColumnRule(transform=transform, params=params), ColumnInfo("public.t", "c", "text"), KEY)


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("田中", "person_family"),
        ("山田太郎", "person"),
        ("山田 太郎", "person"),
        ("タナカ", "person_family_katakana"),
        ("ヤマダ タロウ", "person_katakana"),
        ("Smith", "person_family_romaji"),
        ("John Smith", "person_romaji"),
    ],
)
def test_shape_of_a_detected_name(name: str, shape: str) -> None:
    assert person_shape(name) == shape


def test_a_surname_with_its_honorific_becomes_another_surname_with_it() -> None:
    reset_known()
    text = _build("free_text", detector="presidio")
    out = text.transform("田中様 090-1234-5678 折り返し希望", {})
    fake, rest = out.split("様", 1)
    assert fake != "田中" and fake in {name.kanji for name in pool.surnames()}
    assert re.fullmatch(r" 0\d0-\d{4}-\d{4} 折り返し希望", rest)
    romaji = text.transform("Mr. Smith called", {})
    assert re.fullmatch(r"Mr\. [A-Z][a-z]+ called", romaji) and "Smith" not in romaji


def test_a_name_met_in_a_column_gets_the_column_fake_even_without_a_cue() -> None:
    reset_known()
    column = _build("person_name")
    KNOWN.add(Kind.PERSON, "山田 太郎")
    text = _build("free_text", detector="presidio")
    assert text.transform("山田太郎から電話", {}) == column.transform("山田 太郎", {}).replace(" ", "") + "から電話"
    reset_known()


@pytest.mark.parametrize(
    "spelling",
    ["090-1234-5678", "+81 90-1234-5678", "+81-90-1234-5678", "+81(0)90-1234-5678", "0081-90-1234-5678",
     "(+81) 90 1234 5678", "０９０－１２３４－５６７８"],
)  # fmt: skip
def test_every_spelling_of_a_phone_is_one_value_with_one_fake(spelling: str) -> None:
    """The detector keys free text on canonical.phone; the column transformer must give every spelling that
    reduces to one national number the same fake number (its own spelling kept)."""
    phone = _build("phone")
    assert canonical.phone(spelling) == "09012345678"
    fake = phone.transform(spelling, {})
    assert canonical.phone(fake) == canonical.phone(phone.transform("090-1234-5678", {})) != "09012345678"
    assert len(fake) == len(spelling)
