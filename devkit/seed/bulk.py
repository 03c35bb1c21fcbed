"""Indexes and constraints set aside while a fresh seed is bulk-loaded, and rebuilt after it, as pg_restore does.

Every row COPY-ed into an indexed table pays for its index entries one at a time, and every foreign key runs a
lookup per row; building each index once over the loaded table (a sort) and validating each foreign key with one
join is several times cheaper at staging's volume. Primary keys stay (foreign keys reference them). The drop and
the rebuild run in the seed's own transaction, so a failed or killed load leaves the schema exactly as it was;
a rebuild that finds a duplicate or a dangling reference fails the seed like a per-row check would have.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import sql


def set_aside(conn: psycopg.Connection, tables: Sequence[str]) -> list[str]:
    """Drop the tables' foreign keys, unique constraints and secondary indexes; return the statements that
    re-create them (indexes and unique constraints first, then the foreign keys that may rely on them)."""
    constraints = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype FROM pg_constraint"
        " WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u') ORDER BY contype, conrelid, conname",
        (list(tables),),
    ).fetchall()
    indexes = conn.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index AS i"
        " WHERE indrelid = ANY(%s::regclass[]) AND NOT indisprimary"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)"
        " ORDER BY indexrelid::regclass::text",
        (list(tables),),
    ).fetchall()
    for table, name, _, _ in constraints:  # 'f' sorts before 'u': foreign keys go before what they might use
        conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(table), sql.Identifier(name)))
    for index, _ in indexes:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(index)))
    rebuild = [definition for _, definition in indexes]
    ordered = [c for c in constraints if c[3] == "u"] + [c for c in constraints if c[3] == "f"]
    rebuild += [
        sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(sql.Identifier(table), sql.Identifier(name)).as_string(conn)
        + definition
        for table, name, definition, _ in ordered
    ]
    return rebuild


def rebuild(conn: psycopg.Connection, statements: Sequence[str]) -> None:
    for statement in statements:
        conn.execute(statement)
