"""The Docker runtime: pure naming/health/progress helpers, then the real `devkit` CLI against the real engine.

The stack is the suite's compose file (PostgreSQL, Redis and the `build:` service `echo`) on the suite's own
images (testbed/images), pointed at through DEVKIT_IMAGE_<SERVICE> as a user with a registry mirror would.
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import psycopg
import pytest

from devkit.stack.docker import (
    PullProgress,
    build_step,
    container_labels,
    container_name,
    default_healthcheck,
    effective_healthcheck,
    engine_health,
    engine_healthcheck,
    image_name,
    network_name,
    one_line,
    port_bindings,
    published_ports,
    volume_name,
)
from devkit.stack.spec import DISABLED_HEALTHCHECK, BuildSpec, HealthCheck, PortMapping, ServiceSpec, StackSpec
from tests.stack.conftest import DEVKIT, FIXTURE_COMPOSE, TEST_LABEL, StackProject, project_leftovers

pytestmark = pytest.mark.docker

# --- pure helpers ----------------------------------------------------------------------------------------------


def _stack(*services: ServiceSpec) -> StackSpec:
    return StackSpec("shop", Path("/src/shop/compose.yml"), {s.name: s for s in services}, ("pgdata",))


def test_compose_names() -> None:
    assert network_name("shop") == "shop_default"
    assert volume_name("shop", "pgdata") == "shop_pgdata"
    assert container_name("shop", "svc-portal") == "shop-svc-portal-1"
    built = ServiceSpec("portal", "service", None, build=BuildSpec(Path("/src/portal")))
    assert image_name(_stack(built), built) == "shop-portal"
    named = ServiceSpec("portal", "service", "team/portal:dev", build=BuildSpec(Path("/src/portal")))
    assert image_name(_stack(named), named) == "team/portal:dev"


def test_container_labels_are_compose_labels_plus_the_services_own() -> None:
    service = ServiceSpec(
        "postgres", "postgres", "postgres:15", labels={"team": "pos", "com.docker.compose.service": "spoofed"}
    )
    labels = container_labels(_stack(service), service)
    assert labels == {
        "team": "pos",
        "com.docker.compose.project": "shop",
        "com.docker.compose.service": "postgres",
        "com.docker.compose.container-number": "1",
        "com.docker.compose.oneoff": "False",
        "com.docker.compose.config-hash": service.config_hash,
        "com.docker.compose.project.working_dir": "/src/shop",
        "com.docker.compose.project.config_files": "/src/shop/compose.yml",
    }


def test_default_health_checks() -> None:
    postgres = ServiceSpec(
        "db", "postgres", "postgres:15", environment={"POSTGRES_USER": "dev", "POSTGRES_DB": "mpac_dev"}
    )
    check = default_healthcheck(postgres)
    assert check is not None
    assert check.test == ["CMD-SHELL", "pg_isready -U dev -d mpac_dev -h 127.0.0.1"]
    # `up` waits for the engine's verdict: a short interval (and start_interval on newer engines) keeps it quick.
    assert (check.interval, check.start_interval) == (2.0, 0.5)
    redis = ServiceSpec("cache", "redis", "redis:7")
    assert default_healthcheck(redis) == HealthCheck(["CMD", "redis-cli", "ping"], 2.0, 5.0, 30, 60.0, 0.5)
    assert default_healthcheck(ServiceSpec("web", "service", "nginx")) is None
    own = HealthCheck(["CMD", "true"], interval=1.0)
    assert effective_healthcheck(ServiceSpec("db", "postgres", "postgres:15", healthcheck=own)) == own
    # `healthcheck: {disable: true}` means none, not devkit's default for the kind.
    assert effective_healthcheck(ServiceSpec("db", "postgres", "postgres:15", healthcheck=DISABLED_HEALTHCHECK)) is None


def test_health_check_in_engine_terms() -> None:
    check = HealthCheck(
        ["CMD-SHELL", "pg_isready -h 127.0.0.1"],
        interval=2.0,
        timeout=0.5,
        retries=30,
        start_period=1.5,
        start_interval=0.25,
    )
    older = {
        "Test": ["CMD-SHELL", "pg_isready -h 127.0.0.1"],
        "Interval": 2_000_000_000,
        "Timeout": 500_000_000,
        "Retries": 30,
        "StartPeriod": 1_500_000_000,
    }
    assert engine_healthcheck(check, "1.41") == older  # Engine 20.10 knows no StartInterval
    assert engine_healthcheck(check, "1.44") == {**older, "StartInterval": 250_000_000}
    assert "StartInterval" not in engine_healthcheck(HealthCheck(["CMD", "true"]), "1.45")


def test_engine_health_is_what_docker_ps_shows() -> None:
    assert engine_health(None) == "none"
    assert engine_health({"State": {"Running": True}}) == "none"
    for verdict in ("starting", "healthy", "unhealthy"):
        assert engine_health({"State": {"Running": True, "Health": {"Status": verdict, "Log": []}}}) == verdict


def test_ports() -> None:
    service = ServiceSpec(
        "web",
        "service",
        "nginx",
        ports=(PortMapping(80, 8080, "127.0.0.1"), PortMapping(80, 8081), PortMapping(53, 5353, protocol="udp")),
    )
    assert port_bindings(service) == {"80/tcp": [("127.0.0.1", 8080), ("0.0.0.0", 8081)], "53/udp": [("0.0.0.0", 5353)]}
    attrs = {"NetworkSettings": {"Ports": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}], "443/tcp": None}}}
    assert published_ports(attrs) == ["127.0.0.1:8080->80/tcp"]


def test_build_steps_and_pull_progress() -> None:
    assert build_step("Step 3/5 : COPY server.py /app/server.py\n") == (3, 5, "COPY server.py /app/server.py")
    assert build_step(" ---> Using cache\n") is None
    progress = PullProgress()
    assert not progress.update({"status": "Pulling from library/redis", "id": "7"})
    assert progress.update({"status": "Downloading", "id": "a", "progressDetail": {"current": 10, "total": 100}})
    assert progress.update({"status": "Downloading", "id": "b", "progressDetail": {"current": 5, "total": 50}})
    assert (progress.done, progress.total) == (15, 150)
    assert progress.update({"status": "Download complete", "id": "a"})
    assert (progress.done, progress.total) == (105, 150)


def test_one_line_error_text() -> None:
    assert one_line("Get http://127.0.0.1:9/v2/:\n  dial tcp: connection refused") == (
        "Get http://127.0.0.1:9/v2/: dial tcp: connection refused"
    )


# --- helpers for the real stack --------------------------------------------------------------------------------


def redis_ping(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(64)


def http_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def containers_of(client: docker.DockerClient, project: str) -> dict[str, dict]:
    """service -> inspect data, for the project's containers."""
    found = client.api.containers(all=True, filters={"label": f"com.docker.compose.project={project}"})
    result = {}
    for summary in found:
        attrs = client.api.inspect_container(summary["Id"])
        result[attrs["Config"]["Labels"]["com.docker.compose.service"]] = attrs
    return result


def engine_verdicts(client: docker.DockerClient, project: str) -> dict[str, str]:
    """service -> the health `docker ps` shows, read straight from the engine."""
    return {
        service: attrs["State"]["Health"]["Status"] if attrs["State"].get("Health") else "none"
        for service, attrs in containers_of(client, project).items()
    }


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def changed_compose(tmp_path: Path, greeting: str) -> Path:
    """The suite's compose file as a user would edit it: one more variable for `echo`, nothing else changed."""
    text = FIXTURE_COMPOSE.read_text()
    edited = text.replace('      PORT: "8080"\n', f'      PORT: "8080"\n      GREETING: "{greeting}"\n').replace(
        "context: ./echo", f"context: {FIXTURE_COMPOSE.parent / 'echo'}"
    )
    assert edited.count("GREETING") == 1 and str(FIXTURE_COMPOSE.parent) in edited
    path = tmp_path / "docker-compose.changed.yml"
    path.write_text(edited)
    return path


# --- the cycle ------------------------------------------------------------------------------------------------


def test_up_status_noop_recreate_down_up_down_volumes(
    docker_stack: Callable[..., StackProject], docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    stack = docker_stack()
    project = stack.project

    # up from nothing: pulls nothing (images are local), builds echo, starts in depends_on order, waits for health.
    first = stack.ok("up", "--timeout", "180")
    assert "stack is up" in first.stderr
    assert "runtime: docker — Docker " in first.stderr

    status = stack.status()
    assert status["project"] == project and status["runtime"] == "docker"
    services = {item["service"]: item for item in status["services"]}
    assert {name: (s["state"], s["health"]) for name, s in services.items()} == {
        "postgres": ("running", "healthy"),
        "redis": ("running", "healthy"),
        "echo": ("running", "healthy"),
    }
    # One story: what `up` waited for is the engine's own verdict, the one `docker ps` shows.
    assert engine_verdicts(docker_client, project) == {name: "healthy" for name in services}
    postgres_port, redis_port, echo_port = (stack.ports[name] for name in ("postgres", "redis", "echo"))
    assert services["postgres"]["ports"] == [f"127.0.0.1:{postgres_port}->5432/tcp"]
    dsn = services["postgres"]["url"]
    assert dsn == f"postgresql://dev:dev@127.0.0.1:{postgres_port}/mpac_dev"

    # The services answer through the published ports, and reach each other by service name.
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT current_user, current_database()").fetchone() == ("dev", "mpac_dev")
        conn.execute("CREATE TABLE merchants (id int PRIMARY KEY, name text)")
        conn.execute("INSERT INTO merchants VALUES (1, 'Ramen Ichiban')")
    assert redis_ping(redis_port).startswith(b"+PONG")
    assert http_json(services["echo"]["url"]) == {"service": "echo", "database_reachable": True, "redis_pong": True}
    assert services["echo"]["url"] == f"http://127.0.0.1:{echo_port}"

    # Compose's names and labels, so `docker compose ps` and Docker Desktop group the stack.
    containers = containers_of(docker_client, project)
    assert set(containers) == {"postgres", "redis", "echo"}
    for service, attrs in containers.items():
        labels = attrs["Config"]["Labels"]
        assert attrs["Name"] == f"/{project}-{service}-1"
        assert labels["com.docker.compose.project"] == project
        assert labels["com.docker.compose.oneoff"] == "False"
        assert labels["com.docker.compose.container-number"] == "1"
        assert labels["com.docker.compose.project.config_files"] == str(FIXTURE_COMPOSE)
        assert len(labels["com.docker.compose.config-hash"]) == 64
        network = attrs["NetworkSettings"]["Networks"][f"{project}_default"]
        assert service in network["Aliases"]
    assert containers["postgres"]["Config"]["Image"] == "devkit-test/postgres:15"
    assert containers["redis"]["Config"]["Image"] == "devkit-test/redis:7"
    assert containers["echo"]["Config"]["Image"] == "devkit-test/echo:dev"
    assert containers["redis"]["Config"]["Healthcheck"]["Interval"] == 2_000_000_000
    network = docker_client.api.inspect_network(f"{project}_default")
    assert network["Labels"] == {"com.docker.compose.project": project, "com.docker.compose.network": "default"}
    for volume in ("postgres-data", "redis-data"):
        labels = docker_client.api.inspect_volume(f"{project}_{volume}")["Labels"]
        assert labels == {"com.docker.compose.project": project, "com.docker.compose.volume": volume}
    ids = {service: attrs["Id"] for service, attrs in containers.items()}

    # Everything healthy: `up` changes nothing and says so.
    again = stack.ok("up")
    assert "everything is already up and healthy; nothing changed" in again.stderr
    assert {s: a["Id"] for s, a in containers_of(docker_client, project).items()} == ids

    # A changed spec recreates only that service.
    stack.use_compose(changed_compose(tmp_path, "konnichiwa"))
    changed = stack.ok("up")
    assert "stack is up" in changed.stderr
    after = containers_of(docker_client, project)
    assert after["postgres"]["Id"] == ids["postgres"] and after["redis"]["Id"] == ids["redis"]
    assert after["echo"]["Id"] != ids["echo"]
    assert "GREETING=konnichiwa" in after["echo"]["Config"]["Env"]
    assert http_json(f"http://127.0.0.1:{echo_port}/")["database_reachable"] is True

    # logs: tail, and follow through the real CLI.
    tail = stack.ok("logs", "redis", "--tail", "1").stdout.splitlines()
    assert len(tail) == 1
    assert "Ready to accept connections" in stack.ok("logs", "redis").stdout
    with _follow(stack, "echo") as follower:
        http_json(f"http://127.0.0.1:{echo_port}/")  # make a fresh line appear
        assert follower.stdout is not None
        ready, _, _ = select.select([follower.stdout], [], [], 15)
        assert ready, "devkit logs -f printed nothing"
        assert follower.stdout.readline().startswith("echo: GET /")

    # down keeps the data; up finds it.
    down = stack.ok("down")
    assert "data kept" in down.stderr
    leftovers = project_leftovers(docker_client, project)
    assert leftovers["containers"] == [] and leftovers["networks"] == []
    assert sorted(leftovers["volumes"]) == [f"{project}_postgres-data", f"{project}_redis-data"]
    assert {s["service"]: s["state"] for s in stack.status()["services"]} == dict.fromkeys(
        ("postgres", "redis", "echo"), "missing"
    )
    stack.ok("up")
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT name FROM merchants").fetchall() == [("Ramen Ichiban",)]

    # down --volumes deletes it all.
    gone = stack.ok("down", "--volumes", "--yes")
    assert "data deleted" in gone.stderr
    assert project_leftovers(docker_client, project) == {"containers": [], "volumes": [], "networks": []}


@pytest.fixture
def busy_cores() -> Iterator[None]:
    """Every core spinning, as on a loaded 2-core CI machine: health checks run late and slow."""
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(max(2, os.cpu_count() or 2))
    ]
    yield
    for spinner in spinners:
        spinner.kill()
        spinner.wait()


def test_up_status_and_the_engine_tell_one_story_under_load(
    docker_stack: Callable[..., StackProject], docker_client: docker.DockerClient, busy_cores: None
) -> None:
    """Cold (initdb inside the container: the engine's first checks fail) and warm starts, both cores busy:
    `up` calls nothing healthy before the engine does, and `status` right after it says what `docker ps` says."""
    stack = docker_stack()
    for start in ("cold", "warm"):
        result = stack.ok("up", "--timeout", "240")
        engine = engine_verdicts(docker_client, stack.project)
        status = {item["service"]: item["health"] for item in stack.status()["services"]}
        assert engine == status == {"postgres": "healthy", "redis": "healthy", "echo": "healthy"}, start
        # The table `up` ends with: service, runtime, state, health, ...
        rows = [[cell.strip() for cell in line.strip().strip("│").split("│")] for line in result.stdout.splitlines()]
        assert {row[0]: row[3] for row in rows if row[1:3] == ["docker", "running"]} == engine, result.stdout
        stack.ok("down")  # keeps the volumes: the second round starts on initialized data


class _follow:
    """`devkit logs SERVICE -f` as a child process, stopped on exit."""

    def __init__(self, stack: StackProject, service: str) -> None:
        self.process = subprocess.Popen(
            [str(DEVKIT), "logs", service, "-f", "--tail", "0"],
            env=stack.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def __enter__(self) -> subprocess.Popen:
        return self.process

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


# --- failures -------------------------------------------------------------------------------------------------


@pytest.fixture
def listening_socket() -> Iterator[Callable[[int], socket.socket]]:
    opened: list[socket.socket] = []

    def listen(port: int) -> socket.socket:
        sock = socket.socket()
        sock.bind(("127.0.0.1", port))
        sock.listen(1)
        opened.append(sock)
        return sock

    yield listen
    for sock in opened:
        sock.close()


def test_port_conflict_is_found_before_anything_starts(
    docker_stack: Callable[..., StackProject],
    docker_client: docker.DockerClient,
    listening_socket: Callable[[int], socket.socket],
) -> None:
    stack = docker_stack()
    listening_socket(stack.ports["redis"])
    result = stack.devkit("up", "--timeout", "60")
    assert result.returncode == 5, result.stderr
    (line,) = error_lines(result)
    assert f"port {stack.ports['redis']} for redis is in use by" in line
    assert f"(pid {os.getpid()})" in line  # this test process holds it
    assert "DEVKIT_PORT_REDIS" in line
    assert project_leftovers(docker_client, stack.project) == {"containers": [], "volumes": [], "networks": []}


def test_port_held_by_another_container_names_the_container(
    docker_stack: Callable[..., StackProject], docker_client: docker.DockerClient
) -> None:
    stack = docker_stack()
    holder = f"{stack.project}-squatter"
    docker_client.api.start(
        docker_client.api.create_container(
            "devkit-test/redis:7",
            name=holder,
            labels={TEST_LABEL: stack.project},
            ports=[6379],
            host_config=docker_client.api.create_host_config(port_bindings={6379: ("127.0.0.1", stack.ports["redis"])}),
        )
    )
    result = stack.devkit("up", "--timeout", "60")
    assert result.returncode == 5, result.stderr
    (line,) = error_lines(result)
    assert f"port {stack.ports['redis']} for redis is in use by container {holder}" in line
    assert project_leftovers(docker_client, stack.project)["containers"] == [holder]


def test_image_that_cannot_be_pulled_names_image_and_setting(
    docker_stack: Callable[..., StackProject], docker_client: docker.DockerClient
) -> None:
    # A registry on a closed loopback port: the pull fails at once and nothing leaves the machine.
    stack = docker_stack(extra_env={"DEVKIT_IMAGE_REDIS": "127.0.0.1:9/nope:1"})
    result = stack.devkit("up", "--timeout", "60")
    assert result.returncode == 4, result.stderr
    (line,) = error_lines(result)
    assert "image '127.0.0.1:9/nope:1' for service 'redis' can't be pulled" in line
    assert "DEVKIT_IMAGE_REDIS" in line and "DEVKIT_IMAGE_PREFIX" in line
    assert "Traceback" not in result.stderr
    assert project_leftovers(docker_client, stack.project) == {"containers": [], "volumes": [], "networks": []}


def test_health_timeout_prints_last_log_lines_and_removes_what_it_started(
    docker_stack: Callable[..., StackProject], docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    compose = tmp_path / "never-healthy.yml"
    compose.write_text(
        """
services:
  postgres:
    image: postgres:15
    environment: {POSTGRES_DB: mpac_dev, POSTGRES_USER: dev, POSTGRES_PASSWORD: dev}
    ports: ["127.0.0.1:5432:5432"]
    healthcheck: {disable: true}  # running is enough: the 5 s are redis's alone, however loaded the machine
  redis:
    image: redis:7
    command: ["redis-server", "--appendonly", "yes"]
    ports: ["127.0.0.1:6379:6379"]
    healthcheck:
      test: ["CMD-SHELL", "exit 1"]
      interval: 1s
      retries: 100
"""
    )
    stack = docker_stack(services=("postgres", "redis"), compose_file=compose)
    result = stack.devkit("up", "--timeout", "5")
    assert result.returncode == 6, result.stderr
    (line,) = error_lines(result)
    assert "redis did not become healthy within 5s" in line
    assert "last log lines:" in result.stderr
    assert "Ready to accept connections" in result.stderr
    assert project_leftovers(docker_client, stack.project)["containers"] == []


def test_no_engine_with_runtime_docker_says_what_was_tried(
    docker_stack: Callable[..., StackProject], docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    dead = f"unix://{tmp_path}/dead.sock"
    stack = docker_stack(extra_env={"DOCKER_HOST": dead})
    result = stack.devkit("up", "--runtime", "docker")
    assert result.returncode == 4, result.stderr
    (line,) = error_lines(result)
    assert line == (
        f"error: no Docker engine answered (tried: DOCKER_HOST={dead}: no such socket) — "
        "start the engine DOCKER_HOST points at, fix or unset DOCKER_HOST, or use --runtime native"
    )
    assert project_leftovers(docker_client, stack.project)["containers"] == []


def test_build_failure_names_image_service_and_dockerfile(
    docker_stack: Callable[..., StackProject], docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    context = tmp_path / "broken"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM devkit-test/base:bookworm\nRUN echo compiling && exit 3\n")
    compose = tmp_path / "broken.yml"
    compose.write_text(
        f"""
services:
  broken:
    build: {{context: {context}}}
    ports: ["127.0.0.1:8080:8080"]
"""
    )
    stack = docker_stack(services=("broken",), compose_file=compose)
    result = stack.devkit("up", "--timeout", "30")
    assert result.returncode == 4, result.stderr
    (line,) = error_lines(result)
    assert f"building image '{stack.project}-broken' for service 'broken' failed" in line
    assert "returned a non-zero code: 3" in line
    assert f"fix {context / 'Dockerfile'} (step 2/2: RUN echo compiling && exit 3)" in line
    assert project_leftovers(docker_client, stack.project) == {"containers": [], "volumes": [], "networks": []}
