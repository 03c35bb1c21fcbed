"""The machine set-up scripts that `make up`, `make test` and CI run (.ci/): they must never harm what a
developer's machine already runs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from testbed.servers import RedisServer, start_redis

REPO_ROOT = Path(__file__).resolve().parent.parent
STOP_SERVICES = REPO_ROOT / ".ci" / "stop-package-services"


def _without_service_manager(tmp_path: Path, pid_file: Path) -> dict[str, str]:
    """A machine where systemctl and service both fail (a container, a CI runner): the fallbacks run."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir(exist_ok=True)
    for name in ("systemctl", "service"):
        tool = fake_bin / name
        tool.write_text("#!/bin/sh\nexit 1\n")
        tool.chmod(0o755)
    return {**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}", "REDIS_PID_FILE": str(pid_file)}


def _alive(redis: RedisServer) -> bool:
    """Still running a moment after the script returned (a SIGTERM'd redis-server exits within milliseconds)."""
    try:
        redis.process.wait(timeout=1.0)
    except subprocess.TimeoutExpired:
        return True
    return False


def test_stopping_debians_redis_service_spares_every_other_redis_server(tmp_path: Path) -> None:
    developers_own = start_redis(tmp_path / "own")
    debians = start_redis(tmp_path / "debian")
    try:
        pid_file = tmp_path / "redis-server.pid"
        env = _without_service_manager(tmp_path, pid_file)

        # No pid file (the service did not start): nothing is stopped.
        done = subprocess.run([STOP_SERVICES, "redis-server"], env=env, capture_output=True, timeout=30)
        assert done.returncode == 0
        assert _alive(developers_own) and _alive(debians)

        # A pid file naming something that is not redis-server (a reused pid): left alone.
        pid_file.write_text(f"{os.getpid()}\n")
        subprocess.run([STOP_SERVICES, "redis-server"], env=env, check=True, timeout=30)
        assert _alive(developers_own) and _alive(debians)

        # The service's own pid file: that server stops, and only that one.
        pid_file.write_text(f"{debians.process.pid}\n")
        subprocess.run([STOP_SERVICES, "redis-server"], env=env, check=True, timeout=30)
        debians.process.wait(timeout=20)
        assert _alive(developers_own)
    finally:
        developers_own.stop()
        debians.stop()


def test_packages_that_start_no_service_are_ignored(tmp_path: Path) -> None:
    redis = start_redis(tmp_path / "own")
    try:
        env = _without_service_manager(tmp_path, tmp_path / "none.pid")
        subprocess.run([STOP_SERVICES, "docker.io", "debootstrap", "gcc"], env=env, check=True, timeout=30)
        assert _alive(redis)
    finally:
        redis.stop()
