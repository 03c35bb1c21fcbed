"""COPY TEXT codec: pure round trips of tricky values, and agreement with what a real PostgreSQL 15 sends/reads."""

from __future__ import annotations

import random

import psycopg
import pytest

from anonymize.copy_text import (
    LineAssembler,
    decode_field,
    decode_line,
    encode_field,
    encode_line,
    split_lines,
)

TRICKY = [
    "",
    " ",
    "\\",
    "\\N",
    "N",
    "a\tb",
    "line1\nline2",
    "cr\r\nlf",
    "back\\slash\\",
    "\b\f\v",
    "山田 太郎",
    "ﾔﾏﾀﾞ　ﾀﾛｳ",
    "emoji 🍣 and \u200b zero width",
    '{"a": "b\\"c", "t": "\\t"}',
    "\\.",
    "trailing\\",
]
_ALPHABET = "ab \t\n\r\\\b\f\vN.あ漢字🍣é\u3000"


def _random_values(count: int, seed: int = 7) -> list[str | None]:
    rng = random.Random(seed)
    values: list[str | None] = []
    for _ in range(count):
        if rng.random() < 0.1:
            values.append(None)
        else:
            values.append("".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 12))))
    return values


@pytest.mark.parametrize("value", [*TRICKY, None])
def test_field_round_trip(value: str | None) -> None:
    raw = encode_field(value)
    assert b"\t" not in raw and b"\n" not in raw
    assert decode_field(raw) == value


def test_empty_string_and_null_are_different() -> None:
    assert encode_field("") == b""
    assert encode_field(None) == b"\\N"
    assert decode_field(b"") == ""
    assert decode_field(b"\\N") is None
    assert decode_field(encode_field("\\N")) == "\\N"


def test_random_rows_round_trip() -> None:
    values = _random_values(3000)
    rows = [values[i : i + 5] for i in range(0, len(values), 5)]
    data = b"".join(encode_line(row) for row in rows)
    assert [decode_line(line) for line in split_lines(data)] == rows


def test_octal_and_hex_escapes_are_read_like_postgres() -> None:
    assert decode_field(b"\\101\\x42\\x4") == "AB\x04"
    # three octal escapes spelling one UTF-8 character
    assert decode_field(b"\\343\\201\\202") == "あ"
    # \x without hex digits is a literal x; an unknown escape is the character itself
    assert decode_field(b"\\xz\\q") == "xzq"


def test_line_assembler_recuts_on_line_boundaries() -> None:
    data = b"".join(encode_line([v, "x"]) for v in _random_values(500, seed=3))
    rng = random.Random(1)
    assembler = LineAssembler()
    out = []
    position = 0
    while position < len(data):
        step = rng.randint(1, 50)
        complete = assembler.feed(data[position : position + step])
        assert complete == b"" or complete.endswith(b"\n")
        out.append(complete)
        position += step
    assert assembler.pending == b""
    assert b"".join(out) == data


def test_agrees_with_postgres_in_both_directions(pg_database: str) -> None:
    values = [*TRICKY, *_random_values(400, seed=11)]
    with psycopg.connect(pg_database) as conn:
        conn.execute("CREATE TABLE t (i int, v text)")
        # what we encode, PostgreSQL reads back as the same values
        with conn.cursor().copy("COPY t (i, v) FROM STDIN") as copy:
            for i, value in enumerate(values):
                copy.write(encode_line([str(i), value]))
        stored = [row[0] for row in conn.execute("SELECT v FROM t ORDER BY i")]
        assert stored == values
        # what PostgreSQL sends, we decode to the same values
        received = bytearray()
        with conn.cursor().copy("COPY (SELECT i, v FROM t ORDER BY i) TO STDOUT") as copy:
            for data in copy:
                received += data
        decoded = [decode_line(line)[1] for line in split_lines(bytes(received))]
        assert decoded == values
