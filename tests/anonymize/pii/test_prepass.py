"""The known-values pre-pass on real PostgreSQL: which columns it reads, the cap, and the report line."""

from __future__ import annotations

import psycopg
import pytest

from anonymize.catalog import data_tables
from anonymize.keys import Keyring
from anonymize.pii import hook, prepass
from anonymize.pii.known import KnownValues
from anonymize.pii.prepass import fill_known
from anonymize.pii.spans import Kind
from anonymize.pipeline.plan import plan_tables
from anonymize.rules import parse_rules, reflect_schema
from anonymize.sources import LiveSource

RULES = """
version: 1
tables:
  people:
    columns:
      id: keep
      name: person_name
      name_kana: {transform: person_name, params: {script: katakana, key_column: name}}
      staff_name: {transform: person_name, params: {key_column: id}}
      email: email
      phone: {transform: phone, domain: other}
      note: {transform: free_text, params: {detector: presidio}}
"""


def _plans(dsn: str) -> list:
    with psycopg.connect(dsn) as conn:
        schema, tables = reflect_schema(conn), data_tables(conn)
    return plan_tables(parse_rules(RULES), schema, tables, Keyring(b"k" * 32))


def _people(dsn: str, rows: int) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "CREATE TABLE people (id int PRIMARY KEY, name text, name_kana text, staff_name text, email text,"
            " phone text, note text)"
        )
        for i in range(rows):
            conn.execute(
                "INSERT INTO people VALUES (%s, %s, 'ヤマダ', %s, %s, '090-1234-5678', NULL)",
                (i, f"山田 太郎{i}", f"鈴木 {i}", f"u{i}@example.jp" if i % 5 else None),
            )


def test_only_columns_free_text_can_reproduce_are_read(pg_database: str) -> None:
    _people(pg_database, 20)
    hook.KNOWN.add(Kind.EMAIL, "stale@previous.run")  # a previous run's value is forgotten
    report = fill_known(_plans(pg_database), LiveSource(pg_database).__enter__())
    assert sorted(report.columns) == ["public.people.email", "public.people.name"]
    assert report.values == 20 + 16 and not report.capped
    assert (Kind.PERSON, "山田太郎7") in hook.KNOWN and (Kind.EMAIL, "u1@example.jp") in hook.KNOWN
    assert (Kind.EMAIL, "stale@previous.run") not in hook.KNOWN
    assert (Kind.PHONE, "09012345678") not in hook.KNOWN  # another domain: free text would fake it differently
    assert report.note(500_000) == "known values: 36 distinct names/emails/phones from 2 column(s)"


def test_the_cap_bounds_memory_and_says_so(pg_database: str) -> None:
    _people(pg_database, 300)
    report = fill_known(_plans(pg_database), LiveSource(pg_database).__enter__(), limit=50)
    assert report.capped and len(hook.KNOWN) == report.values in (50, 51)  # the row that hit the cap
    assert "stopped at the cap of 50" in report.note(50)


def test_a_name_split_in_given_and_family_columns_is_known_whole(pg_database: str) -> None:
    """first_name + last_name: free text names the person whole ("Great service from Emily Clark"), with no cue."""
    with psycopg.connect(pg_database) as conn:
        conn.execute("CREATE TABLE buyers (id int PRIMARY KEY, first_name text, last_name text, review text)")
        conn.execute("INSERT INTO buyers VALUES (1, 'Zorbina', 'Quelch', 'fine'), (2, '一二三', '勅使河原', NULL)")
        schema, tables = reflect_schema(conn), data_tables(conn)
    rules = parse_rules(
        "version: 1\ntables:\n  buyers:\n    columns:\n      id: keep\n"
        "      first_name: {transform: person_name, params: {part: given}}\n"
        "      last_name: {transform: person_name, params: {part: family}}\n"
        "      review: {transform: free_text, params: {detector: presidio}}\n"
    )
    report = fill_known(plan_tables(rules, schema, tables, Keyring(b"k" * 32)), LiveSource(pg_database).__enter__())
    assert report.columns == ["public.buyers.first_name+last_name"]
    detector = hook.shared_detector()
    for text, name in (
        ("Thanks to Zorbina Quelch, quick reply", "Zorbina Quelch"),
        ("勅使河原一二三から電話", "勅使河原一二三"),
    ):
        assert [text[s.start : s.end] for s in detector.detect(text) if s.known] == [name]


def _state(known: KnownValues, generation: int = 0) -> tuple[object, ...]:
    """What a KnownValues holds; its generation counted from `generation` (KNOWN's before the run's reset)."""
    return (known._values, known._literals, known.generation - generation, known._number_kinds, len(known))


def test_batched_and_read_ahead_the_values_are_those_added_row_by_row(pg_database: str) -> None:
    """fill_known reads several tables at once and adds a chunk's new fields at a time: the same KnownValues as the
    rows added one by one with `add`, table after table (NULLs, COPY escapes, repeats, a name pair, four tables)."""
    with psycopg.connect(pg_database) as conn:
        for n in range(3):
            conn.execute(f"CREATE TABLE t{n} (id int PRIMARY KEY, name text, email text, note text)")
            conn.execute(
                f"INSERT INTO t{n} SELECT i, CASE WHEN i % 7 = 0 THEN NULL WHEN i % 5 = 0 THEN 'Tab\tBack\\slash '"
                f" || (i % 11) ELSE '山田 太郎' || (i % 40 + {n}) END, 'U' || (i % 30) || '@Example.jp',"
                " 'x' FROM generate_series(1, 2000) i"
            )
        conn.execute("CREATE TABLE buyers (id int PRIMARY KEY, first_name text, last_name text, review text)")
        conn.execute(
            "INSERT INTO buyers SELECT i, CASE WHEN i % 9 = 0 THEN NULL ELSE 'Emi' || (i % 13) END,"
            " 'Clark' || (i % 3), 'fine' FROM generate_series(1, 500) i"
        )
        schema, tables = reflect_schema(conn), data_tables(conn)
    rules = "version: 1\ntables:\n"
    for n in range(3):
        rules += (
            f"  t{n}:\n    columns:\n      id: keep\n      name: person_name\n      email: email\n"
            "      note: {transform: free_text, params: {detector: presidio}}\n"
        )
    rules += (
        "  buyers:\n    columns:\n      id: keep\n"
        "      first_name: {transform: person_name, params: {part: given}}\n"
        "      last_name: {transform: person_name, params: {part: family}}\n"
        "      review: {transform: free_text, params: {detector: presidio}}\n"
    )
    plans = plan_tables(parse_rules(rules), schema, tables, Keyring(b"k" * 32))
    source = LiveSource(pg_database).__enter__()
    try:
        before = hook.KNOWN.generation + 1  # fill_known's reset counts one
        report = fill_known(plans, source, streams=3)  # two tables read ahead of the one added
        batched = _state(hook.KNOWN, before)
        expected = KnownValues()
        for read in prepass._reads(plans):
            with source.stream(read.plan.table, read.columns, read.plan.where) as stream:
                positions = [(stream.columns.index(name), kind) for name, kind in read.wanted.items()]
                parts = (stream.columns.index(read.pair[0]), stream.columns.index(read.pair[1])) if read.pair else None
                for chunk in stream.chunks:
                    assert not prepass._add_rows(expected, chunk.split(b"\n"), positions, parts, 10**9)
    finally:
        source.close()
    assert batched == _state(expected)
    assert (Kind.PERSON, "tabback\\slash3") in hook.KNOWN and (Kind.PERSON, "emi4clark1") in hook.KNOWN
    assert report.values == len(expected) and not report.capped
    assert len(report.columns) == 7 and report.columns[-1] == "public.buyers.first_name+last_name"


def test_a_chunk_with_bytes_beyond_utf8_in_a_column_not_read_is_added_field_by_field() -> None:
    """A dump file's chunk holds every column: one not read here may hold bytes that aren't UTF-8 (a SQL_ASCII
    database); the values read are the same as row by row, and a value read that isn't UTF-8 fails as before."""
    chunk = "山田 太郎\t\xff\\N\tu1@example.jp\nEmi Clark\tok\tu2@example.jp\n山田 太郎\tz\tu1@example.jp\n".encode()
    chunk = chunk.replace("\xff".encode(), b"\xff")
    positions = [(0, Kind.PERSON), (2, Kind.EMAIL)]
    batched, expected = KnownValues(), KnownValues()
    assert not prepass._add_chunk(batched, chunk, positions, None, {}, 10**9)
    assert not prepass._add_rows(expected, chunk.split(b"\n"), positions, None, 10**9)
    assert _state(batched) == _state(expected) and len(batched) == 4
    with pytest.raises(UnicodeDecodeError):
        prepass._add_chunk(KnownValues(), b"\xff\tx\tu@example.jp\n", positions, None, {}, 10**9)
