"""The leak check at production scale (bench/snapshot --dataset strangers, ~470k rows): values that identify nobody
on their own -- a unit designator ("Suite 870"), a login that is one ordinary name ("kota") -- and realistic fakes
equal to other rows' real values no longer fail a run; specific values found elsewhere (a full address line, a
unique login, a named c/o line, kept names, reserved-space collisions) still do. In the C row loop and the Python
one."""

from __future__ import annotations

import json

import pytest

from anonymize.columns import ColumnInfo
from anonymize.keys import Keyring
from anonymize.leak_keys import leak_key
from anonymize.rules import ColumnRule
from anonymize.specificity import specific_address, specific_login
from anonymize.transformers.factory import build_transformer
from tests.anonymize.leak_kit import Table, verify_tables

KEY = Keyring(b"test-key-0123456789abcdef-verify-scale")
STREET = {"transform": "address", "params": {"part": "street", "locale": "us"}}
UNIT = {"transform": "address", "params": {"part": "building"}}
LOGIN = {"transform": "username", "params": {"key_column": "id"}}
FREE = {"transform": "free_text", "params": {"detector": "regex"}}  # finds e-mails, phones, cards: not these
SHIPPING = {
    "transform": "json",
    "params": {"paths": {"$.address.line1": STREET, "$.address.line2": UNIT}, "other_strings": FREE},
}
IDS = {"id": "bigint"}
JSON_IDS = {"id": "bigint", "shipping": "jsonb"}


def _addresses(*rows: tuple[str, str | None]) -> Table:
    rules = {"id": "keep", "address1": STREET, "address2": UNIT}
    return ("public.addresses", rules, IDS, [[str(i), a1, a2] for i, (a1, a2) in enumerate(rows, 1)])


def _orders(*documents: dict) -> Table:
    rows = [[str(i), json.dumps(d)] for i, d in enumerate(documents, 1)]
    return ("public.orders", {"id": "keep", "shipping": SHIPPING}, JSON_IDS, rows)


def _staff(*logins: str) -> Table:
    return ("public.staff", {"id": "keep", "username": LOGIN}, IDS, [[str(i), v] for i, v in enumerate(logins, 1)])


def _reviews(*bodies: str) -> Table:
    return ("public.reviews", {"id": "keep", "body": FREE}, IDS, [[str(i), b] for i, b in enumerate(bodies, 1)])


def _fake(rule: dict, table: str, column: str, value: str) -> str:
    transformer = build_transformer(ColumnRule.model_validate(rule), ColumnInfo(table, column, "text"), KEY)
    fake = transformer.transform(value, {})
    assert fake is not None and fake != value
    return fake


def test_specific_values() -> None:
    for unit in ("Apt 4100D", "Suite 870", "Flat 3", "PO Box 12", "#12", "305号室", "3F"):
        assert not specific_address(unit), unit
    for line in ("12 Baker St", "1 Ali Way", "Flat 12, Jones House", "c/o Mary Jones", "サクラハイツ305号室"):
        assert specific_address(line), line
    for word in ("kota", "Bray", "sanderson", "akimura", "abe"):  # names of many people, or three letters
        assert not specific_login(word), word
    for login in ("jsmith", "mary.jones", "Tanaka_T2", "sjones", "鈴木"):
        assert specific_login(login), login


@pytest.mark.parametrize("native", [True, False])
def test_units_and_one_name_logins_found_elsewhere_are_counted_not_failures(native: bool) -> None:
    """At scale every "Suite N" is some real row's line 2, and a login like "kota" is a given name any text holds."""
    tables = [
        _addresses(("12 Baker Street", "Suite 870"), ("9 Elm Road", "Apt 12B")),
        _staff("kota", "bray"),
        _reviews("Kota was great", "Bray"),  # not detected by the regex detector: kept as they are
        _orders({"address": {"line1": "4 Oak Lane", "line2": "Flat 2"}, "instructions": "Apt 12B"}),
    ]
    report = verify_tables(tables, native, KEY)
    assert report.passed, report.failures
    assert report.leaks == {}
    assert report.coincidences["public.reviews.body"] == 2  # counted, never shown
    assert report.coincidences["public.orders.shipping"] == 1


@pytest.mark.parametrize("native", [True, False])
def test_realistic_fakes_equal_to_other_rows_real_values_are_notes(native: bool) -> None:
    """A fake street line equal to another row's real one, in a faked column and at a JSON path rule: no source
    value was left anywhere. A phone fake equal to a real phone is a broken transform: still a failure."""
    real = "1234 Elm Street"
    fake = _fake(STREET, "public.addresses", "address1", real)  # keyed by domain: the same at the JSON path
    tables = [
        _addresses((real, None), (fake, None)),  # row 1's fake is row 2's real line
        _orders({"address": {"line1": real}}),
    ]
    report = verify_tables(tables, native, KEY)
    assert report.passed, report.failures
    assert report.realistic_collisions == {"public.addresses.address1": 1, "public.orders.shipping": 1}
    assert any(n.startswith("public.orders.shipping: 1 fake(s) equal to real values") for n in report.notes)
    assert leak_key(fake) not in " ".join(report.notes).casefold()  # never a value

    phone = {"transform": "phone"}
    phone_fake = _fake(phone, "public.people", "phone", "090-1234-5678")
    people = ("public.people", {"id": "keep", "phone": phone}, IDS, [["1", "090-1234-5678"], ["2", phone_fake]])
    report = verify_tables([people], native, KEY)
    assert report.fake_collisions == {"public.people.phone": 2} and not report.passed  # the number and its digits


@pytest.mark.parametrize("native", [True, False])
def test_specific_values_found_elsewhere_still_fail(native: bool) -> None:
    """A full address line and a named c/o line in an order's free-form keys, a unique login in a review: leaks,
    in the places the false alarms were (JSON payloads, free text)."""
    tables = [
        _addresses(("1234 Elm Street", "c/o Mary Jones"), ("9 Elm Road", "Suite 870")),
        _staff("jsmith", "kota"),
        _reviews("ask jsmith about it", "fine"),
        _orders({"address": {"line1": "4 Oak Lane"}, "note": "1234 Elm Street", "gift": "c/o Mary Jones"}),
    ]
    report = verify_tables(tables, native, KEY)
    assert report.leaks == {"public.reviews.body": 1, "public.orders.shipping": 2}
    origins = {(s.found_in, s.origin) for s in report.leak_sources}
    assert origins == {
        ("public.reviews.body", "public.staff.username (username rule)"),
        ("public.orders.shipping", "public.addresses.address1 (address rule)"),
        ("public.orders.shipping", "public.addresses.address2 (address rule)"),
    }
    assert not report.passed


@pytest.mark.parametrize("native", [True, False])
def test_full_names_kept_and_units_unchanged_in_their_row_still_fail(native: bool) -> None:
    """Names are no leak found anywhere (a fake name equals real ones at any scale), but a kept column of the
    names this run replaces is a finding that fails, and a unit left as it was in its own row fails too."""
    person = {"transform": "person_name", "params": {"locale": "en"}}
    customers = ("public.customers", {"id": "keep", "name": person}, IDS, [["1", "Mary Jones"], ["2", "Tom Hardy"]])
    staff = ("public.staff", {"id": "keep", "display_name": "keep"}, IDS, [["1", "Mary Jones"], ["2", "Tom Hardy"]])
    report = verify_tables([customers, staff], native, KEY)
    assert report.names_in_kept_failing() == {"public.staff.display_name": 2}  # each kept name
    assert not report.passed

    same = {"transform": "address", "params": {"part": "building"}}
    units = build_transformer(ColumnRule.model_validate(same), ColumnInfo("public.a", "line2", "text"), KEY)
    assert list(units.leak_items("Suite 870")) == [("Suite 870", False)]  # recorded: its own row still checked


def test_addresses_detected_in_free_text_are_identifying_only_when_specific() -> None:
    """As in their own columns: a detected unit is counted apart, a detected street line is identifying."""
    from anonymize.transformers.free_text import Span, register_detector

    class Lines:
        def detect(self, text: str, context: object = None) -> list[Span]:
            return [Span(0, len(text), "address")]

    register_detector("address-lines-test", lambda params, keyring: Lines())
    rule = ColumnRule.model_validate({"transform": "free_text", "params": {"detector": "address-lines-test"}})
    free = build_transformer(rule, ColumnInfo("public.notes", "body", "text"), KEY)
    assert [item[:2] for item in free.leak_items("Suite 870")] == [("Suite 870", False)]
    assert [item[:2] for item in free.leak_items("12 Baker Street")] == [("12 Baker Street", True)]


@pytest.mark.parametrize("native", [True, False])
def test_a_path_fake_explains_as_many_finds_as_it_was_written(native: bool) -> None:
    """Row 2's real street line is also row 1's fake at the JSON path: written there once, it explains one find;
    the same line left in a free-form key of the same document is the source value, a leak."""
    real = "1234 Elm Street"
    fake = _fake(STREET, "public.addresses", "address1", real)
    tables = [_addresses((real, None), (fake, None)), _orders({"address": {"line1": real}, "note": fake})]
    report = verify_tables(tables, native, KEY)
    assert report.leaks == {"public.orders.shipping": 1}
    assert report.realistic_collisions == {"public.addresses.address1": 1, "public.orders.shipping": 1}
    assert not report.passed
