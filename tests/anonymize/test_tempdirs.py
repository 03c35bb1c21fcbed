"""A run's temporary directories: one whose process was killed is removed by the next sweep; one whose process
lives (another one, or this one) never is; directories from before the locks only once they are old."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from anonymize.tempdirs import LOCK_FILE, LOCKLESS_AGE, make_run_directory, sweep_run_directories

REPO = Path(__file__).resolve().parents[2]
HOLDER = """
import os, signal, sys, time
from anonymize.tempdirs import make_run_directory
made = make_run_directory(sys.argv[1])
(made.path / "schema.dump").write_bytes(b"the source's schema")
print(made.path, flush=True)
if sys.argv[2] == "die":
    os.kill(os.getpid(), signal.SIGKILL)  # no cleanup of any kind
time.sleep(600)
"""


@pytest.fixture
def tmpdir_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setenv("TMPDIR", str(root))
    monkeypatch.setattr("tempfile.tempdir", None)  # gettempdir() reads TMPDIR again
    return root


def _holder(prefix: str, mode: str) -> tuple[subprocess.Popen, Path]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, prefix, mode], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode().strip()
    assert line, process.communicate()[1].decode()
    return process, Path(line)


def test_a_killed_runs_directory_is_swept_a_live_runs_is_not(tmpdir_root: Path) -> None:
    alive, live_dir = _holder("devkit-toc-", "live")
    try:
        killed, dead_dir = _holder("devkit-schema-", "die")  # its making swept too: the live one's stayed
        assert killed.wait(30) == -signal.SIGKILL
        assert dead_dir.parent == live_dir.parent == tmpdir_root
        assert (dead_dir / "schema.dump").exists()

        assert sweep_run_directories() == [dead_dir]
        assert not dead_dir.exists()
        assert (live_dir / "schema.dump").exists()  # its process still holds it
    finally:
        alive.kill()
        alive.wait(30)
    assert sweep_run_directories() == [live_dir]
    assert list(tmpdir_root.iterdir()) == []


def test_this_processs_own_directory_survives_its_own_sweep(tmpdir_root: Path) -> None:
    mine = make_run_directory("devkit-schema-")
    try:
        assert sweep_run_directories() == []
        assert mine.path.is_dir()
        second = make_run_directory("devkit-toc-")  # making one sweeps first: still not mine
        assert mine.path.is_dir()
        second.cleanup()
    finally:
        mine.cleanup()
    assert list(tmpdir_root.iterdir()) == []


def test_lockless_directories_go_only_when_old(tmpdir_root: Path) -> None:
    fresh = tmpdir_root / "devkit-schema-fresh"  # maybe a run making its lock file right now
    old = tmpdir_root / "devkit-toc-old"  # left by a devkit from before the locks
    other = tmpdir_root / "devkit-other-old"  # not one of ours
    for path in (fresh, old, other):
        path.mkdir()
        (path / "x").write_text("x")
    long_ago = time.time() - LOCKLESS_AGE - 60
    for path in (old, other):
        os.utime(path, (long_ago, long_ago))
    assert sweep_run_directories() == [old]
    assert fresh.is_dir() and other.is_dir() and not (fresh / LOCK_FILE).exists()
