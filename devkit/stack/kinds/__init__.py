"""One module a service kind (postgres, redis, service), and the registry the runtimes consult.

Every module here other than `base` defines `KIND`, a `base.Kind`: its image guess, default health check, URL,
and how the native runtime finds, launches, probes and stops it. The registry finds the modules itself, so adding a
kind is adding one module (and its test); nothing else names the kinds.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import TYPE_CHECKING

from devkit.stack.kinds.base import Kind, Launch, NativeHost

if TYPE_CHECKING:
    from devkit.stack.spec import ServiceSpec

__all__ = ["FALLBACK", "Kind", "Launch", "NativeHost", "guess_kind", "kind_names", "kind_of", "registry"]

FALLBACK = "service"  # the kind of an image no kind claims


@functools.cache
def registry() -> dict[str, Kind]:
    """name -> kind, in module name order."""
    found: dict[str, Kind] = {}
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda item: item.name):
        if module.name != "base":
            kind: Kind = importlib.import_module(f"{__name__}.{module.name}").KIND
            found[kind.name] = kind
    return found


def kind_of(service: ServiceSpec) -> Kind:
    return registry()[service.kind]


def guess_kind(image: str) -> str:
    """The kind of a service from its image's repository name (`docker.io/library/postgres:15` -> postgres)."""
    repository = image.rsplit("/", 1)[-1].split(":", 1)[0]
    return next((kind.name for kind in registry().values() if repository in kind.images), FALLBACK)


def kind_names() -> str:
    """`postgres, redis or service`, for messages."""
    *first, last = registry()
    return f"{', '.join(first)} or {last}" if first else last
