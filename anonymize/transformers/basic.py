"""keep, null, constant: the transforms that need no key."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping

from anonymize.errors import RulesError
from anonymize.keys import Keyring
from anonymize.transformers.base import ALL_FAMILIES, ColumnInfo, NoParams, StrictParams, Transformer, register


@register
class Keep(Transformer):
    """Copy the value unchanged: an explicit decision that the column holds no personal data."""

    name = "keep"
    accepts = ALL_FAMILIES
    personal = False

    def transform(self, value: str, row: Mapping[str, str | None]) -> str | None:
        return value


@register
class Null(Transformer[NoParams]):
    """Replace every value with NULL."""

    name = "null"
    accepts = ALL_FAMILIES

    def __init__(self, params: NoParams, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        if not column.nullable:
            raise RulesError(f"{column.qualified}: null can't fill a NOT NULL column", "use constant or a fake")

    def transform(self, value: str, row: Mapping[str, str | None]) -> str | None:
        return None


class ConstantParams(StrictParams):
    value: str  # PostgreSQL text input for the column's type


def _check_constant(value: str, column: ColumnInfo) -> None:
    """Reject a constant the column can't hold now, rather than at COPY time halfway through a table."""
    family = column.family
    try:
        if family == "integer":
            int(value)
        elif family == "numeric":
            float(value)
        elif family == "boolean" and value.strip().lower() not in {
            "t",
            "f",
            "true",
            "false",
            "yes",
            "no",
            "on",
            "off",
            "1",
            "0",
        }:
            raise ValueError
        elif family == "uuid":
            uuid.UUID(value)
        elif family == "json":
            json.loads(value)
    except ValueError:
        raise RulesError(f"{column.qualified}: constant {value!r} is not a valid {column.pg_type}") from None
    if column.max_length is not None and len(value) > column.max_length:
        raise RulesError(f"{column.qualified}: constant is longer than {column.pg_type} allows")


@register
class Constant(Transformer[ConstantParams]):
    """Replace every value with one fixed value."""

    name = "constant"
    accepts = ALL_FAMILIES

    def __init__(self, params: ConstantParams, column: ColumnInfo, keyring: Keyring, domain: str | None = None) -> None:
        super().__init__(params, column, keyring, domain)
        if column.unique:
            raise RulesError(f"{column.qualified}: constant would break the column's unique constraint", "use a fake")
        _check_constant(params.value, column)
        self._value = params.value

    def transform(self, value: str, row: Mapping[str, str | None]) -> str | None:
        return self._value
