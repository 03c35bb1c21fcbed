"""The leak items in C (anonymize/csrc/leak_items.c) give exactly what their Python references give: specificity's
specific_address on every kind of text (ASCII, upper case, casefolding that changes length, letters of every script,
digits that are not decimal, underscores), and `LeakItems` what the transformers' own `leak_items` give (addresses of
every part, phones, cards: the C the row loop and the JSON walk call instead)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import anonymize.transformers  # noqa: F401  # first: specificity and the transformers import each other
from anonymize.specificity import NAMELESS, specific_address
from anonymize.speedups import NATIVE
from anonymize.transformers.base import Transformer
from tests.anonymize.transform_kit import build

pytestmark = pytest.mark.skipif(NATIVE is None, reason="anonymize._speedups is not built")

ADDRESSES = [
    "", " ", "\u3000", "\t\n", "12 Main St", "12 main st", "Apt 12B", "APT 12B", "Suite 870", "suite", "Flat 3",
    "PO Box 12", "P.O. Box 12", "305号室", "サクラハイツ305号室", "3階", "号棟", "Flat 3, Jones House",
    "c/o Mary Jones",
    "Straße 5", "STRASSE 5", "ﬂat 3", "İstanbul", "Ⅻ 12", "x", "a b c", "x_y", "ab_cd", "²³ Apt", "٣ Apt", "1-2-3",
    "12b", "b12", "Ünit 4", "UNIT 4", "Bldg", "APT", "Apt.", "#12", "1st floor", "2nd Floor", "東京都千代田区1-2-3",
    "ꓐꓳ", "ǅ", "Ǆungla", "ß", "ẞ", "ŉ 4", "\U0001d400\U0001d401",
]  # fmt: skip
# Letters of several scripts, the nameless words' own letters, digits decimal and not, separators, casefolds that grow.
_ALPHABET = st.sampled_from(
    list("aptsuiteflorbxnm0123456789 _-.,#/'")
    + list("号室階棟番館サクラハイツ東京")
    + list("ßẞİıŉǅǄﬂ²³٣Ⅻ½\u3000\t\u00a0")
    + ["APT", "Suite", "Flat", "unit", "Box", "号棟", "Floor", "Bldg", "ÉTAGE", "\U0001d400"]
)  # fmt: skip
_TEXT = st.lists(_ALPHABET, max_size=12).map("".join) | st.text(max_size=16)


def _native(transformer: Transformer) -> Any:
    native = transformer.native_leak_items()
    assert native is not None, f"{transformer!r} has no C leak_items"
    return native


@pytest.mark.parametrize("value", ADDRESSES)
def test_specific_address_in_c_is_the_python_one(value: str) -> None:
    assert NATIVE is not None
    assert NATIVE.specific_address(value, NAMELESS) is specific_address(value)


@settings(max_examples=3000, deadline=None)
@given(_TEXT)
def test_specific_address_in_c_is_the_python_one_on_any_text(value: str) -> None:
    assert NATIVE is not None
    assert NATIVE.specific_address(value, NAMELESS) is specific_address(value)


_ADDRESS_PARTS = [
    {"part": "street"},
    {"part": "building", "locale": "gb"},
    {"part": "postal_code"},  # personal, not identifying
    {"part": "city"},  # not personal: nothing
    {"part": "prefecture"},
]
_NUMBERS = [("phone", {}), ("card_pan", {}), ("card_pan", {"keyed_last4": True})]


@pytest.mark.parametrize("params", _ADDRESS_PARTS, ids=lambda p: p["part"])
def test_an_addresss_leak_items_in_c_are_its_own(params: dict[str, Any]) -> None:
    address = build("address", params)
    native = _native(address)
    for value in ADDRESSES:
        assert native(value) == tuple(address.leak_items(value)), value
        assert [type(flag) for _, flag in native(value)] == [type(flag) for _, flag in address.leak_items(value)]


@pytest.mark.parametrize(("transform", "params"), _NUMBERS)
def test_a_numbers_leak_items_in_c_are_its_own(transform: str, params: dict[str, Any]) -> None:
    number = build(transform, params)
    native = _native(number)
    for value in ["", " ", "なし", "-", "090-1234-5678", "０９０", "٣", "²", "4242 4242 4242 4242", "x1", "Ⅻ"]:
        assert native(value) == tuple(number.leak_items(value)), value


@settings(max_examples=1500, deadline=None)
@given(_TEXT)
def test_leak_items_in_c_are_the_transformers_on_any_text(value: str) -> None:
    for transformer in _TRANSFORMERS:
        assert _native(transformer)(value) == tuple(transformer.leak_items(value))


_TRANSFORMERS = [build("address", params) for params in _ADDRESS_PARTS] + [build(t, p) for t, p in _NUMBERS]


def test_transformers_without_a_plain_leak_items_have_no_c_one() -> None:
    """Only leak_items that are a function of the value and the flags run in C: not free text, JSON, logins or
    bank accounts (their own rules), nor names and emails (the row loop and the JSON walk do "whole" themselves)."""
    for transform in ("free_text", "username", "email", "person_name", "token"):
        assert build(transform, {"key_column": "id"} if transform == "username" else {}).native_leak_items() is None
    assert build("json", {"other_strings": "free_text"}, "jsonb").native_leak_items() is None


def test_leak_items_refuses_what_it_cannot_read() -> None:
    assert NATIVE is not None
    with pytest.raises(ValueError, match="mode"):
        NATIVE.LeakItems("words", True, True, None)
    with pytest.raises(TypeError, match="frozenset"):
        NATIVE.LeakItems("address", True, True, {"apt"})
    with pytest.raises(TypeError, match="leak_items"):
        NATIVE.LeakItems("digit", True, True, None)(12)


def _luhn_completed(body: str) -> str:
    from anonymize.transformers.digits import luhn_check_digit

    return body + luhn_check_digit(body)


def _network_samples() -> list[str]:
    """Numbers at every IIN range's bounds and just outside them, at every length around a card's, Luhn-valid and
    not: where a C table that differs from context.CARD_NETWORKS would show."""
    from anonymize.context import CARD_NETWORKS

    samples = []
    for ranges, _ in CARD_NETWORKS.values():
        for low, high in ranges:
            width = len(str(low))
            for prefix in {low - 1, low, (low + high) // 2, high, high + 1}:
                if prefix < 0 or len(str(prefix)) != width:
                    continue
                for length in range(11, 22):
                    body = (str(prefix) + "1234567890123456789")[: length - 1]
                    samples += [_luhn_completed(body), body + "0", body + "5"]
    return samples


def test_card_numbers_in_c_are_contexts() -> None:
    from anonymize.context import is_card_number

    assert NATIVE is not None
    samples = _network_samples()
    assert sum(is_card_number(s) for s in samples) > 50  # both answers are met
    for digits in samples:
        assert NATIVE.card_id(digits, False) is is_card_number(digits), digits


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="0123456789", min_size=11, max_size=21), st.booleans())
def test_card_numbers_in_c_are_contexts_on_any_digits(digits: str, complete: bool) -> None:
    from anonymize.context import is_card_number

    assert NATIVE is not None
    if complete:
        digits = _luhn_completed(digits[:-1])
    assert NATIVE.card_id(digits, False) is is_card_number(digits)


_ID_TEXTS = [
    "4111111111111111", " 4111 1111 1111 1111 ", "4111-1111-1111-1111", "\t4111111111111111\n", "4111111111111112",
    "\u00a04111111111111111", "4111\t1111111111111", "-4111111111111111", "4111111111111111-", "41111111111111111111",
    "378282246310005", "3782 822463 10005", "1", "12", "", " ", "abc", "４１１１１１１１１１１１１１１１",
    "4111111111111111x", "5555555555554444", "6011111111111117", "3530111333300000", "30569309025904",
    "6200000000000005", "\x0b4111111111111111\x0c",
]  # fmt: skip


def _python_card_id(text: str) -> bool:
    json = build("json", {"paths": {"$.id": "keep"}}, "jsonb")
    return bool(list(json._identifier(("id",), text)))  # type: ignore[attr-defined]


def test_card_ids_in_c_are_json_paths_identifier() -> None:
    assert NATIVE is not None
    assert any(_python_card_id(text) for text in _ID_TEXTS)
    for text in _ID_TEXTS:
        assert NATIVE.card_id(text, True) is _python_card_id(text), repr(text)


@settings(max_examples=2000, deadline=None)
@given(
    st.lists(
        st.sampled_from(["4111", "1111", "5555", "4444", "3782", "0", "7", " ", "-", "\t", "\n", "\x0b", "a", "٣"]),
        max_size=8,
    ).map("".join)
)
def test_card_ids_in_c_are_json_paths_identifier_on_any_text(text: str) -> None:
    assert NATIVE is not None
    assert NATIVE.card_id(text, True) is _python_card_id(text)
