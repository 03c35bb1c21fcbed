"""The cheap paths of JSON leaf walking and free-text detection give exactly what the reference paths give.

On two stranger databases (tests/strangers: payments, with webhook payloads in JSONB and free-text notes; the
marketplace, with JSONB preferences and shipping payloads and reviews naming people), with the rules
`devkit rules init` drafts for them, every table's COPY text goes through the row loop twice: once with the
reference paths (nothing memoized but the last detection) and once with the fast ones, each with freshly built
transformers. The output bytes, the counts, the leak check's hashes, origins and scan keys must be equal.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any, cast

import pytest

from anonymize import leak_keys
from anonymize.catalog import data_tables
from anonymize.draft import draft_rules
from anonymize.keys import Keyring
from anonymize.leak_origins import FAKE
from anonymize.pii import hook
from anonymize.pii.detector import PiiDetector
from anonymize.pii.known import KnownValues
from anonymize.pii.spans import Kind
from anonymize.pipeline.plan import plan_tables
from anonymize.pipeline.rows import RowTransformer
from anonymize.pipeline.slots import ChunkResult
from anonymize.rules import parse_rules, reflect_schema
from anonymize.scan import scan_source
from anonymize.sources import LiveSource
from anonymize.transformers import free_text
from anonymize.transformers import json_paths as jp
from anonymize.transformers.base import Transformer
from anonymize.transformers.free_text import FreeText
from anonymize.transformers.json_paths import JsonPaths, Trail, is_document_ref
from anonymize.verify import LeakIndex
from testbed.run_plans import planned_as_run
from testbed.servers import PostgresServer
from testbed.strangers import marketplace, payments
from tests.anonymize.transform_kit import build

KEY = Keyring(b"json-text-speed-key-0123456789abcdef")


@contextmanager
def reference_paths(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The paths as they were before the cheap ones: free text with no memo of detections but the last one; JSON
    paths' transform and leak_items as written below; the leak check's keys of a JSON output in Python."""
    with monkeypatch.context() as patch:
        patch.setattr(free_text, "MEMO_MAX_LENGTH", -1)
        patch.setattr(leak_keys, "NATIVE", None)
        patch.setattr(JsonPaths, "transform", _reference_transform)
        patch.setattr(JsonPaths, "leak_items", _reference_leak_items)
        yield


# -- JsonPaths.transform and leak_items as they were: every rule walked over rebuilt containers, the document parsed
# and walked again for leak_items, key contexts worked out per leaf.
def _reference_transform(self: JsonPaths, value: str, row: Mapping[str, str | None]) -> str | None:
    document = self._load(value)
    source = document  # containers are rebuilt, never mutated: the document as it came in, for `@.key` refs
    covered: set[Trail] = set()
    kept: set[Trail] = set()
    ids = jp._DocumentIds(lambda: document, covered, kept)
    for _, steps, sub in self.rules:
        refs = [name for name in sub.row_columns if is_document_ref(name)]
        in_context = sub.capabilities.key_context  # free text: a string in the context of its key

        def leaf(
            node: Any, trail: Trail, sub: Transformer = sub, refs: list[str] = refs, in_context: bool = in_context
        ) -> Any:
            covered.add(trail)
            if sub.name == "keep":
                kept.add(trail)
            text = jp._scalar_text(node)
            sub_row = jp._with_refs(row, source, trail, refs) if refs else row
            if text is None:
                return None
            if in_context and isinstance(node, str):
                return cast("FreeText", sub).transform_in(text, jp._keys_context(trail), sub_row)
            return jp._back(node, sub.transform(text, sub_row))

        document = jp._walk(document, steps, (), leaf)
    if self.other is not None:
        other = self.other
        transform_in = cast("FreeText", other).transform_in if other.capabilities.key_context else None

        def rest(node: Any, trail: Trail) -> Any:
            if isinstance(node, str) and trail not in covered and not self._ignored(trail):
                if transform_in is not None:
                    return transform_in(node, jp._keys_context(trail), row, ids)
                return other.transform(node, row)
            return node

        document = jp._leaves(document, (), rest)
    return json.dumps(document, ensure_ascii=False)


def _reference_leak_items(self: JsonPaths, value: str) -> Iterator[tuple[str, bool | None, int]]:
    """(piece, identifying, origin id) of every personal piece: what path rules replace, and what other_strings
    detects (in the context of its key), each with the path it was found at; and, flagged None, the card-shaped
    identifiers the document keeps as they are (`_identifier`)."""
    document = self._load(value)
    found: list[tuple[Trail, Transformer, str, bool]] = []
    covered: set[Trail] = set()
    kept: set[Trail] = set()
    for _, steps, sub in self.rules:

        def collect(node: Any, trail: Trail, sub: Transformer = sub) -> Any:
            covered.add(trail)
            if sub.name == "keep":
                kept.add(trail)
            text = jp._scalar_text(node)
            if text is not None:
                found.append((trail, sub, text, isinstance(node, str)))
            return node

        jp._walk(document, steps, (), collect)
    ids = jp._DocumentIds(lambda: document, covered, kept)
    for trail, sub, text, is_string in found:
        if sub.name == "keep":
            yield from self._identifier(trail, text)
        else:  # as `transform` does, a path's own rule doesn't ask the document's ids (its walk makes them)
            yield from _reference_pieces(self, sub, trail, text, is_string, None)
    if self.other is not None:
        leaves: list[tuple[Trail, Any]] = []

        def gather(node: Any, trail: Trail) -> Any:
            if isinstance(node, (str, int)) and trail not in covered and not self._ignored(trail):
                leaves.append((trail, node))
            return node

        jp._leaves(document, (), gather)
        for trail, node in leaves:
            if jp._keys_context(trail) == "id" and not isinstance(node, bool):
                yield from self._identifier(trail, str(node))
            if isinstance(node, str):
                yield from _reference_pieces(self, self.other, trail, node, True, ids)


def _reference_pieces(
    self: JsonPaths, sub: Transformer, trail: Trail, text: str, is_string: bool, ids: jp._DocumentIds | None
) -> Iterator[tuple[str, bool, int]]:
    if sub.capabilities.key_context and is_string:  # free text: its pieces, by kind, in the context of their key
        for piece, identifying, kind, weak in cast("FreeText", sub).detections(text, jp._keys_context(trail), ids):
            yield piece, identifying, self._origin(trail, kind, True, weak)
        return
    origin = 0
    for item in sub.leak_items(text):
        if not origin:
            origin = self._origin(trail, sub.name, False, False)
        yield item[0], item[1], origin
    if origin and sub.realistic_fakes and sub.identifying and not sub.row_columns:
        fake = sub.transform(text, {})
        if fake is not None and fake != text:
            yield fake, None, self._origin(trail, FAKE, False, False)


@dataclass
class Table:
    name: str
    columns: tuple[str, ...]
    chunks: list[bytes]


def _draft(dsn: str) -> str:
    """What `devkit rules init --source DSN` drafts (the CLI's steps, in process)."""
    with LiveSource(dsn) as source:
        schema = reflect_schema(source.catalog())
    scanned = scan_source(LiveSource(dsn), None, 200, None)
    return draft_rules(schema, scanned.suggestions(), profiles=scanned.profiles, locales=scanned.locales)


def _tables(dsn: str, rules_text: str) -> list[Table]:
    rules = parse_rules(rules_text)
    with LiveSource(dsn) as source:
        catalog = source.catalog()
        schema = reflect_schema(catalog)
        tables = data_tables(catalog)
        out = []
        for plan in plan_tables(rules, schema, tables, KEY):
            with source.stream(plan.table, plan.table.columns, plan.where) as stream:
                out.append(Table(plan.table.name, tuple(stream.columns), list(stream.chunks)))
    return out


def _run(dsn: str, rules_text: str, table: Table) -> list[ChunkResult]:
    """The table through freshly planned transformers (known values gathered first, as the run does)."""
    with LiveSource(dsn) as source:
        plans = planned_as_run(source, rules_text, KEY)
    plan = next(p for p in plans if p.table.name == table.name)
    codec = RowTransformer(plan, table.columns, LeakIndex(KEY).hasher)
    results = [codec.process(chunk) for chunk in table.chunks]
    for result in results:
        result.shipment = None  # the origins this process met first: the first pass ships them, not the second
    return results


@pytest.mark.parametrize("builder", [payments, marketplace], ids=lambda b: b.__name__.rsplit(".", 1)[-1])
def test_fast_paths_give_the_reference_output_on_strangers(
    builder: ModuleType, postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with postgres_server.database("speed") as dsn:
        builder.build(dsn, 1.0 if builder is payments else 2.0)
        rules_text = _draft(dsn)
        assert "detector: presidio" in rules_text and "transform: json" in rules_text  # what this test is about
        tables = _tables(dsn, rules_text)
        assert sum(len(t.chunks) for t in tables) > 0
        for table in tables:
            with reference_paths(monkeypatch):
                reference = _run(dsn, rules_text, table)
            fast = _run(dsn, rules_text, table)
            assert len(fast) == len(reference)
            for got, expected in zip(fast, reference, strict=True):
                assert got.data == expected.data, table.name
                assert got == expected, table.name


# ------------------------------------------------------------------ hand-made documents, each path against the other

EMAIL, PHONE, CARD = "taro.yamada@gmail.com", "090-1234-5678", "4539148803436467"
RULE_SETS: list[dict[str, Any]] = [
    {"other_strings": {"transform": "free_text", "params": {"detector": "presidio"}}},
    {"paths": {"$.customer.email": "email", "$.id": "keep"}, "other_strings": "free_text"},
    {  # overlapping rules: the second meets the first's fakes, so leak_items must read the document again
        "paths": {"$.customer.email": "email", "$..email": "email", "$.items[*].card": "card_pan"},
        "other_strings": {"transform": "free_text", "params": {"detector": "presidio"}},
        "ignore_keys": ["*_token"],
    },
    {
        "paths": {
            "$.card.last4": {"transform": "card_part", "params": {"part": "last4"}},
            "$.card.exp_month": {"transform": "card_part", "params": {"part": "exp_month", "key_column": "@.last4"}},
            "$.body.email": "email",  # inside JSON held in a string
            "$.items[0].note": "free_text",
            "$.missing.deeper.key": "email",
            "$.items[*].id": "keep",
        },
        "other_strings": {"transform": "free_text", "params": {"detector": "presidio"}},
    },
]


def _document(rng: random.Random, depth: int = 0) -> Any:
    strings = [
        EMAIL,
        PHONE,
        f"call {PHONE} today",
        f"card {CARD}",
        CARD,
        "Hanako Suzuki",
        "山田太郎様から電話",
        "succeeded",
        "jpy",
        "2024-06-04T23:12:23+00:00",
        f"ch_{rng.randrange(10**6)}",
        "",
        " ",
        f'{{"email": "{EMAIL}", "n": 1}}',
        f'{{"email":"{EMAIL}","n":1.50}}',
        "[1, 2]",
        "{not json",
    ]
    keys = [
        "id",
        "order_id",
        "email",
        "memo",
        "note",
        "customer",
        "items",
        "card",
        "body",
        "name",
        "api_token",
        "<json>",
    ]
    if depth >= 3 or rng.random() < 0.3:
        kind = rng.random()
        if kind < 0.6:
            return rng.choice(strings)
        if kind < 0.75:
            return rng.choice([0, 7, 1200, 9012345678901, -3, 1.5, 1e-7, 123456789012345678901234567890])
        return rng.choice([True, False, None])
    if rng.random() < 0.6:
        return {rng.choice(keys): _document(rng, depth + 1) for _ in range(rng.randrange(1, 6))}
    return [_document(rng, depth + 1) for _ in range(rng.randrange(0, 4))]


def _fixed_documents() -> list[Any]:
    return [
        {"order_id": "09012345678", "memo": "09012345678", "note": f"ref 09012345678 {EMAIL}"},
        {"customer": {"email": EMAIL, "emails": [EMAIL]}, "email": EMAIL, "items": [{"card": CARD}]},
        {"card": {"last4": "4242", "exp_month": 7}, "body": f'{{"email":"{EMAIL}"}}'},
        {"id": CARD, "transaction_id": 4539148803436467, "memo": f"card {CARD}"},
        {"items": [{"note": f"tel {PHONE}", "id": "ch_1"}, {"note": "none"}]},
    ]


def _both_paths(params: dict[str, Any], values: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def outcome() -> list[tuple[str | None, list]]:
        transformer = build("json", params, "jsonb")  # fresh: no memo carried over
        out = []
        for value in values:
            new = transformer.transform(value, {})
            keys = leak_keys.output_keys(new, True) if new is not None else None
            out.append((new, list(transformer.leak_items(value)), list(transformer.leak_items(value)), keys))
        return out

    with reference_paths(monkeypatch):
        expected = outcome()
    assert outcome() == expected


@pytest.mark.parametrize("params", RULE_SETS, ids=range(len(RULE_SETS)))
def test_fast_paths_give_the_reference_output_on_generated_documents(
    params: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(14)
    documents = _fixed_documents() + [_document(rng) for _ in range(1500)]
    values = [json.dumps(d, ensure_ascii=rng.random() < 0.3) for d in documents]
    values += values[:300]  # repeated documents: the memo's hits
    _both_paths(params, values, monkeypatch)


def test_a_string_under_an_id_key_and_in_a_note_is_detected_in_each_context() -> None:
    transformer = build("json", {"other_strings": "free_text"}, "jsonb")
    as_id, as_note = json.dumps({"order_id": "09012345678"}), json.dumps({"memo": "09012345678"})
    for value in (as_id, as_note, as_id, as_note):  # from the second round on, from the memo
        out = json.loads(transformer.transform(value, {}) or "")
        items = [item[0] for item in transformer.leak_items(value)]
        if value is as_id:
            assert out == {"order_id": "09012345678"} and items == []
        else:
            assert out["memo"] != "09012345678" and items == ["09012345678"]


def test_detections_are_asked_again_when_the_known_values_change() -> None:
    text = "Deliver to Bartholomew Quintanilla"
    free = build("free_text", {"detector": "presidio"})
    assert isinstance(free, FreeText)
    known = hook.reset_known()
    try:
        before = free.detections(text)
        known.add(Kind.PERSON, "Bartholomew Quintanilla")
        after = free.detections(text)
        assert before == [] and [(piece, kind) for piece, _, kind, _ in after] == [
            ("Bartholomew Quintanilla", "person")
        ]
    finally:
        hook.reset_known()


def _reference_json_strings(node: object) -> Iterator[str]:
    """leak_keys._json_strings as it was: a generator per node."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for item in node.values():
            yield from _reference_json_strings(item)
    elif isinstance(node, list):
        for item in node:
            yield from _reference_json_strings(item)


def test_the_leak_checks_json_strings_come_in_document_order() -> None:
    rng = random.Random(15)
    for document in [*_fixed_documents(), *(_document(rng) for _ in range(2000)), "text", 7, None]:
        assert leak_keys._json_strings(document) == list(_reference_json_strings(document))


def test_the_detectors_stamp_moves_when_its_recognizers_or_known_values_change() -> None:
    detector = PiiDetector()  # no known values: a stamp of its own
    before = detector.stamp().generation
    detector.use_extra([])
    assert detector.stamp().generation != before
    known = KnownValues()
    detector = PiiDetector(known)
    before = detector.stamp().generation
    known.add(Kind.PERSON, "Bartholomew Quintanilla")
    assert detector.stamp().generation != before
