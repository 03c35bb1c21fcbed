"""How to connect to each service from the host: the same URLs whatever runtime runs the stack."""

from __future__ import annotations

from urllib.parse import quote

from devkit.stack.spec import ServiceSpec, StackSpec

POSTGRES_PORT = 5432
REDIS_PORT = 6379


def postgres_credentials(service: ServiceSpec) -> tuple[str, str, str]:
    """(user, password, database) as the official postgres image derives them from its environment."""
    env = service.environment
    user = env.get("POSTGRES_USER") or "postgres"
    password = env.get("POSTGRES_PASSWORD", "")
    database = env.get("POSTGRES_DB") or user
    return user, password, database


def service_url(service: ServiceSpec) -> str | None:
    if service.kind == "postgres":
        port = service.host_port(POSTGRES_PORT) or service.host_port()
        if port is None:
            return None
        user, password, database = postgres_credentials(service)
        auth = f"{quote(user)}:{quote(password)}@" if password else f"{quote(user)}@"
        return f"postgresql://{auth}127.0.0.1:{port}/{quote(database)}"
    if service.kind == "redis":
        port = service.host_port(REDIS_PORT) or service.host_port()
        return f"redis://127.0.0.1:{port}/0" if port else None
    port = service.host_port()
    return f"http://127.0.0.1:{port}" if port else None


def service_urls(service: ServiceSpec) -> dict[str, str]:
    """The named entry points the compose file lists under x-devkit.urls, as URLs from the host."""
    base = service_url(service)
    if base is None or service.kind != "service":
        return {}
    return {name: base + path for name, path in service.urls.items()}


def dev_dsn(stack: StackSpec) -> str | None:
    """The dev environment's DSN follows from the stack's PostgreSQL service."""
    database = stack.database()
    return service_url(database) if database else None


def port_labels(service: ServiceSpec) -> list[str]:
    return [f"{m.host_ip}:{m.host}->{m.container}/{m.protocol}" for m in service.ports]
