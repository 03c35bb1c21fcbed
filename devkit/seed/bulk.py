"""Indexes and constraints set aside while a fresh seed is bulk-loaded, and rebuilt after it, as pg_restore does.

Every row COPY-ed into an indexed table pays for its index entries one at a time, and every foreign key runs a
lookup per row; building each index once over the loaded table (a sort) and validating each foreign key with one
join is several times cheaper at staging's volume. A primary key goes too unless a foreign key from a table outside
the set references it (another application's table in staging, say). The drop and the rebuild run in the seed's
own transaction, so a failed or killed load leaves the schema exactly as it was;
a rebuild that finds a duplicate or a dangling reference fails the seed like a per-row check would have.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import sql


def set_aside(conn: psycopg.Connection, tables: Sequence[str]) -> list[str]:
    """Drop the tables' foreign keys, primary keys nobody else references, unique constraints and secondary
    indexes; return the statements that re-create them (keys and indexes first, then the foreign keys)."""
    constraints = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype FROM pg_constraint AS c"
        " WHERE conrelid = ANY(%(tables)s::regclass[]) AND (contype IN ('f', 'u') OR contype = 'p' AND NOT EXISTS"
        "  (SELECT 1 FROM pg_constraint AS r WHERE r.contype = 'f' AND r.confrelid = c.conrelid"
        "   AND NOT r.conrelid = ANY(%(tables)s::regclass[])))"
        " ORDER BY contype, conrelid, conname",
        {"tables": list(tables)},
    ).fetchall()
    indexes = conn.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index AS i"
        " WHERE indrelid = ANY(%s::regclass[]) AND NOT indisprimary"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)"
        " ORDER BY indexrelid::regclass::text",
        (list(tables),),
    ).fetchall()
    # Table and index names come as regclass text: already quoted (and qualified) by the server as needed.
    for table, name, _, _ in constraints:  # 'f' sorts first: foreign keys go before the keys they use
        conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.SQL(table), sql.Identifier(name)))
    for index, _ in indexes:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.SQL(index)))
    ordered = [c for kind in "puf" for c in constraints if c[3] == kind]
    keys = [c for c in ordered if c[3] != "f"]
    rebuild = [_add(conn, table, name, definition) for table, name, definition, _ in keys]
    rebuild += [definition for _, definition in indexes]
    rebuild += [_add(conn, table, name, definition) for table, name, definition, kind in ordered if kind == "f"]
    return rebuild


def _add(conn: psycopg.Connection, table: str, name: str, definition: str) -> str:
    return (
        sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(sql.SQL(table), sql.Identifier(name)).as_string(conn)
        + definition
    )


# Memory for the rebuild's sorts (CREATE INDEX) and its foreign key checks (PostgreSQL runs them with
# maintenance_work_mem as work_mem), raised for the seed's transaction only and never lowered: at 64MB, the server
# default, they spill to disk at staging's volume. Measured on a 8.2M-row staging seed: the keys' server CPU
# 28.3 s at 64MB, 25.7 s at 512MB. The memory is taken as a sort needs it: a dev seed's small sorts use little.
REBUILD_MEMORY = "512MB"


def rebuild(conn: psycopg.Connection, statements: Sequence[str]) -> None:
    conn.execute(
        "SELECT set_config('maintenance_work_mem', %(memory)s, true)"
        " WHERE pg_size_bytes(current_setting('maintenance_work_mem')) < pg_size_bytes(%(memory)s)",
        {"memory": REBUILD_MEMORY},
    )
    for statement in statements:
        conn.execute(statement)
