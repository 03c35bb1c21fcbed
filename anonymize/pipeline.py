"""The snapshot pipeline: source COPY -> decode -> transform -> encode -> target COPY, per table, in parallel.

Order of a run (fail closed, atomic):
1. coverage: the rules are checked against the source's schema before any data moves (for a dump file the
   schema is read back from the new database right after pre-data, still before any row moves);
2. pre-data schema into a brand-new database, rows streamed table by table (`jobs` at a time), sequences set
   where the source's stand, post-data (indexes, constraints, foreign keys, triggers) last;
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

import ctypes
import ctypes.util
import functools
import gc
import multiprocessing
import multiprocessing.pool
import signal
import sys
import threading
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Protocol

from anonymize.catalog import CatalogTable, data_tables
from anonymize.copy_text import NULL, TAB, decode_field, encode_field
from anonymize.errors import AnonymizeError, CoverageError, TransformError
from anonymize.keys import Keyring
from anonymize.leak_keys import MIN_KEY_LENGTH, NATIVE, output_hashes
from anonymize.leak_origins import Origin, Shipment, origin_id, shipment
from anonymize.postgres import ConnectError
from anonymize.privileges import Missing, privilege_error, require, source_privileges, target_privileges
from anonymize.report import ColumnStats, SnapshotReport, TableReport, VerifyReport, summarize_rules
from anonymize.rules import RulesFile, TableRule, check_coverage, reflect_schema
from anonymize.sinks import DatabaseLoad, Sink, TableWriter
from anonymize.sources import Source, widen_pipe
from anonymize.tempdirs import sweep_run_directories
from anonymize.transformers.base import ColumnInfo, MemoizedTransformer, Transformer, build_transformer
from anonymize.transformers.digits import whole_if_digit
from anonymize.verify import (
    SEEN_LIMIT,
    LeakFinds,
    LeakHasher,
    LeakIndex,
    LeakRecorder,
    ScanSpill,
    ScanTarget,
    check_structure,
    scan_lines,
    scan_targets,
)

KEEP = "keep"
_PII_HOOK = "anonymize.pii.hook"
_EMPTY_ROW: Mapping[str, str | None] = MappingProxyType({})
if NATIVE is not None:
    Mapping.register(NATIVE.Row)  # _LazyRow's C twin: what transformers receive from the C row loop


class ProgressListener(Protocol):
    """How a run reports progress; the CLI renders it, tests may record it."""

    def phase(self, name: str) -> None: ...

    def table_started(self, table: str, estimated_rows: int) -> None: ...

    def table_progress(self, table: str, rows: int, bytes_read: int) -> None: ...

    def table_finished(self, table: str, rows: int, bytes_read: int, seconds: float) -> None: ...


class SilentProgress:
    def phase(self, name: str) -> None:
        pass

    def table_started(self, table: str, estimated_rows: int) -> None:
        pass

    def table_progress(self, table: str, rows: int, bytes_read: int) -> None:
        pass

    def table_finished(self, table: str, rows: int, bytes_read: int, seconds: float) -> None:
        pass


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


class _Cancelled(Exception):
    """Another table failed: stop this one quietly."""


# ---------------------------------------------------------------- planning


@dataclass
class TablePlan:
    table: CatalogTable
    rule: TableRule
    columns: dict[str, ColumnInfo]  # name -> info (from the rule table: partitions share their root's)
    transformers: dict[str, Transformer] = field(default_factory=dict)  # columns with a non-keep rule
    scan: ScanTarget | None = None  # the text/JSON columns the leak check scans in the output (None: none)

    @property
    def skip(self) -> bool:
        return self.rule.skip_data

    @property
    def where(self) -> str | None:
        return self.rule.where


def require_coverage(rules: RulesFile, schema: Mapping[str, list[ColumnInfo]]) -> None:
    problems = check_coverage(rules, schema)
    if problems:
        raise CoverageError(problems)


def plan_tables(
    rules: RulesFile, schema: Mapping[str, list[ColumnInfo]], tables: Sequence[CatalogTable], keyring: Keyring
) -> list[TablePlan]:
    """One plan per data table; transformers are built once per rule table and shared by its partitions."""
    built: dict[str, dict[str, Transformer]] = {}
    plans = []
    for table in tables:
        rule = rules.table(table.rule_table)
        if rule is None:  # coverage ran first, so only a table created since then can get here
            raise CoverageError([f"{table.rule_table}: table has no rule"])
        columns = {c.name: c for c in schema.get(table.rule_table, [])}
        if table.rule_table not in built:
            built[table.rule_table] = {
                name: build_transformer(column_rule, columns[name], keyring)
                for name, column_rule in rule.columns.items()
                if column_rule.transform != KEEP and name in columns and not columns[name].generated
            }
        plans.append(TablePlan(table, rule, columns, built[table.rule_table]))
    return plans


# ---------------------------------------------------------------- the hot loop


class _LazyRow(Mapping[str, str | None]):
    """The source row as a mapping, decoding a field only when a transformer asks for it."""

    __slots__ = ("_fields", "_index")

    def __init__(self, index: dict[str, int]) -> None:
        self._index = index
        self._fields: list[bytes] = []

    def __getitem__(self, name: str) -> str | None:
        return decode_field(self._fields[self._index[name]])

    def get(self, name: str, default: Any = None) -> Any:  # Mapping.get goes through __getitem__ and KeyError
        position = self._index.get(name)
        return default if position is None else decode_field(self._fields[position])

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


@dataclass
class _Slot:
    position: int
    column: str
    transformer: Transformer
    personal: bool
    identifying: bool
    pieces: bool  # the transformer finds personal pieces inside the value (JSON paths, free text)
    is_json: bool
    whole: bool = False  # pieces, but only ever the whole value or nothing (phone, card, account): cheap path
    origin: int = 0  # the leak check's origin id of the column's whole values (pieces carry their own)


_NOT_PERSONAL, _WHOLE, _WHOLE_OR_NOTHING, _PIECES = "not personal", "whole", "whole or nothing", "pieces"
_WHOLE_VALUE_OR_NOTHING = "whole value or nothing"


# anonymize/csrc/rows.c's codes for the record modes; "whole or nothing" calls back into Python. Pieces: the slot's
# leak_items is called, the recording is done in C. Whole values of a transformer whose leak_values is
# digits.whole_if_digit are told apart in C, without the call.
_NATIVE_MODES = {_NOT_PERSONAL: 0, _WHOLE: 1, _WHOLE_VALUE_OR_NOTHING: 2, _PIECES: 5}
_NATIVE_MODE_PYTHON, _NATIVE_MODE_WHOLE_IF_DIGIT = 3, 4
_NATIVE_FAILED_WIDTH, _NATIVE_FAILED_TRANSFORM = 1, 2


def _plain_memo(transformer: Transformer) -> dict[str, str] | None:
    """The memo that `transformer.transform` would look a value up in first, when that is all it does for a value
    it has met: the C loop then reads the fake itself (repeated emails, phones, IPs skip a call into Python)."""
    if (
        isinstance(transformer, MemoizedTransformer)
        and getattr(transformer.transform, "__func__", None) is MemoizedTransformer.transform
        and transformer._key_column is None
    ):
        return transformer._memo
    return None


def _native_mode(mode: str, transformer: Transformer) -> int:
    if mode is _WHOLE_VALUE_OR_NOTHING and type(transformer).leak_values is whole_if_digit:
        return _NATIVE_MODE_WHOLE_IF_DIGIT
    return _NATIVE_MODES.get(mode, _NATIVE_MODE_PYTHON)


def _record_mode(slot: _Slot) -> str:
    """How a slot's source values feed the leak index."""
    if not slot.personal:
        return _NOT_PERSONAL
    if slot.whole:
        # leak_values says whether there is anything to find (phone "なし": no); the flag is the transformer's
        # unless leak_items says otherwise per piece. Skipping the generator matters: this runs for every value.
        if type(slot.transformer).leak_items is Transformer.leak_items:
            return _WHOLE_VALUE_OR_NOTHING
        return _WHOLE_OR_NOTHING
    return _PIECES if slot.pieces else _WHOLE


@dataclass
class ChunkResult:
    """What transforming one chunk produced; small and picklable (it crosses from worker processes)."""

    data: bytes
    rows: int
    counts: list[list[int]]  # per slot: [values, changed, nulls, unchanged personal values]
    identifying: bytes = b""  # leak hashes, raw array('q') bytes
    other: bytes = b""
    scanned: tuple[bytes, bytes, int] = (b"", b"", 0)  # the output's keys: scan_lines' (hashes, positions, values)
    origins: bytes = b""  # the origin id of each identifying hash, raw array('I') bytes (anonymize.leak_origins)
    shipment: Shipment | None = None  # the origins the process met since its last result
    ids: bytes = b""  # identifiers the source keeps (card-shaped JSON ids): hashes, array('q') bytes ...
    id_origins: bytes = b""  # ... and their origin ids, array('I') bytes


class RowTransformer:
    """Transforms chunks of COPY TEXT lines of one table. Kept columns are never decoded: their bytes pass
    through, and a line none of whose values changed is written back as the very bytes that came in."""

    def __init__(
        self,
        plan: TablePlan,
        stream_columns: Sequence[str],
        hasher: LeakHasher | None = None,
        native: bool = NATIVE is not None,
    ) -> None:
        self.table = plan.table.name
        self.native = native  # the row loop in C (anonymize/csrc/rows.c); the Python loop below is the reference
        self._native: tuple[tuple, Any] | None = None  # _native_plan(), made at the first chunk
        self.width = len(stream_columns)
        self.hasher = hasher
        self.scan: ScanTarget | None = None
        self.scan_at: tuple[int, ...] = ()  # stream positions of the columns scanned after the rows are made
        self.scan_json: tuple[bool, ...] = ()
        self.scan_inline: dict[int, int] = {}  # stream position -> scan column, for fakes scanned as they're made
        position = {name: i for i, name in enumerate(stream_columns)}
        missing = [name for name in plan.transformers if name not in position]
        if missing:
            raise TransformError(f"{self.table}: the source's rows lack column(s) {', '.join(sorted(missing))}")
        self.slots: list[_Slot] = []
        needs_row = False
        for name, transformer in plan.transformers.items():
            column = plan.columns[name]
            pieces = _finds_pieces(transformer)
            self.slots.append(
                _Slot(
                    position[name],
                    column.qualified,
                    transformer,
                    transformer.personal and hasher is not None,
                    transformer.identifying,
                    pieces,
                    column.family == "json",
                    pieces and transformer.replaces_whole_value,
                    origin_id(Origin(column.qualified, None, transformer.name)) if hasher is not None else 0,
                )
            )
            needs_row = needs_row or bool(transformer.row_columns)
        self.row: _LazyRow | None = _LazyRow(position) if needs_row else None
        if plan.scan is not None and hasher is not None:
            self._plan_scan(plan.scan, stream_columns)

    def _plan_scan(self, scan: ScanTarget, stream_columns: Sequence[str]) -> None:
        """Which output columns the leak check scans, and how: a column whose every value is a fresh fake is
        scanned in the loop that makes it (the fake is at hand, decoded); the others once the lines are made."""
        target, at = scan.in_stream(stream_columns)
        transformed = {slot.position for slot in self.slots}
        inline = [(c, p) for c, p in zip(target.columns, at, strict=True) if c.name in scan.faked and p in transformed]
        rest = [(c, p) for c, p in zip(target.columns, at, strict=True) if (c, p) not in inline]
        self.scan = ScanTarget(target.table, [c for c, _ in rest + inline], target.faked, target.kept)
        self.scan_at = tuple(p for _, p in rest)
        self.scan_json = tuple(c.family == "json" for c, _ in rest)
        self.scan_inline = {p: len(rest) + i for i, (_, p) in enumerate(inline)}

    def process(self, chunk: bytes) -> ChunkResult:
        """A chunk of whole lines in, the transformed lines (and what happened to them) out."""
        lines = chunk.split(b"\n")
        if lines[-1]:
            raise TransformError(f"{self.table}: a row was cut short (truncated COPY data)")
        lines.pop()
        counts = [[0, 0, 0, 0] for _ in self.slots]
        if not self.slots:
            return ChunkResult(chunk, len(lines), counts, scanned=self._scan(lines))
        if self.native:
            return self._process_native(lines)
        recorder = LeakRecorder.new(self.hasher) if self.hasher is not None else None
        row = self.row
        row_arg: Mapping[str, str | None] = row if row is not None else _EMPTY_ROW
        width = self.width
        scan_inline = self.scan_inline
        # Everything the loop needs per slot, bound once per chunk (attribute lookups cost per value).
        plan = [
            (
                slot.position,
                slot.transformer.transform,
                count,
                _record_mode(slot) if recorder is not None else _NOT_PERSONAL,
                slot.identifying,
                slot.is_json,
                slot.transformer.leak_items,
                slot.transformer.leak_values,
                scan_inline.get(slot.position),
                slot,
                slot.origin,
            )
            for slot, count in zip(self.slots, counts, strict=True)
        ]
        record_whole = recorder.record_whole if recorder is not None else None
        record_pieces = recorder.record if recorder is not None else None
        inline_hashes = array("q")
        inline_positions = array("h")
        inline_values = 0
        salt = self.hasher.salt if self.hasher is not None else ""
        for i, line in enumerate(lines):
            fields = line.split(TAB)
            if len(fields) != width:
                raise self._width_error(len(fields))
            if row is not None:
                row._fields = fields
            out: list[bytes] | None = None
            for (
                position,
                transform,
                count,
                mode,
                identifying,
                is_json,
                leak_items,
                leak_values,
                scan_index,
                slot,
                origin,
            ) in plan:
                raw = fields[position]
                if raw == NULL:
                    count[2] += 1
                    continue
                value = decode_field(raw) if b"\\" in raw else raw.decode()
                try:
                    new = transform(value, row_arg)
                except AnonymizeError:
                    raise
                except Exception as exc:
                    raise self._transform_error(slot, exc) from None
                count[0] += 1
                if new != value:
                    count[1] += 1
                    if out is None:
                        out = fields.copy()
                    out[position] = written = encode_field(new)
                else:
                    written = raw
                if scan_index is not None and new is not None and len(written) >= MIN_KEY_LENGTH:
                    inline_values += 1
                    for hashed in output_hashes(new, is_json, salt):
                        inline_hashes.append(hashed)
                        inline_positions.append(scan_index)
                if mode is _NOT_PERSONAL:
                    continue
                if mode is _WHOLE:
                    unchanged = record_whole(value, new, identifying, origin)  # type: ignore[misc]
                elif mode is _WHOLE_VALUE_OR_NOTHING:
                    found = tuple(leak_values(value))  # (value,) or (): no copy when it is a tuple
                    unchanged = bool(found) and record_whole(found[0], new, identifying, origin)  # type: ignore[misc]
                elif mode is _WHOLE_OR_NOTHING:
                    items = list(leak_items(value))  # (value, identifying[, origin]) or nothing
                    unchanged = bool(items) and record_whole(  # type: ignore[misc]
                        items[0][0], new, items[0][1], items[0][2] if len(items[0]) > 2 else origin
                    )
                else:
                    unchanged = record_pieces(list(leak_items(value)), new, is_json, origin)  # type: ignore[misc]
                if unchanged:
                    count[3] += 1
            if out is not None:
                lines[i] = TAB.join(out)
        rows = len(lines)
        hashes, positions, values = self._scan(lines)
        scanned = (hashes + inline_hashes.tobytes(), positions + inline_positions.tobytes(), values + inline_values)
        lines.append(b"")
        if recorder is None:
            return ChunkResult(b"\n".join(lines), rows, counts)
        identifying, other = recorder.identifying.tobytes(), recorder.other.tobytes()
        origins = recorder.origins.tobytes()
        ids, id_origins = recorder.ids.tobytes(), recorder.id_origins.tobytes()
        return ChunkResult(
            b"\n".join(lines), rows, counts, identifying, other, scanned, origins, shipment(), ids, id_origins
        )

    def _process_native(self, lines: list[bytes]) -> ChunkResult:
        """`process`'s loop in C: the same steps in the same order. Transformers stay Python, called per value;
        the leak bookkeeping of JSON and free-text pieces calls back into `LeakRecorder`."""
        assert NATIVE is not None
        hasher = self.hasher
        slow = LeakRecorder.new(hasher) if hasher is not None else None
        if self._native is None:  # what the C loop needs of the plan: the same for every chunk
            self._native = self._native_plan()
        slots, native_row = self._native

        def record_slow(index: int, value: str, new: str | None) -> bool:
            """A "whole or nothing" slot's value: its leak_items give (value, identifying[, origin]) or nothing."""
            assert slow is not None
            slot = self.slots[index]
            items = list(slot.transformer.leak_items(value))
            if not items:
                return False
            origin = items[0][2] if len(items[0]) > 2 else slot.origin
            return slow.record_whole(items[0][0], new, items[0][1], origin)

        failed = [0, 0]
        try:
            (
                counts,
                identifying,
                other,
                inline_hashes,
                inline_positions,
                inline_values,
                origins,
                ids,
                id_origins,
            ) = NATIVE.transform_lines(
                lines,
                self.width,
                slots,
                native_row if native_row is not None else _EMPTY_ROW,
                native_row,
                hasher.salt if hasher is not None else None,
                hasher.seen[False] if hasher is not None else None,
                hasher.seen[True] if hasher is not None else None,
                SEEN_LIMIT,
                record_slow,
                failed,
            )
        except AnonymizeError:
            raise
        except Exception as exc:
            if failed[0] == _NATIVE_FAILED_WIDTH:
                raise self._width_error(failed[1]) from None
            if failed[0] == _NATIVE_FAILED_TRANSFORM:
                raise self._transform_error(self.slots[failed[1]], exc) from None
            raise
        rows = len(lines)
        hashes, positions, values = self._scan(lines)
        lines.append(b"")
        if slow is None:
            return ChunkResult(b"\n".join(lines), rows, counts)
        scanned = (hashes + inline_hashes, positions + inline_positions, values + inline_values)
        identifying += slow.identifying.tobytes()
        other += slow.other.tobytes()
        origins += slow.origins.tobytes()
        ids += slow.ids.tobytes()
        id_origins += slow.id_origins.tobytes()
        return ChunkResult(
            b"\n".join(lines), rows, counts, identifying, other, scanned, origins, shipment(), ids, id_origins
        )

    def _native_plan(self) -> tuple[tuple, Any]:
        """(slot specs for anonymize/csrc/rows.c, the C row mapping or None)."""
        assert NATIVE is not None
        modes = [_record_mode(slot) if self.hasher is not None else _NOT_PERSONAL for slot in self.slots]
        slots = []
        for slot, mode in zip(self.slots, modes, strict=True):
            native = slot.transformer.native_transform()  # its common case in C: cheaper than any memo
            slots.append(
                (
                    slot.position,
                    slot.transformer.transform if native is None else native,
                    _native_mode(mode, slot.transformer),
                    slot.identifying,
                    slot.is_json,
                    slot.transformer.leak_items if mode is _PIECES else slot.transformer.leak_values,
                    self.scan_inline.get(slot.position, -1),
                    _plain_memo(slot.transformer) if native is None else None,
                    slot.origin,
                )
            )
        return tuple(slots), NATIVE.Row(self.row._index) if self.row is not None else None

    def _width_error(self, fields: int) -> TransformError:
        return TransformError(f"{self.table}: a row has {fields} fields where {self.width} columns were expected")

    @staticmethod
    def _transform_error(slot: _Slot, exc: Exception) -> TransformError:
        # The message of an unexpected error may quote the value: name the column, never the value.
        return TransformError(
            f"{slot.column}: {slot.transformer.name} failed on a value ({type(exc).__name__})",
            "report this as a devkit bug, naming the transform and the column type",
        )

    def _scan(self, lines: list[bytes]) -> tuple[bytes, bytes, int]:
        """The output lines' keys for the leak check, while they are at hand."""
        if not self.scan_at:
            return (b"", b"", 0)
        assert self.hasher is not None
        return scan_lines(lines, self.scan_at, self.scan_json, self.hasher, self.native)


# ---------------------------------------------------------------- where the CPU work runs

# Set in the parent before the worker processes fork, so they inherit the plans (transformers and all) instead of
# unpickling them, and the same SipHash seed for the leak hashes.
_WORKER_PLANS: list[TablePlan] = []
_WORKER_HASHER: LeakHasher | None = None
_WORKER_CODECS: dict[tuple[int, tuple[str, ...]], RowTransformer] = {}


def _transform_in_worker(plan_index: int, columns: tuple[str, ...], chunk: bytes) -> ChunkResult:
    codec = _WORKER_CODECS.get((plan_index, columns))
    if codec is None:
        codec = RowTransformer(_WORKER_PLANS[plan_index], columns, _WORKER_HASHER)
        _WORKER_CODECS[(plan_index, columns)] = codec
    return codec.process(chunk)


def _worker_start() -> None:
    # Ctrl-C reaches the whole process group: the parent stops the run (and terminates us); a worker dying
    # of KeyboardInterrupt mid-task would leave its result forever pending.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A chunk allocates ~10 objects a value, nearly all gone by its end: young collections every 700 allocations
    # found next to nothing to free (measured, ~5% of a worker's CPU went to the collector).
    gc.set_threshold(_WORKER_GC_THRESHOLD)


_WORKER_GC_THRESHOLD = 50_000


class _Done:
    """An already-computed result with the AsyncResult interface."""

    def __init__(self, value: object) -> None:
        self.value = value

    def get(self, timeout: float | None = None) -> object:
        return self.value


def _result(pending: Any, stop: threading.Event | None) -> Any:
    """A worker's result, giving up (quietly) when the run is being stopped."""
    while True:
        try:
            return pending.get(timeout=0.5)
        except multiprocessing.TimeoutError:
            if stop is not None and stop.is_set():
                raise _Cancelled from None


def _keep_big_buffers_out_of_the_heap() -> None:
    """glibc raises its mmap threshold each time a large block is freed, after which the ~1 MB chunk buffers
    come from per-thread heap arenas and fragment them: measured, the parent's peak RSS at 1M rows grew by
    ~160 MB more. A fixed threshold keeps them mmapped (returned to the system when freed), fewer arenas
    fragment less. Other libcs: no-op."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 256 * 1024)
        libc.mallopt(_M_ARENA_MAX, 2)  # one arena per thread multiplies the fragmentation
    except (OSError, AttributeError):
        pass


_M_MMAP_THRESHOLD = -3  # <malloc.h>
_M_ARENA_MAX = -8


class Workers:
    """Where transforms and leak scans run: inline (one process), or `processes` forked workers so that Python's
    CPU work uses every core while threads wait on the servers. Forked before any thread starts (fork copies
    only the calling thread; no lock can be held by a thread that doesn't exist yet)."""

    def __init__(self, plans: list[TablePlan], hasher: LeakHasher | None, processes: int) -> None:
        global _WORKER_PLANS, _WORKER_HASHER
        _WORKER_PLANS, _WORKER_HASHER = plans, hasher
        _keep_big_buffers_out_of_the_heap()
        _WORKER_CODECS.clear()
        self.plan_index = {id(plan): i for i, plan in enumerate(plans)}
        self.pool: multiprocessing.pool.Pool | None = None
        if processes > 1:
            # Frozen, what the workers inherit (plans, name pools) is never traversed by their collections, whose
            # reference counting would otherwise copy those shared pages into every worker.
            gc.freeze()
            try:
                self.pool = multiprocessing.get_context("fork").Pool(processes, initializer=_worker_start)
            finally:
                gc.unfreeze()
            # Chunks (~1 MB) cross these pipes both ways: 1 MB pipes instead of 64 KB take a sixteenth of the reads
            # and their buffers (measured, 113 MB there and back: 0.92 -> 0.73 s of CPU).
            for queue in (getattr(self.pool, "_inqueue", None), getattr(self.pool, "_outqueue", None)):
                reader = getattr(queue, "_reader", None)
                if reader is not None:
                    widen_pipe(reader.fileno())
        self.window = max(2, processes + 1)  # chunks in flight per table: keeps workers busy, memory bounded

    def transform(self, plan: TablePlan, columns: tuple[str, ...], chunk: bytes) -> Any:
        index = self.plan_index[id(plan)]
        if self.pool is None:
            return _Done(_transform_in_worker(index, columns, chunk))
        return self.pool.apply_async(_transform_in_worker, (index, columns, chunk))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None


# ---------------------------------------------------------------- moving tables


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
                    raise _Cancelled
                report.bytes_in += len(chunk)
                if not plan.transformers and spill is None:
                    take(ChunkResult(chunk, chunk.count(b"\n"), []), writer)
                    continue
                pending.append(workers.transform(plan, columns, chunk))
                if len(pending) >= workers.window:
                    take(_result(pending.popleft(), stop), writer)
            while pending:
                take(_result(pending.popleft(), stop), writer)
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
            first = next((e for e in errors if not isinstance(e, _Cancelled)), errors[0])
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


# ---------------------------------------------------------------- a whole run


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
) -> SnapshotReport:
    """Copy `source` into `sink` anonymized by `rules`; verified before it is published. Raises CoverageError
    before any data moves, VerificationError (with the report) when the result is not safe to publish."""
    progress = progress or SilentProgress()
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
    with source:
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
        phase("create")
        load = sink.begin()
        try:
            phase("pre-data")
            source.schema.apply("pre-data", load.dsn, jobs)
            if schema is None:
                phase("check")
                with load.connect() as conn:
                    schema = reflect_schema(conn)
                    require_coverage(rules, schema)
                    tables = data_tables(conn)
            with_data = source.tables_with_data()
            plans = plan_tables(rules, schema, tables, keyring)
            _refuse_dump_filters(plans, source)
            leak_index = LeakIndex(keyring)
            streamed = [p for p in plans if with_data is None or p.table.name in with_data or p.skip]
            if _PII_HOOK in sys.modules:  # a rule uses the PII detector (building it imported the hook)
                # Free text must know every column's names/emails/phones before any table runs, and the
                # workers inherit them by forking after this.
                from anonymize.pii import prepass

                phase("known values")
                report.notes.append(prepass.fill_known(streamed, source).note(prepass.DEFAULT_LIMIT))
            _attach_scan_targets(plans, tables, schema)
            workers = Workers(streamed, leak_index.hasher, processes)
            spills: list[ScanSpill] = []
            try:
                phase("data")
                report.tables = copy_tables(streamed, source, load, workers, leak_index, progress, jobs, spills)
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
            sink.abort()
            raise
        finally:
            report.notes += sink.notes
    phase.end()
    report.seconds = round(time.monotonic() - began, 3)
    return report


def _look_up_output(spills: Sequence[ScanSpill], index: LeakIndex, verification: VerifyReport) -> float:
    """The leak check's second half (the counts go into `verification`); its seconds."""
    began = time.monotonic()
    verification.source_values_indexed = index.size
    finds = LeakFinds()
    for spill in spills:
        spill.tally(index, verification, finds)
    finds.settle(index, verification)  # the origins of what was found, read once
    return time.monotonic() - began


def _attach_scan_targets(
    plans: Sequence[TablePlan], tables: Sequence[CatalogTable], schema: Mapping[str, list[ColumnInfo]]
) -> None:
    """Each plan learns which of its columns the leak check scans (text and JSON: where a leak could sit)."""
    targets = {t.table.name: t for t in scan_targets(tables, schema, _faked_columns(plans), _kept_columns(plans))}
    for plan in plans:
        plan.scan = targets.get(plan.table.name)


def _kept_columns(plans: Sequence[TablePlan]) -> dict[str, frozenset[str]]:
    """Rule table -> the columns no transform touches (ruled keep, or generated from kept ones)."""
    return {plan.table.rule_table: frozenset(plan.columns.keys() - plan.transformers.keys()) for plan in plans}


def _faked_columns(plans: Sequence[TablePlan]) -> dict[str, frozenset[str]]:
    """Rule table -> columns whose whole value a transform replaces (not JSON paths or free text, which keep the
    pieces they don't recognise)."""
    faked: dict[str, frozenset[str]] = {}
    for plan in plans:
        faked[plan.table.rule_table] = frozenset(
            name
            for name, transformer in plan.transformers.items()
            if not _finds_pieces(transformer) or transformer.replaces_whole_value
        )
    return faked


def _finds_pieces(transformer: Transformer) -> bool:
    cls = type(transformer)
    return cls.leak_items is not Transformer.leak_items or cls.leak_values is not Transformer.leak_values


def _pair(plans: Sequence[TablePlan], tables: Sequence[TableReport]) -> list[tuple[TablePlan, TableReport]]:
    by_name = {t.table: t for t in tables}
    return [(plan, by_name[plan.table.name]) for plan in plans if plan.table.name in by_name]


def _refuse_dump_filters(plans: Sequence[TablePlan], source: Source) -> None:
    """A live source filters rows in its SELECT; a dump file's rows could only be filtered after they were
    anonymized and loaded, where the filter would see fakes: refuse rather than filter on the wrong values."""
    if source.catalog() is not None:
        return
    filtered = [p for p in plans if p.where and not p.skip]
    if filtered:
        raise AnonymizeError(
            f"{filtered[0].table.rule_table}: row filters (`where:`) need a live source; a dump file's rows can't "
            "be filtered before they are read",
            "snapshot from the live database, or drop `where:` for this run",
        )


def read_schema(source: Source, sink: Sink | None = None) -> dict[str, list[ColumnInfo]]:
    """The source's schema as the rules see it. A live source is asked directly; a dump file's schema is read
    back from a scratch database made with `sink` on the target server (pre-data only), then dropped."""
    with source:
        catalog = source.catalog()
        if catalog is not None:
            return reflect_schema(catalog)
        if sink is None:
            raise AnonymizeError("reading a dump file's schema needs a target server to restore it into")
        load = sink.begin()
        try:
            source.schema.apply("pre-data", load.dsn)
            with load.connect() as conn:
                return reflect_schema(conn)
        finally:
            sink.abort()


def check_rules(source: Source, rules: RulesFile, sink: Sink | None = None) -> tuple[list[str], int]:
    """Every coverage problem (empty: the rules cover the schema) and the number of tables checked."""
    schema = read_schema(source, sink)
    return check_coverage(rules, schema), len(schema)


@dataclass
class RunCheck:
    """What `--check` found: coverage `problems`, the privileges the roles lack (`missing`), and `notes`."""

    problems: list[str]
    tables: int
    missing: list[Missing]
    notes: list[str] = field(default_factory=list)


def check_run(source: Source, rules: RulesFile, target: Sink, scratch: Sink | None = None) -> RunCheck:
    """`--check`: what run_snapshot checks before any data moves, without moving any: the rules against the
    source's schema, and the privileges of the source's role and of `target`'s (the sink the run would use).
    A dump file's schema is read back through `scratch`, on the target's server.

    A target whose server doesn't answer is noted, not failed: the rules and the source can then still be checked
    where only the source is reachable (CI), and a run stops at that connection at once, before reading anything."""
    notes: list[str] = []
    try:
        missing = target_privileges(target)
    except ConnectError as error:
        if scratch is not None:  # a dump file's schema can't be read without that server
            raise
        missing = []
        notes.append(f"target not checked: {error.message}")
    if scratch is not None and missing:
        raise privilege_error(missing)  # the scratch database for the dump's schema couldn't be made either
    if not source.live:
        schema = read_schema(source, scratch)
    else:
        with source:
            catalog = source.catalog()
            assert catalog is not None, "a live source answers catalog queries"
            schema = reflect_schema(catalog)
            missing[:0] = [m for m in (source_privileges(catalog),) if m is not None]
    return RunCheck(check_coverage(rules, schema), len(schema), missing, notes)


__all__ = [
    "ProgressListener",
    "RowTransformer",
    "RunCheck",
    "SilentProgress",
    "TablePlan",
    "VerificationError",
    "VerifyReport",
    "check_rules",
    "check_run",
    "copy_tables",
    "plan_tables",
    "read_schema",
    "require_coverage",
    "run_snapshot",
]
