"""Moving tables: each unit (a whole table, or a range of a big one: ranges.py) streams from the source's COPY
through the workers into the target's COPY, `jobs` units at a time in threads, biggest first; the first failure
stops the others. A table's counts, leak hashes and output keys are gathered from its units as their chunks come
back (a unit's in order), into one report per table."""

from __future__ import annotations

import functools
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from anonymize.pipeline.interrupts import wait_interruptibly
from anonymize.pipeline.plan import TablePlan
from anonymize.pipeline.progress import ProgressListener
from anonymize.pipeline.ranges import SplitPolicy, TableRange, split_table, whole
from anonymize.pipeline.rows import RowTransformer
from anonymize.pipeline.slots import ChunkResult
from anonymize.pipeline.workers import Cancelled, Workers, await_result
from anonymize.report import ColumnStats, TableReport
from anonymize.sinks import DatabaseLoad
from anonymize.sources import Source
from anonymize.verify import LeakIndex, ScanSpill


@dataclass
class Unit:
    """A piece of work for one job: a table's `range` (its whole, or one of its ranges), its table's `tally`."""

    plan: TablePlan
    range: TableRange
    tally: TableTally


class TableTally:
    """One table's report, gathered from its units (in any order, from any thread): started at its first unit's
    start, finished at its last one's end; its output's leak-check keys go to one spill, made at its first unit."""

    def __init__(self, plan: TablePlan, units: int, progress: ProgressListener) -> None:
        self.plan = plan
        self.report = TableReport(table=plan.table.name, rule_table=plan.table.rule_table, filtered=bool(plan.where))
        self.stats = [ColumnStats(plan.columns[name].qualified, t.describe()) for name, t in plan.transformers.items()]
        self.unchanged: dict[str, int] = {}
        self.progress = progress
        self.spill: ScanSpill | None = None
        self._left = units
        self._started = False
        self._began = 0.0
        self._lock = threading.Lock()

    def start(self, codec: RowTransformer, spills: list[ScanSpill] | None) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
            self._began = time.monotonic()
            if codec.scan is not None and codec.scan.columns and spills is not None:
                self.spill = ScanSpill(codec.scan)
                spills.append(self.spill)
        self.progress.table_started(self.plan.table.name, self.plan.table.estimated_rows)

    def take(self, result: ChunkResult, leak_index: LeakIndex | None) -> None:
        with self._lock:
            self.report.rows += result.rows
            for column, (values, changed, nulls, same) in zip(self.stats, result.counts, strict=True):
                column.values += values
                column.changed += changed
                column.nulls += nulls
                if same:
                    self.unchanged[column.column] = self.unchanged.get(column.column, 0) + same
            # Under the lock: the counts a table reports only grow, and none comes after its end.
            self.progress.table_progress(self.plan.table.name, self.report.rows, self.report.bytes_in)
        if leak_index is not None:
            leak_index.add(
                result.identifying, result.other, result.origins, result.shipment, result.ids, result.id_origins
            )
        if self.spill is not None:
            self.spill.add(*result.scanned)

    def read(self, size: int) -> None:
        with self._lock:
            self.report.bytes_in += size

    def unit_done(self, bytes_out: int, leak_index: LeakIndex | None) -> None:
        with self._lock:
            self.report.bytes_out += bytes_out
            self._left -= 1
            if self._left:
                return
            self.report.columns = self.stats
            self.report.seconds = round(time.monotonic() - self._began, 3)
        if leak_index is not None:
            leak_index.add_unchanged(self.unchanged)
        self.progress.table_finished(self.plan.table.name, self.report.rows, self.report.bytes_in, self.report.seconds)


def copy_unit(
    unit: Unit,
    source: Source,
    load: DatabaseLoad,
    workers: Workers,
    leak_index: LeakIndex | None,
    stop: threading.Event | None = None,
    spills: list[ScanSpill] | None = None,
) -> None:
    """One unit from source to target, in its own source snapshot-joining COPY and its own target COPY (ranges of
    a table load side by side into the one table: COPY FROM takes a lock that doesn't exclude another)."""
    plan, tally = unit.plan, unit.tally
    if stop is not None and stop.is_set():
        raise Cancelled  # another unit failed, or the run was interrupted, before this one began: no COPY opened
    with source.stream(plan.table, plan.table.columns, plan.where, unit.range.predicate) as stream:
        columns = tuple(stream.columns)
        # Fail on a column mismatch here, before any worker sees the table.
        codec = RowTransformer(plan, columns, leak_index.hasher if leak_index is not None else None)
        tally.start(codec, spills)
        passthrough = not plan.transformers and tally.spill is None
        with load.copy_in(plan.table.name, columns) as writer:

            def take(result: ChunkResult) -> None:
                writer.write(result.data)
                tally.take(result, leak_index)

            pending: deque[Any] = deque()
            for chunk in stream.chunks:
                if stop is not None and stop.is_set():
                    raise Cancelled
                tally.read(len(chunk))
                if passthrough:
                    take(ChunkResult(chunk, chunk.count(b"\n"), []))
                    continue
                pending.append(workers.transform(plan, columns, chunk))
                if len(pending) >= workers.window:
                    take(await_result(pending.popleft(), stop))
            while pending:
                take(await_result(pending.popleft(), stop))
    tally.unit_done(writer.bytes, leak_index)


def run_parallel(
    tasks: Sequence[Callable[[threading.Event], Any]], jobs: int, interrupted: Callable[[], None] | None = None
) -> list[Any]:
    """Run tasks `jobs` at a time in threads; the first failure stops the others (they check the event) and is
    raised; an interrupt stops them too (queued ones never start; `interrupted` is called to unblock running ones)."""
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="snapshot") as pool:
        futures = [pool.submit(task, stop) for task in tasks]
        try:
            wait_interruptibly(futures, FIRST_EXCEPTION)
        except BaseException:  # Ctrl-C: the pool's exit below waits for the running units, but none may start
            stop.set()
            for future in futures:
                future.cancel()
            if interrupted is not None:
                interrupted()
            raise
        errors = [f.exception() for f in futures if f.done() and not f.cancelled() and f.exception() is not None]
        if errors:
            stop.set()
            for future in futures:
                future.cancel()
            wait_interruptibly(futures)
            errors = [f.exception() for f in futures if f.done() and not f.cancelled() and f.exception() is not None]
            first = next((e for e in errors if not isinstance(e, Cancelled)), errors[0])
            raise first  # type: ignore[misc]
    return [f.result() for f in futures]


def plan_units(
    plans: Sequence[TablePlan], source: Source, jobs: int, progress: ProgressListener, policy: SplitPolicy | None = None
) -> tuple[list[Unit], list[TableTally]]:
    """Every table's units, biggest first (the jobs then end together), and every table's tally in plan order.
    A live source's big tables are split (under its snapshot); a dump file's tables are read whole."""
    catalog = source.catalog()
    if policy is None:
        policy = SplitPolicy.for_run([p.table.size_bytes for p in plans if not p.skip], jobs)
    units: list[Unit] = []
    tallies: list[TableTally] = []
    for plan in plans:
        count = policy.ranges(plan.table.size_bytes) if catalog is not None and not plan.skip else 1
        ranges = split_table(catalog, plan.table, count) if catalog is not None and count > 1 else whole(plan.table)
        tally = TableTally(plan, len(ranges), progress)
        tallies.append(tally)
        if plan.skip:
            tally.report.skipped = True
            continue
        units += [Unit(plan, r, tally) for r in ranges]
    units.sort(key=lambda u: u.range.estimated_bytes, reverse=True)  # stable: equal sizes keep plan order
    return units, tallies


def copy_tables(
    plans: Sequence[TablePlan],
    source: Source,
    load: DatabaseLoad,
    workers: Workers,
    leak_index: LeakIndex | None,
    progress: ProgressListener,
    jobs: int,
    spills: list[ScanSpill] | None = None,
    policy: SplitPolicy | None = None,
) -> list[TableReport]:
    """Every table, in units handed out biggest first to `jobs` threads: threads move the bytes, `workers`
    transform them (and scan the output). The reports come back in plan order, one a table."""
    units, tallies = plan_units(plans, source, jobs, progress, policy)
    tasks = [functools.partial(copy_unit, unit, source, load, workers, leak_index, spills=spills) for unit in units]
    run_parallel([lambda stop, task=task: task(stop=stop) for task in tasks], jobs, source.stop_streams)
    return [tally.report for tally in tallies]
