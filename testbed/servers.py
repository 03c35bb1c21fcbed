"""Real PostgreSQL 15 and Redis 7 servers for the tests, started from the machine's binaries on free ports.

As root, PostgreSQL runs as the `postgres` OS user (it refuses root), the way the native runtime does it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

PG_BINDIR_CANDIDATES = ("/usr/lib/postgresql/15/bin",)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_bindir() -> Path:
    for candidate in PG_BINDIR_CANDIDATES:
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise RuntimeError("PostgreSQL 15 binaries not found; .ci/run installs postgresql-15")


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class PostgresServer:
    port: int
    datadir: Path
    bindir: Path
    user: str = "postgres"
    password: str = "postgres"
    host: str = "127.0.0.1"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    @contextmanager
    def database(self, prefix: str = "t") -> Iterator[str]:
        """A fresh, empty database with a unique name; its DSN. Dropped afterwards, whatever happened."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield self.dsn(name)
        finally:
            with psycopg.connect(self.dsn(), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        subprocess.run(
            _as_postgres([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop"]),
            capture_output=True,
        )


def start_postgres(base: Path) -> PostgresServer:
    bindir = pg_bindir()
    base.mkdir(parents=True, exist_ok=True)
    datadir = base / "pgdata"
    pwfile = base / "pwfile"
    pwfile.write_text("postgres\n")
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        for path in (base, pwfile):
            os.chown(path, account.pw_uid, account.pw_gid)
        # Every parent must be traversable by the postgres user.
        for parent in base.parents:
            if parent == Path("/"):
                break
            mode = parent.stat().st_mode
            if not mode & 0o001:
                os.chmod(parent, mode | 0o001)
    subprocess.run(
        _as_postgres(
            [str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres", f"--pwfile={pwfile}"]
            + ["-A", "scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]
        ),
        check=True,
        capture_output=True,
    )
    port = free_port()
    options = f"-p {port} -c listen_addresses=127.0.0.1 -k {base} -c fsync=off -c synchronous_commit=off"
    options += " -c full_page_writes=off -c max_connections=200"
    subprocess.run(
        _as_postgres(
            [str(bindir / "pg_ctl"), "-D", str(datadir), "-o", options, "-l", str(base / "log"), "-w", "start"]
        ),
        check=True,
        capture_output=True,
    )
    return PostgresServer(port=port, datadir=datadir, bindir=bindir)


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def start_redis(base: Path) -> RedisServer:
    binary = shutil.which("redis-server")
    if not binary:
        raise RuntimeError("redis-server not found; .ci/run installs redis-server")
    base.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(base)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return RedisServer(port, process)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not answer PING")


_TICKS = os.sysconf("SC_CLK_TCK")


def server_cpu(datadir: Path | None) -> float:
    """CPU seconds the whole server has used so far: the postmaster's own and its reaped children's (backends that
    ended) plus every live child's. None of it is the client's, so load from other processes on a shared machine
    does not inflate it. 0 when the server is not ours (a bench given --dsn)."""
    if datadir is None:
        return 0.0
    postmaster = int((datadir / "postmaster.pid").read_text().split()[0])
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, parent = int(stat.parent.name), int(fields[1])
        if pid == postmaster:
            total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
        elif parent == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / _TICKS
