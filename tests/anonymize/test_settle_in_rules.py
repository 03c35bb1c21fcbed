"""A false positive can always be settled in the rules: a JSON path ruled `keep`, a detector's `ignore` list of kinds,
a json rule's `ignore_keys`; what they settle is neither replaced nor recorded by the leak check. Unknown kinds are
one clear error when the rules file is read. `rules init` writes keep paths for the ids it sampled in payloads."""

from __future__ import annotations

import json

import pytest

from anonymize.columns import ColumnInfo
from anonymize.draft import draft_rules
from anonymize.errors import RulesError
from anonymize.keys import Keyring
from anonymize.pii import PiiDetector
from anonymize.rules import check_coverage, parse_rules
from anonymize.scan import Suggestion, scan_json
from anonymize.transformers.factory import build_transformer

KEY = Keyring(b"test-key-0123456789abcdef-settle-rules")
CARD = "4242424242424242"
GROUPED = "4242 4242 4242 4242"
OTHER = "5555 5555 5555 4444"  # another test card: the same number twice in a document would be one id
EMAIL = "taro.yamada@example.com"


def _rules(column_rule: str) -> str:
    return f"""
version: 1
tables:
  events:
    columns:
      id: keep
      body: {column_rule}
"""


def _transformer(column_rule: str, pg_type: str = "text"):
    rules = parse_rules(_rules(column_rule))
    rule = rules.tables["public.events"].columns["body"]
    return build_transformer(rule, ColumnInfo("public.events", "body", pg_type), KEY)


@pytest.mark.parametrize("detector", ["regex", "presidio"])
def test_a_detectors_ignore_list_leaves_those_kinds_alone(detector: str) -> None:
    text = f"provider ref card {GROUPED}, contact {EMAIL}"
    ignoring = _transformer(f"{{transform: free_text, params: {{detector: {detector}, ignore: [card]}}}}")
    out = ignoring.transform(text, {})
    assert GROUPED in out and EMAIL not in out  # the card-shaped number stays; the e-mail is still replaced
    assert [piece for piece, *_ in ignoring.leak_items(text)] == [EMAIL]  # nor is the number recorded
    plain = _transformer(f"{{transform: free_text, params: {{detector: {detector}}}}}")
    assert GROUPED not in plain.transform(text, {})


def test_ignore_person_covers_every_shape_of_a_name() -> None:
    ignoring = _transformer("{transform: free_text, params: {detector: presidio, ignore: [person]}}")
    for text in ("山田様より連絡", "Mr. Smith called"):
        assert ignoring.transform(text, {}) == text


@pytest.mark.parametrize(
    "column_rule",
    [
        "{transform: free_text, params: {ignore: [credit_card]}}",
        "{transform: json, params: {other_strings: {transform: free_text, params: {ignore: [credit_card]}}}}",
        "{transform: json, params: {paths: {$.memo: {transform: free_text, params: {ignore: [credit_card]}}}}}",
    ],
)
def test_an_unknown_kind_is_one_clear_error_when_the_rules_are_read(column_rule: str) -> None:
    with pytest.raises(RulesError) as failed:
        parse_rules(_rules(column_rule), "rules.yml")
    assert len(failed.value.problems) == 1
    problem = failed.value.problems[0]
    assert problem.startswith("rules.yml:7: ") and "unknown kind(s) credit_card" in problem
    assert "card" in problem.split("use some of", 1)[1]  # the kinds it could have named


def test_a_json_key_ignored_is_neither_replaced_nor_recorded() -> None:
    rule = (
        "{transform: json, params: {other_strings: {transform: free_text, params: {detector: presidio}}, "
        'ignore_keys: ["provider_*"]}}'
    )
    transformer = _transformer(rule, "jsonb")
    document = {"provider_note": f"card {GROUPED}", "memo": f"card {OTHER}", "contact": EMAIL}
    out = json.loads(transformer.transform(json.dumps(document), {}))
    assert out["provider_note"] == f"card {GROUPED}"
    assert out["memo"] != f"card {OTHER}" and out["contact"] != EMAIL
    recorded = [piece for piece, identifying, _ in transformer.leak_items(json.dumps(document)) if identifying]
    assert sorted(recorded) == sorted([OTHER, EMAIL])  # the memo's number and the e-mail; not provider_note's
    with pytest.raises(RulesError, match="a key to ignore must be a non-empty name"):
        parse_rules(_rules('{transform: json, params: {ignore_keys: [" "]}}'))


def test_a_path_ruled_keep_is_neither_searched_nor_recorded() -> None:
    rule = (
        "{transform: json, params: {paths: {$.data.reference: keep, $.data.memo: keep}, "
        "other_strings: {transform: free_text, params: {detector: presidio}}}}"
    )
    transformer = _transformer(rule, "jsonb")
    document = {"data": {"reference": CARD, "memo": f"card {GROUPED} / {EMAIL}", "note": f"card {OTHER}"}}
    out = json.loads(transformer.transform(json.dumps(document), {}))
    assert out["data"]["reference"] == CARD and out["data"]["memo"] == document["data"]["memo"]
    assert out["data"]["note"] != document["data"]["note"]
    items = list(transformer.leak_items(json.dumps(document)))
    assert [piece for piece, identifying, _ in items if identifying is not None] == [OTHER]  # the note's only
    # A card-shaped value at a kept path is remembered as the source's identifier (not indexed: see test_leak_origins)
    assert [piece for piece, identifying, _ in items if identifying is None] == [CARD]


def test_the_draft_writes_keep_paths_for_the_ids_scan_sampled() -> None:
    detector = PiiDetector()
    values = [
        json.dumps(
            {
                "id": f"evt_{i:06d}",
                "data": {
                    "object": {"id": f"41111111111111{i:05d}", "user_id": EMAIL, "billing": {"email": EMAIL}},
                    "items": [{"txn_id": f"{i:019d}"}],
                    "metadata": {"取引ID": f"T{i:08d}"},
                },
            }
        )
        for i in range(20)
    ]
    leaves: dict[str, bool] = {}
    findings = scan_json("public.events", "payload", "keep", values, detector, leaf_paths=leaves)
    assert {f.path for f in findings} == {"$.data.object.user_id", "$.data.object.billing.email"}
    assert leaves["$.data.object.id"] is False and leaves["$.data.object.user_id"] is True
    assert leaves["$.data.items[*].txn_id"] is False and leaves["$.data.metadata['取引ID']"] is False

    table = "public.events"
    schema = {table: [ColumnInfo(table, "id", "bigint"), ColumnInfo(table, "payload", "jsonb")]}
    other = {"transform": "free_text", "params": {"detector": "presidio"}}
    found = {f"{table}.payload": Suggestion("json", {"other_strings": other}, "scan", leaves)}
    drafted = draft_rules(schema, found)
    rules = parse_rules(drafted)
    assert check_coverage(rules, schema) == []
    paths = rules.tables[table].columns["payload"].params["paths"]
    assert paths == {
        "$.id": "keep",
        "$.data.object.id": "keep",
        "$.data.items[*].txn_id": "keep",
        "$.data.metadata['取引ID']": "keep",
    }  # an e-mail under user_id stays searched: scan saw personal data there
