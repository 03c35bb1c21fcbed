"""The harness's checks on small hand-made source/output pairs in real PostgreSQL 15: what counts as a leak and
what as a coincidence, quoted and non-public names (as testbed/strangers/pgfeatures.py will have), tables without a
primary key, schema parity through the real pg_dump."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import psycopg
import pytest

from testbed.servers import PostgresServer
from testbed.strangers.locations import parse, read_values
from tests.strangers import checks


@pytest.fixture
def pair(postgres_server: PostgresServer) -> Iterator[tuple[str, str]]:
    """(source DSN, output DSN): two empty databases."""
    with postgres_server.database("src") as source, postgres_server.database("out") as target:
        yield source, target


def _run(dsn: str, statements: str) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute(statements)


def test_a_value_in_a_row_that_never_held_it_is_a_coincidence_not_a_leak(pair: tuple[str, str]) -> None:
    source, target = pair
    schema = "CREATE TABLE people (id int PRIMARY KEY, name text, note text);"
    _run(source, schema + "INSERT INTO people VALUES (1, 'Emily Clark', 'hi'), (2, 'Bob Stone', 'ok');")
    # row 1: its fake happens to be row 2's real name; row 2: kept
    _run(target, schema + "INSERT INTO people VALUES (1, 'Bob Stone', 'hi'), (2, 'Bob Stone', 'ok');")
    planted = {"public.people.name": {"Emily Clark", "Bob Stone"}}
    coincidences: dict[str, set[str]] = {}
    with psycopg.connect(source) as src, psycopg.connect(target) as out:
        problems = checks.check_leaks(src, out, planted, set(), coincidences)
    assert [p.text for p in problems] == [
        "public.people.name: 1 planted value(s) of public.people.name (1 occurrence(s))"
    ]
    assert coincidences == {"public.people": {"bob stone"}}
    dump = "COPY public.people (id, name, note) FROM stdin;\n1\tBob Stone\thi\n"
    assert checks.check_dump_leaks(dump, planted, set(), coincidences) == []


def test_quoted_and_non_public_names_are_read_in_place(pair: tuple[str, str]) -> None:
    source, target = pair
    schema = 'CREATE SCHEMA "Sales"; CREATE TABLE "Sales"."Order" (id int PRIMARY KEY, "Full Name" text, j jsonb);'
    _run(
        source,
        schema
        + """INSERT INTO "Sales"."Order" VALUES (1, 'Jane Doe', '{"名前": "山田太郎", "id": "A1"}'),
                             (2, '鈴木一郎', '{"名前": "Taro", "id": "A2"}')""",
    )
    _run(
        target,
        schema
        + """INSERT INTO "Sales"."Order" VALUES (1, 'Jane Doe', '{"名前": "佐藤花子", "id": "A1"}'),
                             (2, '高橋次郎', '{"名前": "Taro", "id": "B2"}')""",
    )
    planted = {
        '"Sales"."Order"."Full Name"': {"Jane Doe", "鈴木一郎"},
        '"Sales"."Order".j$."名前"': {"山田太郎", "Taro"},
    }
    with psycopg.connect(source) as src, psycopg.connect(target) as out:
        in_place = [p.text for p in checks.check_in_place(src, out, planted)]
        locale = [p.text for p in checks.check_locale(src, out, {'"Sales"."Order"."Full Name"': ("western_name",)})]
        ids = [p.text for p in checks.check_ids(src, out, ['"Sales"."Order".j$.id'])]
    assert in_place == [
        '"Sales"."Order"."Full Name": 1 of 2 planted value(s) unchanged in their row',
        '"Sales"."Order".j$."名前": 1 of 2 planted value(s) unchanged in their row',
    ]
    assert locale == ['"Sales"."Order"."Full Name": 1 source value(s) of none of western_name']
    assert ids == ['"Sales"."Order".j$.id: 1 of 2 ids changed (a9 ×1)']


def test_composite_fields_and_array_elements_are_read(pair: tuple[str, str]) -> None:
    source, target = pair
    schema = (
        "CREATE TYPE address AS (street text, postal_code text);"
        "CREATE TABLE c (id int PRIMARY KEY, home address, emails text[]);"
    )
    _run(source, schema + "INSERT INTO c VALUES (1, ROW('1 High Street', 'SW1A 1AA'), '{a@x.jp,b@y.jp}');")
    _run(target, schema + "INSERT INTO c VALUES (1, ROW('9 Low Road', 'SW1A 1AA'), '{z@example.com,b@y.jp}');")
    with psycopg.connect(source) as src, psycopg.connect(target) as out:
        assert set(read_values(src, parse("public.c.emails[]"))) == {"a@x.jp", "b@y.jp"}
        assert list(read_values(src, parse("public.c.home.street"))) == ["1 High Street"]
        planted = {
            "public.c.home.street": {"1 High Street"},
            "public.c.home.postal_code": {"SW1A 1AA"},
            "public.c.emails[]": {"a@x.jp", "b@y.jp"},
        }
        assert [p.text for p in checks.check_in_place(src, out, planted)] == [
            "public.c.emails[]: 1 of 1 planted value(s) unchanged in their row",
            "public.c.home.postal_code: 1 of 1 planted value(s) unchanged in their row",
        ]


def test_a_table_without_a_primary_key_is_named_not_skipped(pair: tuple[str, str]) -> None:
    source, target = pair
    for dsn in pair:
        _run(dsn, "CREATE TABLE log (who text); INSERT INTO log VALUES ('Jane Doe');")
    with psycopg.connect(source) as src, psycopg.connect(target) as out:
        problems = checks.check_in_place(src, out, {"public.log.who": {"Jane Doe"}})
        leaks = checks.check_leaks(src, out, {"public.log.who": {"Jane Doe"}}, set())
    assert [p.text for p in problems] == ["public.log.who: public.log has no primary key; its rows can't be matched"]
    assert len(leaks) == 1  # without a key to tell a coincidence, every finding counts


def test_schema_parity_sees_lost_grants_owners_and_unpopulated_matviews(
    pair: tuple[str, str], postgres_server: PostgresServer
) -> None:
    source, target = pair
    schema = (
        "DO $$ BEGIN CREATE ROLE strangers_test_ro NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;"
        "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2);"
        "CREATE MATERIALIZED VIEW mv AS SELECT count(*) AS n FROM t;"
    )
    _run(source, schema + "GRANT SELECT ON t TO strangers_test_ro; ALTER SCHEMA public OWNER TO postgres;")
    _run(target, schema.replace("SELECT count(*) AS n FROM t;", "SELECT count(*) AS n FROM t WITH NO DATA;"))

    def dump(dsn: str) -> str:
        command = [str(postgres_server.bindir / "pg_dump"), "--schema-only", "-d", dsn]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    problems = [p.text for p in checks.check_schema(dump(source), dump(target))]
    assert problems == ["ACL public.TABLE t: missing in the output", "SCHEMA public: missing in the output"]
    with psycopg.connect(source) as src, psycopg.connect(target) as out:
        assert [p.text for p in checks.check_matviews(src, out)] == [
            "public.mv: materialized view not populated in the output"
        ]
        assert checks.check_row_counts(src, out) == [] and checks.check_foreign_keys(src, out) == []
