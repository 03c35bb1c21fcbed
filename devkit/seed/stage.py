"""Transaction blocks loaded over parallel connections into stage tables the seed's transaction then takes in.

One connection's COPY tops out well below what several generating processes produce, but parallel connections
are separate transactions, so they can't write the real tables without losing the seed's all-or-nothing: a kill
would leave some workers' rows committed. So each worker streams its share of the blocks (block i goes to worker
i mod N) into stage tables that nothing else reads, on its own connection, and commits. The seed's one
transaction then takes them in:
- a fresh load into empty transaction tables swaps them: each real table is dropped and its stage table, made
  LIKE it and given its grants, comment and storage options, renamed into its place (`swap_in`); its keys and
  indexes are rebuilt over it as after any fresh load. The rows are written once, by the workers' COPY.
- otherwise (the tables hold other tools' rows, a view or an outside foreign key depends on one, a re-seed
  merges) the stage tables are UNLOGGED and their rows are moved by one set-based statement per table (INSERT
  ... SELECT, or the merge's upsert), then dropped.
A kill at any point before that commit leaves the real tables as they were: workers still copying are rolled
back by the server, stage tables already committed are leftovers that the next seed drops first thing
(`drop_leftovers`).

Every step runs while the seed's transaction holds the seed advisory lock, so two seeds never share stage tables.
Stage tables are created and dropped over their own short autocommit connection, never inside the seed's
transaction: workers must see them, and a drop left uncommitted there would block their creation.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

import psycopg
from psycopg import sql
from sqlalchemy import Column, MetaData, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from devkit import failpoints
from devkit.environments import connect, scrub
from devkit.errors import DataError, DevkitError
from devkit.schema import TABLES as SCHEMA_TABLES
from devkit.seed.checksum import TableDigest
from devkit.seed.copy_binary import copy_statement
from devkit.seed.generate import World
from devkit.seed.transactions import TABLES, TransactionGenerator, blocks_of
from devkit.seed.workers import die_with, encode

PREFIX = "devkit_seed_stage_"

_stage_metadata = MetaData()
# Same columns and types, no keys, defaults or indexes: a merge's stage (`create`), read once by the seed.
STAGE_TABLES = {
    table.name: Table(
        PREFIX + table.name,
        _stage_metadata,
        *(Column(column.name, column.type) for column in table.columns),
    )
    for table in SCHEMA_TABLES
    if table.name in TABLES
}


def stage_name(name: str) -> str:
    return PREFIX + name


def drop_leftovers(dsn: str) -> None:
    """Drop stage tables a killed seed left behind (every seed does, whether or not it stages)."""
    with connect(dsn, autocommit=True) as conn:
        for table in STAGE_TABLES.values():
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table.name)))


def create(dsn: str, swap: bool) -> None:
    """Empty stage tables. To be swapped in (`swap`): logged, shaped by the real tables themselves (columns,
    defaults, NOT NULL and CHECK constraints, comments, storage; not their keys and indexes, which the load sets
    aside and rebuilds). Otherwise UNLOGGED, from the schema's columns: their rows are read once, by the seed."""
    with connect(dsn, autocommit=True) as conn:
        for name, table in STAGE_TABLES.items():
            if swap:
                conn.execute(
                    sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL EXCLUDING INDEXES)").format(
                        sql.Identifier(table.name), sql.Identifier(name)
                    )
                )
            else:
                ddl = str(CreateTable(table).compile(dialect=postgresql.dialect()))
                conn.execute(ddl.replace("CREATE TABLE", "CREATE UNLOGGED TABLE", 1))


def drop(conn: psycopg.Connection) -> None:
    """Drop the stage tables, in the seed's transaction, once their rows are taken in."""
    for table in STAGE_TABLES.values():
        conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(table.name)))


# Tables a swap can replace: plain tables we own (DROP needs it) with nothing attached that a DROP would take
# along silently: no user trigger, row security, publication or inheritance. Whatever else depends on them
# (views, foreign keys from other tables) makes DROP ... RESTRICT fail, and `swap_in` falls back per table.
_SWAPPABLE_SQL = """
SELECT count(*) FROM pg_class AS c
WHERE c.oid = ANY(%(tables)s::regclass[]) AND c.relkind = 'r' AND NOT c.relrowsecurity
  AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
  AND NOT EXISTS (SELECT 1 FROM pg_trigger AS t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal)
  AND NOT EXISTS (SELECT 1 FROM pg_publication_rel AS p WHERE p.prrelid = c.oid)
  AND NOT EXISTS (SELECT 1 FROM pg_inherits AS i WHERE i.inhrelid = c.oid OR i.inhparent = c.oid)
"""


def swappable(conn: psycopg.Connection) -> bool:
    """Could a fresh load's stage tables replace the real transaction tables outright? They must be empty (not
    even other tools' rows) and plain (`_SWAPPABLE_SQL`)."""
    names = list(STAGE_TABLES)
    if conn.execute(_SWAPPABLE_SQL, {"tables": names}).fetchone()[0] != len(names):
        return False
    return not any(
        conn.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(name))).fetchone()[0]
        for name in names
    )


def swap_in(conn: psycopg.Connection, created_to_swap: bool) -> list[str]:
    """In the seed's transaction, after the real tables' keys were set aside (which locks them): replace each
    empty real transaction table with its filled stage table (grants, comment and storage options carried
    over), or, where it can't be (rows arrived since `swappable`, something depends on it, or the stage tables
    are UNLOGGED ones not `created_to_swap`), copy the rows in with one INSERT ... SELECT. Returns the tables
    swapped. Either way the stage tables are gone afterwards."""
    swapped = []
    ok = created_to_swap and swappable(conn)
    for name, table in STAGE_TABLES.items():
        staged, real = sql.Identifier(table.name), sql.Identifier(name)
        if ok:
            conn.execute("SAVEPOINT devkit_seed_swap")
            try:
                _carry_over(conn, name, table.name)
                conn.execute(sql.SQL("DROP TABLE {} RESTRICT").format(real))
                conn.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(staged, real))
                conn.execute("RELEASE SAVEPOINT devkit_seed_swap")
                swapped.append(name)
                continue
            except psycopg.errors.DependentObjectsStillExist:
                conn.execute("ROLLBACK TO SAVEPOINT devkit_seed_swap")
        columns = sql.SQL(", ").join(sql.Identifier(column.name) for column in table.columns)
        conn.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(real, columns, columns, staged))
        conn.execute(sql.SQL("DROP TABLE {}").format(staged))
    return swapped


def _carry_over(conn: psycopg.Connection, real: str, staged: str) -> None:
    """What LIKE does not copy from the real table to its replacement: privileges granted on it, its comment,
    its storage parameters (fillfactor, autovacuum settings)."""
    grants = conn.execute(
        "SELECT a.privilege_type, r.rolname, a.is_grantable FROM pg_class AS c"
        " CROSS JOIN LATERAL aclexplode(c.relacl) AS a LEFT JOIN pg_roles AS r ON r.oid = a.grantee"
        " WHERE c.oid = %s::regclass AND a.grantee <> c.relowner",
        (real,),
    ).fetchall()
    target = sql.Identifier(staged)
    for privilege, grantee, grantable in grants:
        conn.execute(
            sql.SQL("GRANT {} ON {} TO {}{}").format(
                sql.SQL(privilege),  # a privilege keyword from the catalog (SELECT, INSERT, ...)
                target,
                sql.Identifier(grantee) if grantee else sql.SQL("PUBLIC"),
                sql.SQL(" WITH GRANT OPTION" if grantable else ""),
            )
        )
    comment, options = conn.execute(
        "SELECT obj_description(oid, 'pg_class'), reloptions FROM pg_class WHERE oid = %s::regclass", (real,)
    ).fetchone()
    if comment is not None:
        conn.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(target, sql.Literal(comment)))
    if options:  # 'name=value' items from the catalog, already validated by the server
        conn.execute(sql.SQL("ALTER TABLE {} SET ({})").format(target, sql.SQL(", ").join(map(sql.SQL, options))))


# --- workers ------------------------------------------------------------------------------------------------------

_generator: TransactionGenerator | None = None
_progress: multiprocessing.Queue | None = None


class WorkerFailed(Exception):
    """A worker's load failed; one plain message, so it crosses the process boundary intact."""


def _start(parent: int, progress: multiprocessing.Queue) -> None:
    # Killed with its parent (a seed's kill -9 must not leave a worker copying on); its connection then drops
    # and the server rolls its transaction back.
    global _progress
    _progress = progress
    die_with(parent)


def _copy_share(dsn: str, tasks: list[tuple]) -> dict[str, TableDigest]:
    """Render this worker's blocks and COPY them into the stage tables in one transaction; their digests."""
    assert _generator is not None and _progress is not None
    digests = {name: TableDigest() for name in TABLES}
    statements = {
        (name, binary): copy_statement(table.name, table, binary)
        for name, table in STAGE_TABLES.items()
        for binary in (False, True)
    }
    try:
        with connect(dsn) as conn, conn.cursor() as cursor:
            # Blocks arrive as COPY binary, or text with UTC timestamps written without an offset.
            cursor.execute("SET TimeZone TO 'UTC'")
            for task in tasks:
                block = encode(_generator.block(*task), binary=True)
                counts = {}
                for name, (data, digest) in block.tables.items():
                    with cursor.copy(statements[name, name in block.binary]) as copy:
                        copy.write(data)
                    digests[name].absorb(digest)
                    counts[name] = digest.count
                _progress.put((block.orders, counts))
                failpoints.reach("seed-mid-copy")  # this worker's first rows written, its transaction open
    except DevkitError as exc:
        raise WorkerFailed(exc.message) from None
    except psycopg.Error as exc:
        raise WorkerFailed(scrub(str(exc).strip(), dsn)) from None
    return digests


def load_stage(
    dsn: str, world: World, workers: int, advance: Callable[[int, dict[str, int]], None]
) -> dict[str, TableDigest]:
    """Fill the stage tables with the world's transaction blocks over `workers` connections; the tables' digests.
    `advance(orders, rows per table)` is called as blocks land, from this process."""
    global _generator
    tasks = blocks_of(world)
    shares = [tasks[w::workers] for w in range(workers)]
    # Built once, here: forked workers inherit the generator (its pools and plan arrays) instead of rebuilding it.
    _generator = TransactionGenerator(world)
    context = multiprocessing.get_context("fork")
    progress: multiprocessing.Queue = context.Queue()
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start, initargs=(os.getpid(), progress))
    totals = {name: TableDigest() for name in TABLES}
    try:
        futures = [pool.submit(_copy_share, dsn, share) for share in shares if share]
        pending = set(futures)
        while pending:
            _, pending = wait(pending, timeout=0.2)
            _drain(progress, advance)
        _drain(progress, advance)
        for future in futures:
            for name, digest in future.result().items():
                totals[name].absorb(digest)
    except BrokenProcessPool:
        raise DataError("a seed worker died while loading (nothing was changed)", "re-run the seed") from None
    except WorkerFailed as exc:  # its transaction rolled back; the real tables untouched
        raise DataError(f"loading the stage tables failed: {exc}", "nothing was changed; re-run the seed") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _generator = None
    return totals


def _drain(progress: multiprocessing.Queue, advance: Callable[[int, dict[str, int]], None]) -> None:
    while True:
        try:
            orders, counts = progress.get_nowait()
        except queue.Empty:
            return
        advance(orders, counts)
