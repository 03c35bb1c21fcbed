"""Fixtures shared by the whole suite: real servers, fresh databases, an isolated devkit project."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from testbed.servers import PostgresServer, RedisServer, start_postgres, start_redis

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    base = Path(tempfile.mkdtemp(prefix="devkit-test-pg-", dir="/tmp"))
    server = start_postgres(base)
    yield server
    server.stop()


@pytest.fixture
def pg_database(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database on the shared server; its DSN. Dropped afterwards."""
    with postgres_server.database() as dsn:
        yield dsn


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    base = Path(tempfile.mkdtemp(prefix="devkit-test-redis-", dir="/tmp"))
    server = start_redis(base)
    yield server
    server.stop()
