"""What a service kind is: everything about postgres, redis or a plain service that is not the same for all.

The runtimes and the spec parser never switch on a kind's name; they ask the service's `Kind` (see
`devkit/stack/kinds/__init__.py` for the registry). A kind module defines one subclass and `KIND = TheKind()`.
Everything the native runtime needs is imported inside the methods that use it: the Docker path (and a no-op
`devkit up`) imports only the pure part of each kind.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    import pwd

    from devkit.config import Settings
    from devkit.stack.native.process import StopStep
    from devkit.stack.runtime import StackEvents
    from devkit.stack.spec import HealthCheck, ServiceSpec, StackSpec

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Launch:
    """One native process: what to run, with which environment, where, and the line the log starts with."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path
    banner: str


class NativeHost(Protocol):
    """What a kind may use of the native runtime that runs it."""

    settings: Settings
    state: Path

    def root(self, service: str) -> Path:
        """The service's state dir: `log`, `pid`, `spec-hash`, `data/` live there."""
        ...

    def tool(self, kind: Kind) -> Any:
        """The kind's host binaries (`Kind.find_tool`), looked up once per runtime."""
        ...

    def marker(self) -> dict[str, str]:
        """The variable every process of this stack carries, so `down` finds stragglers."""
        ...


class Kind:
    name: ClassVar[str]
    images: ClassVar[tuple[str, ...]] = ()  # image repositories (without registry and tag) guessed as this kind
    port: ClassVar[int | None] = None  # the container port its URL points at; None: the first one published
    scheme: ClassVar[str] = "http"
    database: ClassVar[bool] = False  # the stack's database: its URL is the dev environment's DSN

    # --- pure: what the stack shows and checks -------------------------------------------------------------

    def url(self, service: ServiceSpec) -> str | None:
        """How to connect from the host; the same whatever runtime runs it."""
        port = (self.port and service.host_port(self.port)) or service.host_port()
        return f"{self.scheme}://{LOOPBACK}:{port}" if port else None

    def urls(self, service: ServiceSpec) -> dict[str, str]:
        """Named entry points under the URL (x-devkit.urls), shown by `status`."""
        return {}

    def default_healthcheck(self, service: ServiceSpec) -> HealthCheck | None:
        """The check the Docker runtime gives a container when the compose file gives none."""
        return None

    def stop_steps(self) -> tuple[StopStep, ...]:
        """How the native runtime stops the process: signals and their grace, SIGKILL to the group last."""
        from devkit.stack.native.process import StopStep

        return (StopStep(signal.SIGTERM, 10.0, True), StopStep(signal.SIGKILL, 5.0, True))

    # --- native runtime ------------------------------------------------------------------------------------

    def find_tool(self, settings: Settings) -> Any:
        """The host binaries this kind runs natively (raise EngineError with the fix); None: it needs none."""
        return None

    tool_missing: ClassVar[str | None] = None  # what `describe()` says when find_tool finds nothing

    def describe_tool(self, host: NativeHost) -> str | None:
        """One part of the native runtime's `describe()` line; None: nothing to say."""
        if self.tool_missing is None:
            return None
        from devkit.errors import EngineError

        try:
            return self.tool_line(host.tool(self))
        except EngineError:
            return self.tool_missing

    def tool_line(self, tool: Any) -> str:
        return str(tool)

    def prepare(self, host: NativeHost, service: ServiceSpec, events: StackEvents) -> None:
        """Before any service starts, after every launch was checked: create data (initdb) where there is none."""

    def before_start(self, host: NativeHost, service: ServiceSpec, events: StackEvents) -> pwd.struct_passwd | None:
        """Just before the process starts; returns the OS user it runs as (None: the current user)."""
        return None

    def launch(self, host: NativeHost, stack: StackSpec, service: ServiceSpec, dry_run: bool = False) -> Launch:
        """The process; `dry_run` checks everything it can without touching the disk (before anything starts)."""
        raise NotImplementedError

    def probe(self, host: NativeHost, stack: StackSpec, service: ServiceSpec) -> bool | None:
        """One health probe from the host. None: no check, running is all it can be."""
        return None
