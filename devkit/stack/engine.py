"""Find the Docker engine the way the docker CLI does.

docker-py's `from_env()` only reads DOCKER_HOST, so a developer whose engine is Colima, OrbStack, Rancher Desktop
or Docker Desktop (reached through a docker *context* or a socket in their home) would be told there is no engine.
The order, as the CLI resolves it:

1. DOCKER_HOST (with DOCKER_TLS_VERIFY / DOCKER_CERT_PATH) — authoritative: when set, it is the only endpoint tried.
2. DOCKER_CONTEXT — authoritative too: the user named the context.
3. `currentContext` of $DOCKER_CONFIG/config.json (default ~/.docker) — tried first, then the sockets below,
   because a remembered context often points at a VM that is stopped while another engine runs.
4. The usual sockets: /var/run/docker.sock, Docker Desktop, rootless, Colima, OrbStack, Rancher Desktop.

Each candidate gets one short ping; the first that answers wins. Building the candidate list is pure
(`candidates`), so it is testable without any engine.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors
import docker.utils
import requests.exceptions
from docker.tls import TLSConfig

from devkit.errors import EngineError

PING_TIMEOUT = 2.0
# Engine calls after discovery: long enough for a stop with a grace period or a slow image layer.
CLIENT_TIMEOUT = 120
HINT = "start Docker (or dockerd), set DOCKER_HOST, or use --runtime native"


@dataclass(frozen=True)
class Candidate:
    base_url: str
    source: str  # how it was found, for the user: "DOCKER_HOST", "context 'colima'", "default socket"
    tls: TLSConfig | None = None


@dataclass(frozen=True)
class ContextEndpoint:
    host: str | None  # None: the context has no docker endpoint host ("default"-like)
    skip_tls_verify: bool


@dataclass
class Engine:
    client: docker.DockerClient
    base_url: str
    source: str
    version: str

    def describe(self) -> str:
        return f"Docker {self.version} at {self.base_url} ({self.source})"


# --- pure: where to look -------------------------------------------------------------------------------------


def docker_config_dir(environ: Mapping[str, str], home: Path) -> Path:
    configured = environ.get("DOCKER_CONFIG")
    return Path(configured).expanduser() if configured else home / ".docker"


def context_id(name: str) -> str:
    """The directory name the docker CLI stores a context under."""
    return hashlib.sha256(name.encode()).hexdigest()


def current_context_name(config_text: str | None) -> str | None:
    """`currentContext` of config.json; None when unset, "default" or the file is unreadable JSON."""
    if not config_text:
        return None
    try:
        name = json.loads(config_text).get("currentContext")
    except (ValueError, AttributeError):
        return None
    return name if isinstance(name, str) and name and name != "default" else None


def parse_context_meta(meta_text: str) -> ContextEndpoint:
    """`contexts/meta/<id>/meta.json` -> the docker endpoint. Raises ValueError when the file is not one."""
    meta = json.loads(meta_text)
    if not isinstance(meta, dict):
        raise ValueError("meta.json is not an object")
    endpoint = (meta.get("Endpoints") or {}).get("docker") or {}
    if not isinstance(endpoint, dict):
        raise ValueError("Endpoints.docker is not an object")
    host = endpoint.get("Host") or None
    return ContextEndpoint(host=str(host) if host else None, skip_tls_verify=bool(endpoint.get("SkipTLSVerify")))


def context_tls(tls_dir: Path, endpoint: ContextEndpoint) -> TLSConfig | None:
    """TLS material the CLI keeps beside a context (`contexts/tls/<id>/docker/{ca,cert,key}.pem`)."""
    if not tls_dir.is_dir() or not endpoint.host or not endpoint.host.startswith(("tcp://", "https://")):
        return None
    ca, cert, key = (tls_dir / name for name in ("ca.pem", "cert.pem", "key.pem"))
    client_cert = (str(cert), str(key)) if cert.is_file() and key.is_file() else None
    if not client_cert and not ca.is_file():
        return None
    return TLSConfig(
        client_cert=client_cert,
        ca_cert=str(ca) if ca.is_file() else None,
        verify=False if endpoint.skip_tls_verify else (str(ca) if ca.is_file() else True),
    )


def usual_sockets(environ: Mapping[str, str], home: Path) -> list[Candidate]:
    sockets = [(Path("/var/run/docker.sock"), "default socket")]
    sockets.append((home / ".docker/run/docker.sock", "Docker Desktop socket"))
    runtime_dir = environ.get("XDG_RUNTIME_DIR")
    if runtime_dir:
        sockets.append((Path(runtime_dir) / "docker.sock", "rootless socket"))
    sockets += [
        (home / ".colima/default/docker.sock", "Colima socket"),
        (home / ".orbstack/run/docker.sock", "OrbStack socket"),
        (home / ".rd/docker.sock", "Rancher Desktop socket"),
    ]
    return [Candidate(f"unix://{path}", source) for path, source in sockets]


def candidates(environ: Mapping[str, str], home: Path) -> list[Candidate]:
    """Every endpoint to try, in order. Raises EngineError when an explicitly named context is unusable."""
    if environ.get("DOCKER_HOST"):
        params = docker.utils.kwargs_from_env(environment=dict(environ))
        return [Candidate(str(params["base_url"]), "DOCKER_HOST", params.get("tls") or None)]
    config_dir = docker_config_dir(environ, home)
    explicit = environ.get("DOCKER_CONTEXT")
    if explicit and explicit != "default":
        return [_context_candidate(config_dir, explicit, explicit=True)]
    found: list[Candidate] = []
    remembered = current_context_name(_read(config_dir / "config.json"))
    if remembered:
        # A stale currentContext must not hide a running engine on the usual sockets.
        with contextlib.suppress(EngineError):
            found.append(_context_candidate(config_dir, remembered, explicit=False))
    for candidate in usual_sockets(environ, home):
        if candidate.base_url not in {item.base_url for item in found}:
            found.append(candidate)
    return found


def _context_candidate(config_dir: Path, name: str, explicit: bool) -> Candidate:
    origin = "DOCKER_CONTEXT" if explicit else f"currentContext in {config_dir / 'config.json'}"
    meta_file = config_dir / "contexts" / "meta" / context_id(name) / "meta.json"
    text = _read(meta_file)
    if text is None:
        raise EngineError(
            f"docker context {name!r} ({origin}) does not exist: no {meta_file}",
            "run `docker context ls`, or unset DOCKER_CONTEXT",
        )
    try:
        endpoint = parse_context_meta(text)
    except ValueError as exc:
        raise EngineError(f"docker context {name!r}: {meta_file} is malformed: {exc}", "recreate the context") from None
    if not endpoint.host:
        raise EngineError(f"docker context {name!r} has no docker endpoint host", "recreate the context")
    tls = context_tls(config_dir / "contexts" / "tls" / context_id(name) / "docker", endpoint)
    return Candidate(endpoint.host, f"context {name!r}", tls)


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


# --- I/O: who answers ----------------------------------------------------------------------------------------


def short_reason(error: BaseException) -> str:
    """A few words for why an endpoint did not answer, from docker-py's nested connection errors."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, FileNotFoundError):
            return "no such socket"
        if isinstance(current, PermissionError):
            return "permission denied (join the docker group or use a rootless engine)"
        if isinstance(current, ConnectionRefusedError):
            return "connection refused (stale socket: the engine is not running)"
        if isinstance(current, socket.timeout | TimeoutError | requests.exceptions.Timeout):
            return f"no answer within {PING_TIMEOUT:g}s"
        if isinstance(current, OSError) and current.errno in (errno.ENOENT, errno.ECONNREFUSED):
            return "no such socket" if current.errno == errno.ENOENT else "connection refused"
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                pending.append(linked)
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:160]


def _unix_path(base_url: str) -> Path | None:
    return Path(base_url.removeprefix("unix://")) if base_url.startswith("unix://") else None


def ping(candidate: Candidate, timeout: float = PING_TIMEOUT) -> Engine:
    """Connect to one endpoint; raises EngineError with a short reason when it does not answer."""
    path = _unix_path(candidate.base_url)
    if path is not None and not path.exists():
        raise EngineError(f"{candidate.base_url}: no such socket")
    ssh = candidate.base_url.startswith("ssh://")
    try:
        probe = docker.DockerClient(
            base_url=candidate.base_url, tls=candidate.tls or False, timeout=timeout, use_ssh_client=ssh
        )
        try:
            version = probe.version()
        finally:
            probe.close()
        # The probe's short timeout would cut off stops and builds; the real client reuses the negotiated API.
        client = docker.DockerClient(
            base_url=candidate.base_url,
            tls=candidate.tls or False,
            timeout=CLIENT_TIMEOUT,
            version=str(version.get("ApiVersion") or "auto"),
            use_ssh_client=ssh,
        )
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
        raise EngineError(f"{candidate.base_url}: {short_reason(exc)}") from None
    return Engine(client, candidate.base_url, candidate.source, str(version.get("Version", "unknown")))


def find_engine(environ: Mapping[str, str] | None = None, home: Path | None = None) -> Engine:
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    return first_answering(candidates(environ, home))


def first_answering(found: list[Candidate]) -> Engine:
    tried = []
    for candidate in found:
        try:
            return ping(candidate)
        except EngineError as exc:
            label = f"{candidate.source}={candidate.base_url}" if candidate.source == "DOCKER_HOST" else None
            tried.append(exc.message.replace(candidate.base_url, label, 1) if label else exc.message)
    raise EngineError(f"no Docker engine answered (tried: {', '.join(tried) or 'nothing'})", _hint(found))


def _hint(found: list[Candidate]) -> str:
    """An explicit setting was the only place looked at: the fix is that setting."""
    if len(found) == 1 and found[0].source == "DOCKER_HOST":
        return "start the engine DOCKER_HOST points at, fix or unset DOCKER_HOST, or use --runtime native"
    if len(found) == 1 and found[0].source.startswith("context "):
        return f"start the engine of {found[0].source}, pick another with DOCKER_CONTEXT, or use --runtime native"
    return HINT
