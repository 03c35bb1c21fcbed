"""Redis 7 (or Valkey): redis-cli ping in the container, redis-server on the host."""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

from devkit.stack.kinds.base import LOOPBACK, Kind, Launch, NativeHost
from devkit.stack.kinds.postgres import server_check

if TYPE_CHECKING:
    import pwd

    from devkit.config import Settings
    from devkit.stack.native.binaries import RedisBinary
    from devkit.stack.native.process import StopStep
    from devkit.stack.runtime import StackEvents
    from devkit.stack.spec import HealthCheck, ServiceSpec, StackSpec

REDIS_PORT = 6379


class Redis(Kind):
    name = "redis"
    images = ("redis", "valkey")
    port = REDIS_PORT

    def url(self, service: ServiceSpec) -> str | None:
        port = service.host_port(REDIS_PORT) or service.host_port()
        return f"redis://{LOOPBACK}:{port}/0" if port else None

    def default_healthcheck(self, service: ServiceSpec) -> HealthCheck:
        return server_check(["CMD", "redis-cli", "ping"])

    def stop_steps(self) -> tuple[StopStep, ...]:
        """Redis saves its data on SIGTERM."""
        from devkit.stack.native.process import StopStep

        return (StopStep(signal.SIGTERM, 20.0), StopStep(signal.SIGKILL, 5.0, True))

    # --- native: redis-server in the foreground ----------------------------------------------------------------

    def find_tool(self, settings: Settings) -> RedisBinary:
        from devkit.stack.native.binaries import find_redis

        setting = settings.stack.redis_server
        return find_redis(settings.path(setting) if setting else None)

    tool_missing = "redis-server not found"

    def tool_line(self, tool: RedisBinary) -> str:
        return f"redis-server {tool.version or '?'} ({tool.path})"

    def before_start(self, host: NativeHost, service: ServiceSpec, events: StackEvents) -> pwd.struct_passwd | None:
        (host.root(service.name) / "data").mkdir(exist_ok=True)
        return None

    def launch(self, host: NativeHost, stack: StackSpec, service: ServiceSpec, dry_run: bool = False) -> Launch:
        from devkit.stack.native.process import inherited_environment
        from devkit.stack.native.translate import redis_argv

        data = host.root(service.name) / "data"
        argv = redis_argv(host.tool(self).path, service, data)
        return Launch(argv, {**inherited_environment(), **host.marker()}, data, f"data in {data}")

    def probe(self, host: NativeHost, stack: StackSpec, service: ServiceSpec) -> bool | None:
        from devkit.stack.native.health import redis_ping
        from devkit.stack.native.translate import connect_host, published

        mapping = published(service, REDIS_PORT)
        return redis_ping(connect_host(mapping.host_ip), mapping.host) if mapping else None


KIND = Redis()
