"""The native runtime end to end where it differs from Docker (the scenarios both runtimes share are in
tests/stack/test_runtime_contract.py): real PostgreSQL 15, real redis-server, the suite's echo service as a host
process, on free ports. No Docker involved.

Stacks side by side and concurrent `up`s run `devkit` as a subprocess, so every process it starts must outlive the
command; the error cases run in-process through typer's runner.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from devkit.cli import app
from devkit.stack.native.postgres import external_base
from testbed.servers import free_port
from tests.stack.conftest import marked_pids

REPO_ROOT = Path(__file__).resolve().parents[3]
COMPOSE = REPO_ROOT / "tests" / "fixtures" / "stack" / "docker-compose.yml"
DEVKIT = Path(sys.executable).parent / "devkit"


def free_ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


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


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


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
