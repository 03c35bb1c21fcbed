"""One lock per devkit project, so two runs never change the same stack, or its database, at once.

`up` and `down` hold it alone. Commands that write into the stack's own database (seed, cleanup, a snapshot into
dev) share it: they run side by side, wait for an `up` or `down` in progress, and make one wait for them. A second
run waits, saying for whom; Ctrl-C gives up. The lock is flock(2) on `<state dir>/lock`, which the kernel drops
when its holder dies however it dies: a killed run never leaves the project locked. Who holds it is written
beside it (`lock.d/<pid>`), only to tell the waiting user.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from devkit.stack.native.process import PidRecord, is_alive, process_start_time

LOCK_FILE = "lock"
HOLDERS_DIR = "lock.d"
NAME_WAIT = 1.0  # seconds a waiting run looks for the holder's name before saying "another devkit run"


@dataclass(frozen=True)
class Holder:
    pid: int
    command: str
    since: float  # time.time() when it took the lock
    started: str | None = None  # the process's start time, so a reused pid is not taken for the holder

    def describe(self, now: float) -> str:
        return f"`devkit {self.command}` (pid {self.pid}, for {max(0.0, now - self.since):.0f}s)"


def describe_holders(holders: list[Holder], now: float) -> str:
    """What a waiting run tells the user; "another devkit run" while a new holder has not written its name yet."""
    if not holders:
        return "another devkit run"
    return ", ".join(holder.describe(now) for holder in sorted(holders, key=lambda h: h.since))


def read_holders(state: Path) -> list[Holder]:
    """The live holders, as far as their records tell; records of dead processes are ignored."""
    found = []
    directory = state / HOLDERS_DIR
    for path in sorted(directory.glob("*")) if directory.is_dir() else []:
        try:
            data = json.loads(path.read_text())
            holder = Holder(int(data["pid"]), str(data["command"]), float(data["since"]), data.get("started"))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # being written or removed right now
        if is_alive(PidRecord(holder.pid, holder.started)):
            found.append(holder)
    return found


def _record_holder(state: Path, command: str) -> Path:
    directory = state / HOLDERS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    pid = os.getpid()
    record = {"pid": pid, "command": command, "since": time.time(), "started": process_start_time(pid)}
    path = directory / str(pid)
    partial = directory / f".{pid}.partial"
    partial.write_text(json.dumps(record) + "\n")
    partial.replace(path)
    return path


def _try_lock(descriptor: int, mode: int, state: Path, on_wait: Callable[[str], None] | None) -> bool:
    """Take the lock if it is free. When it isn't, name the holder: one that has just taken it may not have
    written its record yet, so look for it a little while (and take the lock if it is released meanwhile)."""
    deadline = time.monotonic() + NAME_WAIT
    while True:
        try:
            fcntl.flock(descriptor, mode | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            pass
        holders = read_holders(state)
        if holders or time.monotonic() >= deadline:
            if on_wait is not None:
                on_wait(f"waiting for {describe_holders(holders, time.time())} to finish (Ctrl-C to give up)")
            return False
        time.sleep(0.05)


@contextlib.contextmanager
def project_lock(
    state: Path, command: str, *, shared: bool = False, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the project's lock for the block: alone (`shared=False`: up, down) or beside other shared holders.
    `on_wait` hears once, in one line, whom this run waits for."""
    state.mkdir(parents=True, exist_ok=True)
    # O_CLOEXEC: a server the native runtime starts must not inherit the descriptor, and with it the lock.
    descriptor = os.open(state / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    try:
        if not _try_lock(descriptor, mode, state, on_wait):
            fcntl.flock(descriptor, mode)
        record = _record_holder(state, command)
        try:
            yield
        finally:
            record.unlink(missing_ok=True)
    finally:
        os.close(descriptor)  # releases the lock
