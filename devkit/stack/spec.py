"""The compose file -> validated, resolved service specs.

The compose file is the stack's only description (compose-spec fields; devkit-only settings under `x-devkit`).
Parsing is pure: it takes the file's text, the variables and the settings, and returns specs; every error names
the file, the service and the field.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from devkit.config import Settings, env_key
from devkit.errors import ConfigError
from devkit.stack.interpolate import InterpolationError, interpolate_tree, read_dotenv

ServiceKind = Literal["postgres", "redis", "service"]
Condition = Literal["service_started", "service_healthy", "service_completed_successfully"]
_CONDITIONS = ("service_started", "service_healthy", "service_completed_successfully")


@dataclass(frozen=True)
class PortMapping:
    container: int
    host: int
    host_ip: str = "0.0.0.0"
    protocol: str = "tcp"


@dataclass(frozen=True)
class VolumeMount:
    source: str  # named volume or absolute host path
    target: str
    kind: Literal["volume", "bind"] = "volume"
    read_only: bool = False


@dataclass(frozen=True)
class HealthCheck:
    test: list[str]  # ["CMD", ...] or ["CMD-SHELL", "..."]
    interval: float = 30.0
    timeout: float = 30.0
    retries: int = 3
    start_period: float = 0.0
    start_interval: float = 0.0  # how often to check during start_period (engines from 25.0); 0: every interval


# `disable: true` / `test: ["NONE"]`: no check at all, not even the image's HEALTHCHECK or devkit's default.
DISABLED_HEALTHCHECK = HealthCheck(test=["NONE"])


@dataclass(frozen=True)
class BuildSpec:
    context: Path
    dockerfile: str = "Dockerfile"
    args: dict[str, str] = field(default_factory=dict)
    target: str | None = None


@dataclass(frozen=True)
class NativeSpec:
    """How the native runtime runs a plain service (postgres and redis need none)."""

    command: list[str]
    cwd: Path | None = None
    health: list[str] | None = None  # exit 0 = healthy; default: a TCP connect to the first published port


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    kind: ServiceKind
    image: str | None
    build: BuildSpec | None = None
    ports: tuple[PortMapping, ...] = ()
    environment: dict[str, str] = field(default_factory=dict)
    depends_on: dict[str, Condition] = field(default_factory=dict)
    healthcheck: HealthCheck | None = None
    volumes: tuple[VolumeMount, ...] = ()
    command: list[str] | None = None
    entrypoint: list[str] | None = None
    profiles: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    native: NativeSpec | None = None
    # x-devkit.urls: name -> path under the service's URL, shown by `status` (the providers' base URLs)
    urls: dict[str, str] = field(default_factory=dict)

    @property
    def config_hash(self) -> str:
        """Changes whenever anything that shapes the running service changes: a changed spec recreates it."""
        payload = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()

    def host_port(self, container_port: int | None = None) -> int | None:
        for mapping in self.ports:
            if container_port is None or mapping.container == container_port:
                return mapping.host
        return None


@dataclass(frozen=True)
class SkippedService:
    name: str
    reason: str


@dataclass(frozen=True)
class StackSpec:
    project: str
    compose_file: Path
    services: dict[str, ServiceSpec]
    volumes: tuple[str, ...] = ()
    skipped: tuple[SkippedService, ...] = ()

    def service(self, name: str) -> ServiceSpec:
        try:
            return self.services[name]
        except KeyError:
            skipped = {item.name: item.reason for item in self.skipped}
            if name in skipped:
                raise ConfigError(f"service {name!r} is skipped: {skipped[name]}") from None
            known = ", ".join(sorted(self.services)) or "none"
            raise ConfigError(f"no service {name!r} in {self.compose_file}", f"known services: {known}") from None

    def database(self) -> ServiceSpec | None:
        return next((svc for svc in self.services.values() if svc.kind == "postgres"), None)

    def select(self, names: list[str] | None) -> list[str]:
        """The named services plus everything they depend on, in start order."""
        wanted: set[str] = set()

        def add(name: str) -> None:
            if name not in wanted:
                wanted.add(name)
                for dependency in self.service(name).depends_on:
                    add(dependency)

        for name in names or list(self.services):
            add(name)
        return [name for name in start_order(self.services) if name in wanted]


def start_order(services: Mapping[str, ServiceSpec], origin: Path | None = None) -> list[str]:
    """Dependencies first; ties keep the file's order."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = " -> ".join((*chain, name))
            where = f"{origin}: " if origin else ""
            raise ConfigError(f"{where}depends_on cycle: {cycle}", "remove one of the dependencies")
        state[name] = "visiting"
        for dependency in services[name].depends_on:
            visit(dependency, (*chain, name))
        state[name] = "done"
        order.append(name)

    for name in services:
        visit(name, ())
    return order


# --- parsing -------------------------------------------------------------------------------------------------


class _FieldError(Exception):
    def __init__(self, field_path: str, problem: str) -> None:
        super().__init__(problem)
        self.field_path = field_path
        self.problem = problem


def load_stack(settings: Settings, profiles: list[str] | None = None) -> StackSpec:
    path = settings.compose_path
    if not path.is_file():
        raise ConfigError(
            f"compose file {path} not found",
            "set [stack] compose_file in devkit.toml or DEVKIT_COMPOSE_FILE",
        )
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    variables = {**read_dotenv(path.parent / ".env"), **os.environ}
    variables.setdefault("DEVKIT_MONOREPO", str(settings.path(settings.stack.monorepo or Path("../mpac-smartpos"))))
    if settings.stack.monorepo:
        variables["DEVKIT_MONOREPO"] = str(settings.path(settings.stack.monorepo))
    return parse_stack(text, path, variables, settings, profiles)


def parse_stack(
    text: str,
    path: Path,
    variables: Mapping[str, str],
    settings: Settings,
    profiles: list[str] | None = None,
) -> StackSpec:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: invalid YAML: {problem}", "fix the syntax") from None
    if not isinstance(document, dict) or not isinstance(document.get("services"), dict):
        raise ConfigError(f"{path}: no 'services' mapping", "a compose file needs a top-level 'services:' mapping")
    try:
        document = interpolate_tree(document, variables)
    except InterpolationError as exc:
        raise ConfigError(f"{path}: {exc}", "set the variable or give it a default with ${VAR:-default}") from None

    active_profiles = set(profiles or []) | {item for item in variables.get("COMPOSE_PROFILES", "").split(",") if item}
    base = path.parent
    services: dict[str, ServiceSpec] = {}
    skipped: list[SkippedService] = []
    for name, raw in document["services"].items():
        try:
            service = _parse_service(str(name), raw, base, settings)
        except _FieldError as exc:
            raise ConfigError(
                f"{path}: service {name!r}, field {exc.field_path!r}: {exc.problem}", "fix the compose file"
            ) from None
        if service.profiles and not (set(service.profiles) & active_profiles):
            continue
        if service.build and not service.build.context.is_dir():
            skipped.append(
                SkippedService(
                    service.name,
                    f"build context {service.build.context} not found; point [stack] monorepo in devkit.toml "
                    "(or DEVKIT_MONOREPO) at your platform monorepo checkout",
                )
            )
            continue
        services[service.name] = service

    _drop_dependents_of_skipped(services, skipped)
    for service in services.values():
        for dependency in service.depends_on:
            if dependency not in services:
                raise ConfigError(
                    f"{path}: service {service.name!r}, field 'depends_on': unknown service {dependency!r}",
                    "fix the compose file",
                )
    start_order(services, path)  # reject cycles now, not halfway through `up`
    volumes = document.get("volumes") or {}
    if not isinstance(volumes, dict):
        raise ConfigError(f"{path}: top-level 'volumes' must be a mapping", "fix the compose file")
    _check_port_clashes(services, path)
    return StackSpec(
        project=settings.stack.project,
        compose_file=path,
        services=services,
        volumes=tuple(str(item) for item in volumes),
        skipped=tuple(skipped),
    )


def _drop_dependents_of_skipped(services: dict[str, ServiceSpec], skipped: list[SkippedService]) -> None:
    changed = True
    while changed:
        changed = False
        gone = {item.name for item in skipped}
        for name, service in list(services.items()):
            missing = [dep for dep in service.depends_on if dep in gone]
            if missing:
                skipped.append(SkippedService(name, f"it depends on skipped service {missing[0]!r}"))
                del services[name]
                changed = True


def _check_port_clashes(services: Mapping[str, ServiceSpec], path: Path) -> None:
    seen: dict[int, str] = {}
    for service in services.values():
        for mapping in service.ports:
            other = seen.setdefault(mapping.host, service.name)
            if other != service.name:
                raise ConfigError(
                    f"{path}: services {other!r} and {service.name!r} both publish host port {mapping.host}",
                    f"give one of them another port in [stack.ports] or DEVKIT_PORT_{env_key(service.name)}",
                )


_KNOWN_FIELDS = {
    "image", "build", "ports", "environment", "depends_on", "healthcheck", "volumes", "command",
    "entrypoint", "profiles", "labels", "x-devkit", "container_name", "restart", "env_file",
}  # fmt: skip


def _parse_service(name: str, raw: Any, base: Path, settings: Settings) -> ServiceSpec:
    if not isinstance(raw, dict):
        raise _FieldError("", "must be a mapping")
    unknown = sorted(set(raw) - _KNOWN_FIELDS)
    if unknown:
        raise _FieldError(unknown[0], "unsupported field (devkit-only settings belong under 'x-devkit')")
    extension = raw.get("x-devkit") or {}
    if not isinstance(extension, dict):
        raise _FieldError("x-devkit", "must be a mapping")

    build = _parse_build(raw.get("build"), base) if "build" in raw else None
    image = raw.get("image")
    if image is not None and not isinstance(image, str):
        raise _FieldError("image", "must be a string")
    if image is None and build is None:
        raise _FieldError("image", "a service needs an image or a build")
    image = _resolve_image(name, image, build, settings)

    kind = extension.get("kind") or _guess_kind(raw.get("image") or "")
    if kind not in ("postgres", "redis", "service"):
        raise _FieldError("x-devkit.kind", "must be postgres, redis or service")

    ports = tuple(_parse_port(item, f"ports[{index}]") for index, item in enumerate(_as_list(raw, "ports")))
    override = _lookup(settings.stack.ports, name)
    if override is not None:
        if not ports:
            raise _FieldError("ports", f"a host port override is set for {name!r} but it publishes no port")
        first = ports[0]
        ports = (PortMapping(first.container, override, first.host_ip, first.protocol), *ports[1:])

    return ServiceSpec(
        name=name,
        kind=kind,
        image=image,
        build=build,
        ports=ports,
        environment=_parse_mapping(raw.get("environment"), "environment"),
        depends_on=_parse_depends_on(raw.get("depends_on")),
        healthcheck=_parse_healthcheck(raw.get("healthcheck")),
        volumes=tuple(
            _parse_volume(item, f"volumes[{index}]", base) for index, item in enumerate(_as_list(raw, "volumes"))
        ),
        command=_parse_command(raw.get("command"), "command"),
        entrypoint=_parse_command(raw.get("entrypoint"), "entrypoint"),
        profiles=tuple(str(item) for item in _as_list(raw, "profiles")),
        labels=_parse_mapping(raw.get("labels"), "labels"),
        native=_parse_native(extension.get("native"), base),
        urls=_parse_urls(extension.get("urls")),
    )


def _lookup(mapping: Mapping[str, Any], service: str) -> Any:
    """Settings keyed by service name, matching `svc-portal` and the env spelling `svc_portal` alike."""
    for key, value in mapping.items():
        if key == service or env_key(key) == env_key(service):
            return value
    return None


def _resolve_image(name: str, image: str | None, build: BuildSpec | None, settings: Settings) -> str | None:
    override = _lookup(settings.stack.images, name)
    if override:
        return override
    if build is not None:
        return image  # built locally; the runtime names it when the file does not
    prefix = settings.stack.image_prefix
    return f"{prefix}{image}" if prefix and image else image


def _guess_kind(image: str) -> ServiceKind:
    repository = image.rsplit("/", 1)[-1].split(":", 1)[0]
    if repository in ("postgres", "postgis"):
        return "postgres"
    if repository in ("redis", "valkey"):
        return "redis"
    return "service"


def _as_list(raw: dict, key: str) -> list:
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _FieldError(key, "must be a list")
    return value


def _parse_build(value: Any, base: Path) -> BuildSpec:
    if isinstance(value, str):
        return BuildSpec(context=(base / value).resolve())
    if not isinstance(value, dict) or "context" not in value:
        raise _FieldError("build", "must be a path or a mapping with 'context'")
    args = _parse_mapping(value.get("args"), "build.args")
    return BuildSpec(
        context=(base / str(value["context"])).resolve(),
        dockerfile=str(value.get("dockerfile", "Dockerfile")),
        args=args,
        target=value.get("target"),
    )


_PORT = re.compile(
    r"^(?:(?:(?P<ip>[\d.]+|\[[0-9a-fA-F:]+\]):)?(?P<host>\d+):)?(?P<container>\d+)(?:/(?P<proto>tcp|udp))?$"
)


def _parse_port(value: Any, where: str) -> PortMapping:
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, dict):
        try:
            container = int(value["target"])
            host = int(value.get("published", container))
        except (KeyError, ValueError, TypeError):
            raise _FieldError(where, "needs integer 'target' (and 'published')") from None
        mapping = PortMapping(container, host, str(value.get("host_ip", "0.0.0.0")), str(value.get("protocol", "tcp")))
    elif isinstance(value, str):
        match = _PORT.match(value.strip())
        if not match:
            raise _FieldError(where, f"{value!r} is not [HOST_IP:]HOST:CONTAINER[/PROTO]")
        container = int(match["container"])
        host = int(match["host"]) if match["host"] else container
        mapping = PortMapping(container, host, (match["ip"] or "0.0.0.0").strip("[]"), match["proto"] or "tcp")
    else:
        raise _FieldError(where, "must be a string like '127.0.0.1:5432:5432' or a mapping")
    for port in (mapping.container, mapping.host):
        if not 1 <= port <= 65535:
            raise _FieldError(where, f"port {port} is out of range 1-65535")
    return mapping


def _parse_mapping(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(key): "" if item is None else _scalar(item) for key, item in value.items()}
    if isinstance(value, list):
        result: dict[str, str] = {}
        for item in value:
            key, sep, text = str(item).partition("=")
            if not key:
                raise _FieldError(where, f"{item!r} is not KEY=VALUE")
            result[key] = text if sep else os.environ.get(key, "")
        return result
    raise _FieldError(where, "must be a mapping or a list of KEY=VALUE")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parse_depends_on(value: Any) -> dict[str, Condition]:
    if value is None:
        return {}
    if isinstance(value, list):
        return {str(item): "service_started" for item in value}
    if isinstance(value, dict):
        result: dict[str, Condition] = {}
        for name, options in value.items():
            condition = (options or {}).get("condition", "service_started") if isinstance(options, dict) else None
            if condition not in _CONDITIONS:
                raise _FieldError(f"depends_on.{name}.condition", f"must be one of {', '.join(_CONDITIONS)}")
            result[str(name)] = condition
        return result
    raise _FieldError("depends_on", "must be a list or a mapping")


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(us|ms|s|m|h)")
_UNIT_SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: Any, where: str) -> float:
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    parts = _DURATION.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise _FieldError(where, f"{value!r} is not a duration like 5s, 1m30s or 500ms")
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def _parse_healthcheck(value: Any) -> HealthCheck | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _FieldError("healthcheck", "must be a mapping")
    if value.get("disable"):
        return DISABLED_HEALTHCHECK
    test = value.get("test")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    if not isinstance(test, list) or not test or test[0] not in ("CMD", "CMD-SHELL", "NONE"):
        raise _FieldError("healthcheck.test", "must be a string or a list starting with CMD or CMD-SHELL")
    if test[0] == "NONE":
        return DISABLED_HEALTHCHECK
    return HealthCheck(
        test=[str(item) for item in test],
        interval=parse_duration(value.get("interval", "30s"), "healthcheck.interval"),
        timeout=parse_duration(value.get("timeout", "30s"), "healthcheck.timeout"),
        retries=int(value.get("retries", 3)),
        start_period=parse_duration(value.get("start_period", "0s"), "healthcheck.start_period"),
        start_interval=parse_duration(value.get("start_interval", "0s"), "healthcheck.start_interval"),
    )


def _parse_volume(value: Any, where: str, base: Path) -> VolumeMount:
    if isinstance(value, str):
        parts = value.split(":")
        if len(parts) < 2 or len(parts) > 3:
            raise _FieldError(where, f"{value!r} is not SOURCE:TARGET[:ro]")
        source, target = parts[0], parts[1]
        read_only = len(parts) == 3 and parts[2] == "ro"
    elif isinstance(value, dict):
        if "target" not in value:
            raise _FieldError(where, "needs 'target'")
        source, target = str(value.get("source", "")), str(value["target"])
        read_only = bool(value.get("read_only", False))
    else:
        raise _FieldError(where, "must be a string or a mapping")
    if not target.startswith("/"):
        raise _FieldError(where, f"target {target!r} must be an absolute container path")
    if source.startswith((".", "/", "~")):
        return VolumeMount(str((base / Path(source).expanduser()).resolve()), target, "bind", read_only)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", source):
        raise _FieldError(where, f"volume name {source!r} is invalid")
    return VolumeMount(source, target, "volume", read_only)


def _parse_command(value: Any, where: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return shlex.split(value)
    if isinstance(value, list):
        return [str(item) for item in value]
    raise _FieldError(where, "must be a string or a list")


def _parse_urls(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(str(path).startswith("/") for path in value.values()):
        raise _FieldError("x-devkit.urls", "must map names to paths starting with '/', e.g. {paypay: /paypay}")
    return {str(name): str(path) for name, path in value.items()}


def _parse_native(value: Any, base: Path) -> NativeSpec | None:
    if value is None:
        return None
    if not isinstance(value, dict) or "command" not in value:
        raise _FieldError("x-devkit.native", "must be a mapping with 'command'")
    raw = value["command"]
    # A string runs through the shell, so it can use $PORT and the rewritten URLs ($$PORT in the compose file).
    command = ["/bin/sh", "-c", raw] if isinstance(raw, str) else _parse_command(raw, "x-devkit.native.command")
    health = value.get("health")
    if health is not None:
        where = "x-devkit.native.health"
        health = ["/bin/sh", "-c", health] if isinstance(health, str) else _parse_command(health, where)
    cwd = value.get("cwd")
    return NativeSpec(command=command or [], cwd=(base / str(cwd)).resolve() if cwd else None, health=health)
