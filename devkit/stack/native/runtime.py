"""The native runtime: the compose file's stack as host processes, no Docker.

PostgreSQL 15 from initdb/postgres, redis-server, and each plain service from its `x-devkit.native` command, on
the same host ports, credentials and URLs as the Docker runtime; each kind says how (devkit/stack/kinds). Per
service, `<state dir>/<service>/` holds `log`, `pid` (pid + start time), `spec-hash` (the spec it runs with) and
`data/`; PostgreSQL's data may live elsewhere when the postgres OS user can't reach the state dir (see
native/postgres.py).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devkit.config import Settings
from devkit.errors import DevkitError
from devkit.stack.endpoints import port_labels, service_url, service_urls
from devkit.stack.kinds import FALLBACK, Kind, kind_of, registry
from devkit.stack.native import postgres as native_postgres
from devkit.stack.native.logs import all_lines, follow_lines, tail_lines
from devkit.stack.native.process import (
    MARKER_VARIABLE,
    PidRecord,
    is_alive,
    read_pid,
    spawn,
    stop,
    stop_marked,
    write_pid,
)
from devkit.stack.runtime import Health, Instance, RuntimeName, ServiceStatus, StackEvents
from devkit.stack.spec import ServiceSpec, StackSpec
from devkit.stack.state import state_dir


def _stop(name: str, record: PidRecord) -> None:
    kinds = registry()
    if not stop(record, kinds.get(record.kind, kinds[FALLBACK]).stop_steps()):
        raise DevkitError(
            f"{name} (pid {record.pid}) did not stop", f"kill it (kill -9 {record.pid}), then run the command again"
        )


@dataclass(frozen=True)
class ServiceFiles:
    root: Path

    @property
    def log(self) -> Path:
        return self.root / "log"

    @property
    def pid(self) -> Path:
        return self.root / "pid"

    @property
    def spec_hash(self) -> Path:
        return self.root / "spec-hash"


class NativeRuntime:
    name: RuntimeName = "native"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.state = state_dir(settings)
        self._tools: dict[str, Any] = {}

    # --- what the kinds use (kinds.base.NativeHost) ----------------------------------------------------------

    def root(self, service: str) -> Path:
        return self.state / service

    def tool(self, kind: Kind) -> Any:
        if kind.name not in self._tools:
            self._tools[kind.name] = kind.find_tool(self.settings)
        return self._tools[kind.name]

    def marker(self) -> dict[str, str]:
        return {MARKER_VARIABLE: str(self.state)}

    def describe(self) -> str:
        parts = [part for kind in registry().values() if (part := kind.describe_tool(self))]
        return ", ".join(parts) + f"; state in {self.state}"

    # --- what runs -------------------------------------------------------------------------------------------

    def _files(self, service: str) -> ServiceFiles:
        return ServiceFiles(self.root(service))

    def _record(self, service: str) -> PidRecord | None:
        record = read_pid(self._files(service).pid)
        return record if record is not None and is_alive(record) else None

    def inspect(self, stack: StackSpec, service: ServiceSpec) -> Instance:
        files = self._files(service.name)
        try:
            config_hash: str | None = files.spec_hash.read_text().strip()
        except OSError:
            config_hash = None
        exists = config_hash is not None or files.pid.exists()
        return Instance(exists, self._record(service.name) is not None, config_hash)

    def port_holder(self, port: int) -> str | None:
        return None  # our processes are plain host processes: ports.py names them from /proc

    # --- lifecycle -------------------------------------------------------------------------------------------

    def prepare(self, stack: StackSpec, services: list[ServiceSpec], events: StackEvents) -> None:
        """Check everything every service needs before any of them starts, then initdb where there is no data."""
        used = {service.kind for service in services}
        for kind in registry().values():
            if kind.name in used:
                self.tool(kind)
        for service in services:
            kind_of(service).launch(self, stack, service, dry_run=True)
        for service in services:
            kind_of(service).prepare(self, service, events)

    def start(self, stack: StackSpec, service: ServiceSpec, events: StackEvents) -> None:
        files = self._files(service.name)
        files.root.mkdir(parents=True, exist_ok=True)
        running = self._record(service.name)
        if running is not None:  # another spec runs: replace it
            _stop(service.name, running)
        files.pid.unlink(missing_ok=True)
        kind = kind_of(service)
        owner = kind.before_start(self, service, events)
        launch = kind.launch(self, stack, service)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S %z")
        with files.log.open("a") as log:
            log.write(f"--- devkit {stamp}: starting {service.name} natively, {launch.banner}\n")
        pid = spawn(launch.argv, log=files.log, env=launch.env, cwd=launch.cwd, user=owner)
        write_pid(files.pid, pid, service.kind)
        files.spec_hash.write_text(service.config_hash + "\n")

    def remove(self, stack: StackSpec, service: ServiceSpec) -> None:
        files = self._files(service.name)
        record = read_pid(files.pid)
        if record is not None:
            _stop(service.name, record)
        files.pid.unlink(missing_ok=True)
        files.spec_hash.unlink(missing_ok=True)

    def teardown(self, stack: StackSpec, remove_volumes: bool) -> list[str]:
        """Also stops what the spec no longer names (another profile, a renamed service) and any straggler a
        service left behind; with `remove_volumes`, deletes every service's data and logs."""
        gone: list[str] = []
        service_dirs = sorted(path for path in self.state.glob("*") if path.is_dir()) if self.state.is_dir() else []
        for directory in service_dirs:
            files = ServiceFiles(directory)
            record = read_pid(files.pid)
            if record is not None and is_alive(record):
                _stop(directory.name, record)
                gone.append(directory.name)
            files.pid.unlink(missing_ok=True)
            files.spec_hash.unlink(missing_ok=True)
        stragglers = stop_marked(str(self.state))
        if stragglers:
            gone.append(f"{stragglers} leftover process(es)")
        if remove_volumes:
            outside = native_postgres.external_base(self.state, self.settings.stack.project)
            for directory in service_dirs:
                pointer = directory / native_postgres.POINTER_NAME
                if pointer.is_file():
                    shutil.rmtree(pointer.read_text().strip(), ignore_errors=True)
                shutil.rmtree(directory)
                gone.append(f"{directory.name} data")
            if outside.is_dir():
                shutil.rmtree(outside)
                gone.append(str(outside))
        return gone

    # --- health, status, logs --------------------------------------------------------------------------------

    def probe(self, stack: StackSpec, service: ServiceSpec) -> bool | None:
        return kind_of(service).probe(self, stack, service)

    def status(self, stack: StackSpec, service: ServiceSpec) -> ServiceStatus:
        instance = self.inspect(stack, service)
        health: Health = "none"
        if instance.running:
            healthy = self.probe(stack, service)
            health = "none" if healthy is None else "healthy" if healthy else "unhealthy"
        state = "running" if instance.running else "stopped" if instance.exists else "missing"
        ports, url, urls = port_labels(service), service_url(service), service_urls(service)
        return ServiceStatus(service.name, self.name, state, health, ports, url, urls)

    def log_tail(self, stack: StackSpec, service: ServiceSpec, lines: int) -> list[str]:
        return tail_lines(self._files(service.name).log, lines)

    def logs(self, stack: StackSpec, service: ServiceSpec, tail: int | None, follow: bool) -> Iterator[str]:
        log = self._files(service.name).log
        if not log.is_file():
            raise DevkitError(
                f"{service.name} has no native logs in {log.parent}: it never ran here",
                "start it with `devkit up`",
            )
        if follow:
            return follow_lines(log, tail, lambda: self._record(service.name) is not None)
        return iter(tail_lines(log, tail)) if tail is not None else all_lines(log)
