"""The native runtime's pure parts (native/translate.py, native/binaries.py): address rewriting, compose
command translation, argv, version parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit.config import load_settings
from devkit.errors import ConfigError
from devkit.stack.native.binaries import major, parse_postgres_version, parse_redis_version
from devkit.stack.native.translate import (
    connect_host,
    host_addresses,
    host_environment,
    postgres_argv,
    quote_ident,
    redis_argv,
    rewrite_hosts,
    server_arguments,
    socket_dir_usable,
)
from devkit.stack.spec import PortMapping, ServiceSpec, StackSpec, parse_stack

REPO_ROOT = Path(__file__).resolve().parents[3]
COMPOSE = REPO_ROOT / "tests" / "fixtures" / "stack" / "docker-compose.yml"

ADDRESSES = {("postgres", 5432): "127.0.0.1:15432", ("redis", 6379): "127.0.0.1:16379", ("api", 80): "127.0.0.1:8081"}


def fixture_stack(ports: dict[str, str]) -> StackSpec:
    environ = {f"DEVKIT_PORT_{name.upper()}": port for name, port in ports.items()}
    settings = load_settings(cwd=COMPOSE.parent, environ=environ)
    return parse_stack(COMPOSE.read_text(), COMPOSE, {}, settings)


def service(name: str = "svc", **fields: object) -> ServiceSpec:
    return ServiceSpec(name=name, kind=fields.pop("kind", "service"), image="x", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("postgresql://dev:dev@postgres:5432/mpac_dev", "postgresql://dev:dev@127.0.0.1:15432/mpac_dev"),
        ("redis://redis:6379/0", "redis://127.0.0.1:16379/0"),
        ("postgres:5432", "127.0.0.1:15432"),
        ("http://api:80/v1,redis:6379", "http://127.0.0.1:8081/v1,127.0.0.1:16379"),
        # Not the same host: a longer name, a dotted name, another port, a password, a version tag.
        ("mypostgres:5432", "mypostgres:5432"),
        ("db.postgres:5432", "db.postgres:5432"),
        ("postgres:54321", "postgres:54321"),
        ("postgresql://postgres:5432@db:5432/x", "postgresql://postgres:5432@db:5432/x"),
        ("redis:7", "redis:7"),
        ("plain text", "plain text"),
    ],
)
def test_rewrite_hosts(value: str, expected: str) -> None:
    assert rewrite_hosts(value, ADDRESSES) == expected


def test_rewrite_hosts_without_published_ports() -> None:
    assert rewrite_hosts("postgres:5432", {}) == "postgres:5432"


def test_host_addresses_use_the_published_ports() -> None:
    stack = fixture_stack({"postgres": "25432", "redis": "26379", "echo": "28080"})
    assert host_addresses(stack) == {
        ("postgres", 5432): "127.0.0.1:25432",
        ("redis", 6379): "127.0.0.1:26379",
        ("echo", 8080): "127.0.0.1:28080",
    }


def test_host_environment_of_the_echo_service() -> None:
    stack = fixture_stack({"postgres": "25432", "redis": "26379", "echo": "28080"})
    assert host_environment(stack, stack.services["echo"]) == {
        "DATABASE_URL": "postgresql://dev:dev@127.0.0.1:25432/mpac_dev",
        "REDIS_URL": "redis://127.0.0.1:26379/0",
        "PORT": "28080",  # the service must listen on its published port: nothing maps it natively
    }


def test_wildcard_and_ipv6_binds_are_reached_through_loopback() -> None:
    assert connect_host("0.0.0.0") == "127.0.0.1"
    assert connect_host("::") == "::1"
    assert connect_host("127.0.0.2") == "127.0.0.2"
    services = {
        "db": service("db", ports=(PortMapping(5432, 15432, "::"),)),
        "web": service("web", ports=(PortMapping(80, 8080),)),
    }
    stack = StackSpec("p", Path("/x/docker-compose.yml"), services)
    assert host_addresses(stack) == {("db", 5432): "[::1]:15432", ("web", 80): "127.0.0.1:8080"}


@pytest.mark.parametrize(
    ("command", "program", "expected"),
    [
        (None, "redis-server", []),
        (["redis-server", "--appendonly", "yes"], "redis-server", ["--appendonly", "yes"]),
        (["/usr/local/bin/redis-server", "--save", ""], "redis-server", ["--save", ""]),
        (["--maxmemory", "64mb"], "redis-server", ["--maxmemory", "64mb"]),  # the image prepends redis-server
        (["postgres", "-c", "max_connections=200"], "postgres", ["-c", "max_connections=200"]),
        (["-c", "fsync=off"], "postgres", ["-c", "fsync=off"]),
        (["redis-server"], "redis-server", []),
    ],
)
def test_server_arguments(command: list[str] | None, program: str, expected: list[str]) -> None:
    assert server_arguments(service("cache", command=command), program) == expected


def test_server_arguments_refuse_what_only_means_something_in_the_image() -> None:
    with pytest.raises(ConfigError, match=r"service 'cache': command .sh -c .* can't run natively"):
        server_arguments(service("cache", command=["sh", "-c", "redis-server --port 1"]), "redis-server")
    with pytest.raises(ConfigError, match=r"a file inside the image") as caught:
        server_arguments(service("cache", command=["redis-server", "/etc/redis.conf"]), "redis-server")
    assert "--runtime docker" in (caught.value.hint or "")


def test_redis_argv_puts_our_options_last() -> None:
    redis = service(
        "redis",
        kind="redis",
        command=["redis-server", "--appendonly", "yes", "--port", "1"],
        ports=(PortMapping(6379, 16379, "127.0.0.1"),),
    )
    argv = redis_argv(Path("/usr/bin/redis-server"), redis, Path("/state/redis/data"))
    assert argv == [
        "/usr/bin/redis-server", "--appendonly", "yes", "--port", "1",
        "--port", "16379", "--bind", "127.0.0.1", "--dir", "/state/redis/data",
        "--daemonize", "no", "--logfile", "",
    ]  # fmt: skip


def test_postgres_argv() -> None:
    postgres = service(
        "db", kind="postgres", command=["postgres", "-c", "max_connections=50"], ports=(PortMapping(5432, 15432),)
    )
    argv = postgres_argv(Path("/pg/bin/postgres"), postgres, Path("/d/pgdata"), Path("/d/run"))
    assert argv == [
        "/pg/bin/postgres", "-D", "/d/pgdata", "-c", "max_connections=50",
        "-p", "15432", "-c", "listen_addresses=0.0.0.0", "-c", "unix_socket_directories=/d/run",
    ]  # fmt: skip


def test_postgres_without_a_usable_socket_dir_listens_on_tcp_only() -> None:
    postgres = service("db", kind="postgres", ports=(PortMapping(5432, 15432, "127.0.0.1"),))
    deep = Path("/" + "very-long-directory-name/" * 5)
    assert postgres_argv(Path("postgres"), postgres, Path("/d"), deep)[-1] == "unix_socket_directories="
    assert postgres_argv(Path("postgres"), postgres, Path("/d"), None)[-1] == "unix_socket_directories="


def test_a_server_that_publishes_no_port_cannot_run_natively() -> None:
    with pytest.raises(ConfigError, match=r"'db' publishes no port") as caught:
        postgres_argv(Path("postgres"), service("db", kind="postgres"), Path("/d"), None)
    assert '"127.0.0.1:5432:5432"' in (caught.value.hint or "")


def test_socket_dir_usable() -> None:
    assert socket_dir_usable(Path("/var/lib/devkit/mpac-1234abcd/postgres/run"), 5432)
    assert not socket_dir_usable(Path("/tmp/" + "x" * 100), 5432)
    assert not socket_dir_usable(Path("/tmp/a,b"), 5432)
    assert not socket_dir_usable(Path("/tmp/a b"), 5432)


def test_quote_ident() -> None:
    assert quote_ident("mpac_dev") == '"mpac_dev"'
    assert quote_ident('we"ird') == '"we""ird"'


def test_version_parsing() -> None:
    version = parse_postgres_version("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n")
    assert version == "15.18"
    assert major(version) == 15
    assert parse_postgres_version("postgres (PostgreSQL) 16beta1") == "16"
    assert parse_postgres_version("something else") is None
    assert parse_redis_version("Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0") == "7.0.15"
    assert parse_redis_version("") is None
