"""Scratch databases on a shared target server, on real PostgreSQL 15: two targets whose names share their first
40+ bytes never take each other's scratch databases for leftovers; a live run's scratch database survives any
other run's sweep; a genuinely stale one (its run is dead) is removed by the target's next run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from anonymize.keys import Keyring
from anonymize.pipeline.run import run_snapshot
from anonymize.rules import parse_rules
from anonymize.sinks import DatabaseSink, DumpFileSink
from anonymize.sources import LiveSource
from testbed.servers import PostgresServer
from tests.anonymize.prodlike import RULES, build_prodlike

KEY_TEXT = "test-key-0123456789abcdef-sinks"
KEY = Keyring(KEY_TEXT.encode())
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def prod(postgres_server: PostgresServer) -> Iterator[str]:
    with postgres_server.database("prod") as dsn:
        build_prodlike(dsn, customers=60, seed=5)
        yield dsn


@pytest.fixture
def twins(postgres_server: PostgresServer) -> Iterator[tuple[str, str]]:
    """Two target databases whose 52-byte names share their first 47 bytes."""
    common = f"twin_{uuid.uuid4().hex[:8]}_targets_sharing_their_first_47_b_"
    assert len(common) == 47
    names = (f"{common}alpha", f"{common}bravo")
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_server.dsn(names[0]), postgres_server.dsn(names[1])
    finally:
        with psycopg.connect(postgres_server.dsn(), autocommit=True) as conn:
            rows = conn.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s) OR datname LIKE '%%\\_devkit\\_%%'",
                (common[:20],),
            ).fetchall()
            for (name,) in rows:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _work_databases(server_dsn: str) -> set[str]:
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE '%\\_devkit\\_%'").fetchall()
    return {name for (name,) in rows}


def _count(dsn: str, table: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


PAUSED_MID_RUN = """
import sys, time
from pathlib import Path
from anonymize.keys import Keyring
from anonymize.pipeline.progress import SilentProgress
from anonymize.pipeline.run import run_snapshot
from anonymize.rules import parse_rules
from anonymize.sinks import DatabaseSink
from anonymize.sources import LiveSource

source, target, rules, flags = sys.argv[1], sys.argv[2], Path(sys.argv[3]).read_text(), Path(sys.argv[4])

class PauseBetweenTables(SilentProgress):
    # Not inside a COPY: a backend waiting for COPY data doesn't absorb the barrier every DROP DATABASE on the
    # server waits for, so the other run's clean-up would wait for this pause, and this pause for the other run.
    def table_finished(self, table, rows, bytes_read, seconds):
        if not (flags / "loading").exists():
            (flags / "loading").touch()
            while not (flags / "release").exists():
                time.sleep(0.05)

run_snapshot(LiveSource(source), DatabaseSink(target), parse_rules(rules), Keyring(sys.argv[5].encode()), jobs=1,
             progress=PauseBetweenTables())
"""


def _wait_for(path: Path, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.communicate()[1].decode()
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


def test_a_run_into_a_twin_target_leaves_a_live_runs_scratch_database_alone(
    prod: str, twins: tuple[str, str], postgres_server: PostgresServer, tmp_path: Path
) -> None:
    first, second = twins
    (tmp_path / "rules.yml").write_text(RULES)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    arguments = [prod, first, str(tmp_path / "rules.yml"), str(tmp_path), KEY_TEXT]
    process = subprocess.Popen([sys.executable, "-c", PAUSED_MID_RUN, *arguments], env=env, stderr=subprocess.PIPE)
    try:
        _wait_for(tmp_path / "loading", process)  # the first run has loaded a table into its scratch database
        in_progress = _work_databases(postgres_server.dsn())
        assert len(in_progress) == 1

        report = run_snapshot(LiveSource(prod), DatabaseSink(second), parse_rules(RULES), KEY, jobs=1)
        assert not [note for note in report.notes if "removed" in note], report.notes
        assert in_progress <= _work_databases(postgres_server.dsn()), "the live run's scratch database was dropped"
    finally:
        (tmp_path / "release").touch()
        _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr.decode()
    for target in twins:
        assert _count(target, "customers") == _count(prod, "customers")
    assert _work_databases(postgres_server.dsn()) == set()


KILLED_AFTER_BEGIN = """
import os, signal, sys
from anonymize.sinks import DatabaseSink
DatabaseSink(sys.argv[1]).begin()  # a scratch database made, then the run dies without any cleanup
os.kill(os.getpid(), signal.SIGKILL)
"""


def _killed_run_leaves_scratch(target: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", KILLED_AFTER_BEGIN, target], env=env, capture_output=True)
    assert result.returncode == -9, result.stderr.decode()


def test_a_stale_leftover_is_removed_by_its_own_targets_next_run_only(
    prod: str, twins: tuple[str, str], postgres_server: PostgresServer
) -> None:
    first, second = twins
    _killed_run_leaves_scratch(first)
    left_by_first = _work_databases(postgres_server.dsn())
    _killed_run_leaves_scratch(second)
    left_by_second = _work_databases(postgres_server.dsn()) - left_by_first
    assert len(left_by_first) == 1 and len(left_by_second) == 1

    report = run_snapshot(LiveSource(prod), DatabaseSink(second), parse_rules(RULES), KEY, jobs=1)
    assert [note for note in report.notes if "removed" in note] == [
        f"removed {next(iter(left_by_second))}, left behind by an interrupted run"
    ]
    assert _work_databases(postgres_server.dsn()) == left_by_first  # the twin's leftover is the twin's business

    report = run_snapshot(LiveSource(prod), DatabaseSink(first), parse_rules(RULES), KEY, jobs=1)
    assert any(next(iter(left_by_first)) in note for note in report.notes)
    assert _work_databases(postgres_server.dsn()) == set()


def test_an_export_and_a_database_named_devkit_do_not_share_a_lock_or_scratch_databases(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    export = DumpFileSink(postgres_server.dsn(), tmp_path / "out.dump")
    export_load = export.begin()
    database = DatabaseSink(postgres_server.dsn("devkit"))
    try:
        load = database.begin()  # not "another devkit snapshot into devkit is running"
        assert load.name != export_load.name
        assert export_load.name in _work_databases(postgres_server.dsn())
        database.abort()
    finally:
        export.abort()
    assert _work_databases(postgres_server.dsn()) == set()
