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


def test_the_extension_has_the_walks() -> None:
    assert NATIVE is not None, "anonymize._speedups is not built: run `make setup` (needs gcc, python3-dev)"
    assert jp._JSON_RULES is NATIVE.json_rules and jp._JSON_REST is NATIVE.json_rest


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
