"""`rules init`: draft a rules file from a schema, guessing a transform per column from its name and type.

A draft is a starting point for review, not a decision: every guess is checked the way a run checks rules
(a guess the column can't take falls back, with a comment saying so), JSON and long text columns are flagged
for review, and everything else is an explicit `keep` the reviewer can see and change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from anonymize.errors import AnonymizeError
from anonymize.id_paths import with_id_keep_paths
from anonymize.keys import Keyring
from anonymize.rules import ColumnRule
from anonymize.transformers.base import ColumnInfo, build_transformer

_ID = re.compile(r"^(id|.*_id|uuid|.*_uuid)$")
_PERSON_TABLES = re.compile(r"(customer|user|member|staff|employee|person|people|contact|account_holder|cardholder)")
_COMPANY_TABLES = re.compile(r"(merchant|compan|corporat|store|shop|vendor|supplier|partner|organi[sz]ation|tenant)")


class Found(Protocol):
    """A scan's suggestion for a column (anonymize.scan.Suggestion)."""

    transform: str
    params: dict[str, Any]
    why: str


@dataclass(frozen=True)
class Guess:
    transform: str
    params: Mapping[str, Any]
    why: str  # shown as a comment next to the rule


# (column-name pattern, type families it applies to, transform, params, why). First match wins.
_RULES: list[tuple[str, frozenset[str], str, dict[str, Any], str]] = [
    (r"e_?mail", frozenset({"text"}), "email", {}, "email address"),
    (r"(^|_)(phone|tel|telephone|mobile|fax|cell)(_|$)", frozenset({"text"}), "phone", {}, "phone number"),
    (r"(^|_)(card_?(number|no|pan)|pan)$", frozenset({"text"}), "card_pan", {}, "card number"),
    (r"my_?number|individual_number|kojin_bango", frozenset({"text", "integer"}), "my_number", {}, "My Number"),
    (
        r"corporat(e|ion)_number|houjin_bango|hojin_bango",
        frozenset({"text", "integer"}),
        "corporate_number",
        {},
        "corporate number",
    ),
    (r"(bank_)?account_(number|no)$", frozenset({"text", "integer"}), "bank_account", {}, "bank account number"),
    (r"(^|_)(ip|ip_address|ip_addr|remote_addr|client_ip)$", frozenset({"inet", "text"}), "ip", {}, "IP address"),
    (
        r"(^|_)(postal_code|zip_?code|postcode|zip)$",
        frozenset({"text"}),
        "address",
        {"part": "postal_code"},
        "postal code",
    ),
    (
        r"(^|_)(address|addr|street|address_line\d*)(_|$)",
        frozenset({"text"}),
        "address",
        {"part": "street"},
        "street address",
    ),
    (
        r"(^|_)(token|secret|api_key|password|passwd|pass_hash|password_hash|fingerprint)(_|$)",
        frozenset({"text", "uuid", "bytea"}),
        "token",
        {},
        "secret or token",
    ),
    (r"(first|given)_?name(_kana)?$", frozenset({"text"}), "person_name", {"part": "given"}, "given name"),
    (r"(last|family|sur)_?name(_kana)?$", frozenset({"text"}), "person_name", {"part": "family"}, "family name"),
    (
        r"(^|_)(birth|birthday|birth_date|dob|date_of_birth)(_|$)",
        frozenset({"date", "timestamp"}),
        "date_shift",
        {"range_days": 180},
        "birth date",
    ),
    (
        r"(^|_)(note|notes|memo|comment|comments|remarks|description|message|body)$",
        frozenset({"text"}),
        "free_text",
        {},
        "free text may hold personal data",
    ),
]


def guess(table: str, column: ColumnInfo) -> Guess:
    """The transform a column most likely needs, from its name, its table's name and its type."""
    name = column.name.lower()
    family = column.family
    if column.generated:
        return Guess("keep", {}, "generated column")
    if _ID.match(name) and family in ("integer", "uuid"):
        return Guess("keep", {}, "")
    for pattern, families, transform, params, why in _RULES:
        if family in families and re.search(pattern, name):
            if transform == "person_name" and name.endswith("_kana"):
                params = {**params, "script": "katakana"}
            return Guess(transform, params, why)
    if family == "text" and re.search(r"(^|_)(name|full_name|contact_name|holder_name|representative)(_kana)?$", name):
        kana = {"script": "katakana"} if name.endswith("_kana") else {}
        bare = table.rsplit(".", 1)[-1].lower()
        if _COMPANY_TABLES.search(bare) and not re.search(r"contact|representative|holder", name):
            return Guess("company_name", kana, "company name (review: is it a person?)")
        if _PERSON_TABLES.search(bare) or re.search(r"contact|representative|holder|full_name", name):
            return Guess("person_name", kana, "person name")
    if family == "json":
        return Guess("keep", {}, "REVIEW: JSON may hold personal data; use `json` with paths")
    return Guess("keep", {}, "")


def draft_rules(schema: Mapping[str, list[ColumnInfo]], found: Mapping[str, Found] | None = None) -> str:
    """A complete rules file (YAML text) for `schema`, every guess checked against its column. `found`
    ('schema.table.column' -> rule, from `devkit scan`) overrides a guess that would let detected personal data
    through (keep, or JSON without other_strings); a free_text guess always uses the PII detector."""
    keyring = Keyring(b"draft-check-key-not-for-data!!")
    lines = [
        "# Drafted by `devkit rules init`: review every rule before the first snapshot.",
        "# `keep` copies a column unchanged; everything else is replaced by a keyed fake.",
        "version: 1",
        "tables:",
    ]
    for table in sorted(schema):
        lines.append(f"  {_yaml_key(table)}:")
        lines.append("    columns:")
        columns = schema[table]
        by_name = {c.name for c in columns}
        for column in columns:
            if column.generated:
                continue  # recomputed on load; needs no rule
            chosen = guess(table, column)
            if chosen.transform == "free_text":
                chosen = Guess("free_text", {"detector": "presidio"}, chosen.why)
            scanned = (found or {}).get(column.qualified)
            if scanned is not None and (chosen.transform == "keep" or column.family == "json"):
                # JSON: the payload's own ids (sampled under id keys) are drafted keep paths (anonymize.id_paths)
                params = with_id_keep_paths(scanned.transform, scanned.params, getattr(scanned, "json_paths", {}))
                chosen = Guess(scanned.transform, params, scanned.why)
            params = dict(chosen.params)
            why = chosen.why
            if chosen.transform in ("person_name", "company_name", "address", "phone", "ip") and column.unique:
                key = "id" if "id" in by_name else None
                if key:
                    params["key_column"] = key
            rule = ColumnRule(transform=chosen.transform, params=params)
            try:
                build_transformer(rule, column, keyring)
            except AnonymizeError as exc:
                fallback = "null" if column.nullable else "keep"
                why = f"REVIEW: guessed {chosen.transform} but {exc.message}; {fallback} drafted instead"
                rule = ColumnRule(transform=fallback)
            comment = f"  # {why}" if why else ""
            lines.append(f"      {_yaml_key(column.name)}: {_yaml_rule(rule)}{comment}")
    return "\n".join(lines) + "\n"


# Plain words YAML 1.1 reads as booleans or null: a column named `no` or `on` must be quoted to stay a name.
_YAML_WORDS = re.compile(r"(y|yes|n|no|true|false|on|off|null|~)", re.IGNORECASE)


def _yaml_key(name: str) -> str:
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name) and not _YAML_WORDS.fullmatch(name)
    return name if plain else '"' + name.replace('"', '\\"') + '"'


def _yaml_rule(rule: ColumnRule) -> str:
    if rule.transform == "null":
        return '"null"'
    if not rule.params:
        return rule.transform
    params = ", ".join(f"{key}: {_yaml_scalar(value)}" for key, value in rule.params.items())
    return f"{{transform: {rule.transform}, params: {{{params}}}}}"


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, Mapping):  # keys quoted as values are: a JSON path's "$.items[*].id" needs it
        return "{" + ", ".join(f"{_yaml_scalar(key)}: {_yaml_scalar(item)}" for key, item in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text) and not _YAML_WORDS.fullmatch(text)
    return text if plain else '"' + text.replace('"', '\\"') + '"'
