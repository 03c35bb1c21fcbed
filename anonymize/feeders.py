"""The programs (psql, pg_restore) feeding a source's open streams, so that an interrupted run can stop them all.

A Ctrl-C reaches the terminal's whole process group, but a reader must not be left waiting on a pipe whose
program is still starting or never saw the signal (a unit's psql started as the interrupt came): the run then
waited for the whole query. Stopping kills every program running now and any started after.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Iterator


class Feeders:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._stopped = False

    @contextlib.contextmanager
    def feeding(self, process: subprocess.Popen[bytes]) -> Iterator[None]:
        """Hold `process` while its stream is read (killed at once if the run was stopped already)."""
        with self._lock:
            self._running.add(process)
            stopped = self._stopped
        if stopped:
            process.kill()
        try:
            yield
        finally:
            with self._lock:
                self._running.discard(process)

    def stop(self) -> None:
        """Kill every program feeding a stream, and each one started from now on: their readers see the end."""
        with self._lock:
            self._stopped = True
            running = list(self._running)
        for process in running:
            process.kill()  # (Popen.send_signal does nothing for a process already waited for)
