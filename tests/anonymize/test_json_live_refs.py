"""A path rule's document refs (`key_column: "@.last4"`, `"$.card.last4"`) read from the document being rewritten in
place, where it still holds the value as it came in (json_paths._live_ref), give what the document as it came in
gives: the same output and leak items as the reference transform (which never changes its source), whatever the
order of the rules (the ref's target replaced before or after), refs through JSON held in strings, wildcards,
missing keys, containers and scalars of every type at the ref."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from anonymize.transformers import json_paths as jp
from tests.anonymize.test_json_text_speed import _both_paths

EXP_MONTH = {"transform": "card_part", "params": {"part": "exp_month", "key_column": "@.last4"}}
EXP_YEAR_TOP = {"transform": "card_part", "params": {"part": "exp_year", "key_column": "$.last4"}}
EXP_YEAR_DEEP = {"transform": "card_part", "params": {"part": "exp_year", "key_column": "$.card.last4"}}
LAST4 = {"transform": "card_part", "params": {"part": "last4"}}

REF_RULE_SETS: list[dict[str, Any]] = [
    {  # refs read before their targets are replaced: from the live document
        "paths": {
            "$.card.exp_month": EXP_MONTH,
            "$.card.exp_year": EXP_YEAR_TOP,
            "$.items[*].exp_month": EXP_MONTH,
            "$.items[*].exp_year": EXP_YEAR_DEEP,
            "$.card.last4": LAST4,
            "$.last4": LAST4,
            "$.items[*].last4": LAST4,
        },
        "other_strings": "free_text",
    },
    {  # targets replaced first: the document as it came in must answer
        "paths": {
            "$.card.last4": LAST4,
            "$.last4": LAST4,
            "$.items[0].last4": LAST4,
            "$.card.exp_month": EXP_MONTH,
            "$.card.exp_year": EXP_YEAR_DEEP,
            "$.items[*].exp_month": EXP_MONTH,
            "$..exp_year": EXP_YEAR_TOP,
        },
    },
    {  # refs inside JSON held in strings, a ref naming its own leaf, recursive descents
        "paths": {
            "$.card.last4.a": "email",  # steps into JSON held at the ref's target: re-encoded before it is read
            "$.body.card.exp_month": EXP_MONTH,
            "$.body.card.last4": LAST4,
            "$.card.last4": {"transform": "card_part", "params": {"part": "last4", "key_column": "@.last4"}},
            "$..exp_month": EXP_MONTH,
        },
        "other_strings": {"transform": "free_text", "params": {"detector": "presidio"}},
    },
]


def _card(rng: random.Random) -> dict[str, Any]:
    card: dict[str, Any] = {
        "last4": rng.choice(
            [
                "4242",
                4242,
                "0431",
                None,
                {"x": "4242"},
                ["4242"],
                '{"a": 1}',
                '{"a":"a.b@example.com"}',
                " [1]",
                "",
                7.5,
                True,
            ]
        ),
        "exp_month": rng.choice([7, "07", None, 12.0, "12"]),
        "exp_year": rng.choice([2030, "2030", None]),
    }
    if rng.random() < 0.2:
        del card["last4"]
    return card


def _document(rng: random.Random) -> Any:
    card = _card(rng)
    document: dict[str, Any] = {
        "card": json.dumps(card) if rng.random() < 0.2 else card,  # the card held in a string, sometimes
        "items": [_card(rng) for _ in range(rng.randrange(4))],
        "body": json.dumps({"card": _card(rng)}) if rng.random() < 0.4 else "plain",
        "note": "exp 07/30",
    }
    if rng.random() < 0.8:
        document["last4"] = rng.choice(["1111", 1111, None, {"n": 1}, '["x"]'])
    if rng.random() < 0.1:
        document["<json>"] = {"last4": "9999", "exp_month": 3}  # a key spelled like the trail marker
    return document


@pytest.mark.parametrize("params", REF_RULE_SETS, ids=range(len(REF_RULE_SETS)))
def test_refs_read_in_place_give_the_reference_transforms_output(
    params: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(1417)
    values = [json.dumps(_document(rng), ensure_ascii=rng.random() < 0.5) for _ in range(800)]
    values.append(json.dumps({"card": {"exp_month": 1, "last4": "4242"}}))  # the plain case, certainly
    _both_paths(params, values, monkeypatch)


def test_the_live_document_answers_most_refs() -> None:
    """What the change is for: a ref read before its target is replaced does not parse the document again."""
    live = {"card": {"last4": "4242", "exp_month": 7}, "n": 5}
    covered: set[jp.Trail] = {("card", "exp_month")}
    assert jp._live_ref(live, ("card", "exp_month"), "@.last4", covered) == "4242"
    assert jp._live_ref(live, ("card", "exp_month"), "$.n", covered) == "5"
    assert jp._live_ref(live, ("card", "exp_month"), "@.missing", covered) is None
    assert jp._live_ref(live, ("card", "exp_month"), "$.card", covered) is None  # a container: no text
    covered.add(("card", "last4"))  # replaced already: only the source knows what it was
    assert jp._live_ref(live, ("card", "exp_month"), "@.last4", covered) is jp._NOT_LIVE
    held = {"card": {"last4": '{"a": 1}'}}  # a string that may have held JSON a rule re-encoded
    assert jp._live_ref(held, ("card", "exp_month"), "@.last4", set()) is jp._NOT_LIVE
    assert jp._live_ref(live, ("card", jp._DECODED, "x"), "@.last4", set()) is jp._NOT_LIVE
