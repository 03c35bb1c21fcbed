"""PostgreSQL COPY TEXT format: one row per line, fields separated by tabs, `\\N` for NULL, backslash escapes.

This is the hot path of a snapshot, so it works on bytes: a line is split on tabs (a tab inside a value is
always escaped as `\\t`, a newline as `\\n`, so splitting raw bytes is exact), only the fields that a rule
transforms are decoded to `str`, and every other field is passed through as the very bytes the source sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NULL = b"\\N"
TAB = b"\t"
NEWLINE = b"\n"
END_OF_DATA = b"\\."

# COPY TO writes these escapes; COPY FROM also reads octal (\ooo) and hex (\xhh), and takes any other
# backslashed character as itself.
_SIMPLE = {
    b"b": b"\b",
    b"f": b"\f",
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"v": b"\v",
}
_ESCAPE = re.compile(rb"\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|(.))", re.DOTALL)
_ENCODE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\b": "\\b", "\f": "\\f", "\v": "\\v"})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r\b\f\v]")


def _unescape_match(match: re.Match[bytes]) -> bytes:
    octal, hexa, char = match.groups()
    if octal is not None:
        return bytes((int(octal, 8) & 0xFF,))
    if hexa is not None:
        return bytes((int(hexa, 16),))
    return _SIMPLE.get(char, char)


def decode_field(raw: bytes) -> str | None:
    """One field as COPY sent it -> the value (None for SQL NULL)."""
    if raw == NULL:
        return None
    if b"\\" not in raw:
        return raw.decode()
    # Unescape on bytes first: octal/hex escapes may spell the bytes of one multi-byte UTF-8 character.
    return _ESCAPE.sub(_unescape_match, raw).decode()


def encode_field(value: str | None) -> bytes:
    """A value -> one field as COPY FROM reads it."""
    if value is None:
        return NULL
    if _NEEDS_ESCAPE.search(value) is None:
        return value.encode()
    return value.translate(_ENCODE).encode()


def decode_line(line: bytes) -> list[str | None]:
    """A whole line (with or without its newline) -> its values. For tests and cold paths."""
    if line.endswith(NEWLINE):
        line = line[:-1]
    return [decode_field(raw) for raw in line.split(TAB)]


def encode_line(values: Iterable[str | None]) -> bytes:
    return TAB.join(encode_field(value) for value in values) + NEWLINE


def split_lines(chunk: bytes) -> list[bytes]:
    """A chunk of complete lines -> the lines without their newline."""
    lines = chunk.split(NEWLINE)
    if lines and not lines[-1]:
        lines.pop()
    return lines


class LineAssembler:
    """Re-cuts arbitrary byte chunks into chunks that end on a line boundary, keeping the partial tail."""

    def __init__(self) -> None:
        self._tail = b""

    def feed(self, data: bytes) -> bytes:
        """Complete lines available so far (possibly empty)."""
        if not data:
            return b""
        cut = data.rfind(NEWLINE)
        if cut < 0:
            self._tail += data
            return b""
        complete = self._tail + data[: cut + 1] if self._tail else data[: cut + 1]
        self._tail = data[cut + 1 :]
        return complete

    @property
    def pending(self) -> bytes:
        """Bytes after the last newline: non-empty at the end of a stream means a truncated line."""
        return self._tail
