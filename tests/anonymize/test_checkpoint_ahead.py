"""The checkpoint a run asks for ahead of its final DROP DATABASE (anonymize/checkpoint_ahead.py), on real
PostgreSQL 15: a role allowed to checkpoint gets one; one that is not is never asked (no error in its run); a run
into an existing database asks for it and leaves nothing behind."""

from __future__ import annotations

import psycopg

from anonymize.checkpoint_ahead import CheckpointAhead
from anonymize.keys import Keyring
from anonymize.pipeline.run import run_snapshot
from anonymize.rules import parse_rules
from anonymize.sinks import DatabaseSink
from anonymize.sources import LiveSource
from testbed.servers import PostgresServer
from tests.anonymize.prodlike import RULES, build_prodlike
from tests.pgroles import login_role


def _requested(server: PostgresServer) -> int:
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        return int(conn.execute("SELECT checkpoints_req FROM pg_stat_bgwriter").fetchone()[0])


def test_a_superuser_gets_the_checkpoint(postgres_server: PostgresServer) -> None:
    before = _requested(postgres_server)
    ahead = CheckpointAhead(postgres_server.dsn())
    ahead.close()
    assert ahead.done
    assert _requested(postgres_server) > before


def test_a_role_that_may_not_checkpoint_is_not_asked(postgres_server: PostgresServer) -> None:
    with login_role(postgres_server, "nockpt", "CREATEDB") as role:
        ahead = CheckpointAhead(role.dsn(postgres_server.dsn()))
        ahead.close()
        assert not ahead.done


def test_a_run_into_an_existing_database_checkpoints_ahead_and_leaves_nothing(postgres_server: PostgresServer) -> None:
    with postgres_server.database("prod") as prod, postgres_server.database("dev") as dev:
        build_prodlike(prod, customers=20, seed=3)
        before = _requested(postgres_server)
        report = run_snapshot(LiveSource(prod), DatabaseSink(dev), parse_rules(RULES), Keyring(b"k" * 32), jobs=1)
        assert report.verification is not None and report.verification.passed
        # One asked for ahead, one by the DROP DATABASE of the previous copy.
        assert _requested(postgres_server) >= before + 2
        with psycopg.connect(postgres_server.dsn(), autocommit=True) as conn:
            left = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE '%\\_devkit\\_%'").fetchall()
        assert left == []
