"""json paths and free text: the same fakes as the structured columns, wherever the value hides."""

from __future__ import annotations

import json

import pytest

from anonymize.errors import RulesError, TransformError
from anonymize.transformers.free_text import Span, register_detector
from anonymize.transformers.json_paths import parse_path
from tests.anonymize.transform_kit import build, run

EMAIL, PHONE, CARD = "taro.yamada@gmail.com", "090-1234-5678", "4539148803436467"


def _json(params: dict) -> object:
    return build("json", params, "jsonb")


def test_path_rules_match_the_columns_fakes() -> None:
    transformer = _json({"paths": {"$.customer.email": "email", "$.items[*].card": "card_pan", "$..phone": "phone"}})
    document = {
        "customer": {"email": EMAIL, "phone": PHONE, "name": "山田"},
        "items": [{"card": CARD}, {"card": None}],
        "deep": {"x": [{"phone": PHONE}]},
    }
    out = json.loads(run(transformer, json.dumps(document)))
    assert out["customer"]["email"] == run(build("email"), EMAIL)
    assert out["customer"]["phone"] == out["deep"]["x"][0]["phone"] == run(build("phone"), PHONE)
    assert out["items"][0]["card"] == run(build("card_pan"), CARD)
    assert out["items"][1]["card"] is None  # JSON null stays null
    assert out["customer"]["name"] == "山田"  # no rule, no other_strings: untouched


def test_json_held_in_a_string_is_decoded_and_re_encoded() -> None:
    inner = json.dumps({"email": EMAIL, "n": 1}, separators=(",", ":"))
    transformer = _json({"paths": {"$.body.email": "email"}})
    out = json.loads(run(transformer, json.dumps({"body": inner})))
    assert isinstance(out["body"], str) and "," in out["body"] and ", " not in out["body"]  # still compact
    assert json.loads(out["body"]) == {"email": run(build("email"), EMAIL), "n": 1}


def test_other_strings_catch_what_no_path_names() -> None:
    transformer = _json({"paths": {"$.email": "email"}, "other_strings": "free_text"})
    document = {"email": EMAIL, "memo": f"call {PHONE}", "order_no": "20240131-0000001", "amount": 1200}
    out = json.loads(run(transformer, json.dumps(document)))
    assert out["memo"] == f"call {run(build('phone'), PHONE)}"
    assert out["order_no"] == "20240131-0000001" and out["amount"] == 1200
    leaks = {piece: identifying for piece, identifying, _origin in transformer.leak_items(json.dumps(document))}
    assert leaks == {EMAIL: True, PHONE: True}


def test_numbers_stay_numbers() -> None:
    transformer = _json({"paths": {"$.amount": {"transform": "numeric_noise", "params": {"relative": 0.1}}}})
    out = json.loads(run(transformer, '{"amount": 1000}'))
    assert isinstance(out["amount"], int) and 900 <= out["amount"] <= 1100


def test_bad_paths_and_sub_rules_are_rules_errors() -> None:
    with pytest.raises(RulesError, match="must start with"):
        _json({"paths": {"customer.email": "email"}})
    with pytest.raises(RulesError, match="unknown transform"):
        _json({"paths": {"$.a": "emial"}})
    with pytest.raises(TransformError, match="not valid JSON"):
        run(_json({"paths": {"$.a": "email"}}), "{not json")
    assert [s.kind for s in parse_path("$['a b'].c[*][0]..d")] == ["key", "key", "wild", "index", "descend"]


def test_free_text_replaces_pieces_with_their_column_fakes() -> None:
    text = build("free_text")
    card = f"{CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]}"
    note = f"田中様 {PHONE} 折り返し希望。控え {EMAIL} カード {card} from 192.168.1.20"
    out = run(text, note)
    assert run(build("phone"), PHONE) in out and PHONE not in out
    assert run(build("email"), EMAIL) in out and EMAIL not in out
    assert CARD[:4] + " " + CARD[4:8] not in out
    assert "192.168.1.20" not in out and out.startswith("田中様 ")
    assert run(text, "連絡先：０９０－１２３４－５６７８") == f"連絡先：{run(build('phone'), PHONE)}"


def test_free_text_leaves_business_numbers_alone() -> None:
    text = build("free_text")
    for note in (
        "注文 20240131-0000001 合計 12,000円",
        "2024-01-31 12:30:45 決済完了",
        "SKU-000123 x 2",
        "serial MP0000100101 registered (PAX A920)",
        "version 1.2.3",
    ):
        assert run(text, note) == note, note


def test_free_text_fits_its_column() -> None:
    text = build("free_text", pg_type="character varying(20)")
    assert len(run(text, f"mail {EMAIL} please")) <= 20


def test_detector_hook() -> None:
    class Shouting:
        def detect(self, text: str) -> list[Span]:
            start = text.find("YAMADA")
            return [] if start < 0 else [Span(start, start + 6, "person")]

    register_detector("shouting-test", lambda params, keyring: Shouting())
    out = run(build("free_text", {"detector": "shouting-test"}), "hello YAMADA san")
    assert "YAMADA" not in out and out.startswith("hello ") and out.endswith(" san")
    with pytest.raises(RulesError, match="unknown detector"):
        build("free_text", {"detector": "nope"})


def test_presidio_detector_is_found_by_name() -> None:
    """A rules file may name the PII detector without anyone importing it first; its spans get the same fakes."""
    out = run(build("free_text", {"detector": "presidio"}), f"田中様 {PHONE} 折り返し希望")
    assert PHONE not in out and run(build("phone"), PHONE) in out and "様" in out
