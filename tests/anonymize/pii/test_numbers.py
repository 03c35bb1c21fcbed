"""Numbers with check digits or labels: My Number, corporate and invoice numbers, cards, bank accounts."""

from __future__ import annotations

import pytest

from anonymize.pii import PiiDetector
from anonymize.pii.recognizers.numbers import card_network_ok

DETECTOR = PiiDetector()


def found(text: str) -> list[tuple[str, str, str]]:
    return [(s.kind.value, text[s.start : s.end], s.value) for s in DETECTOR.detect(text)]


def test_card_networks() -> None:
    assert card_network_ok("4111111111111111") and card_network_ok("378282246310005")
    assert card_network_ok("3530111333300000") and card_network_ok("5555555555554444")
    # 13-digit Visa numbers exist (anonymize.context's IIN table); a JAN code of that shape is no card for want of
    # context (no card grouping, cue word or card key): "JAN 4901234567894" in test_numbers_not_found.
    assert card_network_ok("4901234567894")
    assert not card_network_ok("2026112512000001")  # a timestamp-shaped id is below the Mastercard 2-series
    assert not card_network_ok("9999999999999995")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 123456789018: the Digital Agency's published example; 7000012050002: the National Tax Agency's number
        ("マイナンバー 1234 5678 9018", ("MY_NUMBER", "1234 5678 9018", "123456789018")),
        ("個人番号: 123456789018", ("MY_NUMBER", "123456789018", "123456789018")),
        ("My Number 1234-5678-9018", ("MY_NUMBER", "1234-5678-9018", "123456789018")),
        ("法人番号 7000012050002", ("CORPORATE_NUMBER", "7000012050002", "7000012050002")),
        ("corporate_number=7000012050002", ("CORPORATE_NUMBER", "7000012050002", "7000012050002")),
        ("登録番号：T7000012050002", ("INVOICE_NUMBER", "T7000012050002", "T7000012050002")),
        ("登録番号 T-7000012050002", ("INVOICE_NUMBER", "T-7000012050002", "T7000012050002")),
        ("card 4111 1111 1111 1111", ("CARD", "4111 1111 1111 1111", "4111111111111111")),
        (
            "カード ５５５５－５５５５－５５５５－４４４４",
            ("CARD", "５５５５－５５５５－５５５５－４４４４", "5555555555554444"),
        ),
        ("Amex 3782 822463 10005", ("CARD", "3782 822463 10005", "378282246310005")),
        ("JCB 3530111333300000", ("CARD", "3530111333300000", "3530111333300000")),
        ("Diners 3056 930902 5904", ("CARD", "3056 930902 5904", "30569309025904")),
        ("普通 1234567", ("BANK_ACCOUNT", "1234567", "1234567")),
        ("口座番号：7654321", ("BANK_ACCOUNT", "7654321", "7654321")),
        ("当座預金 0012345", ("BANK_ACCOUNT", "0012345", "0012345")),
        ("渋谷支店(123)", ("BANK_BRANCH", "123", "123")),
        ("支店番号 456", ("BANK_BRANCH", "456", "456")),
        ("店番 789", ("BANK_BRANCH", "789", "789")),
        ("payout bank_branch=960 account=1019536", ("BANK_BRANCH", "960", "960")),
    ],
)
def test_numbers_found(text: str, expected: tuple[str, str, str]) -> None:
    assert found(text)[0] == expected


def test_keyed_account_only_in_a_bank_context() -> None:
    assert found("payout bank_branch=960 account=1019536")[1] == ("BANK_ACCOUNT", "1019536", "1019536")
    assert found("login account=1019536 ok") == []


@pytest.mark.parametrize(
    "text",
    [
        "123456789018",  # a valid My Number check digit, but no label: an order number as likely
        "マイナンバー 123456789012",  # label, wrong check digit
        "7000012050002",  # valid corporate number, no label
        "法人番号 8000012050002",  # wrong check digit
        "T8000012050002",  # invoice number with a wrong check digit
        "JAN 4901234567894",
        "4111 1111 1111 1112",  # Luhn fails
        "9999 9999 9999 9995",  # no card network
        "取引ID 4111111111111111",  # labelled id
        "在庫 1234567個",
        "支店 東京",
        "1234-5678-9012",
    ],
)
def test_numbers_not_found(text: str) -> None:
    assert found(text) == []
