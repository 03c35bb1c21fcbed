"""The known-values pre-pass on real PostgreSQL: which columns it reads, the cap, and the report line."""

from __future__ import annotations

import psycopg

from anonymize.catalog import data_tables
from anonymize.keys import Keyring
from anonymize.pii import hook
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
