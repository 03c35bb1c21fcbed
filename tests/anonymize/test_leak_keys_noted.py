"""The leak check's keys of a JSON transform's output read from the document the transform encoded
(leak_keys.note_json_output) are the keys a parse of the output gives: on documents of every shape the rules meet,
with JSON scalars of every kind put in, and whatever other output is noted in between."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from anonymize import leak_keys
from tests.anonymize.test_json_text_speed import RULE_SETS, _document, _fixed_documents
from tests.anonymize.transform_kit import build

ODD_DOCUMENTS: list[Any] = [
    {"a": float("nan"), "b": float("inf"), "c": -0.0, "d": 1e300, "e": [True, False, None]},
    {"lone": "\ud800 surrogate", "nul": "a\u0000b", "tab": "x\ty", "quote": 'say "hi"', "slash": "a\\b"},
    {"held": json.dumps({"email": "taro.yamada@gmail.com", "n": [1, 2]}), "list": '["090-1234-5678"]'},
    {"日本語": "山田太郎様 090-1234-5678", "": "", "k": {"": {"": "deep"}}},
    "just a string",
    "",
    12,
    None,
    [],
    {},
]


def _parsed_keys(text: str) -> list[str]:
    """What a parse of the output gives: output_keys' own parse of a string it has no keys of."""
    try:
        pieces = leak_keys._JSON_STRINGS(json.loads(text))
    except ValueError:
        pieces = [text]
    return leak_keys._json_output_keys(pieces)


@pytest.mark.parametrize("params", RULE_SETS, ids=range(len(RULE_SETS)))
def test_a_transforms_noted_output_has_the_keys_of_its_parse(params: dict[str, Any]) -> None:
    rng = random.Random(1415)
    documents = _fixed_documents() + [_document(rng) for _ in range(600)] + ODD_DOCUMENTS
    transformer = build("json", params, "jsonb")
    for document in documents:
        value = json.dumps(document, ensure_ascii=rng.random() < 0.3)
        new = transformer.transform(value, {})
        assert new is not None
        assert leak_keys._NOTED[0] is new  # noted: the answers below are read from the document
        first = leak_keys.output_keys(new, True)
        again = leak_keys.output_keys(new, True)  # the second question: the keys kept from the first
        assert first == again == _parsed_keys(new), value


def test_noted_documents_of_odd_scalars_give_their_parse_keys() -> None:
    for document in ODD_DOCUMENTS:
        text = json.dumps(document, ensure_ascii=False)
        leak_keys.note_json_output(text, document)
        assert leak_keys.output_keys(text, True) == _parsed_keys(text)


def test_an_output_noted_after_another_leaves_the_first_to_a_parse() -> None:
    first_doc = {"email": "hanako.sato@example.com"}
    second_doc = {"email": "jiro.suzuki@example.com"}
    first, second = json.dumps(first_doc), json.dumps(second_doc)
    leak_keys.note_json_output(first, first_doc)
    leak_keys.note_json_output(second, second_doc)  # another thread's output, say
    assert leak_keys.output_keys(first, True) == ["hanako.sato@example.com"]
    assert leak_keys.output_keys(second, True) == ["jiro.suzuki@example.com"]
    # An equal string that is not the noted object is parsed: the note answers for its own output only.
    leak_keys.note_json_output(second, {"email": "not-what-the-text-says@example.com"})
    assert leak_keys.output_keys((second + " ")[:-1], True) == ["jiro.suzuki@example.com"]


def test_callers_get_their_own_list() -> None:
    document = {"name": "Taro Yamada"}
    text = json.dumps(document)
    leak_keys.note_json_output(text, document)
    keys = leak_keys.output_keys(text, True)
    keys.append("changed by the caller")
    assert leak_keys.output_keys(text, True) == ["taro yamada", "taro", "yamada"]


def test_the_scans_question_about_an_equal_string_is_answered_from_the_keys_asked_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The output scan asks after the chunk is made, about a str decoded from the COPY line, when other outputs have
    been noted since: the keys the row loop asked for answer it (once), equal to a parse's."""
    rng = random.Random(1416)
    transformer = build("json", RULE_SETS[0], "jsonb")
    outputs = []
    for document in [_document(rng) for _ in range(50)]:
        new = transformer.transform(json.dumps(document), {})
        assert new is not None
        leak_keys.output_keys(new, True)  # the row loop's question, while the output is the noted one
        if new not in outputs:  # (an output met twice is answered once, then parsed)
            outputs.append(new)
    assert len(outputs) > 30
    expected = [_parsed_keys(new) for new in outputs]
    parses: list[str] = []
    real_loads = json.loads
    monkeypatch.setattr(leak_keys.json, "loads", lambda text: parses.append(text) or real_loads(text))
    scanned = [(new + " ")[:-1] for new in outputs]  # equal strings, not the outputs themselves
    assert [leak_keys.output_keys(text, True) for text in scanned] == expected
    assert parses == []
    assert leak_keys.output_keys(scanned[0], True) == expected[0]  # asked again: parsed, the same keys
    assert parses == [scanned[0]]


def test_the_kept_keys_are_bounded() -> None:
    for i in range(leak_keys.RECENT_MAX + 10):
        text = json.dumps({"n": f"value {i}"})
        leak_keys.note_json_output(text, {"n": f"value {i}"})
        leak_keys.output_keys(text, True)
    assert len(leak_keys._RECENT) == leak_keys.RECENT_MAX
    assert json.dumps({"n": "value 0"}) not in leak_keys._RECENT  # the oldest went first


def test_the_c_scan_takes_the_keys_asked_before_from_recent_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """anonymize/csrc/scan.c pops an output's keys from `_RECENT` itself (output_keys' own answer, without the call):
    the same hashes as the Python scan of the same lines, no parse, and each entry taken once."""
    from anonymize import verify
    from anonymize.copy_text import encode_field
    from anonymize.speedups import NATIVE

    if NATIVE is None:
        pytest.skip("anonymize._speedups is not built")
    rng = random.Random(1417)
    transformer = build("json", RULE_SETS[0], "jsonb")
    outputs: list[str] = []
    for document in [_document(rng) for _ in range(40)]:
        new = transformer.transform(json.dumps(document), {})
        assert new is not None
        if new not in outputs:
            leak_keys.output_keys(new, True)  # the row loop's question: its keys kept in _RECENT
            outputs.append(new)
    assert len(outputs) > 20 and all(new in leak_keys._RECENT for new in outputs)
    lines = [encode_field(new) for new in outputs]
    hasher = verify.LeakHasher(salt="c-scan")
    parses: list[str] = []
    real_loads = json.loads
    monkeypatch.setattr(leak_keys.json, "loads", lambda text: parses.append(text) or real_loads(text))
    verify._SCAN_CACHES.clear()
    native = verify.scan_lines(lines, None, (True,), hasher)
    assert parses == [] and not any(new in leak_keys._RECENT for new in outputs)  # answered from _RECENT, popped
    verify._SCAN_CACHES.clear()
    assert native == verify.scan_lines(lines, None, (True,), hasher, native=False)  # parsed now: the same hashes
    assert len(parses) == len(outputs)
