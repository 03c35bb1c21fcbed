"""PostgreSQL 15: the official image's credentials, pg_isready, and initdb/postgres on the host."""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING
from urllib.parse import quote

from devkit.stack.kinds.base import LOOPBACK, Kind, Launch, NativeHost

if TYPE_CHECKING:
    import pwd

    from devkit.config import Settings
    from devkit.stack.native.binaries import PostgresBinaries
    from devkit.stack.native.postgres import Cluster
    from devkit.stack.native.process import StopStep
    from devkit.stack.runtime import StackEvents
    from devkit.stack.spec import HealthCheck, ServiceSpec, StackSpec

POSTGRES_PORT = 5432

# When the compose file gives the database no health check. `up` waits for the engine's verdict, and an engine
# before 25.0 first checks one interval after the start: a short interval is what keeps `up` quick there.
DEFAULT_INTERVAL = 2.0
DEFAULT_START_PERIOD = 60.0
DEFAULT_START_INTERVAL = 0.5


def credentials(service: ServiceSpec) -> tuple[str, str, str]:
    """(user, password, database) as the official postgres image derives them from its environment."""
    env = service.environment
    user = env.get("POSTGRES_USER") or "postgres"
    password = env.get("POSTGRES_PASSWORD", "")
    database = env.get("POSTGRES_DB") or user
    return user, password, database


def server_check(test: list[str]) -> HealthCheck:
    """The default check of a database server (postgres, redis): quick while it starts, patient after."""
    from devkit.stack.spec import HealthCheck

    return HealthCheck(
        test=test,
        interval=DEFAULT_INTERVAL,
        timeout=5.0,
        retries=30,
        start_period=DEFAULT_START_PERIOD,
        start_interval=DEFAULT_START_INTERVAL,
    )


class Postgres(Kind):
    name = "postgres"
    images = ("postgres", "postgis")
    port = POSTGRES_PORT
    database = True

    def url(self, service: ServiceSpec) -> str | None:
        port = service.host_port(POSTGRES_PORT) or service.host_port()
        if port is None:
            return None
        user, password, database = credentials(service)
        auth = f"{quote(user)}:{quote(password)}@" if password else f"{quote(user)}@"
        return f"postgresql://{auth}{LOOPBACK}:{port}/{quote(database)}"

    def default_healthcheck(self, service: ServiceSpec) -> HealthCheck:
        """pg_isready over TCP: during the official entrypoint's init phase the server listens on the socket only."""
        user, _, database = credentials(service)
        return server_check(["CMD-SHELL", f"pg_isready -U {user} -d {database} -h 127.0.0.1"])

    def stop_steps(self) -> tuple[StopStep, ...]:
        """Fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL to the group."""
        from devkit.stack.native.process import StopStep

        return (StopStep(signal.SIGINT, 30.0), StopStep(signal.SIGQUIT, 5.0), StopStep(signal.SIGKILL, 5.0, True))

    # --- native: PostgreSQL 15 from initdb/postgres (see native/postgres.py for where the data lives) ----------

    def find_tool(self, settings: Settings) -> PostgresBinaries:
        from devkit.stack.native.binaries import find_postgres

        setting = settings.stack.postgres_bin
        return find_postgres(settings.path(setting) if setting else None)

    tool_missing = "PostgreSQL 15 not found"

    def tool_line(self, tool: PostgresBinaries) -> str:
        return f"PostgreSQL {tool.version} ({tool.bindir})"

    def _cluster(self, host: NativeHost, service: ServiceSpec) -> Cluster:
        from devkit.stack.native import postgres as native_postgres

        return native_postgres.locate(host.root(service.name), host.state, host.settings.stack.project, service.name)

    def prepare(self, host: NativeHost, service: ServiceSpec, events: StackEvents) -> None:
        self._initialized(host, service, events)

    def _initialized(self, host: NativeHost, service: ServiceSpec, events: StackEvents) -> Cluster:
        from devkit.stack.native import postgres as native_postgres

        cluster = self._cluster(host, service)
        if not cluster.initialized:
            root = host.root(service.name)
            if cluster.external:
                events.notice(
                    f"{service.name}: data goes to {cluster.home}, since the postgres OS user cannot reach {root}"
                )
            events.service(service.name, "initializing", "initdb")
            native_postgres.initialize(cluster, host.tool(self), service, root / "log")
        return cluster

    def before_start(self, host: NativeHost, service: ServiceSpec, events: StackEvents) -> pwd.struct_passwd | None:
        from devkit.stack.native import postgres as native_postgres

        cluster = self._initialized(host, service, events)
        native_postgres.prepare_run(cluster, service)
        return cluster.owner

    def launch(self, host: NativeHost, stack: StackSpec, service: ServiceSpec, dry_run: bool = False) -> Launch:
        from devkit.stack.native import postgres as native_postgres
        from devkit.stack.native.translate import postgres_argv

        binaries = host.tool(self)
        root = host.root(service.name)
        if dry_run:  # where the data goes is decided when it is created
            postgres_argv(binaries.postgres, service, root / "data", None)
            return Launch([], {}, root, "")
        cluster = self._cluster(host, service)
        argv = postgres_argv(binaries.postgres, service, cluster.pgdata, cluster.sockets)
        env = {**native_postgres.server_environment(cluster.owner), **host.marker()}
        return Launch(argv, env, cluster.home, f"PostgreSQL {binaries.version}, data in {cluster.pgdata}")

    def probe(self, host: NativeHost, stack: StackSpec, service: ServiceSpec) -> bool | None:
        """The database the stack promises accepts the stack's credentials and answers a query."""
        from devkit.stack.native.health import postgres_ready

        url = self.url(service)
        return postgres_ready(url) if url else None


KIND = Postgres()
