"""A subset of a pg_dump file: the dump is restored into a private scratch database on the target's server, and
the subset is taken from that database exactly as from a live source (same plan, same closure queries, same keyed
reads, one exported snapshot), so a dump's subset equals the live database's by construction.

Why a database and not the streamed rows: conditions are SQL (subqueries, functions, casts, `now()`), and the
closure follows foreign keys by indexed lookups; only PostgreSQL evaluates both as the live source does.

The cost, stated by `--check` and the README: the dump's table data crosses once into the scratch database
(each table streamed from the dump by the same readers a full snapshot uses, COPY into the scratch), then
post-data builds its indexes and validates its foreign keys (the closure's lookups use the keys' and foreign
keys' indexes). Tables the subset keeps empty (its `empty:` tables, the rules' skip_data tables) are not restored.
The rules' coverage and the subset's declaration are checked right after pre-data, before any row moves.

What the run reads from the dump itself: its schema (owners, privileges, materialized views, as a full snapshot
of the dump carries them) and its sequences' values; only the rows come through the scratch database. The
scratch database is dropped when the run ends (success, failure, Ctrl-C); a killed run's is removed by the next
run into the same target, like its other leftovers (anonymize/sinks.py).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Collection

import psycopg

from anonymize.catalog import CatalogTable, SequenceValue, data_tables
from anonymize.pipeline.copy import run_parallel
from anonymize.pipeline.workers import Cancelled
from anonymize.postgres import ClientTools
from anonymize.sinks import DatabaseLoad, RestoreScratch, Sink
from anonymize.sources import LiveSource, Schema, Source

# Called on the scratch database once pre-data is in, before any row: checks what the run checks before data
# moves (raising stops the run) and returns the rule tables whose rows the subset does not need.
Prepare = Callable[[psycopg.Connection], Collection[str]]


class RestoredSource(LiveSource):
    """A dump file read through a scratch database it is restored into: rows and catalog from that database (a
    live source: snapshot, closure queries, keyed reads, ranges), schema and sequences from the dump."""

    def __init__(self, dump: Source, sink: Sink, prepare: Prepare, jobs: int = 2, tools: ClientTools | None = None):
        self.dump = dump
        self.scratch = RestoreScratch(sink)
        self.prepare = prepare
        self.jobs = max(1, jobs)
        self.restored_rows = 0
        self.restore_seconds = 0.0
        super().__init__(sink.server_dsn, tools or sink.tools)
        self.description = dump.description

    def open(self) -> None:
        began = time.monotonic()
        self.dump.open()
        try:
            load = self.scratch.begin()
            self.dsn = load.dsn
            self.restored_rows = restore(self.dump, load, self.prepare, self.jobs)
            self.restore_seconds = time.monotonic() - began
            super().open()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        try:
            super().close()
        finally:
            try:
                self.scratch.abort()
            finally:
                self.dump.close()

    @property
    def schema(self) -> Schema:  # type: ignore[override]
        return self.dump.schema

    def sequences(self) -> list[SequenceValue]:
        return self.dump.sequences()

    def notes(self) -> list[str]:
        """For the run's report: the restore's cost, and the leftovers of killed runs its sweep removed."""
        restored = (
            f"subset of a dump file: {self.restored_rows:,} rows restored into a scratch database on the target's "
            f"server in {self.restore_seconds:.1f}s to compute the closure (dropped after the run)"
        )
        return [*self.scratch.notes, restored]


def restore(dump: Source, load: DatabaseLoad, prepare: Prepare, jobs: int) -> int:
    """pre-data, `prepare`, the rows of every table it needs, post-data, ANALYZE (the closure's plans need the
    statistics); the rows restored."""
    dump.schema.apply("pre-data", load.dsn, jobs)
    with load.connect() as conn:
        unneeded = set(prepare(conn))
        conn.rollback()  # prepare's checks ran in a transaction of their own: nothing of theirs is kept
        tables = data_tables(conn)
    with_data = dump.tables_with_data()
    wanted = [t for t in tables if t.rule_table not in unneeded and (with_data is None or t.name in with_data)]
    # The first failure (or Ctrl-C) stops the other tables' copies at their next chunk.
    rows = sum(run_parallel([functools.partial(_copy, dump, load, table) for table in wanted], jobs))
    dump.schema.apply("post-data", load.dsn, jobs)
    if wanted:
        with load.connect(autocommit=True) as conn:
            conn.execute("ANALYZE")
    return rows


def _copy(dump: Source, load: DatabaseLoad, table: CatalogTable, stop: threading.Event) -> int:
    """One table's rows, as the dump holds them, into the scratch database."""
    with dump.stream(table, table.columns) as stream, load.copy_in(table.name, stream.columns) as writer:
        for chunk in stream.chunks:
            if stop.is_set():
                raise Cancelled
            writer.write(chunk)
    return writer.rows
