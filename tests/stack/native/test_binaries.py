"""Finding PostgreSQL 15 and redis-server on the host, and the clear errors when they are missing or wrong."""

from __future__ import annotations

import os
import pwd
import tempfile
from pathlib import Path

import pytest

from devkit.config import load_settings
from devkit.errors import EngineError
from devkit.stack.native.binaries import find_postgres, find_redis
from devkit.stack.native.postgres import traversable_by
from devkit.stack.native.runtime import NativeRuntime


def test_finds_the_machines_postgresql_15_and_redis() -> None:
    postgres = find_postgres(None)
    assert postgres.version.startswith("15.")
    assert postgres.initdb.is_file() and postgres.postgres.is_file()
    assert find_postgres(postgres.bindir / "pg_ctl") == postgres  # a binary's path names its directory
    redis = find_redis(None)
    assert redis.path.name == "redis-server" and redis.version


def test_a_setting_pointing_nowhere_is_an_error_naming_it_and_the_fix() -> None:
    with pytest.raises(EngineError) as caught:
        find_postgres(Path("/nonexistent"))
    assert "/nonexistent" in caught.value.message and "DEVKIT_POSTGRES_BIN" in caught.value.message
    assert "apt-get install postgresql-15" in (caught.value.hint or "")
    with pytest.raises(EngineError, match="redis-server not found at /nonexistent"):
        find_redis(Path("/nonexistent"))


def test_another_postgresql_major_is_refused(tmp_path: Path) -> None:
    # A bin directory whose `postgres` reports 14: the data directory format differs, so no silent fallback.
    for name in ("initdb", "postgres"):
        script = tmp_path / name
        script.write_text("#!/bin/sh\necho 'postgres (PostgreSQL) 14.11'\n")
        script.chmod(0o755)
    with pytest.raises(EngineError) as caught:
        find_postgres(tmp_path)
    assert f"{tmp_path} has PostgreSQL 14.11; the stack runs PostgreSQL 15" == caught.value.message


def test_traversable_by() -> None:
    account = pwd.getpwnam("nobody")
    base = Path(tempfile.mkdtemp(prefix="devkit-traverse-", dir="/tmp"))
    try:
        inner = base / "a" / "b"
        inner.mkdir(parents=True)
        os.chmod(base, 0o755)
        assert traversable_by(inner, account)
        os.chmod(base, 0o700)  # like a home directory: nobody else gets through
        assert not traversable_by(inner, account)
        os.chmod(base, 0o711)
        assert traversable_by(inner, account)
    finally:
        os.chmod(base, 0o700)
        for path in (base / "a" / "b", base / "a", base):
            path.rmdir()


def test_describe_names_each_kinds_binaries_or_their_absence(tmp_path: Path) -> None:
    """`up` prints it after "runtime: native —": every kind with host binaries says which, or that it has none."""
    environ = {"DEVKIT_REDIS_SERVER": "/nonexistent/redis-server", "DEVKIT_STATE_DIR": str(tmp_path)}
    line = NativeRuntime(load_settings(cwd=tmp_path, environ=environ)).describe()
    found = find_postgres(None)
    assert line == f"PostgreSQL {found.version} ({found.bindir}), redis-server not found; state in {tmp_path}/mpac"
