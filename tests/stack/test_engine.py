"""Engine discovery: the pure candidate list (temp DOCKER_CONFIG dirs, no engine needed) and real pings."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from devkit.errors import EngineError
from devkit.stack.engine import (
    Candidate,
    candidates,
    context_id,
    current_context_name,
    find_engine,
    first_answering,
    parse_context_meta,
    usual_sockets,
)

DEFAULT_SOCKET = "unix:///var/run/docker.sock"


def write_context(config_dir: Path, name: str, host: str, skip_tls_verify: bool = False) -> Path:
    meta_dir = config_dir / "contexts" / "meta" / context_id(name)
    meta_dir.mkdir(parents=True)
    meta = {
        "Name": name,
        "Metadata": {"Description": f"{name} engine"},
        "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": skip_tls_verify}},
    }
    (meta_dir / "meta.json").write_text(json.dumps(meta))
    return meta_dir


def test_context_id_is_the_cli_directory_name() -> None:
    # `docker context create colima` stores it under contexts/meta/<sha256 of the name>.
    assert context_id("colima") == "f24fd3749c1368328e2b149bec149cb6795619f244c5b584e844961215dadd16"


def test_parse_context_meta_reads_the_docker_endpoint() -> None:
    text = json.dumps(
        {"Name": "colima", "Endpoints": {"docker": {"Host": "unix:///Users/a/.colima/default/docker.sock"}}}
    )
    endpoint = parse_context_meta(text)
    assert endpoint.host == "unix:///Users/a/.colima/default/docker.sock"
    assert endpoint.skip_tls_verify is False
    assert parse_context_meta('{"Name": "x", "Endpoints": {}}').host is None
    with pytest.raises(ValueError):
        parse_context_meta("[1, 2]")
    with pytest.raises(ValueError):
        parse_context_meta("{not json")


def test_current_context_name() -> None:
    assert current_context_name('{"currentContext": "colima", "auths": {}}') == "colima"
    assert current_context_name('{"currentContext": "default"}') is None
    assert current_context_name('{"auths": {}}') is None
    assert current_context_name("garbage") is None
    assert current_context_name(None) is None


def test_docker_host_is_the_only_candidate_when_set(tmp_path: Path) -> None:
    config_dir = tmp_path / "docker"
    write_context(config_dir, "colima", "unix:///elsewhere.sock")
    (config_dir / "config.json").write_text('{"currentContext": "colima"}')
    environ = {"DOCKER_HOST": "tcp://127.0.0.1:2375", "DOCKER_CONFIG": str(config_dir), "DOCKER_CONTEXT": "colima"}
    found = candidates(environ, tmp_path)
    assert [(c.base_url, c.source, c.tls) for c in found] == [("tcp://127.0.0.1:2375", "DOCKER_HOST", None)]


def test_docker_host_with_tls_settings(tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (certs / name).write_text("not really a pem")
    environ = {"DOCKER_HOST": "tcp://127.0.0.1:2376", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(certs)}
    (candidate,) = candidates(environ, tmp_path)
    assert candidate.tls is not None
    assert candidate.tls.cert == (str(certs / "cert.pem"), str(certs / "key.pem"))
    assert candidate.tls.ca_cert == str(certs / "ca.pem")
    assert candidate.tls.verify is True


def test_current_context_comes_first_then_the_usual_sockets(tmp_path: Path) -> None:
    config_dir = tmp_path / "docker"
    write_context(config_dir, "colima", "unix:///Users/a/.colima/default/docker.sock")
    (config_dir / "config.json").write_text('{"currentContext": "colima"}')
    found = candidates({"DOCKER_CONFIG": str(config_dir)}, tmp_path)
    assert (found[0].base_url, found[0].source) == ("unix:///Users/a/.colima/default/docker.sock", "context 'colima'")
    assert [c.base_url for c in found[1:]] == [c.base_url for c in usual_sockets({}, tmp_path)]


def test_config_dir_defaults_to_home_dot_docker(tmp_path: Path) -> None:
    write_context(tmp_path / ".docker", "orbstack", "unix:///Users/a/.orbstack/run/docker.sock")
    (tmp_path / ".docker" / "config.json").write_text('{"currentContext": "orbstack"}')
    assert candidates({}, tmp_path)[0].source == "context 'orbstack'"


def test_stale_current_context_does_not_hide_the_sockets(tmp_path: Path) -> None:
    config_dir = tmp_path / "docker"
    config_dir.mkdir()
    (config_dir / "config.json").write_text('{"currentContext": "gone"}')
    found = candidates({"DOCKER_CONFIG": str(config_dir)}, tmp_path)
    assert found == usual_sockets({}, tmp_path)


def test_explicit_docker_context_is_authoritative(tmp_path: Path) -> None:
    config_dir = tmp_path / "docker"
    write_context(config_dir, "remote", "tcp://10.0.0.5:2376")
    found = candidates({"DOCKER_CONFIG": str(config_dir), "DOCKER_CONTEXT": "remote"}, tmp_path)
    assert [(c.base_url, c.source) for c in found] == [("tcp://10.0.0.5:2376", "context 'remote'")]
    with pytest.raises(EngineError, match=r"docker context 'nope' .*does not exist"):
        candidates({"DOCKER_CONFIG": str(config_dir), "DOCKER_CONTEXT": "nope"}, tmp_path)
    # DOCKER_CONTEXT=default means: no context, the usual places.
    assert candidates({"DOCKER_CONFIG": str(config_dir), "DOCKER_CONTEXT": "default"}, tmp_path)[0].base_url == (
        DEFAULT_SOCKET
    )


def test_context_tls_material(tmp_path: Path) -> None:
    config_dir = tmp_path / "docker"
    write_context(config_dir, "secure", "tcp://10.0.0.5:2376")
    tls_dir = config_dir / "contexts" / "tls" / context_id("secure") / "docker"
    tls_dir.mkdir(parents=True)
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tls_dir / name).write_text("pem")
    (candidate,) = candidates({"DOCKER_CONFIG": str(config_dir), "DOCKER_CONTEXT": "secure"}, tmp_path)
    assert candidate.tls is not None
    assert candidate.tls.cert == (str(tls_dir / "cert.pem"), str(tls_dir / "key.pem"))
    assert candidate.tls.verify == str(tls_dir / "ca.pem")

    write_context(config_dir, "insecure", "tcp://10.0.0.6:2376", skip_tls_verify=True)
    tls_dir = config_dir / "contexts" / "tls" / context_id("insecure") / "docker"
    tls_dir.mkdir(parents=True)
    (tls_dir / "ca.pem").write_text("pem")
    (candidate,) = candidates({"DOCKER_CONFIG": str(config_dir), "DOCKER_CONTEXT": "insecure"}, tmp_path)
    assert candidate.tls is not None and candidate.tls.verify is False


def test_usual_sockets_cover_desktop_rootless_colima_orbstack_rancher(tmp_path: Path) -> None:
    found = usual_sockets({"XDG_RUNTIME_DIR": "/run/user/1000"}, tmp_path)
    assert [c.base_url for c in found] == [
        DEFAULT_SOCKET,
        f"unix://{tmp_path}/.docker/run/docker.sock",
        "unix:///run/user/1000/docker.sock",
        f"unix://{tmp_path}/.colima/default/docker.sock",
        f"unix://{tmp_path}/.orbstack/run/docker.sock",
        f"unix://{tmp_path}/.rd/docker.sock",
    ]


# --- against the real engine and real dead endpoints ----------------------------------------------------------


@pytest.fixture
def stale_socket(tmp_path: Path) -> Iterator[Path]:
    """A socket file nobody listens on: what a crashed engine leaves behind."""
    path = tmp_path / "stale.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()
    yield path


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def test_first_answering_skips_dead_endpoints_and_says_why(
    docker_client: object, tmp_path: Path, stale_socket: Path
) -> None:
    engine = first_answering(
        [
            Candidate(f"unix://{tmp_path}/missing.sock", "Colima socket"),
            Candidate(f"unix://{stale_socket}", "OrbStack socket"),
            Candidate(DEFAULT_SOCKET, "default socket"),
        ]
    )
    assert (engine.base_url, engine.source) == (DEFAULT_SOCKET, "default socket")
    assert engine.version and engine.client.ping() is True
    assert engine.describe().startswith(f"Docker {engine.version} at {DEFAULT_SOCKET}")


def test_find_engine_without_settings_finds_the_default_socket(docker_client: object, tmp_path: Path) -> None:
    engine = find_engine(environ={}, home=tmp_path)
    assert engine.source == "default socket"
    assert engine.client.version()["Version"] == engine.version


def test_no_engine_names_everything_tried(tmp_path: Path, stale_socket: Path, silent_server: int) -> None:
    with pytest.raises(EngineError) as caught:
        first_answering(
            [
                Candidate(f"unix://{tmp_path}/missing.sock", "default socket"),
                Candidate(f"unix://{stale_socket}", "Colima socket"),
                Candidate("tcp://127.0.0.1:9", "context 'remote'"),
                Candidate(f"tcp://127.0.0.1:{silent_server}", "context 'hung'"),
            ]
        )
    message = caught.value.message
    assert message.startswith("no Docker engine answered (tried: ")
    assert f"unix://{tmp_path}/missing.sock: no such socket" in message
    assert f"unix://{stale_socket}: connection refused" in message
    assert "tcp://127.0.0.1:9: connection refused" in message
    assert f"tcp://127.0.0.1:{silent_server}: no answer within 2s" in message
    assert caught.value.hint is not None and "--runtime native" in caught.value.hint


def test_dead_docker_host_is_not_silently_replaced_by_the_default_socket(docker_client: object, tmp_path: Path) -> None:
    # The default socket answers on this machine, but DOCKER_HOST is what the user asked for.
    with pytest.raises(EngineError) as caught:
        find_engine(environ={"DOCKER_HOST": f"unix://{tmp_path}/nope.sock"}, home=tmp_path)
    assert caught.value.message == (
        f"no Docker engine answered (tried: DOCKER_HOST=unix://{tmp_path}/nope.sock: no such socket)"
    )
    assert caught.value.hint is not None and "fix or unset DOCKER_HOST" in caught.value.hint


def test_dead_explicit_context_names_the_context(tmp_path: Path) -> None:
    config_dir = tmp_path / "docker"
    write_context(config_dir, "colima", f"unix://{tmp_path}/colima.sock")
    with pytest.raises(EngineError) as caught:
        find_engine(environ={"DOCKER_CONFIG": str(config_dir), "DOCKER_CONTEXT": "colima"}, home=tmp_path)
    assert caught.value.message == f"no Docker engine answered (tried: unix://{tmp_path}/colima.sock: no such socket)"
    assert caught.value.hint is not None and "context 'colima'" in caught.value.hint
