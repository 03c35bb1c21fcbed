"""Order numbers, amounts, timestamps, SKUs, device serials and UUIDs are not personal data."""

from __future__ import annotations

import pytest

from anonymize.pii import PiiDetector
from anonymize.pii.lookalikes import is_lookalike

DETECTOR = PiiDetector()


@pytest.mark.parametrize(
    "text",
    [
        "注文番号 ORD-2026-000123",
        "注文番号: 09012345678",
        "注文番号：1234-5678-9012",
        "Order No. 4111111111111111",
        "transaction id 3530111333300000",
        "取引ID 202611251200 承認番号 A123-4567-8901",
        "追跡番号 123456789018",
        "会員番号 0312345678",
        "¥12,800",
        "12,800円",
        "￥1,080 (税込)",
        "$34.08",
        "2026-11-25 12:00:00",
        "2026-11-25T12:00:00+09:00",
        "2026/11/25 12:00",
        "2026年11月25日 12:00〜13:00",
        "20261125120000",
        "SKU-AB-1234",
        "JAN 4901234567894",
        "TS12345-XL",
        "TEST123456",
        "SN-7F3K-2209",
        "SMP-2024-000187",
        "PAX-A920-12345678",
        "IMEI 356938035643809",
        "550e8400-e29b-41d4-a716-446655440000",
        "request_id=9f1c2d3e-4b5a-4c6d-8e7f-001122334455",
        "firmware v1.2.3.4",
        "在庫 1,234,567個",
        "#665620",
        "店舗ID 1000234 端末ID 0012345678",
    ],
)
def test_lookalikes_are_not_flagged(text: str) -> None:
    assert DETECTOR.detect(text) == []


def test_lookalike_checks() -> None:
    text = "注文番号 09012345678 order no. 0312345678 ¥12,800 2026-11-25 12:00:00 SN-0312345678"
    for piece in ("09012345678", "0312345678", "12,800", "2026-11-25", "12:00:00"):
        start = text.index(piece)
        assert is_lookalike(text, start, start + len(piece)), piece
    serial = text.rindex("0312345678")
    assert is_lookalike(text, serial, serial + 10)
    assert not is_lookalike("連絡先 09012345678", 4, 15)
    assert not is_lookalike("Ordering 09012345678", 9, 20)  # "order" only as a whole word


def test_dates_need_real_months_and_days() -> None:
    """0466-26-8945 is a phone number, not the 26th month of the year 466."""
    assert not is_lookalike("0466-26-8945", 0, 12)
    assert [s.value for s in DETECTOR.detect("0466-26-8945")] == ["0466268945"]


def test_a_phone_next_to_lookalikes_is_still_found() -> None:
    text = "注文番号 ORD-2026-000123 ¥12,800 2026-11-25 12:00 連絡先 090-1234-5678"
    assert [text[s.start : s.end] for s in DETECTOR.detect(text)] == ["090-1234-5678"]
