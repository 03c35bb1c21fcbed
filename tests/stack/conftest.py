"""Fixtures for the stack tests: an isolated devkit project per test, driven through the real `devkit` CLI.

`stack_project` is runtime-agnostic (the native tests can use it with runtime="native"); `docker_stack` adds the
real Docker engine, the suite's locally built images (testbed/images) and a finalizer that removes every container,
volume and network carrying the test project's compose label.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors
import pytest

from devkit.stack.native.process import MARKER_VARIABLE
from testbed.images.build import POSTGRES_IMAGE, REDIS_IMAGE, ensure_test_images
from testbed.servers import free_port
from tests.engine import EngineUnavailable, ensure_engine

FIXTURE_COMPOSE = Path(__file__).resolve().parent.parent / "fixtures" / "stack" / "docker-compose.yml"
DEVKIT = Path(sys.executable).parent / "devkit"
# Services of the fixture compose file and the DEVKIT_PORT_<SERVICE> each one gets.
FIXTURE_SERVICES = ("postgres", "redis", "echo")
TEST_LABEL = "org.devkit-test.project"  # on helper containers a test starts itself (not through devkit)


@dataclass
class StackProject:
    """One devkit project in a temp dir: its settings file, unique name, free ports and the CLI's environment."""

    root: Path
    project: str
    ports: dict[str, int]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def config_file(self) -> Path:
        return self.root / "devkit.toml"

    def devkit(
        self, *args: str, timeout: float = 300, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess:
        """Run the real console script; the caller checks returncode, stdout (data) and stderr (messages)."""
        return subprocess.run(
            [str(DEVKIT), *args],
            env={**self.env, **(env or {})},
            cwd=self.root,
            stdin=subprocess.DEVNULL,  # as a script runs it: no TTY to ask on
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def ok(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        result = self.devkit(*args, timeout=timeout)
        assert result.returncode == 0, f"devkit {' '.join(args)} failed ({result.returncode}):\n{result.stderr}"
        return result

    def status(self) -> dict:
        return json.loads(self.ok("status", "--json").stdout)

    def use_compose(self, path: Path) -> None:
        self.env["DEVKIT_COMPOSE_FILE"] = str(path)


def free_port_besides(taken: Iterable[int]) -> int:
    """A free port none of `taken` is: the kernel may hand out a just-closed port again, and two services of one
    stack on the same host port is a refused compose file, not the scenario under test."""
    used = set(taken)
    while (port := free_port()) in used:
        pass
    return port


def _clean_environ() -> dict[str, str]:
    """The outer environment minus anything that would point devkit or docker elsewhere."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DEVKIT_", "DOCKER_", "COMPOSE_")) and key not in ("NO_COLOR", "COLUMNS")
    }


@pytest.fixture
def stack_project(tmp_path: Path) -> Callable[..., StackProject]:
    """Factory: `stack_project(runtime="docker", services=("postgres", ...), compose_file=...)`."""

    def make(
        runtime: str,
        services: tuple[str, ...] = FIXTURE_SERVICES,
        compose_file: Path = FIXTURE_COMPOSE,
        extra_env: dict[str, str] | None = None,
    ) -> StackProject:
        root = tmp_path / "project"
        root.mkdir(exist_ok=True)
        (root / "devkit.toml").write_text(f'[stack]\ncompose_file = "{compose_file}"\n')
        ports: dict[str, int] = {}
        for service in services:
            ports[service] = free_port_besides(ports.values())
        project = f"dkt{uuid.uuid4().hex[:10]}"
        env = {
            **_clean_environ(),
            "DEVKIT_CONFIG": str(root / "devkit.toml"),
            "DEVKIT_PROJECT": project,
            "DEVKIT_RUNTIME": runtime,
            "DEVKIT_STATE_DIR": str(root / "state"),
            "NO_COLOR": "1",
            "COLUMNS": "250",  # rich tables wrap at 80 columns otherwise
            **{f"DEVKIT_PORT_{service.upper()}": str(port) for service, port in ports.items()},
            **(extra_env or {}),
        }
        return StackProject(root, project, ports, env)

    return make


def marked_pids(state: Path) -> list[int]:
    """Every process of a native stack still alive: the native runtime marks each one's environment."""
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


# --- Docker ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """The real engine: one that answers, else a private dockerd this session starts and stops (tests/engine.py).
    No engine is a failure, not a skip."""
    try:
        engine = ensure_engine()
    except EngineUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    if engine.started_pid:
        print(f"[engine] started a private dockerd (pid {engine.started_pid}) for this session", file=sys.stderr)
    yield engine.client
    engine.stop()


@pytest.fixture(scope="session")
def test_images(docker_client: docker.DockerClient) -> dict[str, str]:
    """The suite's images, built once per machine (testbed/images); the DEVKIT_IMAGE_* overrides pointing at them."""
    began = time.monotonic()
    report = ensure_test_images(docker_client, log=lambda line: print(f"[test images] {line}", file=sys.stderr))
    if report.seconds:
        built = ", ".join(f"{image} {seconds:.1f}s" for image, seconds in report.seconds.items())
        print(f"[test images] built {built} (total {time.monotonic() - began:.1f}s)", file=sys.stderr)
    return {"DEVKIT_IMAGE_POSTGRES": POSTGRES_IMAGE, "DEVKIT_IMAGE_REDIS": REDIS_IMAGE}


def engine_url(client: docker.DockerClient) -> str:
    """What to put in DOCKER_HOST so the CLI talks to the same engine as the fixtures."""
    url = os.environ.get("DOCKER_HOST")
    if url:
        return url
    base = client.api.base_url
    return "unix:///var/run/docker.sock" if base.startswith("http+docker://") else base


def project_leftovers(client: docker.DockerClient, project: str) -> dict[str, list[str]]:
    """Everything in the engine that carries the project's compose label (or the suite's helper label)."""
    containers = client.api.containers(all=True, filters={"label": f"com.docker.compose.project={project}"})
    helpers = client.api.containers(all=True, filters={"label": f"{TEST_LABEL}={project}"})
    volumes = client.api.volumes(filters={"label": f"com.docker.compose.project={project}"}).get("Volumes") or []
    networks = client.api.networks(filters={"label": f"com.docker.compose.project={project}"})
    return {
        "containers": [c["Names"][0].lstrip("/") for c in containers + helpers],
        "volumes": [v["Name"] for v in volumes],
        "networks": [n["Name"] for n in networks],
    }


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


def remove_project(client: docker.DockerClient, project: str) -> None:
    for label in (f"com.docker.compose.project={project}", f"{TEST_LABEL}={project}"):
        for container in client.api.containers(all=True, filters={"label": label}):
            client.api.remove_container(container["Id"], v=True, force=True)
    for network in client.api.networks(filters={"label": f"com.docker.compose.project={project}"}):
        client.api.remove_network(network["Id"])
    for volume in client.api.volumes(filters={"label": f"com.docker.compose.project={project}"}).get("Volumes") or []:
        client.api.remove_volume(volume["Name"], force=True)


@pytest.fixture
def docker_stack(
    stack_project: Callable[..., StackProject], docker_client: docker.DockerClient, test_images: dict[str, str]
) -> Iterator[Callable[..., StackProject]]:
    """Factory of Docker-runtime projects on the suite's images; everything they leave in the engine is removed."""
    made: list[StackProject] = []

    def make(
        services: tuple[str, ...] = FIXTURE_SERVICES,
        compose_file: Path = FIXTURE_COMPOSE,
        extra_env: dict[str, str] | None = None,
    ) -> StackProject:
        extra = {**test_images, "DOCKER_HOST": engine_url(docker_client), **(extra_env or {})}
        project = stack_project("docker", services=services, compose_file=compose_file, extra_env=extra)
        made.append(project)
        return project

    yield make
    for project in made:
        remove_project(docker_client, project.project)
