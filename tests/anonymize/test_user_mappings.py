"""A source's user mappings hold the passwords of its foreign servers: a snapshot never carries them into dev,
from a live source or a dump file, and says so."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from anonymize.keys import Keyring
from anonymize.pipeline.run import run_snapshot
from anonymize.postgres import ClientTools
from anonymize.rules import parse_rules
from anonymize.sinks import DatabaseSink
from anonymize.sources import LiveSource, open_source
from testbed.servers import PostgresServer

KEY = Keyring(b"user-mapping-test-key-0123456789")
TOOLS = ClientTools.find()
SECRETS = ("fdw-secret-of-the-owner", "fdw-secret-of-public")
RULES = parse_rules(
    """
version: 1
tables:
  public.ledger:
    columns: {id: keep, amount: keep}
"""
)


@pytest.fixture(scope="module")
def source(postgres_server: PostgresServer) -> str:
    with postgres_server.database("fdwsource") as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgres_fdw")
            conn.execute("CREATE SERVER billing FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'billing.internal')")
            conn.execute(f"CREATE USER MAPPING FOR CURRENT_USER SERVER billing OPTIONS (password '{SECRETS[0]}')")
            conn.execute(f"CREATE USER MAPPING FOR PUBLIC SERVER billing OPTIONS (password '{SECRETS[1]}')")
            conn.execute("CREATE TABLE ledger (id int PRIMARY KEY, amount int)")
            conn.execute("INSERT INTO ledger SELECT g, g * 100 FROM generate_series(1, 50) g")
        yield dsn


@pytest.mark.parametrize("kind", ["live", "custom", "plain"])
def test_user_mappings_stay_behind(source: str, postgres_server: PostgresServer, tmp_path: Path, kind: str) -> None:
    if kind == "live":
        chosen = LiveSource(source)
    else:
        dump = tmp_path / f"source.{kind}"
        TOOLS.run(["pg_dump", f"--format={kind}", "-f", str(dump)], source)
        chosen = open_source(str(dump))
    with postgres_server.database("dev") as dev:
        report = run_snapshot(chosen, DatabaseSink(dev), RULES, KEY)
        with psycopg.connect(dev) as conn:
            assert conn.execute("SELECT srvname FROM pg_foreign_server").fetchall() == [("billing",)]
            assert conn.execute("SELECT count(*) FROM pg_user_mappings").fetchone() == (0,)
            assert conn.execute("SELECT count(*) FROM ledger").fetchone() == (50,)
        schema = TOOLS.run(["pg_dump", "--schema-only"], dev).decode()
        assert not [secret for secret in SECRETS if secret in schema]
    assert any(note.startswith("2 user mapping(s) of foreign servers not copied") for note in report.notes), (
        report.notes
    )
