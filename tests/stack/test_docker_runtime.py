"""The Docker runtime: pure naming/health/progress helpers, then the real `devkit` CLI against the real engine.

The stack is the suite's compose file (PostgreSQL, Redis and the `build:` service `echo`) on the suite's own
images (testbed/images), pointed at through DEVKIT_IMAGE_<SERVICE> as a user with a registry mirror would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest

from devkit.stack.docker import (
    PullProgress,
    build_step,
    container_labels,
    container_name,
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
from tests.stack.conftest import TEST_LABEL, StackProject, engine_verdicts, project_leftovers

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


def test_effective_health_check() -> None:
    """The compose file's own check wins over the kind's default (tests/stack/kinds); `disable: true` means none."""
    assert effective_healthcheck(ServiceSpec("cache", "redis", "redis:7")).test == ["CMD", "redis-cli", "ping"]
    assert effective_healthcheck(ServiceSpec("web", "service", "nginx")) is None
    own = HealthCheck(["CMD", "true"], interval=1.0)
    assert effective_healthcheck(ServiceSpec("db", "postgres", "postgres:15", healthcheck=own)) == own
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


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


# --- load ------------------------------------------------------------------------------------------------


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


# --- failures -------------------------------------------------------------------------------------------------


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
