"""keep, null, constant, and the registry's contract for every transformer."""

from __future__ import annotations

import pickle

import pytest

from anonymize.columns import ALL_FAMILIES
from anonymize.errors import RulesError
from anonymize.transformers import REGISTRY
from tests.anonymize.transform_kit import build, run


def test_keep_null_constant() -> None:
    assert run(build("keep", pg_type="jsonb"), '{"a": 1}') == '{"a": 1}'
    assert run(build("null"), "anything") is None
    assert run(build("constant", {"value": "42"}, "integer"), "7") == "42"


def test_null_on_not_null_column_fails_closed() -> None:
    with pytest.raises(RulesError, match="NOT NULL"):
        build("null", nullable=False)


def test_constant_checks_type_length_and_uniqueness() -> None:
    with pytest.raises(RulesError, match="not a valid integer"):
        build("constant", {"value": "abc"}, "integer")
    with pytest.raises(RulesError, match="longer"):
        build("constant", {"value": "abcdef"}, "character varying(3)")
    with pytest.raises(RulesError, match="unique"):
        build("constant", {"value": "x"}, unique=True)


def test_every_transformer_declares_its_contract() -> None:
    expected = {
        "keep", "null", "constant", "person_name", "email", "phone", "address", "company_name", "card_pan",
        "token", "corporate_number", "my_number", "bank_account", "ip", "json", "date_shift", "numeric_noise",
        "free_text",
    }  # fmt: skip
    assert expected <= REGISTRY.keys()
    for name, cls in REGISTRY.items():
        assert cls.name == name
        assert cls.accepts and cls.accepts <= ALL_FAMILIES
        assert cls.Params.model_config.get("extra") == "forbid", name
        with pytest.raises(RulesError, match="bad params"):
            build(name, {"no_such_param": 1})


def test_transform_that_cannot_produce_the_type_is_refused() -> None:
    with pytest.raises(RulesError, match="can't produce"):
        build("email", pg_type="integer")
    with pytest.raises(RulesError, match="unknown transform"):
        build("emial")


@pytest.mark.parametrize(
    ("name", "params", "value"),
    [
        ("email", {}, "a@b.jp"),
        ("phone", {}, "090-1234-5678"),
        ("person_name", {}, "山田 太郎"),
        ("card_pan", {}, "4539148803436467"),
        ("json", {"paths": {"$.email": "email"}}, '{"email": "a@b.jp"}'),
    ],
)
def test_transformers_pickle_for_worker_processes(name: str, params: dict, value: str) -> None:
    transformer = build(name, params)
    clone = pickle.loads(pickle.dumps(transformer))
    assert run(clone, value) == run(transformer, value)


SAMPLES = {
    "keep": ({}, "text", "x"),
    "constant": ({"value": "x"}, "text", "y"),
    "person_name": ({}, "text", "山田 太郎"),
    "email": ({}, "text", "a@b.jp"),
    "phone": ({}, "text", "090-1234-5678"),
    "address": ({}, "text", "東京都港区芝公園4-2-8"),
    "company_name": ({}, "text", "株式会社山田商事"),
    "card_pan": ({}, "text", "4539148803436467"),
    "token": ({}, "uuid", "a3f1c2d4-1b2c-4d3e-8f9a-0b1c2d3e4f5a"),
    "corporate_number": ({}, "text", "7000012050002"),
    "my_number": ({}, "text", "123456789018"),
    "bank_account": ({}, "text", "1234567"),
    "ip": ({}, "inet", "192.0.2.1"),
    "json": ({"paths": {"$.a": "email"}}, "jsonb", '{"a": "x@y.jp"}'),
    "date_shift": ({}, "date", "2024-01-31"),
    "numeric_noise": ({"relative": 0.1}, "integer", "100"),
    "free_text": ({}, "text", "call 090-1234-5678"),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_only_null_produces_null(name: str) -> None:
    """NULL stays NULL because the pipeline never calls transform() for it; a value never becomes NULL, so NOT
    NULL columns stay satisfied (the null transform is refused on them)."""
    params, pg_type, value = SAMPLES[name]
    out = run(build(name, params, pg_type, nullable=False), value)
    assert isinstance(out, str) and out


def test_empty_text_stays_empty() -> None:
    for name in ("person_name", "email", "company_name", "address", "phone", "card_pan", "free_text", "token"):
        assert run(build(name), "") == "", name
