"""Host processes of the native runtime: pid records that survive pid reuse, stopping whole process groups."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from devkit.stack.native.process import (
    MARKER_VARIABLE,
    PidRecord,
    StopStep,
    is_alive,
    marked_processes,
    read_pid,
    spawn,
    stop,
    stop_marked,
    write_pid,
)
from testbed.servers import free_port


def _spawn_sleeper(tmp_path: Path, script: str = "import time; time.sleep(60)", **env: str) -> int:
    return spawn([sys.executable, "-c", script], log=tmp_path / "log", env={**os.environ, **env}, cwd=tmp_path)


def test_pid_file_round_trip_and_liveness(tmp_path: Path) -> None:
    pid = _spawn_sleeper(tmp_path)
    record = write_pid(tmp_path / "pid", pid, "redis")
    assert read_pid(tmp_path / "pid") == record
    assert record.kind == "redis" and record.started is not None
    assert is_alive(record)
    # The same pid with another start time is some other process that got the number later: not ours.
    assert not is_alive(PidRecord(pid, "1", "redis"))
    assert stop(record, [StopStep(signal.SIGTERM, 5.0)])
    assert not is_alive(record)  # exited and reaped, not a zombie taken for alive


def test_garbled_or_missing_pid_files_name_nothing(tmp_path: Path) -> None:
    assert read_pid(tmp_path / "missing") is None
    (tmp_path / "pid").write_text("12 not json")
    assert read_pid(tmp_path / "pid") is None


def test_spawned_processes_run_in_their_own_session_and_log_to_the_file(tmp_path: Path) -> None:
    pid = _spawn_sleeper(tmp_path, "import os, time; print('hello from', os.getsid(0), flush=True); time.sleep(60)")
    record = write_pid(tmp_path / "pid", pid, "service")
    try:
        deadline = time.monotonic() + 10
        while "hello" not in (tmp_path / "log").read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (tmp_path / "log").read_text() == f"hello from {pid}\n"
        assert os.getsid(pid) == pid != os.getsid(0)
    finally:
        stop(record, [StopStep(signal.SIGKILL, 5.0, True)])


def test_stop_escalates_and_takes_the_group_with_it(tmp_path: Path) -> None:
    # A service that ignores SIGTERM and leaves a child behind: SIGKILL follows, and the child goes too.
    script = (
        "import signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        "print(child.pid, flush=True); time.sleep(60)"
    )
    pid = _spawn_sleeper(tmp_path, script)
    record = write_pid(tmp_path / "pid", pid, "service")
    deadline = time.monotonic() + 10
    while not (tmp_path / "log").read_text().strip() and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int((tmp_path / "log").read_text())
    began = time.monotonic()
    assert stop(record, [StopStep(signal.SIGTERM, 0.5, True), StopStep(signal.SIGKILL, 5.0, True)])
    assert time.monotonic() - began < 5
    time.sleep(0.2)
    stat = Path(f"/proc/{child}/stat")
    assert not stat.exists() or stat.read_text().split(")")[-1].split()[0] == "Z"  # gone, or dead and unreaped


def test_marked_processes_are_found_and_stopped(tmp_path: Path) -> None:
    marker = str(tmp_path / "state")
    pid = _spawn_sleeper(tmp_path, **{MARKER_VARIABLE: marker})
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert marked_processes(marker) == [pid]
        assert stop_marked(marker) == 1
        assert marked_processes(marker) == []
        assert other.poll() is None  # unmarked: untouched
    finally:
        other.kill()
        other.wait()


def test_a_redis_server_is_found_by_its_data_dir_since_its_title_hides_its_marker(tmp_path: Path) -> None:
    """redis-server writes its title over its environment, so no marker can be read back (none is given here);
    its working dir, inside the state dir, is what finds it."""
    state = tmp_path / "state"
    data = state / "redis" / "data"
    data.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    marker = str(state)
    ours, theirs = (
        subprocess.Popen(
            ["redis-server", "--port", str(free_port()), "--bind", "127.0.0.1", "--save", ""],
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for cwd in (data, elsewhere)
    )
    try:
        assert marked_processes(marker) == [ours.pid]
        assert stop_marked(marker) == 1
        assert ours.wait(timeout=10) is not None
        assert theirs.poll() is None  # another redis-server, not in the state dir: untouched
    finally:
        for process in (ours, theirs):
            process.kill()
            process.wait()
