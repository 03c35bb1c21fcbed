"""The C pieces of a JSON transform added for issue 14 give exactly what their Python references give:
json_load.c's parse (json.loads), json_walk.c's may_hold (which strings are left to _held_document: the walks'
output and leak items with the C walks on and off), and card_part.c's CardPartMemo (CardPart.transform). Fixed
samples and hypothesis; listed in .ci/sanitizers, so they run under ASan/UBSan too."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anonymize.speedups import NATIVE
from anonymize.transformers import json_paths as jp
from tests.anonymize.test_json_walk_native import _outcome
from tests.anonymize.transform_kit import build

pytestmark = pytest.mark.skipif(NATIVE is None, reason="anonymize._speedups is not built (run `make setup`)")

_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _native_load(text: str) -> Any:
    assert NATIVE is not None and jp._SCAN_ONCE is not None
    return NATIVE.json_load(jp._SCAN_ONCE, text)


def _same_parse(text: str) -> None:
    """json_load(text) is json.loads(text), or both refuse it (json_load with a ValueError)."""
    try:
        expected: Any = json.loads(text)
    except ValueError:
        with pytest.raises(ValueError):
            _native_load(text)
        return
    got = _native_load(text)
    # repr tells 1 from 1.0 and True from 1, and NaN compares equal to itself there
    assert repr(got) == repr(expected) and type(got) is type(expected)


_PARSED = [
    '{"a": 1}',
    ' \t\n\r{"a": [1, 2.5, -3e10, true, false, null, "x"]}\r\n ',
    "[]",
    "{}",
    '"just a string"',
    "7",
    "-0",
    "1.0",
    "123456789012345678901234567890",
    "NaN",
    "[Infinity, -Infinity]",
    '{"name": "山田太郎", "emoji": "😀", "esc": "\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\"}',
    '{"lone": "\\ud800"}',
    '{"dup": 1, "dup": 2}',
    '{"nested": {"a": [[[{"b": "c"}]]]}}',
    '{"ok": 1} ',
]
_REFUSED = [
    "",
    "   ",
    "\ufeff{}",  # json.loads refuses a byte order mark at the start of a str
    '{"a": 1} x',
    '{"a": 1}{"b": 2}',
    "{'a': 1}",
    '{"a": }',
    "[1, 2",
    "\f{}",  # form feed: not JSON whitespace
    "{}\u00a0",  # nor is a no-break space after the document
    "tru",
    '"unterminated',
]


@pytest.mark.parametrize("text", _PARSED + _REFUSED)
def test_json_load_parses_and_refuses_as_json_loads(text: str) -> None:
    _same_parse(text)


def test_the_transform_parses_through_json_load() -> None:
    assert jp._NATIVE_LOAD is NATIVE.json_load  # type: ignore[union-attr]
    transformer = build("json", {"paths": {"$.email": "email"}}, "jsonb")
    with pytest.raises(Exception, match="not valid JSON"):
        transformer.transform('{"email": "a@b.example"} trailing', {})


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=25,
)
_WHITESPACE = st.text(alphabet=" \t\n\r\f\u00a0\u3000", max_size=3)


@_SETTINGS
@given(_VALUES, _WHITESPACE, _WHITESPACE, st.booleans(), st.sampled_from([None, (",", ":"), 2]), st.text(max_size=3))
def test_json_load_is_json_loads_on_generated_texts(
    value: Any, before: str, after: str, ensure_ascii: bool, layout: Any, tail: str
) -> None:
    kwargs: dict[str, Any] = {"ensure_ascii": ensure_ascii}
    if isinstance(layout, tuple):
        kwargs["separators"] = layout
    elif layout is not None:
        kwargs["indent"] = layout
    text = before + json.dumps(value, **kwargs) + after
    _same_parse(text)
    _same_parse(text + tail)  # mostly refused: data after the document


# ---- may_hold: which strings the C walks hand to _held_document -------------------------------------------------

# Strings of every start the test branches on: JSON held after whitespace of several kinds, phones and amounts
# (punctuation first), plain words, JSON-looking text that doesn't parse, and the empty string.
_HELD_STRINGS = [
    '{"email": "taro.yamada@gmail.com"}',
    ' {"email":"taro.yamada@gmail.com","n":1}',
    '\u3000["090-1234-5678", {"name": "Hanako Suzuki"}]',
    '\n\t[1, 2, "x"]',
    "\u2028{}",
    "+1 415 555 0100",
    "(03) 1234-5678",
    "$12.50",
    "  plain text with taro.yamada@gmail.com",
    "{not json at all",
    "[1,",
    "",
    " ",
    "4242",
    "Hanako Suzuki",
    "#ref-4242 call +81 90 1234 5678",
]

_RULE_SETS: list[dict[str, Any]] = [
    {"other_strings": "free_text"},
    {
        "paths": {
            "$.card.last4": {"transform": "card_part", "params": {"part": "last4"}},
            "$.card.exp_month": {"transform": "card_part", "params": {"part": "exp_month", "key_column": "@.last4"}},
            "$.card.exp_year": {"transform": "card_part", "params": {"part": "exp_year", "key_column": "@.last4"}},
            "$.phone": "phone",
            "$.contact": "person_name",
            "$.body": "email",  # a rule over a string that may hold JSON: its leaves, decoded
            "$.items[*].note": "keep",
            "$.id": "keep",
        },
        "other_strings": {"transform": "free_text", "params": {"detector": "presidio"}},
        "ignore_keys": ["*_token"],
    },
]


def _held_document(rng: random.Random, depth: int = 0) -> Any:
    def string() -> str:
        return rng.choice(_HELD_STRINGS)

    def scalar() -> Any:
        return rng.choice([string(), string(), string(), rng.randrange(10**12), 2.5, True, None])

    if depth > 2 or rng.random() < 0.3:
        return scalar()
    document: dict[str, Any] = {
        "id": rng.choice(["ch_1", "4539148803436467", 4539148803436467]),
        "phone": string(),
        "contact": rng.choice([string(), {"name": string(), "tel": string()}]),
        "body": string(),
        "card": {
            "last4": rng.choice(["4242", " 4242", "+4242", "{4242", 4242]),
            "exp_month": rng.choice([7, "07", "+7"]),
        },
        "items": [{"note": string(), "x_token": string()} for _ in range(rng.randrange(3))],
        "nested": [_held_document(rng, depth + 1) for _ in range(rng.randrange(3))],
    }
    if rng.random() < 0.5:
        document["card"]["exp_year"] = rng.choice([2027, "2027", "27"])
    return document


def _python_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python walks, json.loads, and card_part's Python transform: what the C pieces must equal."""
    for name in ("_JSON_RULES", "_JSON_REST", "_JSON_FOUND_ITEMS", "_NATIVE_LOAD"):
        monkeypatch.setattr(jp, name, None)
    from anonymize.transformers.card import CardPart

    monkeypatch.setattr(CardPart, "native_transform", lambda self: None)


@pytest.mark.parametrize("params", _RULE_SETS, ids=range(len(_RULE_SETS)))
def test_the_c_walks_hand_the_same_strings_to_held_document(
    params: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(1417)
    documents = [_held_document(rng) for _ in range(600)] + [[s] for s in _HELD_STRINGS] + _HELD_STRINGS
    values = [json.dumps(d, ensure_ascii=rng.random() < 0.3) for d in documents]
    values += values[:150]  # repeated: the memos' hits (free text's, card_part's)
    native = _outcome(params, values)
    _python_reference(monkeypatch)
    assert native == _outcome(params, values)


_STRING_PARTS = st.sampled_from(["", " ", "\u3000", "\n", "{", "[", "+", "(", "x", '"', "1", "}", ":"])


@_SETTINGS
@given(st.lists(st.lists(_STRING_PARTS, max_size=5).map("".join), min_size=1, max_size=6), st.integers(0, 10**6))
def test_may_hold_is_the_python_test_on_generated_strings(texts: list[str], seed: int) -> None:
    """Strings of the characters may_hold branches on, as leaves of every kind of place: a covered path, a leaf
    no path covers, a ref's key, and an array; the C walks' output and leak items against the Python walks'."""
    rng = random.Random(seed)
    documents = [
        {
            "phone": text,
            "note": text,
            "card": {"last4": text, "exp_month": rng.choice([7, text])},
            "items": [{"note": text}, [text, {"deep": text}]],
            "body": json.dumps({"email": text}) if rng.random() < 0.5 else text,
        }
        for text in texts
    ]
    values = [json.dumps(d, ensure_ascii=False) for d in documents]
    params = _RULE_SETS[1]
    native = _outcome(params, values)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _python_reference(monkeypatch)
        assert native == _outcome(params, values)


# ---- card_part.c: CardPartMemo is CardPart.transform --------------------------------------------------------------

_CARD_PARAMS = [
    {"part": "last4"},
    {"part": "bin"},
    {"part": "exp_month", "key_column": "last4"},
    {"part": "exp_year", "key_column": "last4"},
    {"part": "expiry", "key_column": "last4"},
    {"part": "exp_month"},  # no key column: the shift of None
]
_CARD_VALUES = ["4242", "424242", "42424242", "07", "7", "13", "2027", "27", "07/27", " 7 / 2027 ", "", "ab", "1"]
_ROW_KEYS = [None, "4242", "1881", "", "x4242"]


def _card_calls(params: dict[str, Any], calls: list[tuple[str, Any]]) -> list[Any]:
    """The fakes of `calls` through native_transform (C) and through transform, on two fresh transformers: the same
    values, errors alike, and the C object's misses fill its own transformer's memos as transform fills them."""
    native_part = build("card_part", params, "text")
    python_part = build("card_part", params, "text")
    call = native_part.native_transform()
    assert call is not None and type(call).__name__ == "CardPartMemo"
    out = []
    for value, row in calls:
        results = []
        for fake in (call, python_part.transform):
            try:
                results.append(("ok", fake(value, row)))
            except Exception as exc:  # an expiry that isn't one: the same error from both
                results.append(("error", type(exc).__name__, str(exc)))
        out.append(results)
    assert native_part._memo == python_part._memo and native_part._shifts == python_part._shifts
    return out


@pytest.mark.parametrize("params", _CARD_PARAMS, ids=[str(p) for p in _CARD_PARAMS])
def test_card_part_memo_gives_the_transforms_fakes(params: dict[str, Any]) -> None:
    rng = random.Random(42)
    calls = []
    for _ in range(400):
        key = rng.choice(_ROW_KEYS)
        row: Any = {} if key is None else {"last4": key}
        if rng.random() < 0.1:
            row = _NotADict(row)  # the row loop's Row: read by Python's own `get`
        calls.append((rng.choice(_CARD_VALUES), row))
    for native, python in _card_calls(params, calls):
        assert native == python


class _NotADict(dict):  # a dict subclass: not PyDict_CheckExact, so the C side hands it to `transform`
    pass


@_SETTINGS
@given(
    st.sampled_from(_CARD_PARAMS),
    st.lists(
        st.tuples(
            st.sampled_from(_CARD_VALUES) | st.text(alphabet="0123456789 /-x", max_size=8),
            st.sampled_from(_ROW_KEYS) | st.text(alphabet="0123456789", max_size=5),
        ),
        max_size=30,
    ),
)
def test_card_part_memo_on_generated_calls(params: dict[str, Any], pairs: list[tuple[str, str | None]]) -> None:
    calls = [(value, {} if key is None else {"last4": key}) for value, key in pairs]
    calls += calls  # every call again: the memo's hits
    for native, python in _card_calls(params, calls):
        assert native == python


def test_card_part_memo_refuses_bad_arguments() -> None:
    assert NATIVE is not None
    with pytest.raises(TypeError):
        NATIVE.CardPartMemo([], None, None, print)
    with pytest.raises(TypeError):
        NATIVE.CardPartMemo({}, {}, 7, print)
    call = NATIVE.CardPartMemo({"4242": "9999"}, None, None, lambda value, row: "miss")
    assert call("4242", {}) == "9999" and call("1111", {}) == "miss"
    with pytest.raises(TypeError):
        call(4242, {})
