"""A PostgreSQL bin directory whose client programs (pg_dump, pg_restore, psql) run a few lines of sh first, then
exec the real program: how a test sees what devkit's children get (environment, arguments) or holds one still."""

from __future__ import annotations

from pathlib import Path

from testbed.servers import pg_bindir

TOOLS = ("pg_dump", "pg_restore", "psql")


def wrapped_bindir(directory: Path, before: str) -> Path:
    """`directory`, holding a wrapper per client program: `before` runs in sh with $tool set to the program's
    name and the program's arguments in "$@"."""
    directory.mkdir(parents=True, exist_ok=True)
    for tool in TOOLS:
        wrapper = directory / tool
        real = pg_bindir() / tool
        wrapper.write_text(f'#!/bin/sh\ntool={tool}\n{before}\nexec {real} "$@"\n')
        wrapper.chmod(0o755)
    return directory
