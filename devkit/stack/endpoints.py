"""How to connect to each service from the host: the same URLs whatever runtime runs the stack (each kind
says how its URL looks, devkit/stack/kinds)."""

from __future__ import annotations

from devkit.stack.kinds import kind_of
from devkit.stack.spec import ServiceSpec, StackSpec


def service_url(service: ServiceSpec) -> str | None:
    return kind_of(service).url(service)


def service_urls(service: ServiceSpec) -> dict[str, str]:
    """The named entry points the compose file lists under x-devkit.urls, as URLs from the host."""
    return kind_of(service).urls(service)


def dev_dsn(stack: StackSpec) -> str | None:
    """The dev environment's DSN follows from the stack's PostgreSQL service."""
    database = stack.database()
    return service_url(database) if database else None


def port_labels(service: ServiceSpec) -> list[str]:
    return [f"{m.host_ip}:{m.host}->{m.container}/{m.protocol}" for m in service.ports]
