"""Failpoints: a kill test names a point (DEVKIT_FAILPOINT=name) and the process stops itself there (SIGSTOP).

A test that watches for a phase from outside races a fast run: the seed's COPY of a block lasts milliseconds and
can start and end between two looks. Stopped at the named point, the process is exactly where the test means to
kill it. Unset (always, outside tests), a failpoint costs one environment lookup.
"""

from __future__ import annotations

import os
import signal

VARIABLE = "DEVKIT_FAILPOINT"


def reach(name: str) -> None:
    if os.environ.get(VARIABLE) == name:
        os.kill(os.getpid(), signal.SIGSTOP)
