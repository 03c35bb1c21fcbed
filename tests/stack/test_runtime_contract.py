"""What both runtimes promise, one scenario each, run against Docker and against native host processes through
the real `devkit` CLI: the same URLs, health, no-op and recreate, logs, down keeping data, `--volumes` deleting
it, port conflicts found before anything starts, and a health timeout rolling back what it started.

What only one runtime has (compose's names and labels in the engine; secrets kept from host processes, PostgreSQL's
data outside the state dir) is checked by that runtime's `Side` at the same points of the same scenario.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import psycopg
import pytest

from devkit.stack.native.postgres import external_base
from tests.stack.conftest import (
    DEVKIT,
    FIXTURE_COMPOSE,
    FIXTURE_SERVICES,
    StackProject,
    containers_of,
    engine_verdicts,
    free_port_besides,
    marked_pids,
    project_leftovers,
)

SECRETS = {
    "DEVKIT_ANON_KEY": "secret-anonymization-key-0123456789",
    "DEVKIT_STAGING_DSN": "postgresql://app:staging-password@staging.internal:5432/mpac",
}


class Side:
    """One runtime's stack factory and the checks only it can make."""

    name: str
    health_timeout: int  # `up --timeout` when a service never gets healthy: the others must start well within it

    def stack(self, services: tuple[str, ...] = FIXTURE_SERVICES, compose_file: Path = FIXTURE_COMPOSE) -> StackProject:
        raise NotImplementedError

    def instances(self, stack: StackProject) -> dict[str, str]:
        """service -> what identifies the running instance (a container id, a pid)."""
        raise NotImplementedError

    def running(self, stack: StackProject) -> list[str]:
        """What of the stack still runs (containers, processes)."""
        raise NotImplementedError

    def nothing_left(self, stack: StackProject) -> None:
        """After a refused `up`: nothing of the stack was made."""
        assert self.running(stack) == []

    def after_first_up(self, stack: StackProject) -> None:
        pass

    def after_down(self, stack: StackProject) -> None:
        pass

    def after_volumes_deleted(self, stack: StackProject) -> None:
        pass


class DockerSide(Side):
    name = "docker"
    health_timeout = 5  # two containers to create and start on a loaded machine

    def __init__(self, make: Callable[..., StackProject], client: docker.DockerClient) -> None:
        self.make, self.client = make, client

    def stack(self, services: tuple[str, ...] = FIXTURE_SERVICES, compose_file: Path = FIXTURE_COMPOSE) -> StackProject:
        return self.make(services=services, compose_file=compose_file)

    def instances(self, stack: StackProject) -> dict[str, str]:
        return {service: attrs["Id"] for service, attrs in containers_of(self.client, stack.project).items()}

    def running(self, stack: StackProject) -> list[str]:
        return project_leftovers(self.client, stack.project)["containers"]

    def after_first_up(self, stack: StackProject) -> None:
        """Compose's names and labels, so `docker compose ps` and Docker Desktop group the stack; and one story:
        what `up` waited for is the engine's own verdict, the one `docker ps` shows."""
        project = stack.project
        assert engine_verdicts(self.client, project) == dict.fromkeys(FIXTURE_SERVICES, "healthy")
        containers = containers_of(self.client, project)
        assert set(containers) == set(FIXTURE_SERVICES)
        for service, attrs in containers.items():
            labels = attrs["Config"]["Labels"]
            assert attrs["Name"] == f"/{project}-{service}-1"
            assert labels["com.docker.compose.project"] == project
            assert labels["com.docker.compose.oneoff"] == "False"
            assert labels["com.docker.compose.container-number"] == "1"
            assert labels["com.docker.compose.project.config_files"] == str(FIXTURE_COMPOSE)
            assert len(labels["com.docker.compose.config-hash"]) == 64
            assert service in attrs["NetworkSettings"]["Networks"][f"{project}_default"]["Aliases"]
            assert not any(item.startswith(tuple(SECRETS)) for item in attrs["Config"]["Env"])
        assert containers["postgres"]["Config"]["Image"] == "devkit-test/postgres:15"
        assert containers["redis"]["Config"]["Image"] == "devkit-test/redis:7"
        assert containers["echo"]["Config"]["Image"] == "devkit-test/echo:dev"
        assert containers["redis"]["Config"]["Healthcheck"]["Interval"] == 2_000_000_000
        network = self.client.api.inspect_network(f"{project}_default")
        assert network["Labels"] == {"com.docker.compose.project": project, "com.docker.compose.network": "default"}
        for volume in ("postgres-data", "redis-data"):
            labels = self.client.api.inspect_volume(f"{project}_{volume}")["Labels"]
            assert labels == {"com.docker.compose.project": project, "com.docker.compose.volume": volume}

    def after_down(self, stack: StackProject) -> None:
        leftovers = project_leftovers(self.client, stack.project)
        assert leftovers["networks"] == []
        assert sorted(leftovers["volumes"]) == [f"{stack.project}_postgres-data", f"{stack.project}_redis-data"]

    def nothing_left(self, stack: StackProject) -> None:
        assert project_leftovers(self.client, stack.project) == {"containers": [], "volumes": [], "networks": []}

    def after_volumes_deleted(self, stack: StackProject) -> None:
        assert project_leftovers(self.client, stack.project) == {"containers": [], "volumes": [], "networks": []}


class NativeSide(Side):
    name = "native"
    health_timeout = 3  # two host processes: started in well under a second

    def __init__(self, make: Callable[..., StackProject]) -> None:
        self.make = make
        self.made: list[StackProject] = []

    def stack(self, services: tuple[str, ...] = FIXTURE_SERVICES, compose_file: Path = FIXTURE_COMPOSE) -> StackProject:
        project = self.make("native", services=services, compose_file=compose_file)
        self.made.append(project)
        return project

    @staticmethod
    def state(stack: StackProject) -> Path:
        return stack.root / "state" / stack.project

    def instances(self, stack: StackProject) -> dict[str, str]:
        state = self.state(stack)
        return {path.parent.name: str(json.loads(path.read_text())["pid"]) for path in state.glob("*/pid")}

    def running(self, stack: StackProject) -> list[str]:
        return [str(pid) for pid in marked_pids(self.state(stack))]

    def after_first_up(self, stack: StackProject) -> None:
        """devkit's own secrets are none of the servers' and services' business."""
        for pid in marked_pids(self.state(stack)):
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            assert b"DEVKIT_ANON_KEY" not in environ and b"staging-password" not in environ, pid

    def after_volumes_deleted(self, stack: StackProject) -> None:
        assert not (self.state(stack) / "postgres").exists()
        assert not external_base(self.state(stack), stack.project).exists()
        stack.ok("up", "postgres")  # a fresh cluster: the table went with the data
        dsn = next(item["url"] for item in stack.status()["services"] if item["service"] == "postgres")
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT to_regclass('survivor')").fetchone() == (None,)

    def cleanup(self) -> None:
        for stack in self.made:
            stack.devkit("down", "--volumes", "--yes")
            for pid in marked_pids(self.state(stack)):  # whatever `down` missed must not outlive the test
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            shutil.rmtree(external_base(self.state(stack), stack.project), ignore_errors=True)


@pytest.fixture(params=[pytest.param("docker", marks=pytest.mark.docker), "native"])
def side(request: pytest.FixtureRequest, stack_project: Callable[..., StackProject]) -> Iterator[Side]:
    if request.param == "docker":
        yield DockerSide(request.getfixturevalue("docker_stack"), request.getfixturevalue("docker_client"))
        return
    native = NativeSide(stack_project)
    yield native
    native.cleanup()


def redis_command(port: int, *words: str) -> bytes:
    request = f"*{len(words)}\r\n".encode() + b"".join(f"${len(w)}\r\n{w}\r\n".encode() for w in words)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        return sock.recv(1024)


def http_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def services_of(stack: StackProject, runtime: str) -> dict[str, dict]:
    status = stack.status()
    assert (status["project"], status["runtime"]) == (stack.project, runtime)
    return {item["service"]: item for item in status["services"]}


class _follow:
    """`devkit logs SERVICE -f` as a child process, stopped on exit."""

    def __init__(self, stack: StackProject, service: str) -> None:
        self.process = subprocess.Popen(
            [str(DEVKIT), "logs", service, "-f", "--tail", "0"],
            env=stack.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    def __enter__(self) -> subprocess.Popen:
        return self.process

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def test_up_status_noop_recreate_logs_down_up_down_volumes(side: Side) -> None:
    stack = side.stack()
    stack.env.update(SECRETS)

    # up from nothing: starts in depends_on order and waits for health; `devkit up` exits, the services run on.
    first = stack.ok("up", "--timeout", "180")
    assert "stack is up" in first.stderr
    assert f"runtime: {side.name}" in first.stderr
    services = services_of(stack, side.name)
    assert list(services) == list(FIXTURE_SERVICES)
    for item in services.values():
        assert (item["runtime"], item["state"], item["health"]) == (side.name, "running", "healthy"), item
    side.after_first_up(stack)

    # The same URLs whatever the runtime; the services answer through the published ports and reach each other
    # by service name (natively through `postgres:5432`/`redis:6379` rewritten to the host addresses).
    ports = stack.ports
    assert services["postgres"]["ports"] == [f"127.0.0.1:{ports['postgres']}->5432/tcp"]
    dsn = services["postgres"]["url"]
    assert dsn == f"postgresql://dev:dev@127.0.0.1:{ports['postgres']}/mpac_dev"
    assert services["echo"]["url"] == f"http://127.0.0.1:{ports['echo']}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT current_user, current_database()").fetchone() == ("dev", "mpac_dev")
        conn.execute("CREATE TABLE survivor (id int PRIMARY KEY, note text)")
        conn.execute("INSERT INTO survivor VALUES (1, 'kept across down/up')")
    assert redis_command(ports["redis"], "PING") == b"+PONG\r\n"
    assert redis_command(ports["redis"], "SET", "survivor", "yes") == b"+OK\r\n"
    assert http_json(services["echo"]["url"] + "/") == {
        "service": "echo",
        "database_reachable": True,
        "redis_pong": True,
    }

    # logs: a tail, and `logs -f` showing new lines as the service writes them.
    assert len(stack.ok("logs", "redis", "--tail", "1").stdout.splitlines()) == 1
    assert "Ready to accept connections" in stack.ok("logs", "redis").stdout
    with _follow(stack, "echo") as follower:
        assert follower.stdout is not None
        seen = ""
        deadline = time.monotonic() + 15
        while "GET /followed" not in seen and time.monotonic() < deadline:
            http_json(services["echo"]["url"] + "/followed")  # until `-f` has attached, a line may go unseen
            ready, _, _ = select.select([follower.stdout], [], [], 1)
            seen += follower.stdout.readline() if ready else ""
        assert "echo: GET /followed" in seen, "devkit logs -f printed nothing"

    # Everything healthy: `up` changes nothing and says so.
    instances = side.instances(stack)
    assert set(instances) == set(FIXTURE_SERVICES)
    assert "everything is already up and healthy; nothing changed" in stack.ok("up").stderr
    assert side.instances(stack) == instances

    # A changed spec for echo alone (another host port, as a second worktree would pick) replaces echo alone.
    old_echo_port = ports["echo"]
    ports["echo"] = free_port_besides(ports.values())
    stack.env["DEVKIT_PORT_ECHO"] = str(ports["echo"])
    assert "nothing changed" not in stack.ok("up").stderr
    after = side.instances(stack)
    assert after["echo"] != instances["echo"]
    assert (after["postgres"], after["redis"]) == (instances["postgres"], instances["redis"])
    assert http_json(f"http://127.0.0.1:{ports['echo']}/")["database_reachable"] is True
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", old_echo_port), timeout=2).close()

    # down stops everything and keeps the data; up finds it.
    assert "data kept" in stack.ok("down").stderr
    assert side.running(stack) == []
    side.after_down(stack)
    assert {item["state"] for item in services_of(stack, side.name).values()} == {"missing"}
    stack.ok("up")
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT note FROM survivor").fetchall() == [("kept across down/up",)]
    assert redis_command(ports["redis"], "GET", "survivor") == b"$3\r\nyes\r\n"

    # Deleting data needs a yes: without a TTY to ask on, --volumes alone is refused and changes nothing.
    refused = stack.devkit("down", "--volumes")
    assert refused.returncode == 7, refused.stderr
    assert "--yes" in refused.stderr
    assert {item["state"] for item in services_of(stack, side.name).values()} == {"running"}

    assert "data deleted" in stack.ok("down", "--volumes", "--yes").stderr
    assert side.running(stack) == []
    side.after_volumes_deleted(stack)


def test_port_conflict_is_found_before_anything_starts(side: Side) -> None:
    stack = side.stack()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", stack.ports["redis"]))
        holder.listen()
        result = stack.devkit("up", "--timeout", "60")
    assert result.returncode == 5, result.stderr
    (line,) = error_lines(result)
    assert f"port {stack.ports['redis']} for redis is in use by" in line
    assert f"(pid {os.getpid()})" in line  # this test process holds it
    assert "DEVKIT_PORT_REDIS" in line
    side.nothing_left(stack)
    assert {item["state"] for item in services_of(stack, side.name).values()} == {"missing"}


# `stuck` never passes its check. Its shell exits on SIGTERM, so the rollback takes no stop timeout; redis's check
# is off, so on Docker running is enough for it (as compose does it) and the timeout is stuck's alone.
NEVER_HEALTHY = """
services:
  redis:
    image: redis:7
    ports: ["127.0.0.1:6379:6379"]
    healthcheck: {disable: true}
  stuck:
    image: devkit-test/base:bookworm
    command: ["sh", "-c", "trap 'exit 0' TERM; echo stuck is starting; while :; do sleep 0.2; done"]
    ports: ["127.0.0.1:8080:8080"]
    depends_on: [redis]
    healthcheck:
      test: ["CMD-SHELL", "exit 1"]
      interval: 1s
      retries: 100
    x-devkit:
      native:
        command: "trap 'exit 0' TERM; echo stuck is starting; while :; do sleep 0.2; done"
        health: "exit 1"
"""


def test_health_timeout_prints_last_log_lines_and_rolls_back(side: Side, tmp_path: Path) -> None:
    compose = tmp_path / "never-healthy.yml"
    compose.write_text(NEVER_HEALTHY)
    stack = side.stack(services=("redis", "stuck"), compose_file=compose)
    began = time.monotonic()
    result = stack.devkit("up", "--timeout", str(side.health_timeout))
    assert result.returncode == 6, result.stderr
    assert time.monotonic() - began < 60
    (line,) = error_lines(result)
    assert f"stuck did not become healthy within {side.health_timeout}s" in line
    assert "last log lines:" in result.stderr
    assert "stuck is starting" in result.stderr
    # Rolled back: neither the stuck service nor the redis it started is left running.
    assert side.running(stack) == []
    assert {item["state"] for item in services_of(stack, side.name).values()} == {"missing"}
