"""Waiting on the run's threads from the main thread so that a Ctrl-C still stops the run.

The kernel hands a process's SIGINT to any thread; Python runs its handler (KeyboardInterrupt) in the main thread,
but only once that thread runs Python again, and a lock acquired without a timeout (what `concurrent.futures.wait`
and `Future.result` do) isn't woken by a signal another thread took: an interrupted run waited for its slowest unit
(measured: a unit whose psql had not started when the interrupt came kept the run for good). So the main thread
waits in slices.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ALL_COMPLETED, FIRST_EXCEPTION, Future, wait
from typing import Any, TypeVar

T = TypeVar("T")
SLICE = 0.2  # seconds between the main thread's looks at pending signals: how late a Ctrl-C can be (our choice)


def wait_interruptibly(futures: Sequence[Future[Any]], return_when: str = ALL_COMPLETED) -> None:
    """`concurrent.futures.wait(futures, return_when=...)` (ALL_COMPLETED or FIRST_EXCEPTION) that lets a
    KeyboardInterrupt through within SLICE seconds."""
    while True:
        done, pending = wait(futures, timeout=SLICE, return_when=return_when)
        if not pending:
            return
        if return_when == FIRST_EXCEPTION and any(not f.cancelled() and f.exception() is not None for f in done):
            return


def result_interruptibly(future: Future[T]) -> T:
    """`future.result()`, letting a KeyboardInterrupt through within SLICE seconds."""
    wait_interruptibly([future])
    return future.result()
