"""Moving tables: each table streams from the source's COPY through the workers into the target's COPY, `jobs`
tables at a time in threads; the first failure stops the others. A table's counts, leak hashes and output keys
are gathered as its chunks come back, in order."""

from __future__ import annotations

import functools
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any

from anonymize.pipeline.plan import TablePlan
from anonymize.pipeline.progress import ProgressListener
from anonymize.pipeline.rows import RowTransformer
from anonymize.pipeline.slots import ChunkResult
from anonymize.pipeline.workers import Cancelled, Workers, await_result
from anonymize.report import ColumnStats, TableReport
from anonymize.sinks import DatabaseLoad, TableWriter
from anonymize.sources import Source
from anonymize.verify import LeakIndex, ScanSpill


def copy_table(
    plan: TablePlan,
    source: Source,
    load: DatabaseLoad,
    workers: Workers,
    leak_index: LeakIndex | None,
    progress: ProgressListener,
    stop: threading.Event | None = None,
    spills: list[ScanSpill] | None = None,
) -> TableReport:
    """One table from source to target; its output's leak-check keys go to a new spill in `spills`."""
    report = TableReport(table=plan.table.name, rule_table=plan.table.rule_table, filtered=bool(plan.where))
    if plan.skip:
        report.skipped = True
        return report
    began = time.monotonic()
    progress.table_started(plan.table.name, plan.table.estimated_rows)
    stats = [ColumnStats(plan.columns[name].qualified, t.describe()) for name, t in plan.transformers.items()]
    unchanged: dict[str, int] = {}

    def take(result: ChunkResult, writer: TableWriter) -> None:
        writer.write(result.data)
        report.rows += result.rows
        for column, (values, changed, nulls, same) in zip(stats, result.counts, strict=True):
            column.values += values
            column.changed += changed
            column.nulls += nulls
            if same:
                unchanged[column.column] = unchanged.get(column.column, 0) + same
        if leak_index is not None:
            leak_index.add(
                result.identifying, result.other, result.origins, result.shipment, result.ids, result.id_origins
            )
        if spill is not None:
            spill.add(*result.scanned)
        progress.table_progress(plan.table.name, report.rows, report.bytes_in)

    with source.stream(plan.table, plan.table.columns, plan.where) as stream:
        columns = tuple(stream.columns)
        # Fail on a column mismatch here, before any worker sees the table.
        codec = RowTransformer(plan, columns, leak_index.hasher if leak_index is not None else None)
        spill = None
        if codec.scan is not None and codec.scan.columns and spills is not None:
            spill = ScanSpill(codec.scan)
            spills.append(spill)
        with load.copy_in(plan.table.name, columns) as writer:
            pending: deque[Any] = deque()
            for chunk in stream.chunks:
                if stop is not None and stop.is_set():
                    raise Cancelled
                report.bytes_in += len(chunk)
                if not plan.transformers and spill is None:
                    take(ChunkResult(chunk, chunk.count(b"\n"), []), writer)
                    continue
                pending.append(workers.transform(plan, columns, chunk))
                if len(pending) >= workers.window:
                    take(await_result(pending.popleft(), stop), writer)
            while pending:
                take(await_result(pending.popleft(), stop), writer)
        report.bytes_out = writer.bytes
    report.columns = stats
    if leak_index is not None:
        leak_index.add_unchanged(unchanged)
    report.seconds = round(time.monotonic() - began, 3)
    progress.table_finished(plan.table.name, report.rows, report.bytes_in, report.seconds)
    return report


def run_parallel(tasks: Sequence[Callable[[threading.Event], Any]], jobs: int) -> list[Any]:
    """Run tasks `jobs` at a time in threads; the first failure stops the others (they check the event) and is
    raised; an interrupt stops them too."""
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="snapshot") as pool:
        futures = [pool.submit(task, stop) for task in tasks]
        try:
            wait(futures, return_when=FIRST_EXCEPTION)
        except BaseException:
            stop.set()
            raise
        errors = [f.exception() for f in futures if f.done() and not f.cancelled() and f.exception() is not None]
        if errors:
            stop.set()
            for future in futures:
                future.cancel()
            wait(futures)
            errors = [f.exception() for f in futures if f.done() and not f.cancelled() and f.exception() is not None]
            first = next((e for e in errors if not isinstance(e, Cancelled)), errors[0])
            raise first  # type: ignore[misc]
    return [f.result() for f in futures]


def copy_tables(
    plans: Sequence[TablePlan],
    source: Source,
    load: DatabaseLoad,
    workers: Workers,
    leak_index: LeakIndex | None,
    progress: ProgressListener,
    jobs: int,
    spills: list[ScanSpill] | None = None,
) -> list[TableReport]:
    """Every table, `jobs` at a time: threads move the bytes, `workers` transform them (and scan the output)."""
    tasks = [
        functools.partial(copy_table, plan, source, load, workers, leak_index, progress, spills=spills)
        for plan in plans
    ]
    return run_parallel([lambda stop, task=task: task(stop=stop) for task in tasks], jobs)
