"""Helpers for the transformer tests: a fixed test key and a one-line way to build a transformer."""

from __future__ import annotations

from typing import Any

from anonymize.columns import ColumnInfo
from anonymize.keys import Keyring
from anonymize.rules import ColumnRule
from anonymize.transformers.base import Transformer
from anonymize.transformers.factory import build_transformer

KEY = Keyring(b"test-key-0123456789abcdef")
OTHER_KEY = Keyring(b"another-key-0123456789abcdef")


def column(pg_type: str = "text", *, name: str = "col", table: str = "public.t", **info: Any) -> ColumnInfo:
    return ColumnInfo(table=table, name=name, pg_type=pg_type, **info)


def build(
    transform: str,
    params: dict[str, Any] | None = None,
    pg_type: str = "text",
    *,
    key: Keyring = KEY,
    domain: str | None = None,
    **info: Any,
) -> Transformer:
    rule = ColumnRule(transform=transform, params=params or {}, domain=domain)
    return build_transformer(rule, column(pg_type, **info), key)


def run(transformer: Transformer, value: str, row: dict[str, str | None] | None = None) -> str | None:
    return transformer.transform(value, row or {})
