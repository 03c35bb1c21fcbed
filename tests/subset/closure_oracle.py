"""An independent closure, computed in Python from every row of the source (small test databases only): the
subset's meaning written the plain way, to hold the SQL closure to. Rows are read whole, edges are given by the
test (or read from information_schema), and the fixpoint runs over Python sets."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

Row = dict[str, Any]
Filter = Callable[[Row], bool]


@dataclass(frozen=True)
class Ref:
    """child rows -> parent rows: `child_values(row)` (None: references nothing) equals the parent's `columns`."""

    child: str
    parent: str
    child_values: Callable[[Row], tuple | None]
    parent_columns: tuple[str, ...]


def fk_refs(dsn: str) -> list[Ref]:
    """The declared foreign keys, from information_schema (not the catalog queries the code under test uses)."""
    query = """
        SELECT tc.table_schema || '.' || tc.table_name, ccu_t.table_schema || '.' || ccu_t.table_name,
               array_agg(kcu.column_name::text ORDER BY kcu.ordinal_position),
               array_agg(pk.column_name::text ORDER BY kcu.ordinal_position)
        FROM information_schema.table_constraints tc
        JOIN information_schema.key_column_usage kcu
          ON kcu.constraint_name = tc.constraint_name AND kcu.constraint_schema = tc.constraint_schema
        JOIN information_schema.referential_constraints rc
          ON rc.constraint_name = tc.constraint_name AND rc.constraint_schema = tc.constraint_schema
        JOIN information_schema.key_column_usage pk
          ON pk.constraint_name = rc.unique_constraint_name AND pk.constraint_schema = rc.unique_constraint_schema
         AND pk.ordinal_position = kcu.position_in_unique_constraint
        JOIN information_schema.table_constraints ccu_t
          ON ccu_t.constraint_name = rc.unique_constraint_name AND ccu_t.constraint_schema = rc.unique_constraint_schema
        WHERE tc.constraint_type = 'FOREIGN KEY'
          AND NOT EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                          WHERE c.relname = tc.table_name)
        GROUP BY tc.constraint_schema, tc.constraint_name, 1, 2
    """
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(query).fetchall()
    refs = []
    for child, parent, columns, parent_columns in rows:

        def values(row: Row, columns: tuple[str, ...] = tuple(columns)) -> tuple | None:
            found = tuple(row[c] for c in columns)
            return None if any(v is None for v in found) else found

        refs.append(Ref(child, parent, values, tuple(parent_columns)))
    return refs


def read_all(dsn: str, tables: Sequence[str]) -> dict[str, list[Row]]:
    data = {}
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        for table in tables:
            data[table] = cur.execute(f"SELECT * FROM {table}").fetchall()
    return data


def closure(
    data: Mapping[str, list[Row]],
    keys: Mapping[str, tuple[str, ...]],
    refs: Sequence[Ref],
    roots: Mapping[str, Callable[[Row], bool]],
    filters: Mapping[str, Callable[[Row], bool]] | None = None,
    whole: Sequence[str] = (),
) -> dict[str, set[tuple]]:
    """Down from the roots (children of down rows, passing their table's filter, through tables that are not
    whole), then up from every kept row: table -> kept keys."""
    filters = filters or {}

    def key(table: str, row: Row) -> tuple:
        return tuple(row[c] for c in keys[table])

    down: dict[str, set[tuple]] = {t: set() for t in data}
    for table, test in roots.items():
        down[table] |= {key(table, r) for r in data[table] if test(r)}
    changed = True
    while changed:
        changed = False
        for ref in refs:
            if ref.child in whole or not down[ref.parent]:
                continue
            parent_values = {
                tuple(r[c] for c in ref.parent_columns)
                for r in data[ref.parent]
                if key(ref.parent, r) in down[ref.parent]
            }
            for row in data[ref.child]:
                values = ref.child_values(row)
                if values is not None and values in parent_values and filters.get(ref.child, lambda r: True)(row):
                    k = key(ref.child, row)
                    if k not in down[ref.child]:
                        down[ref.child].add(k)
                        changed = True
    kept = {t: set(v) for t, v in down.items()}
    for table in whole:
        kept[table] |= {key(table, r) for r in data[table]}
    changed = True
    while changed:
        changed = False
        for ref in refs:
            wanted = {ref.child_values(r) for r in data[ref.child] if key(ref.child, r) in kept[ref.child]} - {None}
            for row in data[ref.parent]:
                if tuple(row[c] for c in ref.parent_columns) in wanted and key(ref.parent, row) not in kept[ref.parent]:
                    kept[ref.parent].add(key(ref.parent, row))
                    changed = True
    return kept
