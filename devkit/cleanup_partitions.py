"""Whole time partitions of cleanup's leaf tables, detached and dropped instead of deleted row by row.

Where the schema allows it: a cascade table nothing else in the cascade points at (today order_items and
webhook_events), range-partitioned on one column, whose partition ends at or before the cutoff and holds only rows
cleanup would delete anyway (each one hangs off an old test order through its foreign keys; checked by a query
under a SHARE lock, which stops writes into that partition but not reads). Such a partition is archived whole
(COPY, when --archive), detached and dropped in one transaction: its rows go without a foreign-key check each,
which is most of what a batched delete costs. Anything else — a partition holding one row cleanup would keep, a
partitioned table others point at, a lock not granted within the lock timeout — is left to the batched deletes,
so the result (counts, what remains, the archive's rows) is the same either way.

The archive's manifest names every dropped partition with its bounds, so `restore_archive` creates it again
before putting its rows back. An order the platform holds locked is skipped by the batches (left for the next
run), but its rows in a dropped partition went with the partition.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

if TYPE_CHECKING:  # devkit.cleanup imports this module
    from devkit.cleanup import Link

# `FOR VALUES FROM ('…') TO ('…')` of a one-column range partition; MINVALUE/MAXVALUE, DEFAULT, lists, hashes and
# several columns don't match and are never dropped.
_RANGE = re.compile(r"^FOR VALUES FROM \('((?:[^']|'')*)'\) TO \('((?:[^']|'')*)'\)$")


@dataclass(frozen=True)
class Partition:
    table: str  # the partitioned cascade table
    schema: str
    name: str
    lower: str  # the bounds as PostgreSQL printed them (literals of the partition key's type)
    upper: str

    @property
    def identifier(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.name)

    def manifest_entry(self) -> dict[str, str]:
        return {"table": self.table, "schema": self.schema, "name": self.name, "from": self.lower, "to": self.upper}


def old_partitions(conn: psycopg.Connection, leaves: list[str], cutoff: datetime) -> list[Partition]:
    """The one-column range partitions of `leaves` that end at or before `cutoff`, oldest first."""
    rows = conn.execute(
        "SELECT parent.relname, ns.nspname, part.relname, pg_get_expr(part.relpartbound, part.oid) "
        "FROM pg_partitioned_table p JOIN pg_class parent ON parent.oid = p.partrelid "
        "JOIN pg_inherits i ON i.inhparent = p.partrelid JOIN pg_class part ON part.oid = i.inhrelid "
        "JOIN pg_namespace ns ON ns.oid = part.relnamespace "
        "WHERE p.partrelid = ANY(ARRAY(SELECT to_regclass(name) FROM unnest(%s::text[]) AS name)) "
        "AND p.partstrat = 'r' AND p.partnatts = 1 AND part.relkind = 'r' ORDER BY 1, 4",
        (leaves,),
    ).fetchall()
    found = []
    for table, schema, name, bound in rows:
        match = _RANGE.match(bound or "")
        if not match:
            continue
        lower, upper = (value.replace("''", "'") for value in match.groups())
        # Compared by the server as timestamptz (a date or timestamp key's literal casts too); a key that isn't a
        # time (an id range) raises here and the table is simply not handled by partition.
        try:
            with conn.transaction():
                ends_before = conn.execute("SELECT %s::timestamptz <= %s", (upper, cutoff)).fetchone()[0]
        except psycopg.errors.DataError:
            continue
        if ends_before:
            found.append(Partition(table, schema, name, lower, upper))
    return found


def count_if_all_go(
    conn: psycopg.Connection,
    part: Partition,
    links: Sequence[Link],
    closure: Sequence[sql.Composable],
    cutoff: datetime,
) -> int:
    """The partition's rows if every one of them is a row cleanup deletes (it points at a deleted parent through
    one of `links`; `closure`: the dry run's CTEs `c_<table>` of what goes), else 0 (also when it is empty: an
    empty partition is none of cleanup's business)."""
    reached = sql.SQL(" OR ").join(
        sql.SQL("coalesce({} IN (SELECT id FROM {}), false)").format(
            sql.Identifier(link.column), sql.Identifier(f"c_{link.parent}")
        )
        for link in links
    )
    stray, total = conn.execute(
        sql.SQL("WITH {} SELECT count(*) FILTER (WHERE NOT ({})), count(*) FROM {}").format(
            sql.SQL(", ").join(closure), reached, part.identifier
        ),
        {"cutoff": cutoff},
    ).fetchone()
    return 0 if stray else int(total)


def detach_and_drop(conn: psycopg.Connection, part: Partition) -> None:
    conn.execute(sql.SQL("ALTER TABLE {} DETACH PARTITION {}").format(sql.Identifier(part.table), part.identifier))
    conn.execute(sql.SQL("DROP TABLE {}").format(part.identifier))


def recreate(conn: psycopg.Connection, entry: dict[str, str]) -> None:
    """Create a dropped partition again from its manifest entry (restore), unless it exists."""
    conn.execute(
        sql.SQL("CREATE TABLE IF NOT EXISTS {} PARTITION OF {} FOR VALUES FROM ({}) TO ({})").format(
            sql.Identifier(entry["schema"], entry["name"]),
            sql.Identifier(entry["table"]),
            sql.Literal(entry["from"]),
            sql.Literal(entry["to"]),
        )
    )
