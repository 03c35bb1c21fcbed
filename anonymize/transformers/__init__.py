"""Transformers, one module per family, registered by name. Importing this package registers them all: `discover`
imports every module here, whose `@register` adds its transformers, so adding a transformer is adding its module
(and its test); nothing else names it."""

from __future__ import annotations

import functools
import importlib
import pkgutil

from anonymize.transformers.base import (
    REGISTRY,
    ColumnInfo,
    Transformer,
    TypeFamily,
    register,
    type_family,
)
from anonymize.transformers.factory import build_transformer

__all__ = [
    "REGISTRY",
    "ColumnInfo",
    "Transformer",
    "TypeFamily",
    "build_transformer",
    "discover",
    "register",
    "type_family",
]


@functools.cache
def discover() -> dict[str, type[Transformer]]:
    """Import the package's modules in name order (their transformers register themselves): the registry."""
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda item: item.name):
        importlib.import_module(f"{__name__}.{module.name}")
    return REGISTRY


discover()
