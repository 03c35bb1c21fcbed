"""Compose service specs -> host processes, pure: which argv, which environment, which address.

Natively, the only thing that differs from containers is addressing: inside compose, `postgres:5432` is another
container on the project network; on the host it is `127.0.0.1:<published host port>`. Everything here is a
function of the spec, so it is tested without starting anything.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path

from devkit.errors import ConfigError
from devkit.stack.kinds.postgres import POSTGRES_PORT
from devkit.stack.kinds.redis import REDIS_PORT
from devkit.stack.spec import PortMapping, ServiceSpec, StackSpec

# A unix socket path longer than this does not fit in sockaddr_un (108 bytes with the terminating NUL).
_MAX_SOCKET_PATH = 107


def published(service: ServiceSpec, container_port: int) -> PortMapping | None:
    """The mapping that publishes `container_port`, else the service's first one (as endpoints.py picks)."""
    for mapping in service.ports:
        if mapping.container == container_port:
            return mapping
    return service.ports[0] if service.ports else None


def connect_host(host_ip: str) -> str:
    """Where a client on this host connects to reach a port bound on `host_ip` (wildcards mean loopback)."""
    if host_ip in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host_ip == "::":
        return "::1"
    return host_ip


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def host_addresses(stack: StackSpec) -> dict[tuple[str, int], str]:
    """(service, container port) -> `host:port` on this host, for every port the stack publishes."""
    return {
        (service.name, mapping.container): _host_port(connect_host(mapping.host_ip), mapping.host)
        for service in stack.services.values()
        for mapping in service.ports
    }


def rewrite_hosts(value: str, addresses: Mapping[tuple[str, int], str]) -> str:
    """Every `<service>:<container port>` in `value` becomes the published host address.

    Only whole host names count (`mypostgres:5432` is not `postgres:5432`), and `user:1234@` is a password, not
    a port. A reference to a port the service does not publish stays as it is: it may not be an address at all
    (`redis:7` as a version) and there is nothing on the host to point it at.
    """
    names = sorted({name for name, _ in addresses}, key=len, reverse=True)
    if not names:
        return value
    pattern = re.compile(r"(?<![A-Za-z0-9_.-])(" + "|".join(map(re.escape, names)) + r"):(\d+)(?![\d@])")

    def replace(match: re.Match[str]) -> str:
        return addresses.get((match.group(1), int(match.group(2))), match.group(0))

    return pattern.sub(replace, value)


def host_environment(stack: StackSpec, service: ServiceSpec) -> dict[str, str]:
    """The service's compose environment with other services' addresses rewritten for the host, plus PORT:
    natively the service must listen on its published host port, since nothing maps ports for it."""
    addresses = host_addresses(stack)
    environment = {key: rewrite_hosts(value, addresses) for key, value in service.environment.items()}
    if service.ports:
        environment["PORT"] = str(service.ports[0].host)
    return environment


def server_arguments(service: ServiceSpec, program: str) -> list[str]:
    """The compose `command` of a postgres/redis service as extra options for the host's server binary.

    The official images run `<program> --opt ...` and also bare `--opt ...` (their entrypoint prepends the
    program); anything else (a shell, a config file inside the image) means nothing on the host.
    """
    command = service.command or []
    if not command:
        return []
    if Path(command[0]).name == program:
        arguments = command[1:]
    elif command[0].startswith("-"):
        arguments = command
    else:
        raise ConfigError(
            f"service {service.name!r}: command {shlex.join(command)!r} can't run natively",
            f"the native runtime runs {program} itself: give 'command' only as [{program}, --option, ...]",
        )
    if arguments and not arguments[0].startswith("-"):
        raise ConfigError(
            f"service {service.name!r}: command passes {arguments[0]!r}, a file inside the image, to {program}",
            f"give {program} options in 'command' instead of a config file, or run it with --runtime docker",
        )
    return arguments


def _required_mapping(service: ServiceSpec, container_port: int) -> PortMapping:
    mapping = published(service, container_port)
    if mapping is None:
        raise ConfigError(
            f"service {service.name!r} publishes no port, so nothing on the host could reach it natively",
            f'add ports: ["127.0.0.1:{container_port}:{container_port}"] to it in the compose file',
        )
    return mapping


def socket_dir_usable(directory: Path, port: int) -> bool:
    """Whether PostgreSQL can put its unix socket there: the path fits sockaddr_un and needs no quoting in
    unix_socket_directories (a comma-separated list)."""
    text = str(directory)
    return len(f"{text}/.s.PGSQL.{port}") <= _MAX_SOCKET_PATH and not re.search(r"[\s,\"'\\]", text)


def postgres_argv(binary: Path, service: ServiceSpec, pgdata: Path, socket_dir: Path | None) -> list[str]:
    """`postgres` in the foreground on the published address; our settings go last, so they win over the
    compose command's (for the same GUC, PostgreSQL keeps the last one on its command line)."""
    mapping = _required_mapping(service, POSTGRES_PORT)
    sockets = str(socket_dir) if socket_dir and socket_dir_usable(socket_dir, mapping.host) else ""
    return [
        str(binary),
        "-D",
        str(pgdata),
        *server_arguments(service, "postgres"),
        "-p",
        str(mapping.host),
        "-c",
        f"listen_addresses={mapping.host_ip or '*'}",
        "-c",
        f"unix_socket_directories={sockets}",
    ]


def redis_argv(binary: Path, service: ServiceSpec, data_dir: Path) -> list[str]:
    """`redis-server` in the foreground, logging to stdout (the runtime's log file); later options win."""
    mapping = _required_mapping(service, REDIS_PORT)
    return [
        str(binary),
        *server_arguments(service, "redis-server"),
        "--port",
        str(mapping.host),
        "--bind",
        mapping.host_ip or "*",
        "--dir",
        str(data_dir),
        "--daemonize",
        "no",
        "--logfile",
        "",
    ]


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
