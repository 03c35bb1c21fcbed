"""Where the CPU work runs: `Workers` transforms chunks (and scans the output for the leak check) inline, or in
forked worker processes so that Python's CPU work uses every core while the copy threads wait on the servers.
The workers inherit the plans by forking (never pickled), start with Ctrl-C ignored and a calmer garbage
collector, and the big chunk buffers are kept out of the heap arenas."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import multiprocessing
import multiprocessing.pool
import signal
import threading
from typing import Any

from anonymize.pipeline.plan import TablePlan
from anonymize.pipeline.rows import RowTransformer
from anonymize.pipeline.slots import ChunkResult
from anonymize.sources import widen_pipe
from anonymize.verify import LeakHasher


class Cancelled(Exception):
    """Another table failed: stop this one quietly."""


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


def await_result(pending: Any, stop: threading.Event | None) -> Any:
    """A worker's result, giving up (quietly) when the run is being stopped."""
    while True:
        try:
            return pending.get(timeout=0.5)
        except multiprocessing.TimeoutError:
            if stop is not None and stop.is_set():
                raise Cancelled from None


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
