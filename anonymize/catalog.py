"""Catalog queries the pipeline needs beyond the rules' schema: which tables hold data to copy (leaf tables, with
the table whose rules apply), sequences and foreign keys. They work on any connection: the source's snapshot
or the freshly created target database (same schema after pre-data)."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from anonymize.postgres import quote_qualified

# A relation of the user's (not a system catalog, a TOAST table, another session's temp table or an extension's);
# `n` is its namespace, `c` its pg_class row. The privilege checks ask about exactly these relations too.
USER_RELATION = """
    n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
    AND NOT EXISTS (
        SELECT 1 FROM pg_depend d
        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
    )
"""

_TABLES_SQL = f"""
SELECT n.nspname || '.' || c.relname,
       COALESCE((SELECT rn.nspname || '.' || rc.relname
                 FROM pg_class rc JOIN pg_namespace rn ON rn.oid = rc.relnamespace
                 WHERE rc.oid = pg_partition_root(c.oid)), n.nspname || '.' || c.relname),
       ARRAY(SELECT a.attname FROM pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
             ORDER BY a.attnum),
       GREATEST(c.reltuples, 0)::bigint,
       pg_table_size(c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND {USER_RELATION}
ORDER BY pg_table_size(c.oid) DESC, 1
"""

_SEQUENCES_SQL = f"""
SELECT format('%I.%I', n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'S' AND {USER_RELATION}
ORDER BY 1
"""

_FOREIGN_KEYS_SQL = """
SELECT con.conname, con.conrelid::regclass::text, con.confrelid::regclass::text, con.convalidated,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, i)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.i),
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, i)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.i)
FROM pg_constraint con
WHERE con.contype = 'f' AND con.conparentid = 0
ORDER BY 2, 1
"""


@dataclass(frozen=True)
class CatalogTable:
    """A table that stores rows (a plain table or a leaf partition)."""

    name: str  # schema.table, as reflect_schema spells it
    rule_table: str  # whose rules apply: the table itself, or the root of its partition tree
    columns: tuple[str, ...]  # stored columns in order (generated columns are recomputed on load)
    estimated_rows: int
    size_bytes: int  # on disk, TOAST included (big JSON and text values live there): the work it holds

    @property
    def sql(self) -> str:
        return quote_qualified(self.name)


@dataclass(frozen=True)
class SequenceValue:
    name: str  # regclass text, quoted where needed: 'public.orders_id_seq'
    value: int
    is_called: bool


@dataclass(frozen=True)
class ForeignKey:
    name: str
    table: str  # regclass text
    references: str
    validated: bool
    columns: tuple[str, ...]
    referenced_columns: tuple[str, ...]


def data_tables(conn: psycopg.Connection) -> list[CatalogTable]:
    """Tables that hold rows, largest first (so parallel workers finish together)."""
    rows = conn.execute(_TABLES_SQL).fetchall()
    return [CatalogTable(name, root, tuple(columns), rows_, size) for name, root, columns, rows_, size in rows]


def sequence_values(conn: psycopg.Connection) -> list[SequenceValue]:
    """Where every sequence stands, as setval() arguments. Sequences are not transactional: this is their value
    now, read inside the snapshot the way pg_dump reads them."""
    values = []
    for (name,) in conn.execute(_SEQUENCES_SQL).fetchall():
        try:
            last_value, is_called = conn.execute(f"SELECT last_value, is_called FROM {name}").fetchone()
        except psycopg.errors.InsufficientPrivilege as exc:
            # The run checks this before it starts (anonymize.privileges); a grant revoked since lands here.
            from anonymize.privileges import unreadable_sequence

            raise unreadable_sequence(conn.info.user, name, str(exc).strip().splitlines()[0]) from None
        values.append(SequenceValue(name, int(last_value), bool(is_called)))
    return values


def foreign_keys(conn: psycopg.Connection) -> list[ForeignKey]:
    rows = conn.execute(_FOREIGN_KEYS_SQL).fetchall()
    return [ForeignKey(n, t, r, v, tuple(c), tuple(rc)) for n, t, r, v, c, rc in rows]
