"""Any other service: the compose file's own image and health check; natively, its `x-devkit.native` command."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from devkit.stack.kinds.base import Kind, Launch, NativeHost

if TYPE_CHECKING:
    from devkit.stack.spec import ServiceSpec, StackSpec


class Service(Kind):
    name = "service"

    def urls(self, service: ServiceSpec) -> dict[str, str]:
        base = self.url(service)
        return {name: base + path for name, path in service.urls.items()} if base else {}

    def _environment(self, host: NativeHost, stack: StackSpec, service: ServiceSpec) -> dict[str, str]:
        from devkit.stack.native.process import inherited_environment
        from devkit.stack.native.translate import host_environment

        return {**inherited_environment(), **host_environment(stack, service), **host.marker()}

    def launch(self, host: NativeHost, stack: StackSpec, service: ServiceSpec, dry_run: bool = False) -> Launch:
        from devkit.errors import ConfigError

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
        env = self._environment(host, stack, service)
        program = native.command[0]
        if shutil.which(program, path=env.get("PATH")) is None and not (cwd / program).is_file():
            raise ConfigError(
                f"service {service.name!r}: x-devkit.native.command runs {program!r}, which is not found",
                "install it or fix the command in the compose file",
            )
        return Launch(list(native.command), env, cwd, f"in {cwd}")

    def probe(self, host: NativeHost, stack: StackSpec, service: ServiceSpec) -> bool | None:
        """The compose file's native health command, else a TCP connect to the first published port."""
        from devkit.stack.native.health import command_succeeds, tcp_open
        from devkit.stack.native.translate import connect_host

        native = service.native
        if native is not None and native.health:
            cwd = native.cwd or stack.compose_file.parent
            return command_succeeds(native.health, self._environment(host, stack, service), cwd)
        if service.ports:
            mapping = service.ports[0]
            return tcp_open(connect_host(mapping.host_ip), mapping.host)
        return None


KIND = Service()
