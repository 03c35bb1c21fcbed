"""Splitting big tables into ranges, so that `jobs` workers stay busy whatever the table sizes.

A table (or leaf partition) worth splitting becomes several units, each a predicate on its rows that the source's
COPY reads under the one exported snapshot: ranges of its primary key (or of a unique btree key whose columns are
all NOT NULL: integer, UUID, text, composite alike), or, for a table with no such key, ranges of ctid blocks (a TID
range scan reads only its blocks). The ranges cover the key space (or the blocks) without gap or overlap by
construction, `< first bound`, `[bound i, bound i+1)`, `>= last bound`, so where the bounds fall only decides how
even the ranges are, never which rows are read: key bounds are quantiles of a block sample taken in the snapshot.

Sizes are the tables' on-disk bytes, TOAST included (pg_table_size: exact and as cheap as the relpages estimate,
which ANALYZE may not have set yet). A key range is read as the server's planner picks: through the key's index
when the range is narrow and the key follows the physical order (serial ids); a wide range, or one of random keys
(UUIDs), may scan most of the table's pages, so the source may read such a table up to once per range (block
ranges never do: choosing them for such tables, by pg_stats.correlation, is left for later). Measured on a loaded
2-core machine, 400k rows of ~110 bytes in 8 ranges read one after another: UUID key 1.34 s, serial key 1.08 s,
blocks 0.89-0.94 s, the whole table in one COPY 0.39-0.48 s (the psql starts are most of the difference).

Pure logic (how many ranges, the predicates) is apart from the catalog queries (the key, the bounds, the pages).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg

from anonymize.catalog import CatalogTable
from anonymize.postgres import quote_ident

# Below twice this a table stays one unit: a range costs a psql process joining the snapshot, a target connection
# and its share of the sampled bounds (measured on a loaded 2-core machine: ~45 ms a range; 8 key bounds of a 200k-row
# table ~25 ms), worth it next to the seconds 8 MB take to transform. The figure itself is our assumption.
MIN_RANGE_BYTES = 8 << 20
# Ranges per job over the run's total: enough that biggest-first scheduling evens out the jobs' ends.
RANGES_PER_JOB = 4
MAX_RANGES = 64  # per table: each is one more psql process over the run
SAMPLE_BLOCKS_PER_RANGE = 16  # blocks sampled per range for the key bounds (SYSTEM sampling: whole blocks)


@dataclass(frozen=True)
class SplitPolicy:
    """How finely tables are split: a table of `size` bytes gets `ranges(size)` units. `min_range_bytes` is
    both the smallest table split and the smallest range made; `target_bytes` the size aimed at."""

    min_range_bytes: int = MIN_RANGE_BYTES
    target_bytes: int = MIN_RANGE_BYTES
    max_ranges: int = MAX_RANGES

    @classmethod
    def for_run(cls, sizes: Sequence[int], jobs: int, min_range_bytes: int = MIN_RANGE_BYTES) -> SplitPolicy:
        """`jobs` at a time over tables of `sizes`: ranges of about total / (jobs * RANGES_PER_JOB), never below
        `min_range_bytes`. One job splits nothing (there is nobody to share the work with)."""
        if jobs <= 1:
            return cls(min_range_bytes=0, target_bytes=0, max_ranges=1)
        target = max(min_range_bytes, sum(sizes) // (jobs * RANGES_PER_JOB))
        return cls(min_range_bytes=min_range_bytes, target_bytes=target)

    def ranges(self, size: int) -> int:
        if self.max_ranges <= 1 or size < 2 * max(self.min_range_bytes, 1):
            return 1
        return max(1, min(self.max_ranges, math.ceil(size / max(self.target_bytes, 1))))


@dataclass(frozen=True)
class KeyColumn:
    name: str
    type_sql: str  # format_type(): what a bound's text is cast to


@dataclass(frozen=True)
class TableRange:
    """One unit of a table: `predicate` (SQL on the table's columns; None: the whole table), `index` of `count`."""

    predicate: str | None
    index: int = 0
    count: int = 1
    estimated_bytes: int = 0


def whole(table: CatalogTable) -> list[TableRange]:
    return [TableRange(None, 0, 1, table.size_bytes)]


def key_predicates(key: Sequence[KeyColumn], bounds: Sequence[Sequence[str]]) -> list[str]:
    """`len(bounds) + 1` predicates covering every key: `< b0`, `>= b0 AND < b1`, ..., `>= b_last`. A composite
    key compares as a row (lexicographic, each column by its btree order: the order the bounds were sampled in)."""
    if not bounds:
        return []
    columns = ", ".join(quote_ident(k.name) for k in key)
    left = columns if len(key) == 1 else f"ROW({columns})"

    def literal(bound: Sequence[str]) -> str:
        values = ", ".join(f"{quote_literal(v)}::{k.type_sql}" for v, k in zip(bound, key, strict=True))
        return values if len(key) == 1 else f"ROW({values})"

    return _between(left, [literal(b) for b in bounds])


def ctid_predicates(pages: int, count: int) -> list[str]:
    """`count` ranges of about pages / count blocks each; the last one open-ended (rows on pages past the estimate,
    if any, are read by it)."""
    if count <= 1 or pages < count:
        return []
    step = pages / count
    starts = sorted({round(step * i) for i in range(1, count)})
    return _between("ctid", [f"'({start},0)'::tid" for start in starts])


def _between(left: str, bounds: Sequence[str]) -> list[str]:
    predicates = [f"{left} < {bounds[0]}"]
    predicates += [f"{left} >= {low} AND {left} < {high}" for low, high in itertools.pairwise(bounds)]
    predicates.append(f"{left} >= {bounds[-1]}")
    return predicates


def quote_literal(value: str) -> str:
    """A standard-conforming SQL string literal (the only escape is the doubled quote)."""
    if "\x00" in value:
        raise ValueError("a NUL byte can't be in a PostgreSQL text value")
    return "'" + value.replace("'", "''") + "'"


def spread(table: CatalogTable, predicates: Sequence[str]) -> list[TableRange]:
    if not predicates:
        return whole(table)
    each = table.size_bytes // len(predicates)
    return [TableRange(p, i, len(predicates), each) for i, p in enumerate(predicates)]


# ---------------------------------------------------------------- catalog queries (run in the source's snapshot)

_KEY_SQL = """
SELECT ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE k.n <= i.indnkeyatts ORDER BY k.n),
       ARRAY(SELECT format_type(a.atttypid, a.atttypmod) FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE k.n <= i.indnkeyatts ORDER BY k.n)
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
WHERE i.indrelid = %s::regclass AND i.indisunique AND i.indisvalid AND am.amname = 'btree'
  AND i.indpred IS NULL AND i.indexprs IS NULL
  AND NOT EXISTS (SELECT 1 FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, n)
                  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                  WHERE k.n <= i.indnkeyatts AND NOT a.attnotnull)
ORDER BY i.indisprimary DESC, i.indnkeyatts, i.indexrelid
LIMIT 1
"""

_PAGES_SQL = "SELECT pg_relation_size(%s::regclass) / current_setting('block_size')::int"


def table_key(conn: psycopg.Connection, table: CatalogTable) -> list[KeyColumn] | None:
    """The table's primary key, else its narrowest unique btree key on NOT NULL columns (no expression, no
    predicate: every row has exactly one key); None when it has neither."""
    row = conn.execute(_KEY_SQL, (table.sql,)).fetchone()
    if row is None or not row[0]:
        return None
    return [KeyColumn(name, type_sql) for name, type_sql in zip(row[0], row[1], strict=True)]


def key_bounds(conn: psycopg.Connection, table: CatalogTable, key: Sequence[KeyColumn], count: int) -> list[list[str]]:
    """Up to count - 1 distinct bounds: the first key of each but the first of `count` equal tiles of a block
    sample, in key order. Fewer when the sample is small (a table of few rows per block)."""
    pages = max(1, conn.execute(_PAGES_SQL, (table.sql,)).fetchone()[0])
    percent = min(100.0, 100.0 * count * SAMPLE_BLOCKS_PER_RANGE / pages)
    columns = ", ".join(quote_ident(k.name) for k in key)
    as_text = ", ".join(f"{quote_ident(k.name)}::text" for k in key)
    query = (
        f"WITH s AS (SELECT {columns}, ntile({int(count)}) OVER (ORDER BY {columns}) AS tile "
        f"FROM ONLY {table.sql} TABLESAMPLE SYSTEM ({percent:.6f}) REPEATABLE (0)) "
        f"SELECT DISTINCT ON (tile) {as_text} FROM s WHERE tile > 1 ORDER BY tile, {columns}"
    )
    bounds: list[list[str]] = []
    for row in conn.execute(query).fetchall():
        if not bounds or list(row) != bounds[-1]:
            bounds.append(list(row))
    return bounds


def split_table(conn: psycopg.Connection, table: CatalogTable, count: int) -> list[TableRange]:
    """`table` in about `count` ranges (one: the whole table), read in the snapshot `conn` is in."""
    if count <= 1:
        return whole(table)
    key = table_key(conn, table)
    if key is not None:
        # In a savepoint: a key the sample can't order or print (a type without a default btree order, say)
        # must not abort the snapshot's transaction; such a table is split by blocks instead.
        conn.execute("SAVEPOINT devkit_split")
        try:
            bounds = key_bounds(conn, table, key, count)
        except psycopg.Error:
            conn.execute("ROLLBACK TO SAVEPOINT devkit_split")
        else:
            conn.execute("RELEASE SAVEPOINT devkit_split")
            return spread(table, key_predicates(key, bounds))
    pages = conn.execute(_PAGES_SQL, (table.sql,)).fetchone()[0]
    return spread(table, ctid_predicates(pages, count))
