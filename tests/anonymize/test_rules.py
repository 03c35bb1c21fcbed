"""Rules files: YAML with line numbers in every error; the coverage check lists every problem at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from anonymize.errors import RulesError
from anonymize.rules import ColumnRule, RulesFile, check_coverage, load_rules, parse_rules
from tests.anonymize.transform_kit import column

GOOD = """\
version: 1
tables:
  customers:
    where: "deleted_at IS NULL"
    columns:
      id: keep
      email: email
      name: {transform: person_name, params: {script: kanji}}
      name_kana:
        transform: person_name
        params: {script: katakana, key_column: name}
  public.audit:
    skip_data: true
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_good_rules(tmp_path: Path) -> None:
    rules = load_rules(_write(tmp_path, GOOD))
    assert set(rules.tables) == {"public.customers", "public.audit"}
    customers = rules.tables["public.customers"]
    assert customers.where == "deleted_at IS NULL" and not customers.skip_data
    assert customers.columns["email"] == ColumnRule(transform="email")
    assert customers.columns["name_kana"].params == {"script": "katakana", "key_column": "name"}
    assert rules.tables["public.audit"].skip_data and rules.tables["public.audit"].columns == {}


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("version: 1\ntables:\n  t:\n    columns:\n      a: keep\n      b: [unclosed\n", 6, "invalid YAML"),
        ("version: 1\ntables:\n  t:\n    columns:\n      a: keep\n      b: emial\n", 6, "unknown transform 'emial'"),
        ("version: 1\ntables:\n  t:\n    columns:\n      a: {transform: email, params: {domian: x}}\n", 5, "domian"),
        ("version: 1\ntables:\n  t:\n    columns:\n      a: keep\n      a: email\n", 6, "duplicate key 'a'"),
        ("version: 1\ntables:\n  t:\n    colums:\n      a: keep\n", 4, "colums"),
        ("version: 2\ntables: {}\n", 1, "version"),
        ("version: 1\ntables:\n  t:\n    skip_data: maybe\n", 4, "skip_data"),
        ("version: 1\ntables:\n  t:\n    columns:\n      a: {params: {}}\n", 5, "transform"),
    ],
)
def test_errors_name_file_line_and_problem(tmp_path: Path, text: str, line: int, what: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(RulesError) as info:
        load_rules(path)
    assert info.value.message.startswith(f"{path}:{line}:"), info.value.message
    assert what in info.value.message


def test_every_bad_rule_is_listed(tmp_path: Path) -> None:
    text = "version: 1\ntables:\n  t:\n    columns:\n      a: emial\n      b: keep\n      c: phoen\n"
    with pytest.raises(RulesError) as info:
        load_rules(_write(tmp_path, text))
    assert len(info.value.problems) == 2
    assert ":5:" in info.value.problems[0] and ":7:" in info.value.problems[1]
    assert "and 1 more" in info.value.message


def test_same_table_spelled_twice_is_an_error() -> None:
    with pytest.raises(RulesError, match="two rules"):
        parse_rules("version: 1\ntables:\n  orders: {}\n  public.orders: {}\n")


def test_missing_file_and_non_mapping(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot read rules file"):
        load_rules(tmp_path / "missing.yml")
    with pytest.raises(RulesError, match="mapping"):
        parse_rules("- a\n- b\n")


def _schema() -> dict:
    t = "public.customers"
    return {
        t: [
            column("uuid", name="id", table=t, unique=True, nullable=False),
            column("character varying(200)", name="email", table=t),
            column("text", name="name", table=t),
            column("text", name="name_kana", table=t),
            column("integer", name="points", table=t),
            column("jsonb", name="prefs", table=t),
            column("text", name="full", table=t, generated=True),
        ],
        "public.orders": [column("bigint", name="id", table="public.orders")],
    }


def test_coverage_ok() -> None:
    rules = parse_rules(
        GOOD.replace("  public.audit:\n    skip_data: true\n", "")
        + "      points: {transform: numeric_noise, params: {relative: 0.1}}\n      prefs: keep\n"
        + "  orders:\n    skip_data: true\n"
    )
    assert check_coverage(rules, _schema()) == []


def test_coverage_lists_every_problem_at_once() -> None:
    rules = parse_rules(
        """\
version: 1
tables:
  customers:
    columns:
      id: email
      email: email
      name: {transform: person_name, params: {key_column: nickname}}
      points: {transform: numeric_noise, params: {relative: 0.1}}
      prefs: null
      shoe_size: keep
      full: email
  ghosts:
    columns:
      id: keep
""",
        "rules.yml",
    )
    problems = check_coverage(rules, _schema())
    text = "\n".join(problems)
    assert "rules.yml:5: public.customers.id: transform email can't produce uuid" in text
    assert "rules.yml:7: public.customers.name: person_name reads column 'nickname'" in text
    assert "public.customers.name_kana: column has no rule (text)" in text
    assert "rules.yml:10: public.customers.shoe_size: rule for a column that does not exist" in text
    assert "rules.yml:11: public.customers.full: generated column" in text
    assert "rules.yml:12: public.ghosts: rule for a table that does not exist" in text
    assert "public.orders: table has no rule" in text
    assert "public.customers.prefs" not in text  # null on a nullable column is fine
    assert len(problems) == 7


def test_coverage_reports_bad_params_of_programmatic_rules() -> None:
    rules = RulesFile.model_validate(
        {"version": 1, "tables": {"customers": {"columns": {"id": {"transform": "token", "params": {"x": 1}}}}}}
    )
    problems = check_coverage(rules, {"public.customers": [column("uuid", name="id", table="public.customers")]})
    assert len(problems) == 1 and "bad params for token" in problems[0]


def test_null_is_the_null_transform_and_an_empty_rule_is_an_error(tmp_path: Path) -> None:
    rules = parse_rules("version: 1\ntables:\n  t:\n    columns:\n      a: null\n      b: NULL\n")
    assert rules.tables["public.t"].columns["a"].transform == "null"
    path = _write(tmp_path, "version: 1\ntables:\n  t:\n    columns:\n      a: keep\n      b:\n")
    with pytest.raises(RulesError, match=r":6: .*empty rule"):
        load_rules(path)
