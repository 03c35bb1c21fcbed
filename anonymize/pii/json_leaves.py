"""Walk the string leaves of a JSON value, looking inside JSON that was stored as a string.

Webhook payloads often carry JSON encoded as a string inside JSON ({"body": "{\\"email\\": \\"...\\"}"}): those
strings are decoded and walked like any object, and re-encoded after a rewrite. A path is a tuple of keys and
list indexes, with EMBEDDED marking the step into a decoded string.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, Final

JsonValue = Any  # what json.loads returns
PathPart = str | int


class _Embedded:
    """Marks the step from a string into the JSON it encodes."""

    _instance: _Embedded | None = None

    def __new__(cls) -> _Embedded:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<json>"

    def __reduce__(self) -> str:
        return "EMBEDDED"


EMBEDDED: Final = _Embedded()
LeafPath = tuple["PathPart | _Embedded", ...]


def iter_string_leaves(obj: JsonValue, path: LeafPath = ()) -> Iterator[tuple[LeafPath, str]]:
    """(path, string) for every string leaf of `obj`, descending into JSON-encoded strings."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from iter_string_leaves(value, (*path, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            yield from iter_string_leaves(value, (*path, index))
    elif isinstance(obj, str):
        decoded = decode_embedded(obj)
        if decoded is None:
            yield path, obj
        else:
            yield from iter_string_leaves(decoded, (*path, EMBEDDED))


def map_string_leaves(obj: JsonValue, rewrite: Callable[[LeafPath, str], str], path: LeafPath = ()) -> JsonValue:
    """A copy of `obj` with every string leaf replaced by `rewrite(path, leaf)`; JSON-encoded strings are decoded,
    rewritten inside and re-encoded in their original style. Unchanged subtrees come back as the same objects, and
    an embedded JSON string whose content didn't change comes back byte for byte."""
    if isinstance(obj, dict):
        out = {key: map_string_leaves(value, rewrite, (*path, key)) for key, value in obj.items()}
        return obj if all(out[k] is obj[k] for k in obj) else out
    if isinstance(obj, list):
        items = [map_string_leaves(value, rewrite, (*path, i)) for i, value in enumerate(obj)]
        return obj if all(a is b for a, b in zip(items, obj, strict=True)) else items
    if isinstance(obj, str):
        decoded = decode_embedded(obj)
        if decoded is None:
            new = rewrite(path, obj)
            return obj if new == obj else new
        rewritten = map_string_leaves(decoded, rewrite, (*path, EMBEDDED))
        return obj if rewritten is decoded else encode_like(obj, rewritten)
    return obj


def decode_embedded(text: str) -> dict[str, Any] | list[Any] | None:
    """The object or array that `text` encodes, or None (scalars stay strings: "123" is not a number here)."""
    stripped = text.strip()
    if len(stripped) < 2 or (stripped[0], stripped[-1]) not in (("{", "}"), ("[", "]")):
        return None
    try:
        decoded = json.loads(stripped)
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict | list) else None


def encode_like(original: str, value: JsonValue) -> str:
    """Encode `value` in the style of `original`: compact or spaced separators, \\u escapes or raw characters."""
    compact = ", " not in original and ": " not in original
    separators = (",", ":") if compact else (", ", ": ")
    return json.dumps(value, ensure_ascii="\\u" in original, separators=separators)


def format_path(path: LeafPath) -> str:
    """ "$.customer.emails[0].<json>.name" — for reports and path rules."""
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part is EMBEDDED:
            out += ".<json>"
        else:
            out += f".{part}"
    return out
