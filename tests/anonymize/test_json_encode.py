"""The C encoder of a JSON transform's output (anonymize/csrc/json_encode.c: json_encode) writes exactly what
json.dumps(document, ensure_ascii=False) writes, and the leak check's keys of a JSON output read from its document
in C (json_walk.c: json_output_keys) are the Python ones: on hypothesis-generated documents (nested, every
character incl. controls, quotes, backslashes, non-BMP and lone surrogates, big ints, floats incl. -0.0, NaN and
infinities) and on documents json.loads made of tricky texts (duplicate keys, escapes, 1e400, JSON held in a
string). A document of other than JSON's exact types is handed back (None) for Python to encode."""

from __future__ import annotations

import enum
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anonymize import leak_keys
from anonymize.speedups import NATIVE
from anonymize.transformers import json_paths as jp
from anonymize.transformers.base import Transformer, _registry

pytestmark = pytest.mark.skipif(NATIVE is None, reason="anonymize._speedups is not built")

# Every code point, surrogates included (hypothesis leaves category Cs out by default); the characters the encoder
# branches on drawn often.
_CHARACTERS = st.one_of(
    st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=()),
    st.sampled_from(['"', "\\", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f", "é", "語", "\U0001f600"]),
)
_TEXT = st.text(_CHARACTERS, max_size=12)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e400, -1e400, 1e-320, 5e-324, 1e16, 1.5e300, 2**63, -(2**63) - 1]),
    _TEXT,
)
_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(_TEXT, inner, max_size=5)),
    max_leaves=30,
)


def _python_output_keys(document: Any) -> list[str]:
    return leak_keys._text_keys(leak_keys._json_strings(document))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_DOCUMENTS)
def test_the_c_encoder_writes_json_dumps_text(document: Any) -> None:
    assert NATIVE.json_encode(document) == json.dumps(document, ensure_ascii=False)
    assert jp._encoded(document) == jp._ENCODE(document)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_DOCUMENTS)
def test_the_c_output_keys_are_the_python_ones(document: Any) -> None:
    assert NATIVE.json_output_keys(document) == _python_output_keys(document)


_TEXTS = [
    '{"a": 1, "a": 2, "b": {"a": "x", "a": "y"}}',  # duplicate keys: the last value, at the first one's place
    '{"s": "\\"q\\" \\\\ \\/ \\b\\f\\n\\r\\t \\u0000\\u001f\\u007f \\u00e9 \\ud83d\\ude00 \\ud800 \\udfff"}',
    "[-0, 0.0, -0.0, 1e400, -1e400, 1E+2, 1.0e-7, 123456789012345678901234567890, 0.1, 1e22, 1e16, 3.14]",
    '{"payload": "{\\"card\\": {\\"number\\": \\"4242 4242 4242 4242\\"}}", "n": [NaN, Infinity, -Infinity]}',
    '{"": "", "k": [], "o": {}, "deep": [[[[{"x": [null, true, false]}]]]]}',
    '"just a string, Tokyo 東京都"',
    "12",
    "null",
    '{"name": "山田 太郎", "email": "taro.yamada@example.co.jp", "note": "call 090-1234-5678 (after 6pm)"}',
]


@pytest.mark.parametrize("text", _TEXTS, ids=range(len(_TEXTS)))
def test_documents_json_loads_made(text: str) -> None:
    document = json.loads(text)
    assert NATIVE.json_encode(document) == json.dumps(document, ensure_ascii=False)
    assert NATIVE.json_output_keys(document) == _python_output_keys(document)
    assert leak_keys.output_keys(json.dumps(document, ensure_ascii=False), True) == _python_output_keys(document)


class _Kind(enum.IntEnum):
    ONE = 1


class _Text(str):
    pass


@pytest.mark.parametrize(
    "document",
    [(1, 2), {"a": (1,)}, {1: "x"}, {"a": _Kind.ONE}, [_Text("x")], {_Text("k"): 1}, {"a": [1, {"b": {2.5: 1}}]}],
    ids=["tuple", "nested tuple", "int key", "int subclass", "str subclass", "str subclass key", "float key"],
)
def test_other_types_are_left_to_python(document: Any) -> None:
    assert NATIVE.json_encode(document) is None
    assert jp._encoded(document) == json.dumps(document, ensure_ascii=False)


def test_a_value_json_cannot_write_is_pythons_error() -> None:
    assert NATIVE.json_encode({"a": {1, 2}}) is None
    with pytest.raises(TypeError):
        jp._encoded({"a": {1, 2}})


def test_depth_is_a_recursion_error_not_a_crash() -> None:
    deep: Any = "leaf"
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(RecursionError):
        NATIVE.json_encode(deep)
    with pytest.raises(RecursionError):
        NATIVE.json_output_keys(deep)


def test_a_large_document_round_trips() -> None:
    document = {f"key {i}": [i, i * 0.5, f"value \u00e9 {i}\n", None, {"x": "y" * i}] for i in range(2000)}
    out = NATIVE.json_encode(document)
    assert out == json.dumps(document, ensure_ascii=False)
    assert json.loads(out) == document


def test_a_transform_whose_leaves_give_nothing_declares_it() -> None:
    """JsonPaths._items passes over the leaves of a path sub that declares leak "whole" and is not personal: such a
    transformer's leak items must be Transformer's (nothing for a value not personal)."""
    whole = [cls for cls in _registry().values() if cls.capabilities.leak == "whole"]
    assert any(cls.name == "card_part" for cls in whole)  # the path sub the payloads of bench/snapshot have most
    for cls in whole:
        assert cls.leak_items is Transformer.leak_items, cls
        assert cls.leak_values is Transformer.leak_values, cls
