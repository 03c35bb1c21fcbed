"""A card is a network's IIN range and length, Luhn, and context (anonymize/context.py), in both free-text detectors
(the PII detector and the regex one) and inside JSON, where the key above a value is context too."""

from __future__ import annotations

import json

import pytest

from anonymize.columns import ColumnInfo
from anonymize.keys import Keyring
from anonymize.pii import PiiDetector
from anonymize.pii.hook import FreeTextDetector
from anonymize.rules import ColumnRule
from anonymize.scan import scan_column
from anonymize.transformers.digits import luhn_check_digit, luhn_valid
from anonymize.transformers.factory import build_transformer
from anonymize.transformers.free_text import RegexDetector

KEY = Keyring(b"test-key-0123456789abcdef-card-context")
PII = PiiDetector()
DETECTORS = {"presidio": FreeTextDetector(PII), "regex": RegexDetector()}


def _luhn(body: str) -> str:
    return body + luhn_check_digit(body)


def _of(prefix: str, length: int) -> str:
    """A Luhn-valid number of `length` digits starting with `prefix`."""
    return _luhn(prefix + "7" * (length - len(prefix) - 1))


@pytest.mark.parametrize(
    ("prefix", "lengths", "network"),
    [
        ("4", (13, 16, 19), "visa"),
        ("51", (16,), "mastercard"),
        ("55", (16,), "mastercard"),
        ("2221", (16,), "mastercard"),
        ("2720", (16,), "mastercard"),
        ("34", (15,), "amex"),
        ("37", (15,), "amex"),
        ("6011", (16, 17, 18, 19), "discover"),
        ("644", (16, 19), "discover"),
        ("649", (16, 19), "discover"),
        ("65", (16, 19), "discover"),
        ("3528", (16, 17, 18, 19), "jcb"),
        ("3589", (16, 19), "jcb"),
        ("36", (14, 15, 16), "diners"),
        ("300", (14, 16), "diners"),
        ("305", (14,), "diners"),
        ("38", (14,), "diners"),
        ("39", (16,), "diners"),
        ("62", (16, 17, 18, 19), "unionpay"),
    ],
)
def test_each_networks_iin_ranges_and_lengths(prefix: str, lengths: tuple[int, ...], network: str) -> None:
    from anonymize.context import card_network, is_card_number

    for length in range(12, 21):
        number = _of(prefix, length)
        expected = network if length in lengths else None
        if prefix == "4" or length in lengths:
            assert card_network(number) == expected, (prefix, length)
    assert is_card_number(_of(prefix, lengths[0]))
    wrong = _of(prefix, lengths[0])
    assert not is_card_number(wrong[:-1] + str((int(wrong[-1]) + 1) % 10))  # Luhn fails


@pytest.mark.parametrize(
    "number",
    [
        _of("2220", 16),  # below the Mastercard 2-series
        _of("2721", 16),  # above it
        _of("56", 16),  # Maestro/other: not a network taken here
        _of("3527", 16),  # below JCB
        _of("3590", 16),  # above JCB
        _of("306", 14),  # Diners stops at 305
        _of("643", 16),  # Discover starts at 644
        _of("1", 16),
        _of("9", 16),
        _of("4", 15),  # Visa is 13, 16 or 19 digits long
        _of("34", 16),  # Amex is 15
        _of("51", 19),  # Mastercard is 16
    ],
)
def test_numbers_outside_every_network_are_no_cards(number: str) -> None:
    from anonymize.context import card_network, is_card_number

    assert card_network(number) is None and not is_card_number(number)


TXN = _of("4", 19)  # a 19-digit provider id that happens to be a valid Visa number
CARD = "4242424242424242"


def test_card_grouping() -> None:
    from anonymize.context import card_grouped

    assert card_grouped("4242 4242 4242 4242") and card_grouped("4242-4242-4242-4242-123")
    assert card_grouped("3782 822463 10005") and card_grouped("3056 930902 5904")  # Amex 4-6-5, Diners 4-6-4
    assert not card_grouped(CARD) and not card_grouped("42 4242 4242 4242 42") and not card_grouped("4242 42424242")


@pytest.mark.parametrize(
    ("keys", "context"),
    [
        (("id",), "id"),
        (("data", "object", "id"), "id"),
        (("transaction_id",), "id"),
        (("provider_txn_id",), "id"),
        (("txnId",), "id"),
        (("transactionID",), "id"),
        (("取引ID",), "id"),
        (("注文番号",), "id"),
        (("payment_reference",), "id"),
        (("order_number",), "id"),
        (("order", "number"), "id"),
        (("card_id",), "id"),  # a card's token id, not its number
        (("card_number",), "card"),
        (("cardNumber",), "card"),
        (("pan",), "card"),
        (("card", "number"), "card"),
        (("カード番号",), "card"),
        (("description",), None),
        (("order_note",), None),  # about an order, not its reference
        (("memo",), None),
        ((), None),
    ],
)
def test_what_json_keys_say(keys: tuple[str, ...], context: str | None) -> None:
    from anonymize.context import key_context

    assert key_context(keys) == context


IN_TEXT = [
    (TXN, False),  # a bare 19-digit id: Luhn and a network's range are not enough
    (f"event {TXN} received", False),
    (f"card {TXN}", True),  # a cue word
    (f"paid by VISA {CARD}", True),
    (f"カード {CARD} で決済", True),
    (f"card number: {TXN}", True),  # a label
    (f"カード番号：{CARD}", True),
    ("4242 4242 4242 4242", True),  # card grouping
    (f"card payment {TXN}", False),  # the number names the payment, not the card
    (f"Refund of card charge {TXN}", False),
    (f"order {CARD} shipped", False),
    (f"JAN {_of('49', 13)}", False),  # a 13-digit Visa-shaped JAN code: no card context
    (f"card {_of('9', 16)}", False),  # no network
]


@pytest.mark.parametrize("detector", DETECTORS)
def test_card_context_in_text(detector: str) -> None:
    wrong = [
        (text, card)
        for text, card in IN_TEXT
        if card != any(s.kind == "card" for s in DETECTORS[detector].detect(text))
    ]
    assert wrong == []


@pytest.mark.parametrize("detector", DETECTORS)
def test_json_keys_are_context(detector: str) -> None:
    found = DETECTORS[detector]
    assert found.detect(TXN, "card") and found.detect(CARD, "card")  # a bare number under a card key
    assert not found.detect(f"card {TXN}", "id")  # under an id key: the platform's id whatever the text says
    assert [s.kind for s in found.detect("taro@example.com", "id")] == ["email"]  # not number-shaped: still found


def test_the_pii_detectors_json_leaves_read_their_keys() -> None:
    assert not PII.detect_leaf(("data", "object", "id"), TXN)
    assert not PII.detect_leaf(("transaction_id",), f"card {TXN}")
    assert [s.kind.value for s in PII.detect_leaf(("payment_method", "card", "number"), CARD)] == ["CARD"]
    assert not PII.detect_leaf(("payment_method", "card", "brand"), CARD)  # bare, under no card key


@pytest.mark.parametrize("detector", ["presidio", "regex"])
def test_json_other_strings_leave_ids_and_catch_cards_under_card_keys(detector: str) -> None:
    rule = ColumnRule(
        transform="json", params={"other_strings": {"transform": "free_text", "params": {"detector": detector}}}
    )
    transformer = build_transformer(rule, ColumnInfo("public.events", "payload", "jsonb"), KEY)
    document = {
        "id": TXN,
        "transaction_id": TXN,
        "items": [{"txnId": TXN}],
        "description": f"Card payment {TXN}",  # repeats the document's own id
        "card": {"number": CARD},
        "memo": f"paid with card {_of('51', 16)}",
    }
    out = json.loads(transformer.transform(json.dumps(document), {}))
    assert out["id"] == out["transaction_id"] == out["items"][0]["txnId"] == TXN
    assert out["description"] == f"Card payment {TXN}"
    assert out["card"]["number"] != CARD and luhn_valid(out["card"]["number"])
    assert _of("51", 16) not in out["memo"]
    items = list(transformer.leak_items(json.dumps(document)))
    recorded = {piece for piece, identifying, _ in items if identifying is not None}
    assert recorded == {CARD, _of("51", 16)}
    kept = {piece for piece, identifying, _ in items if identifying is None}  # the ids the source keeps as they are
    assert kept == {TXN}


def test_scan_reads_a_columns_name_as_context() -> None:
    ids = [_of("4", 19)[:-3] + f"{i:03d}" for i in range(400)]
    chance = [v for v in ids if luhn_valid(v)] or [TXN]
    values = ids + chance * 3  # card-shaped ids, as a provider's column holds them
    assert scan_column("public.payments", "provider_txn_id", "keep", values, PII) is None
    cards = [_luhn(_of("4", 16)[:-5] + f"{i:04d}") for i in range(50)]  # a column of bare card numbers
    finding = scan_column("public.cards", "card_number", "keep", cards, PII)
    assert finding is not None and finding.hits == 50
    assert finding is not None and "CARD" in finding.kinds
