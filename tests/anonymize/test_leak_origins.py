"""Every identifying value the leak check records carries its origin (column, JSON path, kind, how it was found), in
the C row loop as in the Python one: a failed verification names where each value came from and where it was
found, never the value, with the rule to change; a card that only a cue word made a card, which the source keeps as
it is (a kept column, a JSON id), is the source's identifier, not a leak."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pytest

from anonymize import leak_origins
from anonymize.keys import Keyring
from anonymize.leak_origins import Origin, origin_id, rule_path, shipment
from anonymize.report import VerifyReport
from anonymize.transformers.digits import luhn_check_digit
from anonymize.verify import LeakIndex
from tests.anonymize.leak_kit import Table, verify_tables

KEY = Keyring(b"test-key-0123456789abcdef-leak-origins")
BODY = "453957876362148702"
TXN = BODY + luhn_check_digit(BODY)  # a 19-digit provider id that happens to be a valid Visa number
EMAIL = "hanako.sato@example.org"
FREE = {"transform": "free_text", "params": {"detector": "regex"}}


def _verify(tables: Sequence[Table], native: bool) -> VerifyReport:
    return verify_tables(tables, native, KEY)


@pytest.mark.parametrize("native", [True, False])
def test_a_failure_names_each_origin_where_found_and_the_rule_to_change(native: bool) -> None:
    rules = {
        "id": "keep",
        "customer_email": "keep",  # the personal column wrongly kept
        "note": FREE,
        "payload": {"transform": "json", "params": {"paths": {"$.buyer.email": "email"}, "other_strings": FREE}},
    }
    rows = [
        ["1", EMAIL, f"please mail {EMAIL}", f'{{"buyer": {{"email": "{EMAIL}"}}, "memo": "hi"}}'],
        ["2", "other@example.org", "nothing here", '{"buyer": {"email": "other@example.org"}}'],
    ]
    report = _verify([("public.orders", rules, {"id": "bigint", "payload": "jsonb"}, rows)], native)
    assert report.leaks == {"public.orders.customer_email": 2}  # a key found per row
    # One origin named per value (of a value with several, one found by a rule or detection, in a stable order)
    described = {(s.origin, s.values) for s in report.leak_sources}
    assert described == {
        ("public.orders.note (email, detected in free text)", 1),  # the first row's e-mail, also in its payload
        ("public.orders.payload $.buyer.email (email rule)", 1),
    }
    [line] = report.failures
    assert line.startswith("public.orders.customer_email: 2 identifying source value(s) found in the output: 1 from ")
    assert "public.orders.payload $.buyer.email (email rule)" in line and "public.orders.note (email, detected" in line
    assert "; to fix: give public.orders.customer_email a transform instead of keep" in line
    assert "example.org" not in line and "example.org" not in str(report.leak_sources)  # never a value


@pytest.mark.parametrize("native", [True, False])
def test_cue_word_cards_the_source_keeps_are_its_identifiers(native: bool) -> None:
    """In a kept column where they are found, or under an id key of the source's JSON."""
    grouped = "4242 4242 4242 4242"
    payments = {"id": "keep", "provider_txn_id": "keep", "raw_card": "keep"}
    events = {"id": "keep", "payload": {"transform": "json", "params": {"other_strings": FREE}}}
    disputes = {"id": "keep", "note": FREE}
    tables: list[Table] = [
        ("public.payments", payments, {"id": "bigint"}, [["1", TXN, "4242424242424242"]]),
        ("public.events", events, {"id": "bigint", "payload": "jsonb"}, [["1", f'{{"object": {{"id": "{TXN}"}}}}']]),
        ("public.disputes", disputes, {"id": "bigint"}, [["1", f"VISA {TXN} disputed"], ["2", f"card {grouped}"]]),
    ]
    report = _verify(tables, native)
    # the cue word's card: the provider's id, kept as it is in both places
    assert report.shared_identifiers == {"public.payments.provider_txn_id": 2, "public.events.payload": 2}
    kept_as = {(s.found_in, s.kept_as) for s in report.shared_sources}
    assert kept_as == {
        ("public.payments.provider_txn_id", "kept column public.payments.provider_txn_id"),
        ("public.events.payload", "as public.events.payload $.object.id"),
    }
    assert all(
        s.origin == "public.disputes.note (card, detected in free text by a cue word near it)"
        for s in report.shared_sources
    )
    # a card in card grouping is a card whatever keeps it: a kept column holding it is a leak
    assert report.leaks == {"public.payments.raw_card": 1}  # its digits: written without the spaces
    [source] = report.leak_sources
    assert source.origin == "public.disputes.note (card, detected in free text)"
    assert source.fix.startswith("if they are the source's identifiers, add ignore: [card] to the detector's")
    assert any("public.payments.provider_txn_id holds 2 value(s) that public.disputes.note" in n for n in report.notes)


def test_each_process_ids_map_onto_the_index() -> None:
    """Worker processes hand out origin ids on their own: the index maps each process's onto its origins."""
    index = LeakIndex(KEY)
    one, two = Origin("public.a.x", None, "email"), Origin("public.b.y", "$.p", "card", True)
    hashes = np.array([11, 22, 33], dtype=np.int64)
    index.add(hashes[:2].tobytes(), b"", np.array([1, 1], np.uint32).tobytes(), (101, 1, (one,)))
    index.add(hashes[2:].tobytes(), b"", np.array([1], np.uint32).tobytes(), (202, 1, (two,)))
    index.add(hashes[:1].tobytes(), b"", np.array([2], np.uint32).tobytes(), (202, 2, (one,)))  # later, same pid
    assert index.origins_of(np.array([11, 22, 33, 44], dtype=np.int64)) == {11: {one}, 22: {one}, 33: {two}}
    index.close()


def test_this_processes_origins_are_shipped_once_and_bounded() -> None:
    first = origin_id(Origin("public.t.c", "$.a", "card", True))
    assert origin_id(Origin("public.t.c", "$.a", "card", True)) == first
    pid, _, new = shipment()
    assert pid == os.getpid() and Origin("public.t.c", "$.a", "card", True) in new
    assert shipment()[2] == ()  # nothing new since
    ids = {origin_id(Origin("public.t.map", f"$.m['{i}']", "email", True)) for i in range(leak_origins.MAX_PATHS + 50)}
    assert len(ids) == leak_origins.MAX_PATHS + 1  # past the cap, one origin for the column's other paths


def test_rule_paths() -> None:
    from anonymize.pii.json_leaves import EMBEDDED

    assert rule_path(("data", "object", "id")) == "$.data.object.id"
    assert rule_path(("items", 3, "card", EMBEDDED, "number")) == "$.items[*].card.number"
    assert rule_path(("取引ID", "it's")) == "$['取引ID']['it\\'s']"
