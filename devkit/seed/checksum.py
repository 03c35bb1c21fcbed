"""Per-table checksums that the generators and PostgreSQL compute identically.

Each row becomes one canonical text line (every column rendered the same way on both sides: timestamps in UTC
with microseconds, inet as its bare host, jsonb in PostgreSQL's own normalized text), hashed with md5; a table's
checksum is the row count plus the sums of the two 64-bit halves of those hashes. Sums commute, so neither side
has to sort: the generators stream in any order with constant memory and the database aggregates without an
ORDER BY. Rows are unique by primary key, so the sum is a fine consistency check (not a defence against forgery).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Integer, SmallInteger, String, Table, Text
from sqlalchemy.dialects.postgresql import INET, JSONB, UUID

NULL = "\\N"
SEPARATOR = "\t"

# Rows the seed owns: test data with UUIDv5 ids. Applications create v4/v7 ids, so test rows they create
# (integration tests in staging) are neither checksummed nor replaced by a re-seed.
SEED_OWNED_SQL = "is_test AND substr(id::text, 15, 1) = '5'"


_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')


def _json_string(value: str) -> str:
    # Fast path: most strings need no escaping; json.dumps escapes exactly what PostgreSQL's escape_json does.
    return f'"{value}"' if not _NEEDS_ESCAPE.search(value) else json.dumps(value, ensure_ascii=False)


def jsonb_text(value: Any) -> str:
    """`value::jsonb::text` as PostgreSQL prints it: object keys ordered by byte length then bytes,
    ", " and ": " separators, non-ASCII kept as is. Floats are refused: their text differs between the two."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        return "{" + ", ".join(f"{_json_string(k)}: {jsonb_text(value[k])}" for k in keys) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(jsonb_text(item) for item in value) + "]"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _json_string(value)
    raise TypeError(f"jsonb_text: unsupported value {value!r} ({type(value).__name__})")


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _column_renderers(table: Table) -> list[tuple[str, str, Callable[[Any], str]]]:
    """(column, SQL expression, Python renderer) per column, in table order."""
    out = []
    for column in table.columns:
        name = f'"{column.name}"'
        kind = column.type
        if isinstance(kind, UUID):
            out.append((column.name, f"{name}::text", str))
        elif isinstance(kind, DateTime):
            out.append((column.name, f"to_char({name} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')", _timestamp))
        elif isinstance(kind, Date):
            out.append((column.name, f"to_char({name}, 'YYYY-MM-DD')", date.isoformat))
        elif isinstance(kind, Boolean):
            out.append((column.name, f"CASE WHEN {name} THEN 't' ELSE 'f' END", lambda v: "t" if v else "f"))
        elif isinstance(kind, SmallInteger | Integer | BigInteger):
            out.append((column.name, f"{name}::text", str))
        elif isinstance(kind, INET):
            out.append((column.name, f"host({name})", lambda v: str(ipaddress.ip_address(v))))
        elif isinstance(kind, JSONB):
            out.append((column.name, f"{name}::text", jsonb_text))
        elif isinstance(kind, String | Text):
            out.append((column.name, name, str))
        else:  # a new column type needs a rendering on both sides before it can be checksummed
            raise TypeError(f"{table.name}.{column.name}: no canonical text for {kind!r}")
    return out


def row_sql(table: Table) -> str:
    parts = [f"coalesce({expr}, '{NULL}')" for _, expr, _ in _column_renderers(table)]
    return f"concat_ws(E'{SEPARATOR}', {', '.join(parts)})"


def checksum_sql(table: Table, where: str = SEED_OWNED_SQL) -> str:
    """count, sum of high halves, sum of low halves of md5(row) for the table's rows matching `where`."""
    digest = f"md5({row_sql(table)})"
    half = "('x' || substr(h, {start}, 16))::bit(64)::bigint"  # sum(bigint) is exact (numeric result)
    return (
        f"SELECT count(*), coalesce(sum({half.format(start=1)}), 0)::text, "
        f"coalesce(sum({half.format(start=17)}), 0)::text "
        f'FROM (SELECT {digest} AS h FROM "{table.name}" WHERE {where}) AS rows'
    )


@dataclass
class TableDigest:
    count: int = 0
    high: int = 0
    low: int = 0

    def add(self, md5_digest: bytes) -> None:
        self.count += 1
        self.high += int.from_bytes(md5_digest[:8], "big", signed=True)
        self.low += int.from_bytes(md5_digest[8:], "big", signed=True)

    def absorb(self, other: TableDigest) -> None:
        """Add another part's rows (sums commute: blocks may be digested anywhere, in any order)."""
        self.count += other.count
        self.high += other.high
        self.low += other.low

    @property
    def checksum(self) -> str:
        return hashlib.md5(f"{self.count}:{self.high}:{self.low}".encode()).hexdigest()

    @classmethod
    def from_sql(cls, count: int, high: str, low: str) -> TableDigest:
        return cls(int(count), int(high), int(low))


class RowHasher:
    """Renders generated rows (dicts keyed by column) exactly as `row_sql` renders stored ones."""

    def __init__(self, table: Table) -> None:
        self.columns = [(name, render) for name, _, render in _column_renderers(table)]

    def line(self, row: dict[str, Any]) -> str:
        return SEPARATOR.join(NULL if row[name] is None else render(row[name]) for name, render in self.columns)

    def digest(self, rows: Iterable[dict[str, Any]], into: TableDigest) -> None:
        for row in rows:
            into.add(hashlib.md5(self.line(row).encode()).digest())
