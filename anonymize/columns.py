"""What a column is to the anonymizer: its table, name, PostgreSQL type and constraints, and the family of types it
belongs to (which decides the transforms that can produce it). Pure data: rules, transformers, the pipeline and the
draft all read it, so it depends on nothing of theirs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

TypeFamily = Literal[
    "text", "integer", "numeric", "boolean", "date", "timestamp", "json", "uuid", "inet", "bytea", "other"
]
ALL_FAMILIES: frozenset[TypeFamily] = frozenset(get_args(TypeFamily))

_FAMILY_BY_TYPE: dict[str, TypeFamily] = {
    "text": "text",
    "character varying": "text",
    "varchar": "text",
    "character": "text",
    "char": "text",
    "bpchar": "text",
    '"char"': "text",
    "name": "text",
    "citext": "text",
    "smallint": "integer",
    "integer": "integer",
    "bigint": "integer",
    "int2": "integer",
    "int4": "integer",
    "int8": "integer",
    "numeric": "numeric",
    "decimal": "numeric",
    "real": "numeric",
    "double precision": "numeric",
    "float4": "numeric",
    "float8": "numeric",
    "money": "numeric",
    "boolean": "boolean",
    "bool": "boolean",
    "date": "date",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamp",
    "timestamp": "timestamp",
    "timestamptz": "timestamp",
    "json": "json",
    "jsonb": "json",
    "uuid": "uuid",
    "inet": "inet",
    "cidr": "inet",
    "bytea": "bytea",
}
_TYPMOD = re.compile(r"\([^)]*\)")
_LENGTH = re.compile(r"^(?:character varying|varchar|character|char|bpchar)\((\d+)\)$")


def _bare_type(pg_type: str) -> str:
    # 'timestamp(3) with time zone' -> 'timestamp with time zone'; 'public.citext' -> 'citext'
    bare = " ".join(_TYPMOD.sub("", pg_type.strip().lower()).split())
    if "." in bare and not bare.startswith('"'):
        bare = bare.rsplit(".", 1)[1]
    return bare


def type_family(pg_type: str) -> TypeFamily:
    """The family of a `format_type()` text, e.g. 'character varying(255)' -> 'text'. Arrays, enums, ranges,
    intervals, times, geometric and unknown types are 'other' (only keep/null/constant can produce them)."""
    if pg_type.strip().endswith("]"):
        return "other"
    return _FAMILY_BY_TYPE.get(_bare_type(pg_type), "other")


def max_length_of(pg_type: str) -> int | None:
    """varchar(n)/char(n) -> n; unbounded types -> None."""
    match = _LENGTH.match(pg_type.strip().lower())
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class ColumnInfo:
    table: str  # schema-qualified, e.g. "public.customers"
    name: str
    pg_type: str  # format_type(atttypid, atttypmod)
    nullable: bool = True
    unique: bool = False  # part of a single-column unique/PK constraint or unique index
    max_length: int | None = None  # varchar(n)/char(n); derived from pg_type when not given
    # Extensions (defaults keep the original constructor valid):
    base_type: str | None = None  # for a DOMAIN column: format_type of its base type, which decides the family
    generated: bool = False  # GENERATED ALWAYS AS (...) STORED: recomputed on load, needs no rule
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_length is None:
            object.__setattr__(self, "max_length", max_length_of(self.base_type or self.pg_type))

    @property
    def family(self) -> TypeFamily:
        return type_family(self.base_type or self.pg_type)

    @property
    def qualified(self) -> str:
        return f"{self.table}.{self.name}"
