"""The registry of service kinds, and what every kind must honour (a new kind is checked here without a line
more): a unique name and images, a URL only where a port is published, a stop that ends in SIGKILL."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from devkit.config import load_settings
from devkit.stack import kinds
from devkit.stack.docker import effective_healthcheck
from devkit.stack.endpoints import service_url
from devkit.stack.kinds import FALLBACK, guess_kind, kind_names, kind_of, registry
from devkit.stack.spec import PortMapping, ServiceSpec, parse_stack

KINDS = sorted(registry())


def test_the_registry_finds_every_kind_module() -> None:
    assert KINDS == ["postgres", "redis", "service"]
    assert kind_names() == "postgres, redis or service"
    assert FALLBACK in registry()


@pytest.mark.parametrize(
    ("image", "kind"),
    [
        ("postgres:15", "postgres"),
        ("docker.io/library/postgres:15", "postgres"),
        ("postgis/postgis:15-3.4", "postgres"),
        ("redis:7-alpine", "redis"),
        ("mirror.local:5000/hub/valkey/valkey:8", "redis"),
        ("mpac/providers:dev", "service"),
        ("postgres-exporter:1", "service"),  # a whole repository name, not a prefix
        ("", "service"),
    ],
)
def test_guess_kind_from_the_image(image: str, kind: str) -> None:
    assert guess_kind(image) == kind


@pytest.mark.parametrize("name", KINDS)
def test_every_kind_keeps_the_contract(name: str) -> None:
    kind = registry()[name]
    assert kind.name == name
    others = {image for other in registry().values() if other is not kind for image in other.images}
    assert not set(kind.images) & others
    unpublished = ServiceSpec("x", name, "x")
    assert kind.url(unpublished) is None and kind.urls(unpublished) == {}
    published = ServiceSpec("x", name, "x", ports=(PortMapping(kind.port or 80, 18080, "127.0.0.1"),))
    url = kind.url(published)
    assert url is not None and "127.0.0.1:18080" in url
    assert kind_of(published) is kind
    steps = kind.stop_steps()
    assert steps[-1].signal == signal.SIGKILL and steps[-1].group
    assert all(step.grace > 0 for step in steps)


def test_the_docker_path_imports_no_native_module_and_no_psycopg() -> None:
    """A no-op `devkit up` on Docker pays only for what it uses: the kinds' native halves import lazily."""
    code = (
        "import sys, devkit.stack.docker, devkit.stack.endpoints as e, devkit.stack.kinds as k\n"
        "from devkit.stack.spec import ServiceSpec\n"
        "for name in k.registry(): e.service_url(ServiceSpec('x', name, 'x'))\n"
        "print(sorted(m for m in sys.modules if m.startswith(('psycopg', 'devkit.stack.native'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


MAILPIT = """
from devkit.stack.kinds.base import Kind
from devkit.stack.kinds.postgres import server_check


class Mailpit(Kind):
    name = "mailpit"
    images = ("mailpit",)
    port = 8025

    def default_healthcheck(self, service):
        return server_check(["CMD", "/mailpit", "readyz"])


KIND = Mailpit()
"""


def test_a_new_kind_is_one_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A module dropped into the package is a kind everywhere: the image guess, the spec's x-devkit.kind, Docker's
    default health check, the URL `status` shows. Nothing else names it."""
    (tmp_path / "mailpit.py").write_text(MAILPIT)
    monkeypatch.setattr(kinds, "__path__", [*kinds.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "devkit.stack.kinds.mailpit", raising=False)
    registry.cache_clear()
    try:
        assert kind_names() == "mailpit, postgres, redis or service"
        assert guess_kind("axllent/mailpit:v1.20") == "mailpit"
        text = "services:\n  mail:\n    image: axllent/mailpit\n    ports: ['127.0.0.1:18025:8025', '1025:1025']\n"
        compose = tmp_path / "compose.yml"
        mail = parse_stack(text, compose, {}, load_settings(cwd=tmp_path, environ={})).services["mail"]
        assert mail.kind == "mailpit"
        assert service_url(mail) == "http://127.0.0.1:18025"
        check = effective_healthcheck(mail)
        assert check is not None and check.test == ["CMD", "/mailpit", "readyz"]
    finally:
        registry.cache_clear()
        sys.modules.pop("devkit.stack.kinds.mailpit", None)
