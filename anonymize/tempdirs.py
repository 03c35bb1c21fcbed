"""A run's temporary directories under $TMPDIR (`devkit-schema-*`: the source's schema dump, `devkit-toc-*`: an
archive's table-of-contents lists), and the removal of those that killed runs left behind.

The process that makes a directory holds an exclusive flock on a lock file inside it for as long as it uses it.
The kernel releases a flock when the last descriptor of it closes, which a killed process's exit does (SIGKILL
included); a forked worker shares it, so a directory also counts as used while one of the run's workers lives.
So a directory whose lock can be taken without waiting is no live run's: the sweep every run does first removes
it. A lock held by anyone, this very process included (flock conflicts between open files, not processes),
keeps the directory.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from pathlib import Path

PREFIXES = ("devkit-schema-", "devkit-toc-")
LOCK_FILE = ".lock"
# A directory without a lock file was made by a devkit from before these locks, or by a run killed in the instant
# between making the directory and its lock file. Nothing tells whether its run is alive, so only its age does:
# our assumption is that no snapshot runs for two days.
LOCKLESS_AGE = 2 * 24 * 3600


class RunDirectory:
    """A temporary directory this process holds; `cleanup()` removes it and lets go of it."""

    def __init__(self, path: Path, lock: int) -> None:
        self.path = path
        self._lock: int | None = lock

    def cleanup(self) -> None:
        if self._lock is None:
            return
        shutil.rmtree(self.path, ignore_errors=True)
        os.close(self._lock)  # only now: nobody may take the directory for dead while it is being removed
        self._lock = None


def make_run_directory(prefix: str) -> RunDirectory:
    """A new directory `$TMPDIR/<prefix>XXXXXXXX`, locked; directories of dead runs are swept first."""
    assert prefix in PREFIXES, f"{prefix!r}: add it to PREFIXES so that the sweep knows it"
    sweep_run_directories()
    while True:
        path = Path(tempfile.mkdtemp(prefix=prefix))
        lock = os.open(path / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        # Waits only if a sweep found the directory between its making and this lock: it is then removing it.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _still_there(lock, path):
            return RunDirectory(path, lock)
        os.close(lock)


def sweep_run_directories(root: Path | None = None) -> list[Path]:
    """Remove the devkit temporary directories under `root` ($TMPDIR) that no live process holds; those removed."""
    root = Path(tempfile.gettempdir()) if root is None else root
    removed = []
    for prefix in PREFIXES:
        for path in root.glob(f"{prefix}*"):
            if path.is_dir() and not path.is_symlink() and _remove_if_dead(path):
                removed.append(path)
    return removed


def _remove_if_dead(path: Path) -> bool:
    try:
        lock = os.open(path / LOCK_FILE, os.O_RDWR | os.O_CLOEXEC)  # never created here: see _remove_if_old
    except FileNotFoundError:
        return _remove_if_old(path)
    except OSError:  # another user's directory: not ours to judge
        return False
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # its run is alive
        if not _still_there(lock, path):
            return False  # another sweep removed it first
        shutil.rmtree(path, ignore_errors=True)
        return not path.exists()
    finally:
        os.close(lock)


def _remove_if_old(path: Path) -> bool:
    """A lockless directory, only when old: a fresh one may be a run's that is making its lock file right now."""
    with contextlib.suppress(OSError):
        if time.time() - path.stat().st_mtime > LOCKLESS_AGE:
            shutil.rmtree(path, ignore_errors=True)
            return not path.exists()
    return False


def _still_there(lock: int, path: Path) -> bool:
    """Is the file behind `lock` still the directory's lock file (not removed by a sweep meanwhile)?"""
    try:
        return os.path.samestat(os.fstat(lock), os.stat(path / LOCK_FILE))
    except FileNotFoundError:
        return False
