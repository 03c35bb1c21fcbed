"""Arrays: any transform applied to each element of an array column (`text[]` of e-mail addresses, `varchar[]` of
phone numbers), so a rule names what the elements are and the array keeps its shape.

There is no array transform to name in a rules file: `build_transformer` wraps the element's transformer in
`ArrayOf` when the column is an array and the transform is not one of those that take any type whole (keep, null,
constant). The element's transformer is built on the element type (so its type checks, max length and key
columns apply to each element), the array's NULL elements stay NULL, nested arrays keep their nesting, and the
leak check is fed each element's personal pieces.

PostgreSQL's array text form: `{a,"b c",NULL,"with \\"quote\\""}`, nested `{{1,2},{3,4}}`, optionally preceded
by explicit bounds `[0:1]={...}`. Elements are quoted when empty, when they hold a delimiter, brace, quote,
backslash or white space, or spell NULL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from anonymize.errors import TransformError
from anonymize.transformers.base import Capabilities, ColumnInfo, Transformer

WHOLE_VALUE_TRANSFORMS = frozenset({"keep", "null", "constant"})
_BOUNDS = re.compile(r"^((?:\[-?\d+:-?\d+\])+=)")
_NEEDS_QUOTES = re.compile(r'[{},"\\\s]')

Nested = list[Any]  # of str | None | Nested


def element_type(pg_type: str) -> str | None:
    """'text[]' -> 'text', 'character varying(20)[]' -> 'character varying(20)'; None when not an array."""
    text = pg_type.strip()
    if not text.endswith("[]"):
        return None
    while text.endswith("[]"):
        text = text[:-2].rstrip()
    return text


def element_column(column: ColumnInfo) -> ColumnInfo | None:
    """The column as its elements see it (their type, no uniqueness), or None when it is not an array."""
    base = element_type(column.base_type or column.pg_type)
    if base is None:
        return None
    return replace(column, pg_type=base, base_type=None, unique=False, max_length=None)


def parse_array(text: str) -> tuple[str, Nested]:
    """(explicit bounds prefix or '', nested elements) of an array's text form."""
    prefix = ""
    bounds = _BOUNDS.match(text)
    if bounds:
        prefix = bounds.group(1)
        text = text[len(prefix) :]
    items, end = _parse(text, 0)
    if text[end:].strip():
        raise ValueError("text after the array's closing brace")
    return prefix, items


def _parse(text: str, position: int) -> tuple[Nested, int]:
    if text[position : position + 1] != "{":
        raise ValueError("an array starts with {")
    position += 1
    items: Nested = []
    if text[position : position + 1] == "}":
        return items, position + 1
    while True:
        while text[position : position + 1].isspace():
            position += 1
        char = text[position : position + 1]
        if char == "{":
            item, position = _parse(text, position)
            items.append(item)
        elif char == '"':
            out, position = [], position + 1
            while True:
                char = text[position : position + 1]
                if not char:
                    raise ValueError("unterminated quoted element")
                if char == "\\":
                    out.append(text[position + 1 : position + 2])
                    position += 2
                elif char == '"':
                    position += 1
                    break
                else:
                    out.append(char)
                    position += 1
            items.append("".join(out))
        else:
            start = position
            out = []
            while position < len(text) and text[position] not in ",}":
                if text[position] == "\\":
                    out.append(text[position + 1 : position + 2])
                    position += 2
                else:
                    out.append(text[position])
                    position += 1
            raw = "".join(out).strip()
            if not raw and position == start:
                raise ValueError("empty unquoted element")
            items.append(None if raw.upper() == "NULL" else raw)
        while text[position : position + 1].isspace():
            position += 1
        char = text[position : position + 1]
        if char == ",":
            position += 1
            continue
        if char == "}":
            return items, position + 1
        raise ValueError("expected , or } in an array")


def format_array(prefix: str, items: Nested) -> str:
    return prefix + _format(items)


def _format(items: Nested) -> str:
    parts = []
    for item in items:
        if isinstance(item, list):
            parts.append(_format(item))
        elif item is None:
            parts.append("NULL")
        elif item == "" or item.upper() == "NULL" or _NEEDS_QUOTES.search(item):
            parts.append('"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"')
        else:
            parts.append(item)
    return "{" + ",".join(parts) + "}"


def _elements(items: Nested) -> Iterator[str]:
    for item in items:
        if isinstance(item, list):
            yield from _elements(item)
        elif item is not None:
            yield item


class ArrayOf(Transformer):
    """`element`'s transform on every element of an array value (see the module docstring)."""

    accepts = frozenset({"other"})
    capabilities = Capabilities(leak="pieces")  # each element's pieces; known values as the element needs them

    def __init__(self, element: Transformer, column: ColumnInfo) -> None:
        super().__init__(element.params, column, element.keyring, element.domain)
        self.element = element
        self.name = element.name  # type: ignore[misc]  # reports and rules name the element's transform
        self.personal = element.personal  # type: ignore[misc]
        self.identifying = element.identifying  # type: ignore[misc]
        self.capabilities = self.capabilities.but(known_values=element.capabilities.known_values)
        self.max_length = None

    @property
    def row_columns(self) -> frozenset[str]:
        return self.element.row_columns

    def _items(self, value: str) -> tuple[str, Nested]:
        try:
            return parse_array(value)
        except ValueError as exc:
            raise TransformError(f"{self.column.qualified}: a value is not an array ({exc})") from None

    def transform(self, value: str, row: Mapping[str, str | None]) -> str | None:
        prefix, items = self._items(value)
        element = self.element

        def each(nested: Nested) -> Nested:
            return [
                each(item) if isinstance(item, list) else (None if item is None else element.transform(item, row))
                for item in nested
            ]

        return format_array(prefix, each(items))

    def leak_values(self, value: str) -> Iterable[str]:
        return (piece for piece, *_ in self.leak_items(value))

    def leak_items(self, value: str) -> Iterator[tuple[Any, ...]]:
        _, items = self._items(value)
        for item in _elements(items):
            yield from self.element.leak_items(item)

    def describe(self) -> str:
        return f"{self.element.describe()}[]"

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (ArrayOf, (self.element, self.column))
