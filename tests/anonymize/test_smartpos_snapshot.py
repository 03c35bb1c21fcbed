"""The shipped rules on what `devkit seed` makes: a seeded SmartPOS database snapshots with verification passing,
seed after seed (fakes never equal their own row's value, nor a seeded number or address)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from anonymize.keys import Keyring
from anonymize.pipeline.run import run_snapshot
from anonymize.rules import load_rules
from anonymize.sinks import DatabaseSink
from anonymize.sources import LiveSource
from devkit.seed.load import load
from testbed.servers import PostgresServer
from tests.seed.conftest import make_world

SHIPPED = Path(__file__).resolve().parents[2] / "anonymize" / "rules" / "smartpos.yml"


@pytest.mark.parametrize(("profile", "seed"), [("small", 2), ("small", 3), ("dev", 1)])
def test_a_seeded_database_snapshots_with_the_shipped_rules(
    postgres_server: PostgresServer, profile: str, seed: int
) -> None:
    with postgres_server.database("seeded") as source, postgres_server.database("anon") as target:
        load(source, make_world(profile, seed=seed), "dev")
        report = run_snapshot(
            LiveSource(source), DatabaseSink(target), load_rules(SHIPPED), Keyring(b"seeded-snapshot-key-0123456789")
        )
        verification = report.verification
        assert verification is not None and verification.passed, verification.failures
        assert verification.output_values_checked > 1_000 and not verification.unchanged_in_row
        with psycopg.connect(target) as conn:
            assert conn.execute("SELECT count(*) FROM merchants").fetchone()[0] > 0
