"""Transformers declare what they are and the rest derives: a transformer module is usable in rules, the draft, the
scan and the PII maps with no other edit (issue 17), and the maps derived from the shipped transformers are the
ones the engine had written by hand."""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from anonymize import transformers
from anonymize.columns import ColumnInfo
from anonymize.draft import draft_rules
from anonymize.errors import RulesError
from anonymize.keys import Keyring
from anonymize.pii import hook
from anonymize.pii.prepass import known_kind
from anonymize.pii.spans import Kind
from anonymize.rules import ColumnRule
from anonymize.scan import Suggestion, _suggest
from anonymize.transformers.base import REGISTRY
from anonymize.transformers.declared import (
    column_transforms,
    keyed_transforms,
    text_kind_names,
    text_kind_transforms,
)
from anonymize.transformers.factory import build_transformer

KEYRING = Keyring(b"k" * 32)

# A new transformer, as a contributor would add it: one module in anonymize/transformers/. It claims the MY_NUMBER
# kind (the test takes the shipped my_number out of the registry for the while), replaces its spans in free text,
# and takes key_column.
STAFF_CODE = """
from anonymize.transformers.base import Keyed, KeyedParams, MemoizedTransformer, TextKind, register


class StaffCodeParams(KeyedParams):
    prefix: str = "S"


@register
class StaffCode(Keyed[StaffCodeParams], MemoizedTransformer[StaffCodeParams]):
    name = "staff_code"
    accepts = frozenset({"text"})
    identifying = True
    pii_kind = "MY_NUMBER"
    text_kinds = (TextKind("staff_code", {"prefix": "T"}, entities=("MY_NUMBER",)),)
    unique_fakes = "codes"

    def _fake(self, value: str, key: str) -> str:
        return self.params.prefix + self.keyring.digest(self.domain, key).hex()[:8]
"""


@pytest.fixture
def staff_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The module above dropped into the package, found as the package finds its modules; the registry as it was
    (order included) afterwards."""
    saved = dict(REGISTRY)
    del REGISTRY["my_number"]
    (tmp_path / "staff_code.py").write_text(STAFF_CODE)
    monkeypatch.setattr(transformers, "__path__", [*transformers.__path__, str(tmp_path)])
    transformers.discover.cache_clear()
    try:
        yield
    finally:
        REGISTRY.clear()
        REGISTRY.update(saved)
        sys.modules.pop("anonymize.transformers.staff_code", None)
        transformers.discover.cache_clear()


def test_a_new_transformer_is_one_module(staff_code: None) -> None:
    column = ColumnInfo("public.staff", "code", "text")
    # rules: the name, its params validated, the refusal on a unique column, key_column read from the row
    fake = build_transformer(ColumnRule(transform="staff_code", params={"prefix": "X"}), column, KEYRING)
    assert re.fullmatch(r"X[0-9a-f]{8}", fake.transform("E-1001", {}) or "")
    with pytest.raises(RulesError, match="bad params for staff_code"):
        build_transformer(ColumnRule(transform="staff_code", params={"prefix": 1}), column, KEYRING)
    unique = ColumnInfo("public.staff", "code", "text", unique=True)
    with pytest.raises(RulesError, match="staff_code on a unique column needs key_column"):
        build_transformer(ColumnRule(transform="staff_code"), unique, KEYRING)
    keyed = build_transformer(ColumnRule(transform="staff_code", params={"key_column": "id"}), unique, KEYRING)
    assert keyed.row_columns == frozenset({"id"})
    assert keyed.transform("E-1", {"id": "7"}) == keyed.transform("E-2", {"id": "7"})
    # scan: a column wholly of its kind is drafted with it
    assert _suggest(Counter({Kind.MY_NUMBER: 9}), 10) == ("staff_code", {})
    # draft: the scan's suggestion on a unique column is keyed on the row's id
    schema = {"public.staff": [ColumnInfo("public.staff", "id", "bigint", unique=True), unique]}
    found = {"public.staff.code": Suggestion("staff_code", {}, "my number (scan)")}
    assert "code: {transform: staff_code, params: {key_column: id}}" in draft_rules(schema, found)
    # free text: its kind is a kind rules may name, and the PII detector's MY_NUMBER spans are replaced by it
    text = build_transformer(
        ColumnRule(transform="free_text", params={"detector": "presidio", "kinds": ["staff_code"]}), column, KEYRING
    )
    out = text.transform("マイナンバー 1234 5678 9018 を確認", {}) or ""
    assert "9018" not in out and re.search(r"T[0-9a-f]{8}", out), out
    assert hook.FreeTextDetector(hook.shared_detector()).names[Kind.MY_NUMBER] == "staff_code"


def test_the_derived_maps_are_the_ones_written_by_hand_before() -> None:
    """What scan, free_text, the PII hook and the draft spelled out before issue 17, now read off the registry."""
    assert column_transforms() == {
        "EMAIL": "email",
        "PHONE": "phone",
        "PERSON": "person_name",
        "CARD": "card_pan",
        "IP": "ip",
        "ADDRESS": "address",
        "MY_NUMBER": "my_number",
        "CORPORATE_NUMBER": "corporate_number",
        "BANK_ACCOUNT": "bank_account",
    }
    assert text_kind_transforms() == {
        "email": ("email", {}),
        "phone": ("phone", {}),
        "card": ("card_pan", {}),
        "ip": ("ip", {}),
        "person": ("person_name", {}),
        "person_family": ("person_name", {"part": "family"}),
        "person_katakana": ("person_name", {"script": "katakana"}),
        "person_family_katakana": ("person_name", {"part": "family", "script": "katakana"}),
        "person_romaji": ("person_name", {"script": "romaji"}),
        "person_family_romaji": ("person_name", {"part": "family", "script": "romaji"}),
        "company": ("company_name", {}),
        "address": ("address", {}),
        "postal_code": ("address", {"part": "postal_code"}),
        "my_number": ("my_number", {}),
        "corporate_number": ("corporate_number", {}),
        "invoice_number": ("corporate_number", {}),
        "bank_account": ("bank_account", {}),
        "bank_branch": ("bank_account", {}),
        "token": ("token", {}),
    }
    assert text_kind_names() == {
        "EMAIL": "email",
        "PHONE": "phone",
        "CARD": "card",
        "IP": "ip",
        "PERSON": "person",
        "ADDRESS": "address",
        "POSTAL_CODE": "postal_code",
        "MY_NUMBER": "my_number",
        "CORPORATE_NUMBER": "corporate_number",
        "INVOICE_NUMBER": "corporate_number",
        "BANK_ACCOUNT": "bank_account",
        "BANK_BRANCH": "bank_account",
    }
    assert set(text_kind_names()) == {kind.value for kind in Kind}  # every kind the detector finds is replaced
    assert keyed_transforms() == {"person_name", "company_name", "address", "phone", "ip", "username"}


@pytest.mark.parametrize(
    ("transform", "params", "kind"),
    [
        ("person_name", {}, Kind.PERSON),
        ("email", {}, Kind.EMAIL),
        ("phone", {"key_column": "id"}, Kind.PHONE),
        ("person_name", {"key_column": "id"}, None),  # keyed on the row: free text can't give the column's fake
        ("person_name", {"script": "katakana"}, None),  # a reading
        ("person_name", {"part": "family"}, None),
        ("address", {}, None),  # not a kind the detector looks up among known values
    ],
)
def test_remembered_columns(transform: str, params: dict, kind: Kind | None) -> None:
    column = ColumnInfo("public.t", "c", "text")
    assert known_kind(build_transformer(ColumnRule(transform=transform, params=params), column, KEYRING)) is kind
    other_domain = ColumnRule(transform=transform, params=params, domain="elsewhere")
    assert known_kind(build_transformer(other_domain, column, KEYRING)) is None
