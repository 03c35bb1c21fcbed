"""The native runtime end to end, through the real CLI: real PostgreSQL 15, real redis-server, the suite's echo
service as a host process, on free ports. No Docker involved.

The main cycle runs `devkit` as a subprocess, so every process it starts must outlive the command; the error
cases run in-process through typer's runner.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from devkit.cli import app
from devkit.stack.native_postgres import external_base
from devkit.stack.native_process import MARKER_VARIABLE
from testbed.servers import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE = REPO_ROOT / "tests" / "fixtures" / "stack" / "docker-compose.yml"
DEVKIT = Path(sys.executable).parent / "devkit"
STAGING_DSN = "postgresql://app:staging-password@staging.internal:5432/mpac"


def free_ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


def marked_pids(state: Path) -> list[int]:
    """Every process of this stack still alive: the native runtime marks each one's environment."""
    wanted = f"{MARKER_VARIABLE}={state}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if wanted in (entry / "environ").read_bytes().split(b"\0"):
                status = (entry / "stat").read_text()
                if status[status.rfind(")") + 2] != "Z":
                    pids.append(int(entry.name))
        except OSError:
            continue
    return pids


@dataclass
class NativeStack:
    """One isolated project: its own devkit.toml, state dir, project name and host ports."""

    root: Path
    state_root: Path
    compose: Path
    ports: dict[str, int]
    project: str = field(default_factory=lambda: f"nt-{uuid.uuid4().hex[:10]}")

    def __post_init__(self) -> None:
        self.config = self.root / "devkit.toml"
        self.config.write_text(f'[stack]\ncompose_file = "{self.compose}"\nstate_dir = "{self.state_root}"\n')

    @property
    def state(self) -> Path:
        return self.state_root / self.project

    def devkit_env(self, **extra: str) -> dict[str, str]:
        env = {
            "DEVKIT_CONFIG": str(self.config),
            "DEVKIT_PROJECT": self.project,
            "DEVKIT_RUNTIME": "native",
            **{f"DEVKIT_PORT_{name.upper()}": str(port) for name, port in self.ports.items()},
        }
        env.update(extra)
        return env

    def cli(self, *args: str, check: bool = True, **extra: str) -> subprocess.CompletedProcess[str]:
        """`devkit ARGS` as a user runs it: its own process, no TTY."""
        base = {key: value for key, value in os.environ.items() if not key.startswith("DEVKIT_")}
        env = {**base, **self.devkit_env(**extra), "NO_COLOR": "1", "COLUMNS": "200"}
        done = subprocess.run(
            [str(DEVKIT), *args], env=env, cwd=self.root, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=180,
        )  # fmt: skip
        if check:
            assert done.returncode == 0, f"devkit {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done

    def invoke(self, *args: str, **extra: str):  # -> click.testing.Result
        return CliRunner().invoke(app, list(args), env=self.devkit_env(**extra))

    def status(self) -> dict[str, dict]:
        document = json.loads(self.cli("status", "--json").stdout)
        assert document["runtime"] == "native"
        return {item["service"]: item for item in document["services"]}

    def pid(self, service: str) -> int:
        return json.loads((self.state / service / "pid").read_text())["pid"]

    def processes(self) -> list[int]:
        return marked_pids(self.state)

    def cleanup(self) -> None:
        self.cli("down", "--volumes", "--yes", check=False)
        for pid in self.processes():  # whatever `down` missed must not outlive the test
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(external_base(self.state, self.project), ignore_errors=True)


@pytest.fixture
def make_stack(tmp_path: Path) -> Iterator[Callable[..., NativeStack]]:
    made: list[NativeStack] = []

    def make(
        compose: Path = COMPOSE,
        services: tuple[str, ...] = ("postgres", "redis", "echo"),
        state_root: Path | None = None,
    ) -> NativeStack:
        root = tmp_path / f"project{len(made)}"
        root.mkdir()
        ports = dict(zip(services, free_ports(len(services)), strict=True))
        stack = NativeStack(root, state_root or root / "state", compose, ports)
        made.append(stack)
        return stack

    yield make
    for stack in made:
        stack.cleanup()


@pytest.fixture
def stack(make_stack: Callable[..., NativeStack]) -> NativeStack:
    return make_stack()


def redis_command(port: int, *words: str) -> bytes:
    request = f"*{len(words)}\r\n".encode() + b"".join(f"${len(w)}\r\n{w}\r\n".encode() for w in words)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        return sock.recv(1024)


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def follow_until(process: subprocess.Popen[str], needle: str, seconds: float) -> list[str]:
    """Lines of a `logs -f` process until one holds `needle` (or time runs out)."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            seen.append(lines.get(timeout=0.2))
        except queue.Empty:
            continue
        if needle in seen[-1]:
            break
    return seen


def test_full_cycle(stack: NativeStack) -> None:
    up = stack.cli("up", DEVKIT_ANON_KEY="secret-anonymization-key-0123456789", DEVKIT_STAGING_DSN=STAGING_DSN)
    assert "runtime: native" in up.stderr
    assert "stack is up" in up.stderr

    # devkit's own secrets are none of the servers' and services' business.
    for pid in stack.processes():
        environ = Path(f"/proc/{pid}/environ").read_bytes()
        assert b"DEVKIT_ANON_KEY" not in environ and b"staging-password" not in environ, pid

    # `devkit up` has exited: everything it started runs on, healthy, on the published ports.
    services = stack.status()
    assert list(services) == ["postgres", "redis", "echo"]
    for item in services.values():
        assert (item["runtime"], item["state"], item["health"]) == ("native", "running", "healthy"), item
    assert services["postgres"]["ports"] == [f"127.0.0.1:{stack.ports['postgres']}->5432/tcp"]
    dsn = services["postgres"]["url"]
    assert dsn == f"postgresql://dev:dev@127.0.0.1:{stack.ports['postgres']}/mpac_dev"
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT current_database(), current_user").fetchone() == ("mpac_dev", "dev")
        conn.execute("CREATE TABLE survivor (id int PRIMARY KEY, note text)")
        conn.execute("INSERT INTO survivor VALUES (1, 'kept across down/up')")
    assert redis_command(stack.ports["redis"], "PING") == b"+PONG\r\n"
    assert redis_command(stack.ports["redis"], "SET", "survivor", "yes") == b"+OK\r\n"
    # The echo service reached PostgreSQL and Redis through URLs rewritten from `postgres:5432`/`redis:6379`.
    echo = get_json(services["echo"]["url"] + "/")
    assert echo == {"service": "echo", "database_reachable": True, "redis_pong": True}

    tail = stack.cli("logs", "postgres", "--tail", "5").stdout.splitlines()
    assert len(tail) == 5
    assert any("ready to accept connections" in line for line in tail)

    # `logs -f` shows new lines as the service writes them.
    follower = subprocess.Popen(
        [str(DEVKIT), "logs", "echo", "-f", "--tail", "1"],
        env={**os.environ, **stack.devkit_env()}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        time.sleep(0.5)
        get_json(services["echo"]["url"] + "/followed")
        assert any("echo: GET /followed" in line for line in follow_until(follower, "/followed", 10))
    finally:
        follower.kill()
        follower.wait()

    # Again: a no-op.
    pids = {name: stack.pid(name) for name in services}
    again = stack.cli("up")
    assert "nothing changed" in again.stderr
    assert {name: stack.pid(name) for name in services} == pids

    # A changed spec for echo alone (another host port, as a second worktree would pick) restarts echo alone.
    old_echo_port, stack.ports["echo"] = stack.ports["echo"], free_ports(1)[0]
    changed = stack.cli("up")
    assert "nothing changed" not in changed.stderr
    assert stack.pid("echo") != pids["echo"]
    assert (stack.pid("postgres"), stack.pid("redis")) == (pids["postgres"], pids["redis"])
    assert get_json(f"http://127.0.0.1:{stack.ports['echo']}/")["database_reachable"] is True
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", old_echo_port), timeout=2).close()

    # down stops every process and keeps the data; up finds it.
    down = stack.cli("down")
    assert "data kept" in down.stderr
    assert stack.processes() == []
    assert {item["state"] for item in stack.status().values()} == {"missing"}
    stack.cli("up")
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT note FROM survivor").fetchall() == [("kept across down/up",)]
    assert redis_command(stack.ports["redis"], "GET", "survivor") == b"$3\r\nyes\r\n"

    # Deleting data needs a yes: without a TTY to ask on, --volumes alone is refused and changes nothing.
    refused = stack.invoke("down", "--volumes")
    assert refused.exit_code == 7, refused.output
    assert "--yes" in refused.stderr
    assert {item["state"] for item in stack.status().values()} == {"running"}

    gone = stack.cli("down", "--volumes", "--yes")
    assert "data deleted" in gone.stderr
    assert stack.processes() == []
    assert not (stack.state / "postgres").exists()
    assert not external_base(stack.state, stack.project).exists()
    stack.cli("up", "postgres")  # a fresh cluster: the table went with the data
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT to_regclass('survivor')").fetchone() == (None,)


def test_two_stacks_side_by_side(make_stack: Callable[..., NativeStack]) -> None:
    # One state dir where any user can reach it, one under pytest's 0700 tmp dir: as root, PostgreSQL's
    # data lands in the state dir in the first case and under /var/lib/devkit in the second.
    open_root = Path(tempfile.mkdtemp(prefix="devkit-native-", dir="/tmp"))
    os.chmod(open_root, 0o755)
    try:
        first = make_stack(state_root=open_root)
        second = make_stack()
        first.cli("up")
        second.cli("up")
        for stack in (first, second):
            services = stack.status()
            assert {item["health"] for item in services.values()} == {"healthy"}
            assert get_json(services["echo"]["url"] + "/") == {
                "service": "echo",
                "database_reachable": True,
                "redis_pong": True,
            }
        with psycopg.connect(first.status()["postgres"]["url"], autocommit=True) as conn:
            conn.execute("CREATE TABLE only_in_first (id int)")
        with psycopg.connect(second.status()["postgres"]["url"]) as conn:
            assert conn.execute("SELECT to_regclass('only_in_first')").fetchone() == (None,)
        if os.geteuid() == 0:
            assert (first.state / "postgres" / "data" / "pgdata" / "PG_VERSION").is_file()
            assert (external_base(second.state, second.project) / "postgres" / "pgdata" / "PG_VERSION").is_file()
            assert "/var/lib/devkit/" in second.cli("logs", "postgres").stdout
        first.cli("down", "--volumes", "--yes")
        assert first.processes() == []
        assert {item["health"] for item in second.status().values()} == {"healthy"}
    finally:
        for stack in (first, second):
            stack.cleanup()
        shutil.rmtree(open_root, ignore_errors=True)


def _assert_nothing_started(stack: NativeStack) -> None:
    assert stack.processes() == []
    assert {item["state"] for item in stack.status().values()} == {"missing"}


def _error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def test_missing_postgres_binaries(stack: NativeStack) -> None:
    result = stack.invoke("up", DEVKIT_POSTGRES_BIN="/nonexistent")
    assert result.exit_code == 4, result.output
    [error] = _error_lines(result.stderr)
    assert "/nonexistent" in error
    assert "apt-get install postgresql-15" in error
    _assert_nothing_started(stack)


def test_missing_redis_server(stack: NativeStack) -> None:
    result = stack.invoke("up", DEVKIT_REDIS_SERVER="/nonexistent/redis-server")
    assert result.exit_code == 4, result.output
    [error] = _error_lines(result.stderr)
    assert "redis-server not found at /nonexistent/redis-server" in error
    assert "apt-get install redis-server" in error
    _assert_nothing_started(stack)
    assert not (stack.state / "postgres" / "data").exists()  # not even initdb ran


def test_port_in_use(stack: NativeStack) -> None:
    port = stack.ports["postgres"]
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        result = stack.invoke("up")
    assert result.exit_code == 5, result.output
    [error] = _error_lines(result.stderr)
    assert f"port {port} for postgres is in use by" in error
    assert f"pid {os.getpid()}" in error
    assert "DEVKIT_PORT_POSTGRES" in error
    _assert_nothing_started(stack)


def test_health_timeout_rolls_back(tmp_path: Path, make_stack: Callable[..., NativeStack]) -> None:
    compose = tmp_path / "stuck-compose.yml"
    compose.write_text(
        """
services:
  redis:
    image: redis:7
    ports: ["127.0.0.1:6379:6379"]
  stuck:
    image: busybox
    ports: ["127.0.0.1:8080:8080"]
    depends_on: [redis]
    x-devkit:
      native:
        command: "echo stuck is starting; exec sleep 300"
        health: "exit 1"
"""
    )
    stack = make_stack(compose=compose, services=("redis", "stuck"))
    began = time.monotonic()
    result = stack.invoke("up", "--timeout", "3")
    assert result.exit_code == 6, result.output
    assert time.monotonic() - began < 30
    [error] = _error_lines(result.stderr)
    assert "stuck did not become healthy within 3s" in error
    assert "stuck is starting" in result.stderr  # its last log lines
    # Rolled back: neither the stuck service nor the healthy redis it started is left running.
    assert stack.processes() == []
    assert {item["state"] for item in stack.status().values()} == {"missing"}


def test_service_without_native_command(tmp_path: Path, make_stack: Callable[..., NativeStack]) -> None:
    compose = tmp_path / "docker-only.yml"
    compose.write_text('services:\n  web:\n    image: nginx\n    ports: ["127.0.0.1:8080:80"]\n')
    stack = make_stack(compose=compose, services=("web",))
    result = stack.invoke("up")
    assert result.exit_code == 3, result.output
    [error] = _error_lines(result.stderr)
    assert "'web' has no native command" in error
    assert "x-devkit" in error
    _assert_nothing_started(stack)


def _two_ups_at_once(stack: NativeStack) -> list[subprocess.CompletedProcess[str]]:
    """Two `devkit up`s started together, as two terminals (or a script and a person) do."""
    base = {key: value for key, value in os.environ.items() if not key.startswith("DEVKIT_")}
    env = {**base, **stack.devkit_env(), "NO_COLOR": "1", "COLUMNS": "200"}
    runs = [
        subprocess.Popen(
            [str(DEVKIT), "up"],
            env=env,
            cwd=stack.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = []
    for run in runs:
        stdout, stderr = run.communicate(timeout=180)
        results.append(subprocess.CompletedProcess(run.args, run.returncode, stdout, stderr))
    return results


def redis_servers_on(port: int) -> list[int]:
    """redis-server processes serving `port`, whoever started them (their title says `redis-server ADDR:PORT`)."""
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            title = (entry / "cmdline").read_bytes().split(b"\0")[0] if entry.name.isdigit() else b""
            program = title.split(b" ")[0].rsplit(b"/", 1)[-1]
            if program == b"redis-server" and title.endswith(f":{port}".encode()):
                found.append(int(entry.name))
    return found


def _one_stack(stack: NativeStack) -> None:
    """Every service runs once, from the process its pid file names; nothing else of the stack runs."""
    services = stack.status()
    assert {name: (item["state"], item["health"]) for name, item in services.items()} == {
        name: ("running", "healthy") for name in ("postgres", "redis", "echo")
    }
    named = {stack.pid(name) for name in services}
    assert redis_servers_on(stack.ports["redis"]) == [stack.pid("redis")]
    assert named <= set(stack.processes()) | set(redis_servers_on(stack.ports["redis"]))


def test_two_ups_at_once_make_one_stack(stack: NativeStack) -> None:
    for start in ("fresh", "stopped"):
        first, second = _two_ups_at_once(stack)
        assert (first.returncode, second.returncode) == (0, 0), (first.stderr, second.stderr)
        waited = [run for run in (first, second) if "waiting for `devkit up` (pid " in run.stderr]
        assert len(waited) == 1, (start, first.stderr, second.stderr)
        assert "nothing changed" in waited[0].stderr, start  # it found the other's stack up and healthy
        _one_stack(stack)
        stack.cli("down")  # keeps the data: the second round starts a stopped stack

    gone = stack.cli("down", "--volumes", "--yes")
    assert "data deleted" in gone.stderr
    assert stack.processes() == [] and redis_servers_on(stack.ports["redis"]) == []
