"""`devkit rules init`'s drafting, as a pure function of a schema: unique columns get the key their transform needs."""

from __future__ import annotations

from anonymize.draft import draft_rules
from anonymize.rules import check_coverage, parse_rules
from anonymize.transformers.base import ColumnInfo


def test_unique_phone_and_ip_columns_are_drafted_keyed_on_the_id() -> None:
    table = "public.logins"
    schema = {
        table: [
            ColumnInfo(table, "id", "bigint", nullable=False, unique=True),
            ColumnInfo(table, "phone", "text", nullable=False, unique=True),
            ColumnInfo(table, "last_ip", "inet", unique=True),
            ColumnInfo(table, "backup_phone", "text"),
        ]
    }
    drafted = draft_rules(schema)
    assert "phone: {transform: phone, params: {key_column: id}}" in drafted
    assert "last_ip: {transform: ip, params: {key_column: id}}" in drafted
    assert "backup_phone: phone" in drafted  # not unique: keyed on its own value, the same fake everywhere
    assert "REVIEW" not in drafted
    assert check_coverage(parse_rules(drafted), schema) == []


def test_columns_named_like_yaml_booleans_stay_names() -> None:
    table = "sales.invoice"
    schema = {table: [ColumnInfo(table, name, "integer") for name in ("no", "yes", "on", "Off", "y", "null", "id")]}
    drafted = draft_rules(schema)
    rules = parse_rules(drafted)  # YAML 1.1 would read `no:` as the boolean false
    assert check_coverage(rules, schema) == []
