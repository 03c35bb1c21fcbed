"""Range-split tables (anonymize/pipeline/ranges.py) on real PostgreSQL 15: a run with N jobs and forced small
ranges gives the same output bytes, the same fakes, the same reports and the same verification verdict as a
one-job run of whole tables, on tables of every shape (integer, UUID, composite and unique keys, no key at all,
partitions, a row filter, a kept table) and on a stranger's schema with the rules `rules init` drafts."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from anonymize.catalog import CatalogTable, data_tables
from anonymize.draft import draft_rules
from anonymize.keys import Keyring
from anonymize.pipeline.copy import plan_units
from anonymize.pipeline.plan import plan_tables
from anonymize.pipeline.progress import SilentProgress
from anonymize.pipeline.ranges import (
    KeyColumn,
    SplitPolicy,
    TableRange,
    ctid_predicates,
    key_predicates,
    quote_literal,
    split_table,
)
from anonymize.pipeline.run import run_snapshot
from anonymize.postgres import ClientTools
from anonymize.report import SnapshotReport
from anonymize.rules import RulesFile, parse_rules, reflect_schema
from anonymize.scan import scan_source
from anonymize.sinks import DatabaseSink, DumpFileSink
from anonymize.sources import LiveSource
from testbed.servers import PostgresServer
from testbed.strangers import pgfeatures

KEY = Keyring(b"test-key-0123456789abcdef-ranges!")
# Every table of more than two pages in up to 7 ranges: far finer than a real run's (MIN_RANGE_BYTES).
SMALL = SplitPolicy(min_range_bytes=8192, target_bytes=8192, max_ranges=7)

SHAPES = """
CREATE TABLE ints (id bigint PRIMARY KEY, email text NOT NULL, full_name text, note text);
CREATE TABLE uuids (id uuid PRIMARY KEY, email text, phone text, payload jsonb);
CREATE TABLE lines (order_id int, line int, sku text, buyer text, PRIMARY KEY (order_id, line));
CREATE TABLE loose (email text, note text);
CREATE TABLE coded (code text NOT NULL UNIQUE, email text);
CREATE TABLE kept (id int PRIMARY KEY, label text);
CREATE TABLE events (id bigint, at date, email text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');

INSERT INTO ints SELECT g, 'user' || g || '@example.jp', (ARRAY['Sato Taro','Suzuki Hanako','John Smith'])[1 + g % 3],
    CASE WHEN g % 4 = 0 THEN 'call user' || g || '@example.jp about the refund' END
FROM generate_series(1, 4000) g;
INSERT INTO uuids SELECT md5(g::text)::uuid, 'buyer' || g || '@mail.example.com',
    '090-' || lpad((1000 + g % 9000)::text, 4, '0') || '-' || lpad((g % 10000)::text, 4, '0'),
    jsonb_build_object('n', g, 'channel', (ARRAY['pos','web'])[1 + g % 2])
FROM generate_series(1, 3000) g;
INSERT INTO lines SELECT 1 + g / 3, g % 3, 'SKU-' || g % 50, 'Buyer ' || g % 700 FROM generate_series(0, 3599) g;
INSERT INTO loose SELECT 'loose' || g || '@example.org', 'row ' || g FROM generate_series(1, 3000) g;
INSERT INTO loose SELECT email, note FROM loose WHERE note LIKE '%7';  -- duplicate rows: no key could tell them apart
INSERT INTO coded SELECT 'C-' || md5(g::text), 'coded' || g || '@example.net' FROM generate_series(1, 2500) g;
INSERT INTO kept SELECT g, 'label ' || g FROM generate_series(1, 3000) g;
INSERT INTO events SELECT g, date '2023-01-01' + (g % 700), 'ev' || g || '@example.com' FROM generate_series(1, 4000) g;
ANALYZE;
"""

RULES = """
version: 1
tables:
  ints:
    where: "id % 5 <> 0"
    columns: {id: keep, email: email, full_name: person_name, note: free_text}
  uuids:
    columns: {id: keep, email: email, phone: phone, payload: keep}
  lines:
    columns: {order_id: keep, line: keep, sku: keep, buyer: person_name}
  loose:
    columns: {email: email, note: keep}
  coded:
    columns: {code: keep, email: email}
  kept:
    columns: {id: keep, label: keep}
  events:
    columns: {id: keep, at: keep, email: email}
"""


class _Recorder(SilentProgress):
    def __init__(self) -> None:
        self.started: list[str] = []
        self.finished: dict[str, tuple[int, int]] = {}
        self.last: dict[str, tuple[int, int]] = {}
        self.last_rows: dict[str, int] = {}
        self._lock = threading.Lock()

    def table_started(self, table: str, estimated_rows: int) -> None:
        self.started.append(table)

    def table_progress(self, table: str, rows: int, bytes_read: int) -> None:
        with self._lock:  # ranges of a table report from several threads: its counts still only grow
            assert table in self.started and table not in self.finished
            assert rows >= self.last_rows.get(table, 0) and bytes_read >= self.last.get(table, (0, 0))[1]
            self.last_rows[table] = rows
            self.last[table] = (rows, bytes_read)

    def table_finished(self, table: str, rows: int, bytes_read: int, seconds: float) -> None:
        assert table not in self.finished
        self.finished[table] = (rows, bytes_read)


def test_key_ranges_cover_every_key_once() -> None:
    key = [KeyColumn("order id", "integer"), KeyColumn("line", "smallint")]
    assert key_predicates(key, [["10", "2"], ["20", "0"]]) == [
        """ROW("order id", "line") < ROW('10'::integer, '2'::smallint)""",
        """ROW("order id", "line") >= ROW('10'::integer, '2'::smallint) AND ROW("order id", "line") < """
        """ROW('20'::integer, '0'::smallint)""",
        """ROW("order id", "line") >= ROW('20'::integer, '0'::smallint)""",
    ]
    assert key_predicates([KeyColumn("id", "uuid")], [["0f"]]) == [
        """"id" < '0f'::uuid""",
        """"id" >= '0f'::uuid""",
    ]
    assert key_predicates(key, []) == []
    assert quote_literal("O'Brien\\") == "'O''Brien\\'"


def test_ctid_ranges_end_open() -> None:
    assert ctid_predicates(10, 3) == [
        "ctid < '(3,0)'::tid",
        "ctid >= '(3,0)'::tid AND ctid < '(7,0)'::tid",
        "ctid >= '(7,0)'::tid",
    ]
    assert ctid_predicates(2, 3) == []  # fewer pages than ranges: whole


def test_a_run_splits_only_what_is_worth_it() -> None:
    policy = SplitPolicy.for_run([400 << 20, 1 << 20], jobs=2)
    assert policy.target_bytes == 401 * (1 << 20) // 8
    assert policy.ranges(400 << 20) == 8 and policy.ranges(1 << 20) == 1
    assert policy.ranges(15 << 20) == 1  # under two minimum ranges
    assert SplitPolicy.for_run([400 << 20], jobs=1).ranges(400 << 20) == 1


@pytest.fixture(scope="module")
def shapes(postgres_server: PostgresServer) -> Iterator[str]:
    with postgres_server.database("shapes") as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(SHAPES)
        yield dsn


def _units(source_dsn: str, rules: RulesFile, policy: SplitPolicy) -> dict[str, list[TableRange]]:
    with LiveSource(source_dsn) as source:
        schema = reflect_schema(source.catalog())
        plans = plan_tables(rules, schema, data_tables(source.catalog()), KEY)
        units, _ = plan_units(plans, source, 3, SilentProgress(), policy)
    by_table: dict[str, list[TableRange]] = {}
    for unit in units:
        by_table.setdefault(unit.plan.table.name, []).append(unit.range)
    assert [u.range.estimated_bytes for u in units] == sorted((u.range.estimated_bytes for u in units), reverse=True)
    return by_table


def _contents(dsn: str) -> dict[str, bytes]:
    """Every table's rows, as COPY TEXT ordered by all its columns: byte-identical fakes or not."""
    out = {}
    with psycopg.connect(dsn) as conn:
        for table in data_tables(conn):
            order = ", ".join(str(i + 1) for i in range(len(table.columns)))
            with conn.cursor().copy(f"COPY (SELECT * FROM ONLY {table.sql} ORDER BY {order}) TO STDOUT") as copy:
                out[table.name] = b"".join(bytes(chunk) for chunk in copy)
    return out


def _comparable(report: SnapshotReport) -> tuple[list, dict]:
    """What must not depend on how the tables were split: each table's counts and column stats, the verdict."""
    tables = sorted(
        (t.table, t.rows, t.bytes_in, t.bytes_out, t.skipped, t.filtered, [dataclasses.astuple(c) for c in t.columns])
        for t in report.tables
    )
    assert report.verification is not None
    verification = dataclasses.asdict(report.verification)
    verification.pop("seconds")
    verification = {k: sorted(map(str, v)) if isinstance(v, list) else v for k, v in verification.items()}
    return tables, verification


def test_every_range_is_read_once_under_the_snapshot(shapes: str) -> None:
    ranges = _units(shapes, parse_rules(RULES), SMALL)
    assert {name: len(r) for name, r in ranges.items()} == {
        name: 7 for name in ("public.ints", "public.uuids", "public.lines", "public.loose", "public.coded")
    } | {"public.kept": 7, "public.events_2023": 7, "public.events_2024": 7}
    assert 'ROW("order_id", "line")' in ranges["public.lines"][0].predicate  # type: ignore[operator]
    assert "ctid" in ranges["public.loose"][0].predicate  # type: ignore[operator]
    assert '"code" <' in ranges["public.coded"][0].predicate  # type: ignore[operator]
    with psycopg.connect(shapes) as conn:
        for name, parts in ranges.items():
            query = f"SELECT count(*) FROM ONLY {name} WHERE "
            counts = [conn.execute(query + str(r.predicate)).fetchone()[0] for r in parts]
            assert sum(counts) == conn.execute(f"SELECT count(*) FROM ONLY {name}").fetchone()[0], name
            assert min(counts) > 0, (name, counts)


def test_rows_added_after_the_snapshot_are_in_no_range(shapes: str, postgres_server: PostgresServer) -> None:
    with postgres_server.database("late") as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
            conn.execute("INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 2000) g")
        with LiveSource(dsn) as source:
            table = next(t for t in data_tables(source.catalog()) if t.name == "public.t")
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("INSERT INTO t SELECT g, 'late' FROM generate_series(2001, 3000) g")
                conn.execute("DELETE FROM t WHERE id <= 100")
            parts = split_table(source.catalog(), table, 4)
            rows = 0
            for part in parts:
                with source.stream(table, table.columns, None, part.predicate) as stream:
                    rows += sum(chunk.count(b"\n") for chunk in stream.chunks)
    assert len(parts) == 4 and rows == 2000


def test_n_jobs_in_small_ranges_give_the_one_job_output(
    shapes: str, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    rules = parse_rules(RULES)
    one = postgres_server.dsn("shapes_one_job")
    many = postgres_server.dsn("shapes_ranges")
    whole_run = run_snapshot(LiveSource(shapes), DatabaseSink(one), rules, KEY, jobs=1)
    progress = _Recorder()
    split_run = run_snapshot(LiveSource(shapes), DatabaseSink(many), rules, KEY, 3, progress, split=SMALL)

    assert whole_run.verification is not None and whole_run.verification.passed
    assert _comparable(split_run) == _comparable(whole_run)
    expected = _contents(one)
    assert _contents(many) == expected
    # Progress per table, not per range: started once, finished once with the table's rows and bytes.
    finished = {t.table: (t.rows, t.bytes_in) for t in split_run.tables}
    assert Counter(progress.started) == Counter(finished.keys()) and progress.finished == finished
    assert all(progress.last[name] == (rows, finished[name][1]) for name, rows in progress.last_rows.items())
    ints = {t.table: t for t in split_run.tables}["public.ints"]
    assert ints.filtered and ints.rows == 3200  # the rule's filter held inside every range

    # A dump file: the ranges of a table load side by side into its one scratch table, then pg_dump.
    output = tmp_path / "ranges.dump"
    dumped = run_snapshot(LiveSource(shapes), DumpFileSink(postgres_server.dsn(), output), rules, KEY, 3, split=SMALL)
    assert _comparable(dumped) == _comparable(whole_run)
    with postgres_server.database("restored") as restored:
        restore = ["pg_restore", "--exit-on-error", "--no-owner", str(output)]
        command, env = ClientTools.find().command(restore, restored)
        subprocess.run(command, env=env, check=True, capture_output=True)
        assert _contents(restored) == expected


def test_a_strangers_schema_split_gives_the_same_output(postgres_server: PostgresServer) -> None:
    """pgfeatures (quoted schemas, partitions, arrays, domains, ...) with the rules `rules init` drafts (sampled)."""
    with postgres_server.database("pgfeatures") as source_dsn:
        pgfeatures.build(source_dsn, scale=3)
        with LiveSource(source_dsn) as source:
            schema = reflect_schema(source.catalog())
            tables: list[CatalogTable] = data_tables(source.catalog())
        scanned = scan_source(LiveSource(source_dsn), None, 200)
        rules = parse_rules(
            draft_rules(schema, scanned.suggestions(), profiles=scanned.profiles, locales=scanned.locales)
        )
        split = _units(source_dsn, rules, SMALL)
        assert sum(1 for parts in split.values() if len(parts) > 1) >= 3, {t: len(p) for t, p in split.items()}
        assert any(t.name != t.rule_table and len(split.get(t.name, ())) > 1 for t in tables)  # a partition

        one = postgres_server.dsn("pgfeatures_one_job")
        many = postgres_server.dsn("pgfeatures_ranges")
        whole_run = run_snapshot(LiveSource(source_dsn), DatabaseSink(one), rules, KEY, jobs=1)
        split_run = run_snapshot(LiveSource(source_dsn), DatabaseSink(many), rules, KEY, jobs=2, split=SMALL)
        assert Counter(t.table for t in split_run.tables) == Counter(t.table for t in whole_run.tables)
        assert _comparable(split_run) == _comparable(whole_run)
        assert _contents(many) == _contents(one)


MEMORY_CHILD = """
import resource, sys
from anonymize.keys import Keyring
from anonymize.pipeline.ranges import SplitPolicy
from anonymize.pipeline.run import run_snapshot
from anonymize.rules import parse_rules
from anonymize.sinks import DatabaseSink
from anonymize.sources import LiveSource
source, target, ranges, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rules = "version: 1\\ntables:\\n  wide:\\n    columns: {id: keep, email: email, filler: keep}\\n"
policy = SplitPolicy(min_range_bytes=8192, target_bytes=8192, max_ranges=ranges)
report = run_snapshot(LiveSource(source), DatabaseSink(target), parse_rules(rules), Keyring(b"k" * 32), 2, split=policy)
assert report.verification.passed and report.tables[0].rows == rows
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""
WIDE_ROWS = 75_000  # ~60 MB of COPY text: a range held whole, even a thirtieth of it, would show
NARROW_ROWS = 1_500


def _peaks(server: PostgresServer, rows: int, ranges: int) -> tuple[float, float]:
    """Peak RSS in MB (main process, largest worker) of a 2-job run over a `rows`-row table in `ranges` ranges."""
    with server.database("wide") as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE wide (id int PRIMARY KEY, email text, filler text)")
            conn.execute(
                "INSERT INTO wide SELECT g, 'w' || g || '@example.com', repeat(md5(g::text), 24)"
                " FROM generate_series(1, %s) g",
                (rows,),
            )
        command = [sys.executable, "-c", MEMORY_CHILD, dsn, server.dsn(f"wide_{rows}_{ranges}"), str(ranges), str(rows)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
    main, worker = (int(kb) / 1024 for kb in done.stdout.split())
    return main, worker


def test_memory_stays_flat_whatever_the_number_of_ranges(postgres_server: PostgresServer) -> None:
    """Peak RSS (main process, largest worker) over a ~60 MB table in 2 or 60 ranges is that of a table 50 times
    smaller: no range is held whole, and what a range leaves behind (its share of the report, its leak-check keys,
    on disk) doesn't pile up in memory. The slack covers the chunks in flight (~1 MB each, a few per job)."""
    small = _peaks(postgres_server, NARROW_ROWS, 2)
    few = _peaks(postgres_server, WIDE_ROWS, 2)
    many = _peaks(postgres_server, WIDE_ROWS, 60)
    assert all(a < b + 16 for a, b in zip(few, small, strict=True)), (small, few)
    assert all(a < b + 8 for a, b in zip(many, few, strict=True)), (few, many)


def test_a_key_the_sample_cannot_order_falls_back_to_blocks(shapes: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failing bound query (here a real server error in its place) costs the table its key ranges, not the
    snapshot's transaction: the table is split by blocks and read in the same snapshot."""
    from anonymize.pipeline import ranges

    def failing(conn: psycopg.Connection, *args: object) -> list[list[str]]:
        conn.execute("SELECT 1 / 0")
        return []

    monkeypatch.setattr(ranges, "key_bounds", failing)
    with LiveSource(shapes) as source:
        table = next(t for t in data_tables(source.catalog()) if t.name == "public.ints")
        parts = split_table(source.catalog(), table, 3)
        assert [p.predicate.split(" ")[0] for p in parts] == ["ctid"] * 3  # type: ignore[union-attr]
        rows = 0
        for part in parts:
            with source.stream(table, table.columns, None, part.predicate) as stream:
                rows += sum(chunk.count(b"\n") for chunk in stream.chunks)
        assert rows == 4000 and source.catalog().execute("SELECT count(*) FROM ints").fetchone() == (4000,)
