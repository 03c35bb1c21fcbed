"""A native service's log file: its last lines, all of it, or followed as it grows."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

_BLOCK = 8192


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _last_lines(handle: BinaryIO, end: int, count: int) -> list[str]:
    """The last `count` lines before offset `end`, read backwards so a large log costs only what is shown."""
    if count <= 0:
        return []
    data = b""
    position = end
    while position > 0 and data.count(b"\n") <= count:
        step = min(_BLOCK, position)
        position -= step
        handle.seek(position)
        data = handle.read(step) + data
    return _decode(data).splitlines()[-count:]


def tail_lines(path: Path, count: int) -> list[str]:
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return []
    with handle:
        return _last_lines(handle, handle.seek(0, os.SEEK_END), count)


def all_lines(path: Path) -> Iterator[str]:
    with path.open("rb") as handle:
        for raw in handle:
            yield _decode(raw).rstrip("\r\n")


def follow_lines(path: Path, tail: int | None, still_running: Callable[[], bool], poll: float = 0.25) -> Iterator[str]:
    """The last `tail` lines (all when None), then new lines as they are written, until the process is gone
    and everything it wrote was shown. A log truncated meanwhile is read again from its start."""
    with path.open("rb") as handle:
        end = handle.seek(0, os.SEEK_END)
        resume = end
        if tail is None:
            handle.seek(0)
            while (start := handle.tell()) < end:
                raw = handle.readline()
                if handle.tell() > end or not raw.endswith(b"\n"):
                    resume = start  # a line still being written: the loop below shows it whole
                    break
                yield _decode(raw).rstrip("\r\n")
        else:
            yield from _last_lines(handle, end, tail)
        handle.seek(resume)
        partial = b""
        while True:
            chunk = handle.read()
            if chunk:
                lines = (partial + chunk).split(b"\n")
                partial = lines.pop()
                for raw in lines:
                    yield _decode(raw).rstrip("\r")
                continue
            if path.stat().st_size < handle.tell():
                handle.seek(0)
                partial = b""
                continue
            if not still_running():
                if partial:
                    yield _decode(partial)
                return
            time.sleep(poll)
