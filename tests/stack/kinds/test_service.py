"""The plain service kind: an HTTP URL, the x-devkit.urls under it, no default health check, and the native
launch's refusals (the launch itself runs in tests/stack/test_runtime_contract.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devkit.errors import ConfigError
from devkit.stack.kinds.base import NativeHost
from devkit.stack.kinds.service import KIND
from devkit.stack.spec import NativeSpec, PortMapping, ServiceSpec, StackSpec

PORTS = (PortMapping(8040, 18040, "127.0.0.1"),)


def test_url_and_named_urls() -> None:
    service = ServiceSpec("providers", "service", "x", ports=PORTS, urls={"paypay": "/paypay", "page": "/"})
    assert KIND.url(service) == "http://127.0.0.1:18040"
    assert KIND.urls(service) == {"paypay": "http://127.0.0.1:18040/paypay", "page": "http://127.0.0.1:18040/"}
    assert KIND.default_healthcheck(service) is None


class Host:
    """The bits of the native runtime a service kind uses."""

    settings: Any = None

    def __init__(self, state: Path) -> None:
        self.state = state

    def root(self, service: str) -> Path:
        return self.state / service

    def tool(self, kind: object) -> None:
        return None

    def marker(self) -> dict[str, str]:
        return {"DEVKIT_NATIVE_STATE": str(self.state)}


@pytest.mark.parametrize(
    ("native", "fragment"),
    [
        (None, "has no native command"),
        (NativeSpec(["true"], cwd=Path("/nonexistent")), "is not a directory"),
        (NativeSpec(["no-such-program-here"]), "which is not found"),
    ],
)
def test_native_launch_refusals(tmp_path: Path, native: NativeSpec | None, fragment: str) -> None:
    service = ServiceSpec("web", "service", "x", ports=PORTS, native=native)
    stack = StackSpec("p", tmp_path / "compose.yml", {"web": service})
    host: NativeHost = Host(tmp_path)
    with pytest.raises(ConfigError) as error:
        KIND.launch(host, stack, service, dry_run=True)
    assert fragment in error.value.one_line()


def test_native_launch_and_probe(tmp_path: Path) -> None:
    service = ServiceSpec(
        "web", "service", "x", ports=PORTS, native=NativeSpec(["sh", "-c", "true"], health=["sh", "-c", "exit 3"])
    )
    stack = StackSpec("p", tmp_path / "compose.yml", {"web": service})
    host: NativeHost = Host(tmp_path)
    launch = KIND.launch(host, stack, service)
    assert (launch.argv, launch.cwd) == (["sh", "-c", "true"], tmp_path)
    assert launch.env["PORT"] == "18040" and launch.env["DEVKIT_NATIVE_STATE"] == str(tmp_path)
    assert KIND.probe(host, stack, service) is False  # the compose file's health command said no
