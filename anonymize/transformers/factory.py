"""Rule -> transformer: look a transform up in the registry, validate its params, check it can produce the column's
type (fail closed), and wrap it per element for an array column. Apart from transformers/base.py, which says what a
transformer is, so that neither the rules model nor a transformer module needs the other to define itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from anonymize.columns import ColumnInfo
from anonymize.errors import RulesError
from anonymize.keys import Keyring
from anonymize.transformers.base import Transformer, _registry


class RuleLike(Protocol):
    """What the factory reads of a rule (anonymize.rules.ColumnRule, a JSON path's rule)."""

    @property
    def transform(self) -> str: ...
    @property
    def params(self) -> Mapping[str, Any]: ...
    @property
    def domain(self) -> str | None: ...


def format_validation_error(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"])
        msg = error["msg"]
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


def validate_params(transform: str, params: Mapping[str, Any]) -> BaseModel:
    """Look the transform up and validate its params; RulesError names what is wrong."""
    registry = _registry()
    cls = registry.get(transform)
    if cls is None:
        known = ", ".join(sorted(registry))
        raise RulesError(f"unknown transform {transform!r}", f"use one of: {known}")
    try:
        return cls.Params.model_validate(dict(params))
    except ValidationError as exc:
        raise RulesError(f"bad params for {transform}: {format_validation_error(exc)}") from None


def build_transformer(rule: RuleLike, column: ColumnInfo, keyring: Keyring) -> Transformer:
    """The transformer a rule asks for on a column; RulesError if the transform is unknown, its params are bad,
    or it can't produce the column's type (fail closed)."""
    registry = _registry()
    params = validate_params(rule.transform, rule.params)
    cls = registry[rule.transform]
    if rule.transform not in ("keep", "null", "constant"):
        from anonymize.transformers.arrays import ArrayOf, element_column

        element = element_column(column)
        if element is not None:  # an array: the transform applies to each element (anonymize/transformers/arrays.py)
            try:
                return ArrayOf(build_transformer(rule, element, keyring), column)
            except RulesError as exc:
                message = exc.message.replace(element.qualified, column.qualified, 1)
                raise RulesError(f"{message} (an array: the transform applies to each element)", exc.hint) from None
    family = column.family
    if family not in cls.accepts:
        accepted = ", ".join(sorted(cls.accepts))
        raise RulesError(
            f"{column.qualified}: transform {rule.transform} can't produce {column.pg_type} (a {family} column)",
            f"{rule.transform} produces: {accepted}",
        )
    try:
        return cls(params, column, keyring, rule.domain)
    except RulesError as exc:
        if exc.message.startswith(column.qualified):
            raise
        raise RulesError(f"{column.qualified}: {exc.message}", exc.hint) from None
