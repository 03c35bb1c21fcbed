"""A whole run: source COPY -> decode -> transform -> encode -> target COPY, per table, in parallel.

Order of a run (fail closed, atomic):
1. coverage: the rules are checked against the source's schema before any data moves (for a dump file the
   schema is read back from the new database right after pre-data, still before any row moves);
2. pre-data schema into a brand-new database, the run's known values (anonymize/pii/prepass.py; from a live source
   while the target is created and pre-data restored), rows streamed table by table (big tables in key or ctid
   ranges, `jobs` units at a time, biggest first, every one in the one exported snapshot), sequences set where the
   source's stand, post-data (indexes, constraints, foreign keys, triggers) last;
3. verification: row counts, foreign keys and sequences on the new database; the leak check looks up the keys of
   every text/JSON value written (hashed by the worker that wrote it, kept in a `ScanSpill` until the last
   source value is indexed) in the index of personal source values;
4. then the source's owners, privileges and publications, and the materialized views refreshed from the anonymized
   rows, as their owners (anonymize/schema_parity.py);
5. only then the sink publishes it (swap into dev, or export to a dump file). Any failure before that drops
   the new database and leaves the target as it was.

Memory stays flat: each worker holds one chunk (~1 MB of COPY text) at a time; the only structure that grows is
the leak index (8-byte keyed hashes of distinct personal source values); the output's keys go to disk.
Nothing here prints: progress goes to a `ProgressListener`, results into a `SnapshotReport`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TypeVar

import psycopg

from anonymize.catalog import CatalogTable, data_tables
from anonymize.columns import ColumnInfo
from anonymize.errors import AnonymizeError
from anonymize.keys import Keyring
from anonymize.pipeline.copy import copy_tables
from anonymize.pipeline.interrupts import result_interruptibly
from anonymize.pipeline.plan import (
    TablePlan,
    attach_scan_targets,
    needs_known_values,
    plan_tables,
    refuse_dump_filters,
    require_coverage,
)
from anonymize.pipeline.progress import ProgressListener, SilentProgress
from anonymize.pipeline.ranges import SplitPolicy
from anonymize.pipeline.workers import Workers
from anonymize.privileges import require, source_privileges, target_privileges
from anonymize.report import SnapshotReport, TableReport, VerifyReport, summarize_rules
from anonymize.rules import RulesFile, reflect_schema
from anonymize.sinks import DatabaseLoad, Sink
from anonymize.sources import Source
from anonymize.subset.plan import SubsetPlan, check_conditions, count_closure, plan_subset, skipped_tables
from anonymize.subset.restore import Prepare, RestoredSource
from anonymize.subset.spec import SubsetSpec
from anonymize.subset.verify import verify_subset
from anonymize.tempdirs import sweep_run_directories
from anonymize.verify import LeakFinds, LeakIndex, ScanSpill, check_structure

T = TypeVar("T")


class VerificationError(AnonymizeError):
    """The loaded database failed verification; it was not published. `report` says what failed."""

    def __init__(self, report: SnapshotReport) -> None:
        assert report.verification is not None
        failures = report.verification.failures
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        super().__init__(
            f"verification failed, nothing was published: {failures[0]}{more}",
            "fix the rules for the columns named (see the report) and run again",
        )
        self.report = report


class _Phases:
    def __init__(self, report: SnapshotReport, progress: ProgressListener) -> None:
        self.report = report
        self.progress = progress
        self.name: str | None = None
        self.began = time.monotonic()

    def __call__(self, name: str) -> None:
        now = time.monotonic()
        if self.name is not None:
            self.report.phases[self.name] = round(self.report.phases.get(self.name, 0) + now - self.began, 3)
        self.name, self.began = name, now
        self.progress.phase(name)

    def end(self) -> None:
        self("done")
        self.name = None

    def stop(self) -> None:
        """A run that failed: account for the phase it failed in, announce nothing."""
        if self.name is not None:
            now = time.monotonic()
            self.report.phases[self.name] = round(self.report.phases.get(self.name, 0) + now - self.began, 3)
            self.name = None


def run_snapshot(
    source: Source,
    sink: Sink,
    rules: RulesFile,
    keyring: Keyring,
    jobs: int = 2,
    progress: ProgressListener | None = None,
    processes: int | None = None,
    split: SplitPolicy | None = None,
    subset: SubsetSpec | None = None,
) -> SnapshotReport:
    """Copy `source` into `sink` anonymized by `rules`; verified before it is published. Raises CoverageError
    before any data moves, VerificationError (with the report) when the result is not safe to publish. `split`:
    how finely big tables are split into ranges (default: SplitPolicy.for_run, from the sizes and `jobs`).
    `subset`: copy only its closure (anonymize/subset), planned and checked before anything is created."""
    progress = progress or SilentProgress()
    chosen_processes = processes
    processes = jobs if processes is None else processes
    report = SnapshotReport(
        source=source.description,
        target=sink.description,
        key_fingerprint=keyring.fingerprint(),
        jobs=jobs,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    began = time.monotonic()
    phase = _Phases(report, progress)
    # Whatever this run's source, the temporary directories of killed runs go now (a dump source makes none).
    report.notes += [f"removed {path}, left behind by an interrupted run" for path in sweep_run_directories()]
    restored: RestoredSource | None = None
    if subset is not None and subset.active and not source.live:
        # A dump file's subset: the dump restored into a scratch database beside the target's, then the same
        # path as a live source (anonymize/subset/restore.py). The target's grants first: the restore creates it.
        require(None, *target_privileges(sink))
        phase("restore")
        source = restored = RestoredSource(source, sink, _restore_checks(rules, subset), jobs)
    with source:
        if restored is not None:
            report.notes += restored.notes()
        schema: Mapping[str, list[ColumnInfo]] | None = None
        tables: list[CatalogTable] = []
        catalog = source.catalog()
        if catalog is not None:
            phase("check")
            schema = reflect_schema(catalog)
            require_coverage(rules, schema)
            tables = data_tables(catalog)
        # Every grant the run needs, source's and target's, before it creates anything: a missing one used to
        # surface only once the data had moved (a sequence read at the end, the swap's ownership check).
        require(source_privileges(catalog) if catalog is not None else None, *target_privileges(sink))
        subset_plan: SubsetPlan | None = None
        if subset is not None and subset.active:
            assert catalog is not None and schema is not None, "a dump file's subset reads a restored database"
            phase("subset")
            # Everything declared is checked (conditions, references, unreached tables) before anything is created.
            subset_plan = plan_subset(catalog, subset, schema, skipped_tables(rules, schema), count=False)
            subset_plan.refuse_unreached()
        side = ThreadPoolExecutor(1, thread_name_prefix="plans")
        early: Future[list[TablePlan]] | None = None
        if subset_plan is not None and schema is not None:
            # The transformers (name pools, keyed permutations: 0.1-0.2 s of CPU at 1% of bench/snapshot/subset.py)
            # need neither the target nor the closure: built while the closure waits on the source.
            early = side.submit(plan_tables, rules, schema, tables, keyring)
        known: Future[str] | None = None
        try:
            if subset_plan is None and schema is not None:
                # A live source without a subset: every plan is known before the target exists, and the pre-pass
                # reads only the source, so it runs while the target's database is created and pre-data restored
                # (server and pg_restore work: this process mostly waits on them). A dump file's plans need the
                # target's schema; a subset's, its closure.
                plans_now = plan_tables(rules, schema, tables, keyring)
                early = _done(plans_now)
                if needs_known_values(plans_now):
                    known = side.submit(_fill_known, plans_now, source, jobs)
            load = _create(sink, source, jobs, phase, catalog, subset_plan)
            if subset_plan is not None:
                report.notes.append(subset_plan.summary())
            if schema is None:
                phase("check")
                with load.connect() as conn:
                    schema = reflect_schema(conn)
                    require_coverage(rules, schema)
                    tables = data_tables(conn)
            with_data = source.tables_with_data()
            plans = early.result() if early is not None else plan_tables(rules, schema, tables, keyring)
            if subset_plan is not None:
                rule_rows: dict[str, int] = {}
                for table in tables:
                    rule_rows[table.rule_table] = rule_rows.get(table.rule_table, 0) + table.estimated_rows
                for plan in plans:
                    plan.subset = subset_plan.source_filter(plan.table.rule_table)
                    plan.table = subset_plan.kept_table(plan.table, rule_rows[plan.table.rule_table])
                source.keyed = frozenset(p.table.name for p in plans if p.table.rule_table in subset_plan.filters)
            refuse_dump_filters(plans, source)
            leak_index = LeakIndex(keyring)
            streamed = [p for p in plans if with_data is None or p.table.name in with_data or p.skip]
            if known is not None or needs_known_values(plans):
                # Free text must know every column's names/emails/phones before any table runs, and the
                # workers inherit them by forking after this. (Begun early above, this phase is what remains.)
                phase("known values")
                report.notes.append(result_interruptibly(known or _done(_fill_known(streamed, source, jobs))))
            attach_scan_targets(plans, tables, schema)
            if subset_plan is not None and chosen_processes is None:
                processes = _subset_processes(streamed, processes)
            workers = Workers(streamed, leak_index.hasher, processes)
            spills: list[ScanSpill] = []
            try:
                phase("data")
                report.tables = copy_tables(streamed, source, load, workers, leak_index, progress, jobs, spills, split)
                report.tables += [
                    TableReport(table=p.table.name, rule_table=p.table.rule_table) for p in plans if p not in streamed
                ]
                report.rules = summarize_rules(report.tables)
                verification = VerifyReport(unchanged_in_row=dict(leak_index.unchanged))
                for table_report in report.tables:
                    verification.table_rows[table_report.table] = table_report.rows
                # Every source value is indexed now: the output's keys are looked up while the server sequences
                # and builds indexes (its CPU, not ours), not after.
                with ThreadPoolExecutor(1, thread_name_prefix="leak-check") as lookups:
                    leak_check = lookups.submit(_look_up_output, spills, leak_index, verification)
                    phase("sequences")
                    sequences = source.sequences()
                    load.set_sequences(sequences)
                    phase("post-data")
                    source.schema.apply("post-data", load.dsn, jobs)
                    phase("verify")
                    expected = {t.table: (p.table, t.rows) for p, t in _pair(plans, report.tables)}
                    check_structure(load.dsn, expected, sequences, verification)
                    if subset_plan is not None:
                        verify_subset(load.dsn, subset_plan, verification)
                    verification.seconds = round(verification.seconds + leak_check.result(), 3)
                report.verification = verification
                report.notes += verification.notes
            finally:
                workers.close()
                for spill in spills:
                    spill.close()
                leak_index.close()
            if not verification.passed:
                phase.stop()
                report.seconds = round(time.monotonic() - began, 3)
                raise VerificationError(report)
            # Last, once verification (which reads as the loading role, owner of everything) passed: the source's
            # owners and privileges, then the materialized views refreshed as their owners.
            phase("owners, privileges, materialized views")
            report.notes += source.schema.finish(load.dsn, jobs)
            phase("publish")
            report.target = sink.commit()
        except BaseException:
            source.stop_streams()  # the known values' reads in `side` too: its shutdown below waits for them
            sink.abort()
            raise
        finally:
            side.shutdown(wait=True)
            report.notes += sink.notes
    phase.end()
    report.seconds = round(time.monotonic() - began, 3)
    return report


def _create(
    sink: Sink,
    source: Source,
    jobs: int,
    phase: _Phases,
    catalog: psycopg.Connection | None,
    subset: SubsetPlan | None,
) -> DatabaseLoad:
    """The target's new database, pre-data applied. A subset's closure is counted on the source meanwhile: the
    target's server, pg_dump and pg_restore do the one, the source's server the other (a 1% subset's run spent
    a third of its time on these two in turn, bench/snapshot/subset.py). The caller aborts the sink on failure."""
    if subset is None:
        phase("create")
        load = sink.begin()
        phase("pre-data")
        source.schema.apply("pre-data", load.dsn, jobs)
        return load
    assert catalog is not None

    def new_database() -> DatabaseLoad:
        made = sink.begin()
        source.schema.apply("pre-data", made.dsn, jobs)
        return made

    # The executor's exit waits for the database whatever the closure did: the caller's abort then drops it.
    with ThreadPoolExecutor(1, thread_name_prefix="target") as side:
        making = side.submit(new_database)
        count_closure(catalog, subset)
        phase("create, pre-data")
    return making.result()


# A subset keeping less than this (the catalog's on-disk size of its tables, times the share the closure keeps of
# each) transforms in the copy threads, without worker processes. Measured on bench/snapshot/subset.py's database
# (2 jobs, the machine shared, runs alternated): at 1% (8.5 MB kept by this measure) 1.81 s against 2.01 s
# (medians of 5, every run without workers faster): forking two workers, each one's first chunk of each table
# (codecs, caches) and the chunks' trips through their pipes cost more than two processes gain on ~0.3 s of
# transforms. At 10% (77 MB) the run without workers was no slower either (2 runs each), but the pool's gain on a
# full snapshot was measured: from this size on, as before.
SMALL_SUBSET_BYTES = 64 * 1024 * 1024


def _subset_processes(plans: Sequence[TablePlan], processes: int) -> int:
    kept = sum(p.table.size_bytes for p in plans if not p.skip)
    return 1 if kept < SMALL_SUBSET_BYTES else processes


def _restore_checks(rules: RulesFile, subset: SubsetSpec) -> Prepare:
    """What a run checks before any row moves, on a dump's pre-data restored into the scratch database: the
    rules' coverage, the subset's tables and conditions; the tables whose rows the subset doesn't need (its empty
    ones). What needs keys and foreign keys (post-data: references, unreached tables) is planned after the rows."""

    def prepare(conn: psycopg.Connection) -> frozenset[str]:
        schema = reflect_schema(conn)
        require_coverage(rules, schema)
        check_conditions(conn, subset, schema)
        return (subset.empty | frozenset(skipped_tables(rules, schema))) & schema.keys()

    return prepare


def _fill_known(plans: Sequence[TablePlan], source: Source, jobs: int) -> str:
    """The run's known values gathered (anonymize.pii.prepass), `jobs` tables read at once; the report's line."""
    from anonymize.pii import prepass

    return prepass.fill_known(plans, source, streams=jobs).note(prepass.DEFAULT_LIMIT)


def _done(result: T) -> Future[T]:
    done: Future[T] = Future()
    done.set_result(result)
    return done


def _look_up_output(spills: Sequence[ScanSpill], index: LeakIndex, verification: VerifyReport) -> float:
    """The leak check's second half (the counts go into `verification`); its seconds."""
    began = time.monotonic()
    verification.source_values_indexed = index.size
    finds = LeakFinds()
    for spill in spills:
        spill.tally(index, verification, finds)
    finds.settle(index, verification)  # the origins of what was found, read once
    return time.monotonic() - began


def _pair(plans: Sequence[TablePlan], tables: Sequence[TableReport]) -> list[tuple[TablePlan, TableReport]]:
    by_name = {t.table: t for t in tables}
    return [(plan, by_name[plan.table.name]) for plan in plans if plan.table.name in by_name]
