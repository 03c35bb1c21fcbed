"""The Docker engine the suite's Docker tests run against: one that answers, or one the suite starts itself.

`make test` must pass on a fresh machine where nothing runs dockerd (CI, a developer's VM after `make up` chose
the native runtime). So when no engine answers where the docker CLI would look, and we are root with `dockerd`
installed, the suite starts a private one for the session: its own data root (images built once per machine stay
cached there), exec root and pid file, serving the default socket so the engine-discovery tests see what a user's
machine shows. It is stopped when the session ends. An engine that answers is used as it is and left running,
unless the test session that started it was killed before it could stop it (then this session adopts and stops it):
an owner file beside the pid file names the session, so concurrent sessions never stop each other's engine and one
started by hand (`python -m tests.engine`) is left for its starter to stop.

    .venv/bin/python -m tests.engine   # start (or find) the engine and say which, for a manual run
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors
import requests.exceptions

DEFAULT_SOCKET = Path("/var/run/docker.sock")
DATA_ROOT = Path("/var/lib/devkit-test/docker")
RUN_DIR = Path("/run/devkit-test-docker")
START_TIMEOUT = 90.0  # seconds: a first start on a fresh data root sets up its storage driver and networks
STOP_TIMEOUT = 30.0
# Slow engine work (rootfs import, image builds) must not hit docker-py's default 60 s read timeout.
CLIENT_TIMEOUT = 900


class EngineUnavailable(RuntimeError):
    """No engine answers and none can be started here; the message says what to start."""


@dataclass
class TestEngine:
    client: docker.DockerClient
    base_url: str
    started_pid: int | None  # the dockerd this session started (and stops), None when it found one running

    def stop(self) -> None:
        self.client.close()
        if self.started_pid is not None:
            stop_dockerd(self.started_pid)


def _client(base_url: str | None, timeout: float) -> docker.DockerClient | None:
    try:
        client = (
            docker.DockerClient(base_url=base_url, timeout=timeout) if base_url else docker.from_env(timeout=timeout)
        )
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError):
        return None
    return client


def _pid_file() -> Path:
    return RUN_DIR / "dockerd.pid"


def _alive(pid: int) -> bool:
    """Running, and not a zombie: a dockerd we started and that exited stays in /proc until reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]


def _owner_file() -> Path:
    return RUN_DIR / "dockerd.owner"


MANUAL_OWNER = "manual"


def _our_dockerd() -> int | None:
    """A dockerd an earlier, killed session of ours started and never stopped: adopted, so this one stops it.

    Not one a running session started (it is still using it) nor one started by hand: stopping either would pull
    the engine from under someone else's tests.
    """
    try:
        pid = int(_pid_file().read_text().strip())
        owner = _owner_file().read_text().strip()
    except (OSError, ValueError):
        return None
    if owner == MANUAL_OWNER or not owner.isdigit() or _alive(int(owner)):
        return None
    try:
        command = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None
    return pid if command == "dockerd" else None  # a pid reused by something else is not ours to stop


def can_start_dockerd() -> str | None:
    """None when this process may start a private dockerd, else why not (for the one-line error)."""
    if os.geteuid() != 0:
        return "not running as root"
    if shutil.which("dockerd") is None:
        return "dockerd is not installed (apt-get install docker.io)"
    return None


def start_dockerd(owner: str | None = None) -> int:
    """Start a private dockerd on the default socket; returns its pid once the engine answers.

    `owner` is written beside the pid file: this process's pid by default, MANUAL_OWNER for a start by hand.
    """
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    _owner_file().write_text(owner or str(os.getpid()))
    DATA_ROOT.mkdir(parents=True, exist_ok=True)
    log = RUN_DIR / "dockerd.log"
    argv = [
        "dockerd",
        "--data-root",
        str(DATA_ROOT),
        "--exec-root",
        str(RUN_DIR / "exec"),
        "--pidfile",
        str(_pid_file()),
        "-H",
        f"unix://{DEFAULT_SOCKET}",
    ]
    with log.open("ab") as output:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EngineUnavailable(f"dockerd exited with {process.returncode}: {_last_line(log)} (see {log})")
        client = _client(f"unix://{DEFAULT_SOCKET}", 5)
        if client is not None:
            client.close()
            return process.pid
        time.sleep(0.2)
    stop_dockerd(process.pid)
    raise EngineUnavailable(f"dockerd did not answer within {START_TIMEOUT:g}s: {_last_line(log)} (see {log})")


def stop_dockerd(pid: int) -> None:
    """SIGTERM (dockerd stops its containers and cleans up its mounts), SIGKILL if it hangs."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)  # ours when this session started it: reap it, or it lingers as a zombie
    _pid_file().unlink(missing_ok=True)


def _last_line(log: Path) -> str:
    try:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no log"
    return lines[-1][-300:] if lines else "no output"


def ensure_engine(owner: str | None = None) -> TestEngine:
    """DOCKER_HOST when set (it must answer), else the default socket, else a private dockerd we start."""
    explicit = os.environ.get("DOCKER_HOST")
    client = _client(None, CLIENT_TIMEOUT)
    if client is not None:
        return TestEngine(client, str(client.api.base_url), _our_dockerd())
    if explicit:
        raise EngineUnavailable(f"no Docker engine answers at DOCKER_HOST={explicit}: start it, or unset DOCKER_HOST")
    reason = can_start_dockerd()
    if reason is not None:
        raise EngineUnavailable(
            f"no Docker engine answers at {DEFAULT_SOCKET} and the tests can't start one ({reason}): "
            "start Docker (or dockerd), set DOCKER_HOST, or run `make test` as root"
        )
    pid = start_dockerd(owner)
    client = _client(f"unix://{DEFAULT_SOCKET}", CLIENT_TIMEOUT)
    if client is None:
        stop_dockerd(pid)
        raise EngineUnavailable(f"dockerd started but {DEFAULT_SOCKET} does not answer (see {RUN_DIR / 'dockerd.log'})")
    return TestEngine(client, f"unix://{DEFAULT_SOCKET}", pid)


def main() -> int:
    try:
        engine = ensure_engine(owner=MANUAL_OWNER)
    except EngineUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if engine.started_pid:
        _owner_file().write_text(MANUAL_OWNER)  # an adopted leftover is now this starter's too
        how = f"dockerd pid {engine.started_pid}, left running (stop it: kill {engine.started_pid})"
    else:
        how = "already running"
    print(f"Docker {engine.client.version()['Version']} at {engine.base_url}: {how}")
    engine.client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
