"""Cleanup's foreign-key checks: one set-based query per foreign key per batch instead of PostgreSQL's row-by-row
triggers, only where that is provably the same.

Why: deleting a parent row fires, per referencing foreign key, an internal trigger (ri_triggers.c's
RI_FKey_noaction_del) that runs two SPI queries for that one row (is another row now holding the key; is a child
still pointing at it, `SELECT 1 FROM ONLY <child> x WHERE <fk> = $1 FOR KEY SHARE OF x`). auto_explain of a
cleanup run put 70% of the server's time there. With `SET LOCAL session_replication_role = replica` the batch's
own session skips those triggers (trigger.c fires a trigger whose `tgenabled` is 'O', the default, only when the
session's role is "origin"), and after the deletes one query per foreign key — the child's foreign-key column
against the ids the batch deleted — must find nothing, else the batch rolls back with an error (today's path
fails that batch too, with PostgreSQL's foreign-key violation).

Why that is the same guarantee (no child is ever left pointing at a deleted row):
- A child row committed before a statement of ours starts is seen by that statement (READ COMMITTED, forced for
  the batch: every statement takes a fresh snapshot; under REPEATABLE READ the final check would look at the
  batch's first snapshot and miss a child committed since, which PostgreSQL's triggers catch with their own
  cross-check snapshot).
- A child inserted by another session runs that session's own RI check trigger (the setting is per session: its
  role is still "origin"), `SELECT 1 FROM ONLY <parent> x WHERE id = $1 FOR KEY SHARE OF x`. KEY SHARE
  conflicts with the row lock our DELETE takes (and with FOR UPDATE, which the batch takes on its orders before
  anything else). So either (a) the inserter locked the parent first: our DELETE of that parent waits until the
  inserter's transaction ends, and the check, a later statement, sees its committed child and fails the batch;
  or (b) we locked the parent first: the inserter waits until our commit, then finds the parent deleted and
  fails with its foreign-key violation (PostgreSQL re-checks a row it waited for). No third order exists, so no
  orphan.
- Only deletes run in the replica role, so only what fires on DELETE matters, on every table the batch deletes
  from (and their partitions): (1) every foreign key referencing one of them must be one the set-based check
  covers — a cascade link of devkit.schema (child table, single column, referencing `id`) with ON DELETE NO
  ACTION or RESTRICT (a CASCADE / SET NULL / SET DEFAULT action is a trigger the replica role would skip; a
  foreign key cleanup doesn't know would go unchecked); (2) every other trigger firing on DELETE must fire in
  both roles (`ENABLE ALWAYS`) or in neither (disabled): a default one (an audit trigger) would be skipped, an
  `ENABLE REPLICA` one would fire only on the fast path; (3) the same for rules on DELETE; (4) the role may set
  the parameter (superuser, or PostgreSQL 15's `GRANT SET ON PARAMETER session_replication_role`). Anything else
  and every batch runs today's path, the summary and `--dry-run` saying why.
- The catalog is re-read inside every fast batch after taking ROW EXCLUSIVE on the tables it deletes from (the
  lock DELETE takes anyway; other sessions' reads and writes go on): CREATE TRIGGER and ADD FOREIGN KEY need
  SHARE ROW EXCLUSIVE, so none can appear between that read and the batch's commit. A batch that finds the
  catalog changed runs today's path.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

SET_BASED = "set-based"
PER_ROW = "per-row"
# ON DELETE actions (pg_constraint.confdeltype) that are a check, not a change: a = NO ACTION, r = RESTRICT.
_CHECK_ONLY_ACTIONS = ("a", "r")
# Trigger / rule enablement that does not depend on session_replication_role: A = always, D = disabled.
_ROLE_INDEPENDENT = ("A", "D")
_TRIGGER_ON_DELETE = 8  # pg_trigger.tgtype bit (TRIGGER_TYPE_DELETE in catalog/pg_trigger.h)


@dataclass(frozen=True)
class FkLink:
    table: str  # the child table
    column: str  # its foreign-key column
    parent: str  # the table it references (by `id`)


@dataclass(frozen=True)
class FkChecks:
    """Which path a run's batches take: SET_BASED, or PER_ROW with the reason."""

    mode: str
    reason: str = ""

    @property
    def set_based(self) -> bool:
        return self.mode == SET_BASED

    def describe(self) -> str:
        if self.set_based:
            return "foreign-key checks: set-based (one query per foreign key per batch)"
        return f"foreign-key checks: per row (PostgreSQL's triggers): {self.reason}"


class OrphanFound(Exception):
    """The set-based check found a child still pointing at a row the batch deleted: the batch rolls back."""


def permission_problem(conn: psycopg.Connection) -> str | None:
    """None when this role may set session_replication_role, else why not. Tried, in a rolled-back transaction:
    the server's own answer, whether from superuser or a GRANT SET ON PARAMETER."""
    try:
        with conn.transaction(force_rollback=True):
            conn.execute("SET LOCAL session_replication_role = replica")
    except psycopg.errors.InsufficientPrivilege:
        return (
            "this role may not set session_replication_role (needs superuser or "
            "GRANT SET ON PARAMETER session_replication_role)"
        )
    return None


def catalog_problem(conn: psycopg.Connection, tables: list[str], links: list[FkLink]) -> str | None:
    """None when nothing but `links` (each then checked set-based) fires on DELETE of `tables` (and their
    partitions) in one session role and not the other; else the first thing that does, in words."""
    # Each table and, when partitioned, its partitions (pg_partition_tree returns no row for a plain table).
    relids = [
        relid
        for (relid,) in conn.execute(
            "SELECT to_regclass(t.name)::oid FROM unnest(%s::text[]) AS t(name)"
            " UNION SELECT p.relid::oid FROM unnest(%s::text[]) AS t(name), pg_partition_tree(to_regclass(t.name)) p",
            (tables, tables),
        ).fetchall()
    ]
    if None in relids or len(relids) < len(tables):
        return "a table cleanup deletes from is missing"
    wanted = {(link.table, link.column, link.parent) for link in links}
    constraints = {
        oid: (child, column, parent, action, parent_oid, nkeys, refcol)
        for oid, child, column, parent, action, parent_oid, nkeys, refcol in conn.execute(
            "SELECT c.oid, c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, c.confdeltype,"
            " c.conparentid, cardinality(c.conkey), r.attname"
            " FROM pg_constraint c"
            " LEFT JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
            " LEFT JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = c.confkey[1]"
            " WHERE c.contype = 'f' AND c.confrelid = ANY(%s::oid[])",
            (relids,),
        ).fetchall()
    }

    def problem_of(oid: int) -> str | None:
        child, column, parent, action, parent_oid, nkeys, refcol = constraints[oid]
        if parent_oid:  # a partition's clone of a partitioned table's foreign key: the root is the one checked
            if parent_oid not in constraints:
                return f"foreign key {oid} of {child} is a clone of one not referencing a deleted table"
            return problem_of(parent_oid)
        if (child, column, parent) not in wanted or nkeys != 1 or refcol != "id":
            return f"{child}.{column} references {parent} outside what cleanup deletes and checks"
        if action not in _CHECK_ONLY_ACTIONS:
            return f"{child}.{column} references {parent} with an ON DELETE action (the replica role skips it)"
        return None

    for oid in constraints:
        problem = problem_of(oid)
        if problem:
            return problem
    covered = set(constraints)
    for name, table, internal, enabled, constraint in conn.execute(
        "SELECT t.tgname, t.tgrelid::regclass::text, t.tgisinternal, t.tgenabled, t.tgconstraint FROM pg_trigger t"
        " WHERE t.tgrelid = ANY(%s::oid[]) AND (t.tgtype & %s) <> 0",
        (relids, _TRIGGER_ON_DELETE),
    ).fetchall():
        if enabled in _ROLE_INDEPENDENT or (internal and constraint in covered):
            continue
        return f"trigger {name} on {table} fires on DELETE only in one session_replication_role"
    for name, table, enabled in conn.execute(
        "SELECT r.rulename, r.ev_class::regclass::text, r.ev_enabled FROM pg_rewrite r"
        " WHERE r.ev_class = ANY(%s::oid[]) AND r.ev_type = '4'",
        (relids,),
    ).fetchall():
        if enabled not in _ROLE_INDEPENDENT:
            return f"rule {name} on {table} applies to DELETE only in one session_replication_role"
    return None


def plan(conn: psycopg.Connection, tables: list[str], links: list[FkLink]) -> FkChecks:
    """The path a run takes, decided once before its batches (each fast batch re-reads the catalog)."""
    problem = permission_problem(conn) or catalog_problem(conn, tables, links)
    return FkChecks(PER_ROW, problem) if problem else FkChecks(SET_BASED)


def enter_replica_role(conn: psycopg.Connection, tables: list[str], links: list[FkLink]) -> str | None:
    """Inside a batch's transaction, before anything is read: force READ COMMITTED, lock `tables` ROW EXCLUSIVE
    (what their DELETEs take anyway), re-read the catalog and, when nothing changed, skip this session's
    row-by-row triggers until the commit. Returns the problem when the batch must take the per-row path."""
    conn.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
    conn.execute(sql.SQL("LOCK TABLE {} IN ROW EXCLUSIVE MODE").format(sql.SQL(", ").join(map(sql.Identifier, tables))))
    problem = catalog_problem(conn, tables, links)
    if problem is None:
        conn.execute("SET LOCAL session_replication_role = replica")
    return problem


def check_links(conn: psycopg.Connection, links: list[FkLink], id_table: dict[str, sql.Composable]) -> None:
    """After a batch's deletes: per foreign key whose parent lost rows (its ids in `id_table[parent]`), one
    query that must find no child still pointing at one of them. Raises OrphanFound (the batch rolls back)."""
    for link in links:
        if link.parent not in id_table:
            continue
        # No LIMIT 1: with it the planner bets on meeting a row early and scans the whole child table, the
        # worst case when (as nearly always) nothing is there: 1.9 s against 0.016 s for two batches, measured on
        # order_items of staging --scale 0.0003 before its first ANALYZE.
        count, example = conn.execute(
            sql.SQL(
                "SELECT count(*), min({col}::text) FROM {child} WHERE {col} = ANY(ARRAY(SELECT id FROM {ids}))"
            ).format(col=sql.Identifier(link.column), child=sql.Identifier(link.table), ids=id_table[link.parent])
        ).fetchone()
        if count:
            raise OrphanFound(
                f"{link.table}.{link.column} = {example} still points at a deleted {link.parent} row "
                "(written while the batch ran); the batch was rolled back"
            )
