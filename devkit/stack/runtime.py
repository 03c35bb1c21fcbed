"""The small protocol both runtimes implement, and the facts they report.

`DockerRuntime` (docker-py) and `NativeRuntime` (initdb/pg_ctl, redis-server, subprocesses) run the same
`StackSpec`; the orchestration that is the same for both (order, port checks, health waits, rollback) lives in
`devkit/stack/up.py`, so each runtime only knows how to run one service.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

from devkit.stack.spec import ServiceSpec, StackSpec

RuntimeName = Literal["docker", "native"]
Health = Literal["healthy", "unhealthy", "starting", "none"]


@dataclass(frozen=True)
class Instance:
    """What runs now for one service: nothing, a stopped or a running instance built from some spec."""

    exists: bool
    running: bool
    config_hash: str | None = None


@dataclass
class ServiceStatus:
    service: str
    runtime: str
    state: str  # running | stopped | missing
    health: Health
    ports: list[str] = field(default_factory=list)  # "127.0.0.1:5432->5432/tcp"
    url: str | None = None
    urls: dict[str, str] = field(default_factory=dict)  # x-devkit.urls: name -> URL


class StackEvents(Protocol):
    """Progress sink: the terminal implements it, the domain never touches the screen."""

    def notice(self, message: str) -> None: ...

    def service(self, name: str, phase: str, detail: str = "") -> None: ...

    def progress(self, name: str, phase: str, done: int | None, total: int | None) -> None: ...


class SilentEvents:
    def notice(self, message: str) -> None:
        pass

    def service(self, name: str, phase: str, detail: str = "") -> None:
        pass

    def progress(self, name: str, phase: str, done: int | None, total: int | None) -> None:
        pass


class Runtime(Protocol):
    name: RuntimeName

    def describe(self) -> str:
        """One line for the user: which engine or which binaries this runtime uses."""
        ...

    def inspect(self, stack: StackSpec, service: ServiceSpec) -> Instance: ...

    def prepare(self, stack: StackSpec, services: list[ServiceSpec], events: StackEvents) -> None:
        """Everything before the first start: networks, volumes, images (pull/build), binaries, data dirs.
        Raises ImageError / EngineError with the fix."""
        ...

    def start(self, stack: StackSpec, service: ServiceSpec, events: StackEvents) -> None:
        """Make the service run from this spec: start a stopped instance with the same spec, or replace any
        other instance by a new one. Data (volumes, data dirs) survives."""
        ...

    def probe(self, stack: StackSpec, service: ServiceSpec) -> bool | None:
        """One health probe. None: the service has no health check, running is all it can be."""
        ...

    def remove(self, stack: StackSpec, service: ServiceSpec) -> None:
        """Stop and remove the service's instance; keep its data."""
        ...

    def teardown(self, stack: StackSpec, remove_volumes: bool) -> list[str]:
        """After every service is removed: drop the network, and the data too when asked. Returns what went."""
        ...

    def status(self, stack: StackSpec, service: ServiceSpec) -> ServiceStatus: ...

    def log_tail(self, stack: StackSpec, service: ServiceSpec, lines: int) -> list[str]: ...

    def logs(self, stack: StackSpec, service: ServiceSpec, tail: int | None, follow: bool) -> Iterator[str]: ...

    def port_holder(self, port: int) -> str | None:
        """Who of this runtime's world holds a host port (a container's name), if it can tell."""
        ...
