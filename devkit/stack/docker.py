"""The Docker runtime: one service = one container, named and labelled exactly as Docker Compose does it.

Compose's names and labels (`<project>-<service>-1`, `<project>_default`, `<project>_<volume>`,
com.docker.compose.*) make `docker compose ps`, `docker compose logs` and Docker Desktop show devkit's stack as
the compose project it is. The container's `com.docker.compose.config-hash` carries `ServiceSpec.config_hash`, so the
orchestration (devkit/stack/up.py) can tell an unchanged service from a changed one.

The first half of the module is pure (names, labels, health checks, progress accounting); the second talks to the
engine, and turns everything docker-py raises into our errors.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

import docker.errors
import docker.utils
import requests.exceptions
from docker.types import Mount

from devkit.config import Settings, env_key
from devkit.errors import DevkitError, EngineError, ImageError, PortConflictError
from devkit.stack.endpoints import port_labels, postgres_credentials, service_url, service_urls
from devkit.stack.engine import Engine
from devkit.stack.runtime import Health, Instance, RuntimeName, ServiceStatus, StackEvents
from devkit.stack.spec import DISABLED_HEALTHCHECK, HealthCheck, ServiceSpec, StackSpec

PROJECT = "com.docker.compose.project"
SERVICE = "com.docker.compose.service"
CONFIG_HASH = "com.docker.compose.config-hash"
STOP_TIMEOUT = 5  # seconds of grace before SIGKILL: postgres and redis shut down cleanly well within it
NANOSECONDS = 1_000_000_000
START_INTERVAL_API = "1.44"
BUILD_TIMEOUT = 3600  # a build step may run silently for minutes (dependency installs); the client's 120 s is too short


# --- pure: names and labels ----------------------------------------------------------------------------------


def network_name(project: str) -> str:
    return f"{project}_default"


def volume_name(project: str, volume: str) -> str:
    return f"{project}_{volume}"


def container_name(project: str, service: str) -> str:
    return f"{project}-{service}-1"


def image_name(stack: StackSpec, service: ServiceSpec) -> str:
    """A `build:` service without `image:` gets compose's name for it."""
    return service.image or f"{stack.project}-{service.name}"


def network_labels(project: str) -> dict[str, str]:
    return {PROJECT: project, "com.docker.compose.network": "default"}


def volume_labels(project: str, volume: str) -> dict[str, str]:
    return {PROJECT: project, "com.docker.compose.volume": volume}


def container_labels(stack: StackSpec, service: ServiceSpec) -> dict[str, str]:
    return {
        **service.labels,
        PROJECT: stack.project,
        SERVICE: service.name,
        "com.docker.compose.container-number": "1",
        "com.docker.compose.oneoff": "False",
        CONFIG_HASH: service.config_hash,
        "com.docker.compose.project.working_dir": str(stack.compose_file.parent),
        "com.docker.compose.project.config_files": str(stack.compose_file),
    }


# --- pure: health --------------------------------------------------------------------------------------------

# When the compose file gives postgres or redis no health check. `up` waits for the engine's verdict, and an
# engine before 25.0 first checks one interval after the start: a short interval is what keeps `up` quick there.
DEFAULT_INTERVAL = 2.0
DEFAULT_START_PERIOD = 60.0
DEFAULT_START_INTERVAL = 0.5


def default_healthcheck(service: ServiceSpec) -> HealthCheck | None:
    """What the stack needs to know a database is really up, when the compose file says nothing.
    pg_isready over TCP: during the official entrypoint's init phase the server listens on the socket only."""
    if service.kind == "postgres":
        user, _, database = postgres_credentials(service)
        return HealthCheck(
            test=["CMD-SHELL", f"pg_isready -U {user} -d {database} -h 127.0.0.1"],
            interval=DEFAULT_INTERVAL,
            timeout=5.0,
            retries=30,
            start_period=DEFAULT_START_PERIOD,
            start_interval=DEFAULT_START_INTERVAL,
        )
    if service.kind == "redis":
        return HealthCheck(
            test=["CMD", "redis-cli", "ping"],
            interval=DEFAULT_INTERVAL,
            timeout=5.0,
            retries=30,
            start_period=DEFAULT_START_PERIOD,
            start_interval=DEFAULT_START_INTERVAL,
        )
    return None


def effective_healthcheck(service: ServiceSpec) -> HealthCheck | None:
    """The compose file's check, else devkit's default for the kind; None when there is none or it is disabled."""
    if service.healthcheck == DISABLED_HEALTHCHECK:
        return None
    return service.healthcheck or default_healthcheck(service)


def engine_healthcheck(check: HealthCheck, api_version: str) -> dict[str, Any]:
    """The compose healthcheck in the engine's API terms (durations in nanoseconds). `start_interval` goes only
    to engines that know it (API 1.44, Engine 25): older ones would check at `interval` all the same."""
    config: dict[str, Any] = {
        "Test": check.test,
        "Interval": int(check.interval * NANOSECONDS),
        "Timeout": int(check.timeout * NANOSECONDS),
        "Retries": check.retries,
        "StartPeriod": int(check.start_period * NANOSECONDS),
    }
    if check.start_interval and docker.utils.version_gte(api_version, START_INTERVAL_API):
        config["StartInterval"] = int(check.start_interval * NANOSECONDS)
    return config


def port_bindings(service: ServiceSpec) -> dict[str, list[tuple[str, int]]]:
    bindings: dict[str, list[tuple[str, int]]] = {}
    for mapping in service.ports:
        bindings.setdefault(f"{mapping.container}/{mapping.protocol}", []).append((mapping.host_ip, mapping.host))
    return bindings


def published_ports(attrs: dict[str, Any]) -> list[str]:
    """A container's actual bindings, in the same "ip:host->container/proto" form as endpoints.port_labels."""
    labels = []
    for key, bound in sorted(((attrs.get("NetworkSettings") or {}).get("Ports") or {}).items()):
        for binding in bound or []:
            labels.append(f"{binding.get('HostIp') or '0.0.0.0'}:{binding.get('HostPort')}->{key}")
    return labels


# --- pure: progress ------------------------------------------------------------------------------------------

_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")


def build_step(line: str) -> tuple[int, int, str] | None:
    """`Step 2/5 : COPY server.py /app/server.py` -> (2, 5, "COPY server.py /app/server.py")."""
    match = _STEP.match(line.strip())
    return (int(match[1]), int(match[2]), match[3]) if match else None


@dataclass
class PullProgress:
    """Bytes downloaded over bytes to download, summed over the image's layers."""

    layers: dict[str, tuple[int, int]] = field(default_factory=dict)

    def update(self, chunk: dict[str, Any]) -> bool:
        layer, status = chunk.get("id"), chunk.get("status", "")
        if not layer:
            return False
        detail = chunk.get("progressDetail") or {}
        total = self.layers.get(layer, (0, 0))[1]
        if status == "Downloading" and detail.get("total"):
            self.layers[layer] = (int(detail.get("current", 0)), int(detail["total"]))
            return True
        if status in ("Download complete", "Pull complete", "Already exists") and layer in self.layers:
            self.layers[layer] = (total, total)
            return True
        return False

    @property
    def done(self) -> int:
        return sum(done for done, _ in self.layers.values())

    @property
    def total(self) -> int:
        return sum(total for _, total in self.layers.values())


def pull_hint(service: ServiceSpec) -> str:
    key = env_key(service.name)
    return (
        f"set DEVKIT_IMAGE_{key} / [stack.images] {service.name} = ..., or DEVKIT_IMAGE_PREFIX / [stack] image_prefix "
        "to a registry mirror, or run without Docker: `devkit up --runtime native`"
    )


def one_line(error: BaseException | str) -> str:
    """docker-py's messages carry the HTTP status and URL; the engine's explanation is the useful part."""
    text = (
        error if isinstance(error, str) else getattr(error, "explanation", None) or str(error) or type(error).__name__
    )
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return " ".join(str(text).split())


# --- I/O -----------------------------------------------------------------------------------------------------

P = ParamSpec("P")
R = TypeVar("R")


def _engine_errors(action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Whatever docker-py raises comes out as one of our errors: never a traceback for an engine hiccup."""

    def decorate(method: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(method)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return method(*args, **kwargs)
            except DevkitError:
                raise
            except requests.exceptions.ConnectionError as exc:
                raise EngineError(
                    f"lost the Docker engine while trying to {action}: {one_line(exc)}",
                    "check that the engine is still running (`docker info`)",
                ) from None
            except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
                raise DevkitError(
                    f"the Docker engine failed to {action}: {one_line(exc)}", "see `docker info` and the engine's log"
                ) from None

        return wrapper

    return decorate


class DockerRuntime:
    name: RuntimeName = "docker"

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.api = engine.client.api

    def describe(self) -> str:
        return self.engine.describe()

    # --- what is there -----------------------------------------------------------------------------------------

    def _container(self, stack: StackSpec, service: ServiceSpec) -> dict[str, Any] | None:
        try:
            return self.api.inspect_container(container_name(stack.project, service.name))
        except docker.errors.NotFound:
            return None

    @_engine_errors("inspect a container")
    def inspect(self, stack: StackSpec, service: ServiceSpec) -> Instance:
        attrs = self._container(stack, service)
        if attrs is None:
            return Instance(exists=False, running=False)
        labels = (attrs.get("Config") or {}).get("Labels") or {}
        return Instance(exists=True, running=bool(attrs["State"].get("Running")), config_hash=labels.get(CONFIG_HASH))

    # --- prepare -----------------------------------------------------------------------------------------------

    @_engine_errors("prepare the network, volumes and images")
    def prepare(self, stack: StackSpec, services: list[ServiceSpec], events: StackEvents) -> None:
        # Images first: an image that can't be had must leave nothing behind, not even an empty network.
        for service in services:
            if service.build is not None and not self._image_overridden(service):
                self._build(stack, service, events)
            elif not self._image_present(image_name(stack, service)):
                self._pull(stack, service, events)
        self._ensure_network(stack.project)
        for volume in sorted({m.source for svc in services for m in svc.volumes if m.kind == "volume"}):
            self._ensure_volume(stack.project, volume)

    def _ensure_network(self, project: str) -> None:
        name = network_name(project)
        try:
            self.api.inspect_network(name)
        except docker.errors.NotFound:
            self.api.create_network(name, driver="bridge", labels=network_labels(project), check_duplicate=True)

    def _ensure_volume(self, project: str, volume: str) -> None:
        name = volume_name(project, volume)
        try:
            self.api.inspect_volume(name)
        except docker.errors.NotFound:
            self.api.create_volume(name, labels=volume_labels(project, volume))

    def _image_overridden(self, service: ServiceSpec) -> bool:
        """An image override on a `build:` service means: use that image, don't build."""
        return any(env_key(key) == env_key(service.name) and value for key, value in self.settings.stack.images.items())

    def _image_present(self, image: str) -> bool:
        try:
            self.api.inspect_image(image)
        except docker.errors.ImageNotFound:
            return False
        return True

    def _build(self, stack: StackSpec, service: ServiceSpec, events: StackEvents) -> None:
        assert service.build is not None
        tag = image_name(stack, service)
        events.service(service.name, "building", tag)
        try:
            stream = self.api.build(
                path=str(service.build.context),
                dockerfile=service.build.dockerfile,
                tag=tag,
                buildargs=service.build.args or None,
                target=service.build.target,
                rm=True,
                forcerm=True,
                decode=True,
                timeout=BUILD_TIMEOUT,
            )
            last_step = ""
            for chunk in stream:
                if "error" in chunk:
                    raise ImageError(
                        f"building image {tag!r} for service {service.name!r} failed: {one_line(chunk['error'])}",
                        f"fix {service.build.context / service.build.dockerfile}"
                        + (f" ({last_step})" if last_step else ""),
                    )
                step = build_step(chunk.get("stream") or "")
                if step:
                    number, total, instruction = step
                    last_step = f"step {number}/{total}: {instruction}"
                    events.service(service.name, "building", last_step)
        except docker.errors.APIError as exc:
            raise ImageError(
                f"building image {tag!r} for service {service.name!r} failed: {one_line(exc)}",
                f"check the build context {service.build.context}",
            ) from None

    def _pull(self, stack: StackSpec, service: ServiceSpec, events: StackEvents) -> None:
        image = image_name(stack, service)
        repository, tag = docker.utils.parse_repository_tag(image)
        events.service(service.name, "pulling", image)
        progress = PullProgress()
        try:
            for chunk in self.api.pull(repository, tag=tag or "latest", stream=True, decode=True):
                if "error" in chunk:
                    raise ImageError(
                        f"image {image!r} for service {service.name!r} can't be pulled: {one_line(chunk['error'])}",
                        pull_hint(service),
                    )
                if progress.update(chunk):
                    events.progress(service.name, "pulling", progress.done, progress.total)
        except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
            raise ImageError(
                f"image {image!r} for service {service.name!r} can't be pulled: {one_line(exc)}", pull_hint(service)
            ) from None
        if not self._image_present(image):
            raise ImageError(f"image {image!r} for service {service.name!r} can't be pulled", pull_hint(service))

    # --- run ---------------------------------------------------------------------------------------------------

    @_engine_errors("start a container")
    def start(self, stack: StackSpec, service: ServiceSpec, events: StackEvents) -> None:
        attrs = self._container(stack, service)
        if attrs is not None:
            labels = (attrs.get("Config") or {}).get("Labels") or {}
            name = container_name(stack.project, service.name)
            if labels.get(PROJECT) != stack.project or labels.get(SERVICE) != service.name:
                raise DevkitError(
                    f"a container named {name} exists but is not {service.name!r} of project {stack.project!r}",
                    f"remove it (`docker rm -f {name}`) or choose another project with DEVKIT_PROJECT",
                )
            if labels.get(CONFIG_HASH) == service.config_hash:
                if not attrs["State"].get("Running"):
                    self._run(attrs["Id"], service)
                return
            self._stop_and_remove(attrs["Id"])
        container_id = self._create(stack, service)
        self._run(container_id, service)

    def _create(self, stack: StackSpec, service: ServiceSpec) -> str:
        network = network_name(stack.project)
        mounts = [
            Mount(
                target=mount.target,
                source=volume_name(stack.project, mount.source) if mount.kind == "volume" else mount.source,
                type=mount.kind,
                read_only=mount.read_only,
            )
            for mount in service.volumes
        ]
        host_config = self.api.create_host_config(
            port_bindings=port_bindings(service), mounts=mounts, network_mode=network
        )
        networking = self.api.create_networking_config(
            {network: self.api.create_endpoint_config(aliases=[service.name])}
        )
        check = effective_healthcheck(service)
        image = image_name(stack, service)
        environment = docker.utils.format_environment(service.environment)
        proxies = getattr(self.api, "_proxy_configs", None)  # the docker CLI's proxy settings, as `docker run` does
        if proxies is not None:
            environment = proxies.inject_proxy_environment(environment)
        # Built by hand rather than through create_container, whose Healthcheck type drops StartInterval.
        config = self.api.create_container_config(
            image,
            service.command,
            detach=True,
            ports=[(m.container, m.protocol) for m in service.ports],
            environment=environment or None,
            entrypoint=service.entrypoint,
            host_config=host_config,
            labels=container_labels(stack, service),
            networking_config=networking,
        )
        if check is not None:
            config["Healthcheck"] = engine_healthcheck(check, self.api.api_version)
        elif service.healthcheck == DISABLED_HEALTHCHECK:
            config["Healthcheck"] = {"Test": ["NONE"]}  # the image's HEALTHCHECK is off too, as compose does it
        try:
            created = self.api.create_container_from_config(config, name=container_name(stack.project, service.name))
        except docker.errors.ImageNotFound:
            raise ImageError(
                f"image {image!r} for service {service.name!r} is not in the engine", pull_hint(service)
            ) from None
        return str(created["Id"])

    def _run(self, container_id: str, service: ServiceSpec) -> None:
        try:
            self.api.start(container_id)
        except docker.errors.APIError as exc:
            reason = one_line(exc)
            if "port is already allocated" in reason or "address already in use" in reason:
                ports = ", ".join(str(m.host) for m in service.ports)
                raise PortConflictError(
                    f"{service.name} can't publish port {ports}: {reason}",
                    f"free the port, or set DEVKIT_PORT_{env_key(service.name)}=N",
                ) from None
            raise DevkitError(
                f"the Docker engine refused to start {service.name}: {reason}", f"see `devkit logs {service.name}`"
            ) from None

    def _stop_and_remove(self, container_id: str) -> None:
        try:
            self.api.stop(container_id, timeout=STOP_TIMEOUT)
        except docker.errors.NotFound:
            return
        # v=True drops only anonymous volumes (an image's VOLUME without a name): a new container would never
        # see them again. Named volumes, where the data lives, stay.
        with contextlib.suppress(docker.errors.NotFound):
            self.api.remove_container(container_id, v=True, force=True)

    @_engine_errors("read a service's health")
    def probe(self, stack: StackSpec, service: ServiceSpec) -> bool | None:
        """The engine's own verdict, never a probe of ours: `up`, `status`, `docker ps` and Docker Desktop then
        tell one story (an exec probe of our own said "healthy" while `docker ps` still said "starting")."""
        attrs = self._container(stack, service)
        health = engine_health(attrs)
        if attrs is None or not attrs["State"].get("Running"):
            return False if effective_healthcheck(service) or health != "none" else None
        return None if health == "none" else health == "healthy"

    @_engine_errors("remove a container")
    def remove(self, stack: StackSpec, service: ServiceSpec) -> None:
        attrs = self._container(stack, service)
        if attrs is not None:
            self._stop_and_remove(attrs["Id"])

    @_engine_errors("remove the project's network and volumes")
    def teardown(self, stack: StackSpec, remove_volumes: bool) -> list[str]:
        removed: list[str] = []
        # Containers of services no longer in the compose file (or in an inactive profile) would keep the network.
        for leftover in self.api.containers(all=True, filters={"label": f"{PROJECT}={stack.project}"}):
            self._stop_and_remove(leftover["Id"])
            removed.extend(name.lstrip("/") for name in leftover.get("Names", [])[:1])
        network = network_name(stack.project)
        try:
            self.api.remove_network(network)
            removed.append(network)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            raise DevkitError(
                f"can't remove network {network}: {one_line(exc)}",
                f"disconnect the containers still attached (`docker network inspect {network}`)",
            ) from None
        if remove_volumes:
            removed.extend(self._remove_volumes(stack))
        return removed

    def _remove_volumes(self, stack: StackSpec) -> list[str]:
        labelled = self.api.volumes(filters={"label": f"{PROJECT}={stack.project}"}).get("Volumes") or []
        names = {volume["Name"] for volume in labelled}
        declared = {volume_name(stack.project, name) for name in stack.volumes}
        removed = []
        for name in sorted(names | declared):
            try:
                self.api.remove_volume(name)
                removed.append(name)
            except docker.errors.NotFound:
                continue
            except docker.errors.APIError as exc:
                raise DevkitError(
                    f"can't remove volume {name}: {one_line(exc)}", "stop the container using it, then run down again"
                ) from None
        return removed

    # --- report ------------------------------------------------------------------------------------------------

    @_engine_errors("read a service's status")
    def status(self, stack: StackSpec, service: ServiceSpec) -> ServiceStatus:
        attrs = self._container(stack, service)
        # Same shape as the native runtime: the URL always (it is where the service will be), the ports as bound
        # when a container exists (it may predate a port change), else as the compose file publishes them.
        url, urls = service_url(service), service_urls(service)
        if attrs is None:
            return ServiceStatus(service.name, self.name, "missing", "none", port_labels(service), url, urls)
        if not attrs["State"].get("Running"):
            return ServiceStatus(service.name, self.name, "stopped", "none", published_ports(attrs), url, urls)
        health = engine_health(attrs)
        return ServiceStatus(service.name, self.name, "running", health, published_ports(attrs), url, urls)

    @_engine_errors("read a service's logs")
    def log_tail(self, stack: StackSpec, service: ServiceSpec, lines: int) -> list[str]:
        attrs = self._container(stack, service)
        if attrs is None:
            return []
        raw = self.api.logs(attrs["Id"], stdout=True, stderr=True, tail=lines)
        return raw.decode(errors="replace").splitlines()[-lines:]

    def logs(self, stack: StackSpec, service: ServiceSpec, tail: int | None, follow: bool) -> Iterator[str]:
        container_id = self._logs_target(stack, service)
        return self._log_lines(container_id, tail, follow)

    @_engine_errors("read a service's logs")
    def _logs_target(self, stack: StackSpec, service: ServiceSpec) -> str:
        attrs = self._container(stack, service)
        if attrs is None:
            raise DevkitError(f"{service.name} has no container in project {stack.project!r}", "run `devkit up` first")
        return str(attrs["Id"])

    def _log_lines(self, container_id: str, tail: int | None, follow: bool) -> Iterator[str]:
        try:
            chunks = self.api.logs(
                container_id, stdout=True, stderr=True, stream=True, follow=follow, tail="all" if tail is None else tail
            )
            yield from _split_lines(chunks)
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            raise DevkitError(f"reading logs failed: {one_line(exc)}", "check that the engine is running") from None

    @_engine_errors("list the running containers")
    def port_holder(self, port: int) -> str | None:
        for container in self.api.containers():
            for binding in container.get("Ports") or []:
                if binding.get("PublicPort") == port:
                    names = container.get("Names") or [container["Id"][:12]]
                    return f"container {names[0].lstrip('/')}"
        return None


def engine_health(attrs: dict[str, Any] | None) -> Health:
    """What `docker ps` shows in "(health: ...)"; "none" when the container has no health check (or is missing)."""
    status = ((attrs or {}).get("State") or {}).get("Health") or {}
    verdict = status.get("Status")
    return verdict if verdict in ("healthy", "unhealthy", "starting") else "none"


def _split_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """The engine streams arbitrary chunks; callers want whole lines."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            yield line.decode(errors="replace")
    if pending:
        yield pending.decode(errors="replace")
