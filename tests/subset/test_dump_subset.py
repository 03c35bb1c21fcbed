"""A subset of a pg_dump file equals the same subset of the live database it was dumped from: same rows in every
table (anonymized alike), same verification, same sequences, in the custom, directory, tar and plain formats. The
scratch database the dump is restored into is gone after every outcome: success, a refused declaration, an
interrupt; a killed run's leftover goes with the next run into the same target."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from anonymize.keys import Keyring
from anonymize.pipeline.run import run_snapshot
from anonymize.postgres import ClientTools
from anonymize.report import SnapshotReport
from anonymize.rules import parse_rules
from anonymize.sinks import RESTORE_MARK, DatabaseSink, DumpFileSink, scratch_name, target_tag
from anonymize.sources import LiveSource, open_source
from anonymize.subset.spec import SubsetError, build_spec
from testbed.servers import PostgresServer
from tests.subset import closure_oracle as oracle
from tests.subset.stranger import RULES, TABLES, fill

KEY = Keyring(b"subset-dumpfile-key-0123456789ab")
CONDITIONS = ["tenants: id in (2, 3)", "events: at < '2025-02-01'"]
FORMATS = {
    "custom": ["--format=custom"],
    "directory": ["--format=directory"],
    "tar": ["--format=tar"],
    "plain": ["--format=plain"],
}


@pytest.fixture(scope="module")
def source(postgres_server: PostgresServer) -> Iterator[str]:
    with postgres_server.database("stranger") as dsn:
        fill(dsn)
        yield dsn


@pytest.fixture(scope="module")
def dumps(source: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("dumps")
    made = {}
    for name, flags in FORMATS.items():
        made[name] = base / f"stranger.{name}"
        ClientTools.find().run(["pg_dump", *flags, "-f", str(made[name])], source)
    return made


def _rows(dsn: str) -> dict[str, list[str]]:
    return {
        table: sorted(json.dumps(row, sort_keys=True, default=str) for row in rows)
        for table, rows in oracle.read_all(dsn, TABLES).items()
    }


def _sequences(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT sequencename, last_value FROM pg_sequences ORDER BY 1").fetchall()


def _leftovers(server: PostgresServer) -> list[str]:
    with psycopg.connect(server.dsn()) as conn:
        found = conn.execute("SELECT datname FROM pg_database WHERE strpos(datname, %s) > 0", (RESTORE_MARK,))
        return [name for (name,) in found]


def _subset(spec_source: str, target: str) -> SnapshotReport:
    rules = parse_rules(RULES)
    spec = build_spec(rules.subset, CONDITIONS, None)
    chosen = open_source(spec_source, ClientTools.find())
    return run_snapshot(chosen, DatabaseSink(target), rules, KEY, jobs=2, subset=spec)


@pytest.fixture(scope="module")
def live_subset(source: str, postgres_server: PostgresServer) -> Iterator[tuple[SnapshotReport, str]]:
    with postgres_server.database("live") as target:
        yield _subset(source, target), target


@pytest.mark.parametrize("kind", FORMATS)
def test_a_subset_of_a_dump_file_equals_the_same_subset_of_the_live_database(
    kind: str, dumps: dict[str, Path], live_subset: tuple[SnapshotReport, str], postgres_server: PostgresServer
) -> None:
    live_report, live_target = live_subset
    with postgres_server.database("fromdump") as target:
        report = _subset(str(dumps[kind]), target)
        assert report.verification is not None and report.verification.passed, report.verification.failures
        assert _rows(target) == _rows(live_target)
        assert _sequences(target) == _sequences(live_target)
        with psycopg.connect(target) as conn:
            unvalidated = conn.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND NOT convalidated")
            assert unvalidated.fetchone()[0] == 0
    assert live_report.verification is not None and live_report.verification.passed
    assert report.verification.table_rows == live_report.verification.table_rows
    assert report.verification.foreign_keys == live_report.verification.foreign_keys
    assert report.source == str(dumps[kind]) and any("scratch database" in note for note in report.notes)
    assert sum(report.verification.table_rows.values()) > 0 and not _leftovers(postgres_server)


def test_a_dump_subset_into_a_dump_file(
    dumps: dict[str, Path], postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """Dump file in, dump file out: the scratch databases of both ends go."""
    rules = parse_rules(RULES)
    output = tmp_path / "subset.dump"
    with postgres_server.database("scratch") as server_dsn:
        chosen = open_source(str(dumps["custom"]), ClientTools.find())
        spec = build_spec(rules.subset, CONDITIONS, None)
        report = run_snapshot(chosen, DumpFileSink(server_dsn, output), rules, KEY, jobs=1, subset=spec)
    assert report.verification is not None and report.verification.passed
    assert output.is_file() and not _leftovers(postgres_server)


def test_a_bad_condition_on_a_dump_is_refused_before_any_row_moves(
    dumps: dict[str, Path], postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    copied: list[str] = []
    monkeypatch.setattr("anonymize.subset.restore._copy", lambda dump, load, table, stop: copied.append(table.name))
    rules = parse_rules(RULES)
    spec = build_spec(rules.subset, ["tenants: nonesuch = 1"], None)
    with postgres_server.database("refused") as target:
        chosen = open_source(str(dumps["custom"]), ClientTools.find())
        with pytest.raises(SubsetError, match='column "nonesuch" does not exist'):
            run_snapshot(chosen, DatabaseSink(target), rules, KEY, jobs=1, subset=spec)
        with psycopg.connect(target) as conn:  # the target is as it was: empty
            assert conn.execute("SELECT count(*) FROM pg_class WHERE relname = 'tenants'").fetchone()[0] == 0
    assert copied == [] and not _leftovers(postgres_server)


def test_an_interrupted_restore_leaves_nothing(
    dumps: dict[str, Path], postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("anonymize.subset.restore._copy", interrupted)
    with postgres_server.database("interrupted") as target:
        with pytest.raises(KeyboardInterrupt):
            _subset(str(dumps["plain"]), target)
        with psycopg.connect(target) as conn:
            assert conn.execute("SELECT count(*) FROM pg_class WHERE relname = 'tenants'").fetchone()[0] == 0
    assert not _leftovers(postgres_server)


def test_a_killed_runs_scratch_database_goes_with_the_next_run(
    dumps: dict[str, Path], postgres_server: PostgresServer
) -> None:
    with postgres_server.database("killed") as target:
        sink = DatabaseSink(target)
        # what a SIGKILLed run leaves: its restore scratch database, named for this target, its lock gone
        leftover = scratch_name(sink.base_name, RESTORE_MARK, target_tag(sink.identity), "20250101000000", "abcdef")
        with psycopg.connect(postgres_server.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{leftover}"')
        report = _subset(str(dumps["custom"]), target)
    assert f"removed {leftover}, left behind by an interrupted run" in report.notes
    assert not _leftovers(postgres_server)


def test_a_live_source_is_not_restored(live_subset: tuple[SnapshotReport, str]) -> None:
    report, _ = live_subset
    assert "restore" not in report.phases and "subset" in report.phases and "create, pre-data" in report.phases


def test_a_closure_failing_while_the_target_is_made_leaves_nothing(postgres_server: PostgresServer) -> None:
    """The closure is counted while a side thread makes the target's new database: a closure that fails (a
    virtual reference whose cast fails on a row, which EXPLAIN can't see) drops that database all the same."""
    with postgres_server.database("badjson") as source, postgres_server.database("untouched") as target:
        fill(source, tenants=2)
        with psycopg.connect(source) as conn:
            conn.execute("""INSERT INTO notes (body) VALUES ('{"author": "nobody"}')""")
        rules = parse_rules(RULES)
        spec = build_spec(rules.subset, ["tenants: id = 1"], None)
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            run_snapshot(LiveSource(source), DatabaseSink(target), rules, KEY, jobs=2, subset=spec)
        with psycopg.connect(postgres_server.dsn()) as conn:
            left = conn.execute("SELECT datname FROM pg_database WHERE strpos(datname, '_devkit_new_') > 0")
            assert [name for (name,) in left if name.startswith("untouched")] == []
        with psycopg.connect(target) as conn:
            assert conn.execute("SELECT count(*) FROM pg_class WHERE relname = 'tenants'").fetchone()[0] == 0
