"""The C walks of a JSON document (anonymize/csrc/json_walk.c: the path rules' loop, json_rules, and the leaves no
path rule covers, json_rest) give exactly what the Python walks they replace give: the same output, the same
leak-check items, the same fakes, on documents of every shape the rules can meet (wildcards, recursive descents,
JSON held in strings, ignored keys, ids, integers, duplicate trails), and after the detector's known values move
between a value's transform and its leak check. The reference here is the current Python code with the C walks
turned off; test_json_text_speed.py holds both to the older reference paths on the stranger databases."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymize import leak_keys
from anonymize.pii import hook
from anonymize.pii.spans import Kind
from anonymize.speedups import NATIVE
from anonymize.transformers import json_paths as jp
from tests.anonymize.test_json_text_speed import RULE_SETS, _document, _fixed_documents
from tests.anonymize.transform_kit import build


def _outcome(params: dict[str, Any], values: list[str]) -> list[tuple[Any, ...]]:
    transformer = build("json", params, "jsonb")  # fresh: no memo carried over
    out = []
    for value in values:
        new = transformer.transform(value, {})
        keys = leak_keys.output_keys(new, True) if new is not None else None
        out.append((new, list(transformer.leak_items(value)), keys))
    return out


def _python_walks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jp, "_JSON_RULES", None)
    monkeypatch.setattr(jp, "_JSON_REST", None)
    monkeypatch.setattr(jp, "_JSON_FOUND_ITEMS", None)
    monkeypatch.setattr(jp, "_JSON_FOUND_ITEMS_NATIVE", None)
    monkeypatch.setattr(jp, "_JSON_LEAF_ITEMS", None)


def test_the_extension_has_the_walks() -> None:
    assert NATIVE is not None, "anonymize._speedups is not built: run `make setup` (needs gcc, python3-dev)"
    assert jp._JSON_RULES is NATIVE.json_rules and jp._JSON_REST is NATIVE.json_rest
    assert jp._JSON_FOUND_ITEMS is NATIVE.json_found_items
    assert jp._JSON_FOUND_ITEMS_NATIVE is NATIVE.json_found_items_native
    assert jp._JSON_LEAF_ITEMS is NATIVE.json_leaf_items


@pytest.mark.parametrize("params", RULE_SETS, ids=range(len(RULE_SETS)))
def test_the_c_walks_give_the_python_walks_output(params: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(1414)
    documents = _fixed_documents() + [_document(rng) for _ in range(1500)]
    documents += [7, "text", None, [], {}, [[["deep", {"email": "taro.yamada@gmail.com"}]]]]  # not objects at top
    values = [json.dumps(d, ensure_ascii=rng.random() < 0.3) for d in documents]
    values += values[:300]  # repeated documents: free text's memo answers, and the C walk reads it
    native = _outcome(params, values)
    _python_walks(monkeypatch)
    assert native == _outcome(params, values)


def test_index_paths_negative_and_out_of_range(monkeypatch: pytest.MonkeyPatch) -> None:
    params = {
        "paths": {"$.items[-1].email": "email", "$.items[5].email": "email", "$[0]": "email", "$.a[0][1]": "phone"},
        "other_strings": "free_text",
    }
    documents = [
        {"items": [{"email": "a.b@example.com"}, {"email": "c.d@example.com"}]},
        {"items": []},
        {"items": {"email": "not.a.list@example.com"}},
        ["first@example.com", "second@example.com"],
        {"a": [["x", "090-1234-5678"]], "note": "call 090-1234-5678"},
        {"a": '[["x", "090-1234-5678"]]'},  # the list held in a string: decoded by the Python step
    ]
    values = [json.dumps(d) for d in documents]
    native = _outcome(params, values)
    _python_walks(monkeypatch)
    assert native == _outcome(params, values)


def test_leak_items_see_known_values_added_after_the_transform() -> None:
    """The C walk leaves out of the leak check's list the strings free text's memo said hold nothing: once the known
    values change, those strings are looked at again (as the Python walk's list would have them)."""
    transformer = build("json", {"other_strings": {"transform": "free_text", "params": {"detector": "presidio"}}})
    value = json.dumps({"note": "deliver to Bartholomew Quintanilla", "status": "ok"})
    known = hook.reset_known()
    try:
        transformer.transform(value, {})  # fills the memo: nothing in the note
        transformer.transform(value, {})  # read from the memo by the C walk: the note left out of the list
        assert list(transformer.leak_items(value)) == []
        known.add(Kind.PERSON, "Bartholomew Quintanilla")
        assert [item[0] for item in transformer.leak_items(value)] == ["Bartholomew Quintanilla"]
    finally:
        hook.reset_known()


def test_origins_tell_a_key_spelled_like_the_marker_from_json_held_in_a_string() -> None:
    transformer = build("json", {"other_strings": "free_text"}, "jsonb")
    assert isinstance(transformer, jp.JsonPaths)
    key = next(iter(json.loads('{"<json>": 1}')))  # a key of the data, equal to the marker but not it
    assert key == jp._DECODED and key is not jp._DECODED
    as_key, as_marker = ("body", key, "email"), ("body", jp._DECODED, "email")
    for trail in (as_key, as_marker, as_key, as_marker):  # each asked twice: the memo's answers too
        assert transformer._origin(trail, "email", True, False) == transformer._folded_origin(
            trail, "email", True, False
        )
    assert transformer._origin(as_key, "email", True, False) != transformer._origin(as_marker, "email", True, False)


def test_the_leak_checks_json_strings_in_c_are_the_python_ones() -> None:
    assert NATIVE is not None and leak_keys._JSON_STRINGS is NATIVE.json_strings
    rng = random.Random(16)
    for document in [*_fixed_documents(), *(_document(rng) for _ in range(2000)), "text", 7, None, 1.5, True]:
        assert NATIVE.json_strings(document) == leak_keys._json_strings(document)


def test_a_document_nested_deeper_than_python_recurses_is_an_error_not_a_crash() -> None:
    assert NATIVE is not None
    deep: Any = "x"
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(RecursionError):
        NATIVE.json_rest(
            deep, set(), None, {}, jp._context, [], None, lambda v, r: v, {}, None, None, None, None,
            jp._held_document, jp._encode, jp._DECODED, 512, None,
        )  # fmt: skip
    with pytest.raises(RecursionError):
        NATIVE.json_strings(deep)


SCALAR_RULES: dict[str, Any] = {
    "paths": {
        "$.id": "keep",
        "$..note": "keep",
        "$.order_id": "token",
        "$.email": "email",
        "$.card": "card_pan",
        "$.name": "person_name",
        "$.items[0]": "phone",
        "$.items[1]": "keep",
        "$.customer.email": "email",
        "$.customer.id": {"transform": "card_part", "params": {"part": "last4"}},
    },
    "other_strings": "free_text",
}


def test_path_leaves_done_in_c_give_the_python_leafs_values_and_bookkeeping(monkeypatch: pytest.MonkeyPatch) -> None:
    """json_rules' fast_leaf (path rules without document refs: keep, fakes, on every JSON scalar type) against the
    Python leaf: output, leak items (found, kept, covered), and the leak check's output keys."""
    rng = random.Random(1416)
    odd: list[Any] = [
        {"id": float("nan"), "order_id": -0.0, "email": 1e300, "card": 4539148803436467, "name": None},
        {"id": [1.5, -0.0, float("inf"), float("-inf"), True, False, None, 10**30], "items": [7, -0.0]},
        {"id": True, "order_id": False, "items": [True, 1e-7], "note": 0, "customer": {"id": 4242, "email": 5}},
        {"id": "{not json", "name": "[1, 2", "items": ["{", " [x"], "note": ' {"a": 1}'},
        {"id": 1, "customer": {"id": "4539148803436467", "email": "taro.yamada@gmail.com"}, "note": {"note": "n"}},
    ]
    documents = _fixed_documents() + odd + [_document(rng) for _ in range(1500)]
    values = [json.dumps(d, ensure_ascii=rng.random() < 0.3) for d in documents]
    values += values[:200]
    native = _outcome(SCALAR_RULES, values)
    _python_walks(monkeypatch)
    assert native == _outcome(SCALAR_RULES, values)


def test_json_rules_refuses_a_malformed_leaf_state() -> None:
    assert NATIVE is not None
    with pytest.raises(TypeError, match="leaf_state"):
        NATIVE.json_rules({}, (), [None], (), print, jp._rewrite_steps, (set(), set(), [], []))


_FOUND_RULES: dict[str, Any] = {
    "paths": {
        "$.c.email": "email",  # leak "whole", identifying: json_found_items writes its item itself
        "$.c.name": "person_name",  # leak "whole", not identifying
        "$.c.line1": {"transform": "address", "params": {"part": "street"}},  # plain, its fake recorded
        "$.c.zip": {"transform": "address", "params": {"part": "postal_code"}},
        "$.c.phone": "phone",  # plain (whole_if_digit)
        "$.c.fp": "token",
        "$.c.exp": {"transform": "card_part", "params": {"part": "exp_month", "key_column": "@.last4"}},  # silent
        "$.c.last4": {"transform": "card_part", "params": {"part": "last4"}},
        "$.c.id": "keep",  # kept: `_identifier` when it may be a number
        "$.c.ref": "keep",
        "$.c.list[*].email": "email",  # a wildcard: found by the Python step, read by the C loop alike
    },
    "other_strings": "free_text",
}
_FOUND_VALUES = [
    "taro.yamada@gmail.com", "", " ", "\u3000", "\t\n", " x ", "山田 太郎", "Jane Doe", "4242 4242 4242 4242",
    " 4111111111111111", "\u00a04111111111111111", "4111-1111-1111-1111", "12", "0", "abc123", "090-1234-5678",
    "+81 90 1234 5678", "1-2-3 Chiyoda", "100-0001", "Suite 870", 7, 4111111111111111, 0, -1, 2.5, True, None, [], {},
]  # fmt: skip


def test_the_c_loop_over_path_leaves_gives_the_python_items(monkeypatch: pytest.MonkeyPatch) -> None:
    """json_found_items (the path rules' leaves of `_items`: keep, silent, whole, plain and asked subs) against the
    Python loop, on values blank by str.strip (Unicode spaces), ids a space or digit first, numbers and containers
    at each path, repeated so the memos answer."""
    rng = random.Random(14)
    documents = []
    for _ in range(600):
        card = {key: rng.choice(_FOUND_VALUES) for key in ("email", "name", "line1", "zip", "phone", "fp", "exp")}
        card |= {"last4": rng.choice(["4242", "12", ""]), "id": rng.choice(_FOUND_VALUES)}
        card |= {"ref": rng.choice(_FOUND_VALUES), "list": [{"email": rng.choice(_FOUND_VALUES)} for _ in range(2)]}
        documents.append({"c": card, "note": rng.choice(["call 090-1234-5678", "nothing", "taro.yamada@gmail.com"])})
    values = [json.dumps(d, ensure_ascii=False) for d in documents]
    values += values[:200]
    native = _outcome(_FOUND_RULES, values)
    assert any(items for _, items, _ in native)
    _python_walks(monkeypatch)
    assert native == _outcome(_FOUND_RULES, values)


def test_the_c_loop_without_the_c_leak_items_gives_the_python_items(monkeypatch: pytest.MonkeyPatch) -> None:
    """json_found_items (the memo and `_plain_pieces` in Python) still gives the Python loop's items: it runs where
    the extension has no json_found_items_native."""
    rng = random.Random(15)
    documents = [{"c": {key: rng.choice(_FOUND_VALUES) for key in ("line1", "zip", "phone")}} for _ in range(300)]
    values = [json.dumps(d, ensure_ascii=False) for d in documents]
    monkeypatch.setattr(jp, "_JSON_FOUND_ITEMS_NATIVE", None)
    older = _outcome(_FOUND_RULES, values)
    assert any(items for _, items, _ in older)
    _python_walks(monkeypatch)
    assert older == _outcome(_FOUND_RULES, values)


# Strings an address, a postal code or a phone leaf may hold: letters of several scripts, units, digits decimal and
# not, Unicode spaces (blank by str.strip), casefolds that change length.
_LEAF_TEXT = st.lists(
    st.sampled_from(
        list("aptsuiteflorbx0123456789 _-.#") + list("号室階サクラ東京ßİﬂ²٣\u3000\t")
        + ["Apt", "SUITE", "Flat", "Box", "号棟", "090-1234-5678", "+81 90 1234 5678", "1-2-3 Chiyoda", "100-0001"]
    ),
    max_size=8,
).map("".join)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_LEAF_TEXT, _LEAF_TEXT, _LEAF_TEXT, _LEAF_TEXT), min_size=1, max_size=6))
def test_the_c_leak_items_of_path_leaves_are_the_python_ones_on_any_text(
    leaves: list[tuple[str, str, str, str]],
) -> None:
    """json_found_items_native (addresses' and phones' leak items in C, `_plain_pieces` with the recorded fakes in C)
    against the Python loop, on generated leaf texts, the same documents twice so the memos answer."""
    documents = [{"c": {"line1": a, "zip": b, "phone": c, "name": d, "list": [{"email": d}]}} for a, b, c, d in leaves]
    values = [json.dumps(d, ensure_ascii=False) for d in documents] * 2
    native = _outcome(_FOUND_RULES, values)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _python_walks(monkeypatch)
        assert native == _outcome(_FOUND_RULES, values)
