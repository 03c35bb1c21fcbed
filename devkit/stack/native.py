"""The native runtime: the compose file's stack as host processes, no Docker.

PostgreSQL 15 from initdb/postgres, redis-server, and each plain service from its `x-devkit.native` command, on
the same host ports, credentials and URLs as the Docker runtime. Per service, `<state dir>/<service>/` holds
`log`, `pid` (pid + start time), `spec-hash` (the spec it runs with) and `data/`; PostgreSQL's data may live
elsewhere when the postgres OS user can't reach the state dir (see native_postgres.py).
"""

from __future__ import annotations

import shutil
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from devkit.config import Settings
from devkit.errors import ConfigError, DevkitError, EngineError
from devkit.stack import native_postgres
from devkit.stack.endpoints import REDIS_PORT, port_labels, service_url, service_urls
from devkit.stack.native_binaries import PostgresBinaries, RedisBinary, find_postgres, find_redis
from devkit.stack.native_health import command_succeeds, postgres_ready, redis_ping, tcp_open
from devkit.stack.native_logs import all_lines, follow_lines, tail_lines
from devkit.stack.native_process import (
    MARKER_VARIABLE,
    PidRecord,
    StopStep,
    inherited_environment,
    is_alive,
    read_pid,
    spawn,
    stop,
    stop_marked,
    write_pid,
)
from devkit.stack.native_translate import connect_host, host_environment, postgres_argv, published, redis_argv
from devkit.stack.runtime import Health, Instance, RuntimeName, ServiceStatus, StackEvents
from devkit.stack.spec import ServiceSpec, StackSpec
from devkit.stack.state import state_dir

# How each kind stops: PostgreSQL's fast shutdown (SIGINT) then immediate (SIGQUIT); Redis saves on SIGTERM;
# a service's whole process group gets SIGTERM. SIGKILL to the group when nothing else worked.
_STOP_STEPS: dict[str, tuple[StopStep, ...]] = {
    "postgres": (StopStep(signal.SIGINT, 30.0), StopStep(signal.SIGQUIT, 5.0), StopStep(signal.SIGKILL, 5.0, True)),
    "redis": (StopStep(signal.SIGTERM, 20.0), StopStep(signal.SIGKILL, 5.0, True)),
    "service": (StopStep(signal.SIGTERM, 10.0, True), StopStep(signal.SIGKILL, 5.0, True)),
}


def _stop(name: str, record: PidRecord) -> None:
    if not stop(record, _STOP_STEPS.get(record.kind, _STOP_STEPS["service"])):
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

    @property
    def data(self) -> Path:
        return self.root / "data"


@dataclass(frozen=True)
class _Launch:
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    banner: str


class NativeRuntime:
    name: RuntimeName = "native"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.state = state_dir(settings)
        self._postgres: PostgresBinaries | None = None
        self._redis: RedisBinary | None = None

    # --- binaries --------------------------------------------------------------------------------------------

    def _postgres_binaries(self) -> PostgresBinaries:
        if self._postgres is None:
            setting = self.settings.stack.postgres_bin
            self._postgres = find_postgres(self.settings.path(setting) if setting else None)
        return self._postgres

    def _redis_binary(self) -> RedisBinary:
        if self._redis is None:
            setting = self.settings.stack.redis_server
            self._redis = find_redis(self.settings.path(setting) if setting else None)
        return self._redis

    def describe(self) -> str:
        parts = []
        try:
            postgres = self._postgres_binaries()
            parts.append(f"PostgreSQL {postgres.version} ({postgres.bindir})")
        except EngineError:
            parts.append("PostgreSQL 15 not found")
        try:
            redis = self._redis_binary()
            parts.append(f"redis-server {redis.version or '?'} ({redis.path})")
        except EngineError:
            parts.append("redis-server not found")
        return ", ".join(parts) + f"; state in {self.state}"

    # --- what runs -------------------------------------------------------------------------------------------

    def _files(self, service: str) -> ServiceFiles:
        return ServiceFiles(self.state / service)

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
        kinds = {service.kind for service in services}
        if "postgres" in kinds:
            self._postgres_binaries()
        if "redis" in kinds:
            self._redis_binary()
        for service in services:
            self._launch(stack, service, dry_run=True)
        for service in services:
            if service.kind == "postgres":
                self._cluster(service, events)

    def _cluster(self, service: ServiceSpec, events: StackEvents) -> native_postgres.Cluster:
        files = self._files(service.name)
        cluster = native_postgres.locate(files.root, self.state, self.settings.stack.project, service.name)
        if not cluster.initialized:
            if cluster.external:
                events.notice(
                    f"{service.name}: data goes to {cluster.home}, since the postgres OS user cannot reach {files.root}"
                )
            events.service(service.name, "initializing", "initdb")
            native_postgres.initialize(cluster, self._postgres_binaries(), service, files.log)
        return cluster

    def _launch(self, stack: StackSpec, service: ServiceSpec, dry_run: bool = False) -> _Launch:
        files = self._files(service.name)
        marker = {MARKER_VARIABLE: str(self.state)}
        if service.kind == "postgres":
            binaries = self._postgres_binaries()
            if dry_run:  # where the data goes is decided when it is created
                postgres_argv(binaries.postgres, service, files.data, None)
                return _Launch([], {}, files.root, "")
            cluster = native_postgres.locate(files.root, self.state, self.settings.stack.project, service.name)
            argv = postgres_argv(binaries.postgres, service, cluster.pgdata, cluster.sockets)
            env = {**native_postgres.server_environment(cluster.owner), **marker}
            return _Launch(argv, env, cluster.home, f"PostgreSQL {binaries.version}, data in {cluster.pgdata}")
        if service.kind == "redis":
            argv = redis_argv(self._redis_binary().path, service, files.data)
            return _Launch(argv, {**inherited_environment(), **marker}, files.data, f"data in {files.data}")
        native = service.native
        if native is None or not native.command:
            raise ConfigError(
                f"service {service.name!r} has no native command, so it can't run without Docker",
                f"add x-devkit: {{native: {{command: ...}}}} to {service.name!r} in {stack.compose_file}, "
                "or use --runtime docker",
            )
        cwd = native.cwd or stack.compose_file.parent
        if not cwd.is_dir():
            raise ConfigError(
                f"service {service.name!r}: x-devkit.native.cwd {cwd} is not a directory",
                "fix the path in the compose file",
            )
        env = {**inherited_environment(), **host_environment(stack, service), **marker}
        program = native.command[0]
        if shutil.which(program, path=env.get("PATH")) is None and not (cwd / program).is_file():
            raise ConfigError(
                f"service {service.name!r}: x-devkit.native.command runs {program!r}, which is not found",
                "install it or fix the command in the compose file",
            )
        return _Launch(list(native.command), env, cwd, f"in {cwd}")

    def start(self, stack: StackSpec, service: ServiceSpec, events: StackEvents) -> None:
        files = self._files(service.name)
        files.root.mkdir(parents=True, exist_ok=True)
        running = self._record(service.name)
        if running is not None:  # another spec runs: replace it
            _stop(service.name, running)
        files.pid.unlink(missing_ok=True)
        owner = None
        if service.kind == "postgres":
            cluster = self._cluster(service, events)
            native_postgres.prepare_run(cluster, service)
            owner = cluster.owner
        elif service.kind == "redis":
            files.data.mkdir(exist_ok=True)
        launch = self._launch(stack, service)
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
        if service.kind == "postgres":
            url = service_url(service)
            return postgres_ready(url) if url else None
        if service.kind == "redis":
            mapping = published(service, REDIS_PORT)
            return redis_ping(connect_host(mapping.host_ip), mapping.host) if mapping else None
        native = service.native
        if native is not None and native.health:
            env = {**inherited_environment(), **host_environment(stack, service), MARKER_VARIABLE: str(self.state)}
            return command_succeeds(native.health, env, native.cwd or stack.compose_file.parent)
        if service.ports:
            mapping = service.ports[0]
            return tcp_open(connect_host(mapping.host_ip), mapping.host)
        return None

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
