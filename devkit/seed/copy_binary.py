"""Transaction blocks sent as COPY (FORMAT binary): the same rows as their COPY text, at less server CPU.

The generators render every row as one COPY text line, which is also the line its checksum is taken over
(`devkit.seed.transactions`). Parsing that text is most of the server's COPY work: timestamptz, uuid, bigint and
inet input functions per field (measured: server-side COPY of a 0.82M-row staging seed's transaction tables, 2.44 s
of backend CPU from text, 1.17 s from the same rows in binary). So the lines are re-encoded, field by field, in C
(`csrc/speedups.c`): the values are exactly those the text denotes, or the block goes as text (a field with an
escape or a shape the generators never write; or the extension is not built). tests/seed/test_speedups.py loads
both forms of every transaction table and compares them on the server.
"""

from __future__ import annotations

from psycopg import sql
from sqlalchemy import BigInteger, Boolean, DateTime, Integer, SmallInteger, String, Table, Text
from sqlalchemy.dialects.postgresql import INET, JSONB, UUID

from devkit.schema import TABLES as SCHEMA_TABLES
from devkit.seed.transactions import NATIVE, TABLES


def kinds(table: Table) -> bytes | None:
    """One kind byte per column (see csrc/speedups.c), or None if a column's type has no binary encoding here."""
    out = bytearray()
    for column in table.columns:
        kind = column.type
        # SmallInteger and BigInteger are Integer subclasses: most specific first.
        for types, code in (
            (UUID, b"u"),
            (DateTime, b"T"),
            (Boolean, b"b"),
            (SmallInteger, b"2"),
            (BigInteger, b"8"),
            (Integer, b"4"),
            (INET, b"i"),
            (JSONB, b"j"),
            ((String, Text), b"s"),
        ):
            if isinstance(kind, types):
                out += code
                break
        else:
            return None
    return bytes(out)


KINDS = {table.name: kinds(table) for table in SCHEMA_TABLES if table.name in TABLES}


def encode(name: str, lines: list[bytes]) -> bytes | None:
    """A whole COPY binary stream (header to trailer) of a transaction table's lines; None: send the text."""
    table_kinds = KINDS.get(name)
    if NATIVE is None or table_kinds is None:
        return None
    return NATIVE.encode(lines, table_kinds)


def copy_statement(target: str, table: Table, binary: bool) -> sql.Composed:
    """COPY FROM STDIN of `table`'s columns into `target` (the table, or a stage or merge table made LIKE it), as
    COPY text or, with `binary`, the stream `encode` writes."""
    return sql.SQL("COPY {} ({}) FROM STDIN{}").format(
        sql.Identifier(target),
        sql.SQL(", ").join(sql.Identifier(column.name) for column in table.columns),
        sql.SQL(" (FORMAT binary)" if binary else ""),
    )
