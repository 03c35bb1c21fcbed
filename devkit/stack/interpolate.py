"""Compose-spec variable interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, $VAR, $$."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

_PATTERN = re.compile(
    r"\$(?:(?P<escaped>\$)|(?P<plain>[A-Za-z_][A-Za-z0-9_]*)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)"
    r"(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}|(?P<invalid>))"
)


class InterpolationError(ValueError):
    pass


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        if match.group("plain"):
            return variables.get(match.group("plain"), "")
        name = match.group("braced")
        if name is None:
            raise InterpolationError(f"invalid interpolation at {text[match.start() :]!r}; use $$ for a literal $")
        value = variables.get(name)
        op, arg = match.group("op"), match.group("arg") or ""
        unset_or_empty = value is None or (op is not None and op.startswith(":") and value == "")
        if op in ("-", ":-"):
            return interpolate(arg, variables) if unset_or_empty else value or ""
        if op in ("?", ":?"):
            if unset_or_empty:
                raise InterpolationError(f"required variable {name} is not set: {arg or 'no message'}")
            return value or ""
        if op in ("+", ":+"):
            return "" if unset_or_empty else interpolate(arg, variables)
        return value or ""

    return _PATTERN.sub(replace, text)


def interpolate_tree(node: object, variables: Mapping[str, str]) -> object:
    if isinstance(node, str):
        return interpolate(node, variables)
    if isinstance(node, list):
        return [interpolate_tree(item, variables) for item in node]
    if isinstance(node, dict):
        return {key: interpolate_tree(value, variables) for key, value in node.items()}
    return node


def read_dotenv(path: Path) -> dict[str, str]:
    """The `.env` file beside the compose file, as compose reads it (KEY=VALUE, # comments, optional quotes)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.removeprefix("export ").split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values
