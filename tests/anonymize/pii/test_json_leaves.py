"""String leaves of JSON, JSON held in strings included."""

from __future__ import annotations

import json
import pickle

from anonymize.pii.json_leaves import EMBEDDED, decode_embedded, format_path, iter_string_leaves, map_string_leaves

DOC = {
    "event": "customer.updated",
    "customer": {"name": "山田 太郎", "emails": ["a@example.com", "b@example.com"], "age": 42},
    "body": json.dumps({"note": "田中様 090-1234-5678", "ok": True}, separators=(",", ":"), ensure_ascii=False),
    "raw": "[not json",
    "count": "123",
}


def test_leaves_with_paths() -> None:
    leaves = dict(iter_string_leaves(DOC))
    assert leaves == {
        ("event",): "customer.updated",
        ("customer", "name"): "山田 太郎",
        ("customer", "emails", 0): "a@example.com",
        ("customer", "emails", 1): "b@example.com",
        ("body", EMBEDDED, "note"): "田中様 090-1234-5678",
        ("raw",): "[not json",
        ("count",): "123",  # a scalar in a string stays a string
    }
    assert format_path(("body", EMBEDDED, "note")) == "$.body.<json>.note"
    assert format_path(("customer", "emails", 1)) == "$.customer.emails[1]"


def test_rewrite_reencodes_embedded_json_in_its_style() -> None:
    out = map_string_leaves(DOC, lambda path, s: s.replace("090-1234-5678", "090-0000-0000"))
    assert isinstance(out["body"], str) and ", " not in out["body"]  # still compact
    assert json.loads(out["body"]) == {"note": "田中様 090-0000-0000", "ok": True}
    assert "田中" in out["body"]  # raw characters kept, as the original had them
    assert out["customer"] is DOC["customer"]  # untouched subtrees are the same objects
    escaped = json.dumps({"n": "田中"})  # ensure_ascii: \\u escapes
    assert "\\u" in map_string_leaves({"b": escaped}, lambda p, s: s + "!")["b"]


def test_unchanged_embedded_json_comes_back_byte_for_byte() -> None:
    odd = '{ "a" :  "x" }'
    assert map_string_leaves({"b": odd}, lambda p, s: s)["b"] is odd


def test_decode_only_objects_and_arrays() -> None:
    assert decode_embedded('{"a": 1}') == {"a": 1}
    assert decode_embedded(" [1, 2] ") == [1, 2]
    assert decode_embedded('"x"') is None and decode_embedded("12") is None and decode_embedded("{oops}") is None


def test_the_embedded_marker_survives_pickling() -> None:
    assert pickle.loads(pickle.dumps(EMBEDDED)) is EMBEDDED
