"""A native service's log file: tails, whole logs, and following a growing (or truncated) file."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from devkit.stack.native.logs import all_lines, follow_lines, tail_lines


def test_tail_lines(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_text("".join(f"line {n}\n" for n in range(5000)))
    assert tail_lines(log, 3) == ["line 4997", "line 4998", "line 4999"]
    assert tail_lines(log, 0) == []
    assert len(tail_lines(log, 10_000)) == 5000
    assert tail_lines(tmp_path / "missing", 5) == []
    log.write_text("no newline at the end")
    assert tail_lines(log, 2) == ["no newline at the end"]


def test_all_lines_survive_bad_bytes(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_bytes(b"ok\n\xff\xfe broken\r\nlast")
    assert list(all_lines(log)) == ["ok", "\ufffd\ufffd broken", "last"]


def test_follow_shows_new_lines_until_the_process_is_gone(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_text("old 1\nold 2\n")
    running = threading.Event()
    running.set()

    def write() -> None:
        time.sleep(0.2)
        with log.open("a") as handle:
            handle.write("new 1\nnew ")
            handle.flush()
            time.sleep(0.2)
            handle.write("2\n")
        time.sleep(0.2)
        log.write_text("after truncation\n")  # a rotated log is read again from its start
        time.sleep(0.3)
        running.clear()

    writer = threading.Thread(target=write)
    writer.start()
    lines = list(follow_lines(log, 1, running.is_set, poll=0.05))
    writer.join()
    assert lines == ["old 2", "new 1", "new 2", "after truncation"]


def test_follow_without_tail_starts_at_the_beginning(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_text("a\nb\npartial")
    assert list(follow_lines(log, None, lambda: False, poll=0.01)) == ["a", "b", "partial"]
