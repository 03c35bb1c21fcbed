"""The seed's C hot paths (devkit/seed/csrc/speedups.c): COPY binary re-encoding of the generators' text lines (the
server must store exactly the rows the text denotes, and a line it can't re-encode exactly must fall back to text),
ints as text (numpy's own bytes) and the lines' md5 sums (hashlib's)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg
import pytest
from psycopg import sql
from sqlalchemy.dialects import postgresql

from devkit.schema import TABLES as SCHEMA_TABLES
from devkit.seed import copy_binary, transactions
from devkit.seed.copy_binary import KINDS, NATIVE
from devkit.seed.transactions import TABLES, TransactionGenerator, blocks_of, digest_lines, ints
from devkit.seed.workers import encode
from tests.seed.conftest import make_world, staging_world

needs_native = pytest.mark.skipif(NATIVE is None, reason="test_the_c_module_is_built fails the run instead")

# One column of every kind the encoder knows, in the order of KIND_COLUMNS' kind bytes.
KIND_COLUMNS = "u uuid, s text, v varchar(8), a int2, b int4, c int8, t timestamptz, f boolean, i inet, j jsonb"
KIND_CODES = b"ussa48Tbij".replace(b"a", b"2")


def test_the_c_module_is_built() -> None:
    # `make setup` builds it; without it a seed still loads, as COPY text, at more server CPU.
    assert NATIVE is not None, "devkit.seed._speedups is not built: run `make setup` (needs gcc, python3-dev)"


def test_every_transaction_table_has_a_binary_encoding() -> None:
    assert set(KINDS) == set(TABLES)
    assert all(KINDS[name] is not None for name in TABLES)
    assert KINDS["order_items"] == b"uu2ss8428b"  # id, order_id, line_no int2, ..., quantity int4, tax_rate int2


def _load_both(conn: psycopg.Connection, columns: str, lines: list[bytes], binary: bytes) -> tuple[int, int, int]:
    """The lines into one temp table as COPY text and into another as COPY binary: (rows, rows only in the text
    one, rows only in the binary one), compared by the server over every column."""
    conn.execute("SET TimeZone TO 'UTC'")
    for name in ("as_text", "as_binary"):
        conn.execute(sql.SQL("CREATE TEMP TABLE {} (" + columns + ")").format(sql.Identifier(name)))
    with conn.cursor() as cursor:
        with cursor.copy("COPY as_text FROM STDIN") as copy:
            copy.write(b"\n".join(lines) + b"\n")
        with cursor.copy("COPY as_binary FROM STDIN (FORMAT binary)") as copy:
            copy.write(binary)
    count = conn.execute("SELECT count(*) FROM as_binary").fetchone()[0]
    only_text = conn.execute("SELECT count(*) FROM (TABLE as_text EXCEPT ALL TABLE as_binary) AS d").fetchone()[0]
    only_binary = conn.execute("SELECT count(*) FROM (TABLE as_binary EXCEPT ALL TABLE as_text) AS d").fetchone()[0]
    conn.execute("DROP TABLE as_text, as_binary")
    return count, only_text, only_binary


def _columns_of(name: str) -> str:
    """The schema table's columns with their PostgreSQL types (no constraints): the temp tables' shape."""
    table = next(t for t in SCHEMA_TABLES if t.name == name)
    return ", ".join(f'"{column.name}" {column.type.compile(dialect=postgresql.dialect())}' for column in table.columns)


@needs_native
@pytest.mark.parametrize("world", ["small", "staging"])
def test_binary_rows_read_back_equal_the_text_rows_of_every_transaction_table(pg_database: str, world: str) -> None:
    chosen = make_world() if world == "small" else staging_world(0.0005, 2)
    generator = TransactionGenerator(chosen)
    lines: dict[str, list[bytes]] = {name: [] for name in TABLES}
    for task in blocks_of(chosen)[:4]:
        for name, rows in generator.block(*task).lines.items():
            lines[name].extend(rows)
    with psycopg.connect(pg_database) as conn:
        for name in TABLES:
            assert lines[name], name
            binary = copy_binary.encode(name, lines[name])
            assert binary is not None, f"{name}: a generated line could not be re-encoded"
            count, only_text, only_binary = _load_both(conn, _columns_of(name), lines[name], binary)
            assert (count, only_text, only_binary) == (len(lines[name]), 0, 0), name


@needs_native
def test_every_line_of_a_staging_window_is_encoded_in_binary() -> None:
    world = staging_world(0.0005, 2)
    generator = TransactionGenerator(world)
    for task in blocks_of(world):
        for name, rows in generator.block(*task).lines.items():
            binary = copy_binary.encode(name, rows)
            assert binary is not None, name
            assert binary.startswith(b"PGCOPY\n\xff\r\n\0") and binary.endswith(b"\xff\xff")


@needs_native
def test_edge_values_are_encoded() -> None:
    lines = _edge_lines()
    binary = NATIVE.encode(lines, KIND_CODES)
    assert binary is not None
    assert binary[19:21] == (10).to_bytes(2, "big")  # after the 19-byte header, the first tuple's field count


@needs_native
def test_encoded_blocks_say_which_tables_are_binary_and_keep_the_text_digests() -> None:
    world = make_world()
    block = TransactionGenerator(world).block(*blocks_of(world)[0])
    text, binary = encode(block), encode(block, binary=True)
    assert text.binary == frozenset() and binary.binary == frozenset(text.tables)
    for name, (data, digest) in binary.tables.items():
        assert data.startswith(b"PGCOPY\n\xff\r\n\0") and data != text.tables[name][0]
        assert digest == text.tables[name][1]  # checksums are the text lines', however the rows travel


def _edge_lines() -> list[bytes]:
    """Values at the edges of each kind, NULL in every column, and random timestamps over years 1..9999."""
    rows = [
        [
            b"00000000-0000-5000-8000-000000000000",
            "鈴木 花子".encode(),
            b"",
            b"-32768",
            b"-2147483648",
            b"-9223372036854775808",
            b"0001-01-01 00:00:00.000000",
            b"f",
            b"0.0.0.0",
            b'{"a": [1, 2.5, null, true], "k": "\xe3\x81\x82"}',
        ],
        [
            b"FFFFFFFF-ffff-5FFF-bfff-ffffffffffff",
            b"x" * 5000,
            b"8chars!!",
            b"32767",
            b"2147483647",
            b"9223372036854775807",
            b"9999-12-31 23:59:59.999999",
            b"t",
            b"255.255.255.255",
            b"[]",
        ],
        [b"\\N"] * 10,
        [
            b"12345678-9abc-5def-8123-456789abcdef",
            b"a",
            b"b",
            b"0",
            b"-1",
            b"1",
            b"2000-01-01 00:00:00.000000",
            b"t",
            b"192.0.2.1",
            b"{}",
        ],
        [b"\\N", b"\\N", b"\\N", b"7", b"\\N", b"\\N", b"1970-01-01 00:00:00.000001", b"\\N", b"203.0.113.254", b"1"],
        [b"\\N", b"\\N", b"\\N", b"\\N", b"\\N", b"\\N", b"2024-02-29 12:34:56.789012", b"\\N", b"\\N", b"\\N"],
        [b"\\N", b"\\N", b"\\N", b"\\N", b"\\N", b"\\N", b"1999-12-31 23:59:59.999999", b"\\N", b"\\N", b"\\N"],
    ]
    rng = random.Random(16)
    start = datetime(1, 1, 1, tzinfo=UTC)
    for _ in range(500):
        moment = start + timedelta(microseconds=rng.randrange(0, 315_537_897_600 * 10**6))
        stamp = moment.strftime("%Y-%m-%d %H:%M:%S.%f").encode().rjust(26, b"0")
        rows.append([b"\\N"] * 6 + [stamp] + [b"\\N"] * 3)
    return [b"\t".join(row) for row in rows]


@needs_native
def test_edge_values_of_every_kind_read_back_equal_their_text(pg_database: str) -> None:
    lines = _edge_lines()
    binary = NATIVE.encode(lines, KIND_CODES)
    assert binary is not None
    with psycopg.connect(pg_database) as conn:
        assert _load_both(conn, KIND_COLUMNS, lines, binary) == (len(lines), 0, 0)


@needs_native
@pytest.mark.parametrize(
    "column, text",
    [
        (1, b"back\\\\slash"),  # a COPY escape: the text is not the value
        (1, b"tab\\there"),
        (1, b"carriage\rreturn"),
        (0, b"12345678-9abc-5def-8123-456789abcdeg"),  # not hex
        (0, b"123456789abc5def81234-56789abcdef"),  # not the canonical form
        (3, b"32768"),  # beyond int2
        (4, b"2147483648"),
        (5, b"9223372036854775808"),
        (5, b"+1"),
        (5, b""),
        (6, b"2025-02-29 00:00:00.000000"),  # no such day
        (6, b"2025-01-01 24:00:00.000000"),
        (6, b"2025-01-01 00:00:60.000000"),  # a leap second: the server's text input rolls it over
        (6, b"2025-01-01T00:00:00.000000"),
        (6, b"2025-01-01 00:00:00+09"),
        (6, b"0000-01-01 00:00:00.000000"),
        (7, b"true"),
        (8, b"192.0.2.1/24"),
        (8, b"::1"),
        (8, b"192.0.2.01"),
        (8, b"256.0.0.1"),
    ],
)
def test_a_field_it_cannot_encode_exactly_sends_the_block_as_text(column: int, text: bytes) -> None:
    row = [b"\\N"] * 10
    row[column] = text
    assert NATIVE.encode([b"\t".join(row)], KIND_CODES) is None


@needs_native
def test_a_line_with_the_wrong_number_of_fields_is_not_encoded() -> None:
    assert NATIVE.encode([b"\t".join([b"\\N"] * 9)], KIND_CODES) is None
    assert NATIVE.encode([b"\t".join([b"\\N"] * 11)], KIND_CODES) is None
    assert NATIVE.encode([b"\t".join([b"\\N"] * 10)], KIND_CODES) is not None
    assert NATIVE.encode([], KIND_CODES) == b"PGCOPY\n\xff\r\n\0" + bytes(8) + b"\xff\xff"


@needs_native
def test_decimals_are_numpys_text_of_the_same_ints() -> None:
    rng = np.random.default_rng(16)
    cases = [
        rng.integers(-(2**63), 2**63 - 1, 20_000, dtype=np.int64),
        rng.integers(0, 1000, 20_000),
        np.array([0, -1, 1, 9, 10, -10, 99, 100, -(2**63), 2**63 - 1], dtype=np.int64),
        rng.integers(-5, 5, 100).astype(np.int16),  # widened to int64 first
        rng.integers(0, 10**9, 300)[::3],  # not contiguous
        np.zeros(0, dtype=np.int64),
    ]
    for values in cases:
        assert NATIVE.decimals(np.ascontiguousarray(values, dtype=np.int64)) == values.astype("S20").tolist()
        assert ints(values) == values.astype("S20").tolist()
    with pytest.raises(TypeError):
        NATIVE.decimals(np.zeros(3, dtype=np.float64))
    with pytest.raises(TypeError):
        NATIVE.decimals(np.zeros((2, 2), dtype=np.int64))


@needs_native
def test_digest_sums_are_hashlibs_md5_sums(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(16)
    lines = [rng.randbytes(n) for n in [*range(0, 200), *(rng.randrange(0, 5000) for _ in range(2000))]]
    world = make_world()
    block = TransactionGenerator(world).block(*blocks_of(world)[0])
    native = [digest_lines(rows) for rows in (lines, lines[:1], *block.lines.values())]
    monkeypatch.setattr(transactions, "NATIVE", None)  # hashlib, the reference
    assert native == [digest_lines(rows) for rows in (lines, lines[:1], *block.lines.values())]
    assert NATIVE.digest_sums([]) == (0, 0, 0, 0)
    with pytest.raises(TypeError):
        NATIVE.digest_sums([b"x", "x"])


@needs_native
def test_tab_join_gives_the_lines_python_joins(monkeypatch: pytest.MonkeyPatch) -> None:
    columns = ([b"a", b"", "鈴木".encode()], b"\\N", [b"1", b"22", b"333", b"extra"], b"t")
    joined = NATIVE.tab_join(columns)
    assert joined == [b"a\t\\N\t1\tt", b"\t\\N\t22\tt", "鈴木".encode() + b"\t\\N\t333\tt"]  # the shortest list
    world = make_world()
    generator = TransactionGenerator(world)
    native = [generator.block(*task).lines for task in blocks_of(world)[:3]]
    monkeypatch.setattr(transactions, "NATIVE", None)
    assert transactions.lines(*columns) == joined
    assert native == [generator.block(*task).lines for task in blocks_of(world)[:3]]
    assert NATIVE.tab_join((b"x", (b"a",))) is None  # not a list: Python joins it
    assert NATIVE.tab_join((b"x", b"y")) is None
    with pytest.raises(TypeError):
        NATIVE.tab_join(([b"a", "b"],))


@needs_native
def test_timestamps_are_numpys_text_of_the_same_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    first, last = -62_135_596_800, 253_402_300_799  # 0001-01-01 00:00:00 and 9999-12-31 23:59:59 UTC
    rng = np.random.default_rng(16)
    seconds = np.concatenate(
        [rng.integers(first, last, 50_000), [first, last, -1, 0, 86_399, 86_400, 951_782_400, 951_868_800]]
    )
    native = transactions.timestamps(seconds)
    assert native[-2:] == [b"2000-02-29 00:00:00.000000", b"2000-03-01 00:00:00.000000"]
    assert NATIVE.timestamps(np.array([first - 1, 0])) is None  # outside 4-digit years: numpy formats them
    assert NATIVE.timestamps(np.array([last + 1])) is None
    monkeypatch.setattr(transactions, "NATIVE", None)
    assert native == transactions.timestamps(seconds)
