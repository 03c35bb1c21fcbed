"""One health probe per kind of native service, from the host, through the published addresses."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

PROBE_TIMEOUT = 2.0


def postgres_ready(dsn: str) -> bool:
    """The database the stack promises accepts the stack's credentials and answers a query."""
    import psycopg  # here, not at the top: the Docker runtime never needs it, and it costs a no-op `up` ~0.15 s

    try:
        with psycopg.connect(dsn, connect_timeout=int(PROBE_TIMEOUT), autocommit=True) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def redis_ping(host: str, port: int) -> bool:
    """PING answers PONG; NOAUTH also proves a live server (one started with --requirepass)."""
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT) as sock:
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
    except OSError:
        return False
    return reply.startswith((b"+PONG", b"-NOAUTH"))


def tcp_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT):
            return True
    except OSError:
        return False


def command_succeeds(argv: Sequence[str], env: Mapping[str, str], cwd: Path, timeout: float = 10.0) -> bool:
    try:
        done = subprocess.run(
            list(argv),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0
