"""Japanese phone numbers in their usual spellings, and what only looks like one."""

from __future__ import annotations

import pytest

from anonymize.pii import Kind, PiiDetector

DETECTOR = PiiDetector()


def phones(text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.value) for s in DETECTOR.detect(text) if s.kind is Kind.PHONE]


@pytest.mark.parametrize(
    ("text", "spelled", "value"),
    [
        ("携帯 090-1234-5678 まで", "090-1234-5678", "09012345678"),
        ("080-9876-5432", "080-9876-5432", "08098765432"),
        ("IP電話 050-3333-4444", "050-3333-4444", "05033334444"),
        ("070 1111 2222", "070 1111 2222", "07011112222"),
        ("09012345678に折り返し", "09012345678", "09012345678"),  # unseparated mobile: no cue needed
        ("店舗 03-1234-5678", "03-1234-5678", "0312345678"),
        ("045-123-4567", "045-123-4567", "0451234567"),
        ("0466-12-3456", "0466-12-3456", "0466123456"),
        ("01267-2-3456", "01267-2-3456", "0126723456"),
        ("(03)1234-5678", "(03)1234-5678", "0312345678"),
        ("03(1234)5678", "03(1234)5678", "0312345678"),
        ("フリーダイヤル 0120-123-456", "0120-123-456", "0120123456"),
        ("+81 90-1234-5678", "+81 90-1234-5678", "09012345678"),
        ("+81-3-1234-5678", "+81-3-1234-5678", "0312345678"),
        ("０９０－１２３４－５６７８", "０９０－１２３４－５６７８", "09012345678"),
        ("０９０ー１２３４ー５６７８", "０９０ー１２３４ー５６７８", "09012345678"),
        ("TEL:0312345678", "0312345678", "0312345678"),  # unseparated landline after a phone cue
        ("TEL090-1234-5678", "090-1234-5678", "09012345678"),  # label glued to the number
        ("℡03-1234-5678", "03-1234-5678", "0312345678"),
        ("10:08 045 377 5675", "045 377 5675", "0453775675"),  # a rejected candidate doesn't hide the phone
        ("call +1 415-555-0132", "+1 415-555-0132", "+14155550132"),
    ],
)
def test_phone_numbers(text: str, spelled: str, value: str) -> None:
    assert phones(text) == [(spelled, value)]


@pytest.mark.parametrize(
    "text",
    [
        "0312345678",  # 10 digits, no cue: could be any id
        "注文番号 09012345678",  # labelled as an order number
        "SN-090-1234-5678",  # inside a serial
        "ORD0312345678",
        "2026-11-25 12:00:00",
        "¥12,800",
        "03-0000-0000",  # a placeholder
        "090-1234-56789",  # too long
        "00-1234-5678",
        "123-4567",
        "550e8400-e29b-41d4-a716-446655440000",
    ],
)
def test_not_phone_numbers(text: str) -> None:
    assert phones(text) == []
