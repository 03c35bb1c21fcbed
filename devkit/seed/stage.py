"""Transaction blocks loaded over parallel connections into stage tables the seed's transaction then takes in.

One connection's COPY tops out well below what several generating processes produce, but parallel connections
are separate transactions, so they can't write the real tables without losing the seed's all-or-nothing: a kill
would leave some workers' rows committed. So each worker streams its share of the blocks (block i goes to worker
i mod N) into UNLOGGED stage tables that nothing else reads, on its own connection, and commits; the seed's one
transaction then moves them into the real tables in one set-based statement per table (or merges them, for a
re-seed) and drops them. A kill at any point before that commit leaves the real tables as they were: workers
still copying are rolled back by the server, stage tables already committed are leftovers that the next seed
drops first thing (`drop_leftovers`).

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
from sqlalchemy.schema import CreateTable

from devkit import failpoints
from devkit.environments import connect, scrub
from devkit.errors import DataError, DevkitError
from devkit.schema import TABLES as SCHEMA_TABLES
from devkit.seed.checksum import TableDigest
from devkit.seed.generate import World
from devkit.seed.transactions import TABLES, TransactionGenerator, blocks_of
from devkit.seed.workers import die_with, encode

PREFIX = "devkit_seed_stage_"

_stage_metadata = MetaData()
# Same columns and types, no keys, defaults or indexes: every column is COPY-ed and the rows are only read once.
STAGE_TABLES = {
    table.name: Table(
        PREFIX + table.name,
        _stage_metadata,
        *(Column(column.name, column.type) for column in table.columns),
        prefixes=["UNLOGGED"],  # never read after a crash: a killed seed's stage is dropped, not recovered
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


def create(dsn: str) -> None:
    with connect(dsn, autocommit=True) as conn:
        dialect = _postgres_dialect()
        for table in STAGE_TABLES.values():
            conn.execute(str(CreateTable(table).compile(dialect=dialect)))


def _postgres_dialect():
    from sqlalchemy.dialects import postgresql

    return postgresql.dialect()


def drop_statements() -> list[sql.Composed]:
    """For the seed's transaction, once it has taken the stage tables in."""
    return [sql.SQL("DROP TABLE {}").format(sql.Identifier(table.name)) for table in STAGE_TABLES.values()]


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
        name: sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(column.name) for column in table.columns)
        )
        for name, table in STAGE_TABLES.items()
    }
    try:
        with connect(dsn) as conn, conn.cursor() as cursor:
            # Blocks arrive as COPY text with UTC timestamps written without an offset.
            cursor.execute("SET TimeZone TO 'UTC'")
            for task in tasks:
                block = encode(_generator.block(*task))
                counts = {}
                for name, (data, digest) in block.tables.items():
                    with cursor.copy(statements[name]) as copy:
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
