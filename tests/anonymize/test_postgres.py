"""The client programs a snapshot runs (pg_dump, pg_restore, psql) get the password of their own connection and
none of devkit's secrets: not the anonymization key, not another environment's DSN or password. Seen from inside
the children (wrappers that write their environment down, then run the real program) of a real run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from anonymize.keys import Keyring
from anonymize.pipeline.run import run_snapshot
from anonymize.postgres import ClientTools, client_environment
from anonymize.rules import parse_rules
from anonymize.sinks import DumpFileSink
from anonymize.sources import LiveSource
from testbed.servers import PostgresServer
from tests.anonymize.prodlike import RULES, build_prodlike
from tests.client_wrappers import TOOLS, wrapped_bindir

ANON_KEY = "anon-key-that-must-stay-in-devkit-0123"
SECRETS = {
    "DEVKIT_ANON_KEY": ANON_KEY,
    "DEVKIT_STAGING_DSN": "postgresql://u:secretpw@staging.example:5432/mpac",
    "DEVKIT_PRODUCTION_DSN": "host=prod.example user=reader password=prodsecret dbname=mpac",
    "DATABASE_URL": "postgresql://app:urlsecret@db.example/app",
    "STAGING_DB_PASSWORD": "secretpw",  # a bare copy of a known DSN's password
}


@pytest.fixture(scope="module")
def prod(postgres_server: PostgresServer) -> Iterator[str]:
    with postgres_server.database("prod") as dsn:
        build_prodlike(dsn, customers=30, seed=7)
        yield dsn


def test_children_get_their_connections_password_and_none_of_devkits_secrets(
    prod: str, postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PGSSLMODE", "disable")  # libpq's settings still reach them
    seen = tmp_path / "seen"
    seen.mkdir()
    tools = ClientTools.find(wrapped_bindir(tmp_path / "bin", f'{{ env; echo "ARGV=$*"; }} > "{seen}/$tool.$$"'))
    output = tmp_path / "anonymized.dump"

    report = run_snapshot(
        LiveSource(prod, tools), DumpFileSink(postgres_server.dsn(), output, tools), parse_rules(RULES),
        Keyring(ANON_KEY.encode()), jobs=2,
    )  # fmt: skip

    assert report.verification is not None and report.verification.passed and output.stat().st_size > 0
    environments = {path.name: path.read_text() for path in seen.iterdir()}
    connected = {name for name, text in environments.items() if " -d " in text.rpartition("ARGV=")[2]}
    assert {name.split(".")[0] for name in connected} == set(TOOLS)  # every program ran, and connected
    for name, text in environments.items():
        for secret in (ANON_KEY, "secretpw", "prodsecret", "urlsecret"):
            assert secret not in text, f"{name} got {secret}"
        assert not [line for line in text.splitlines() if line.startswith("DEVKIT_")], name
        assert "PGSSLMODE=disable\n" in text, name
        # a child that connects (-d) gets its connection's password; one that only reads a file gets none
        assert (f"PGPASSWORD={postgres_server.password}\n" in text) == (name in connected), name
    with postgres_server.database("restored") as restored:  # and the programs did their work
        ClientTools.find().run(["pg_restore", "--exit-on-error", "--no-owner", str(output)], restored)
        with psycopg.connect(restored) as conn:
            assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 30


def test_a_users_own_pgpassword_stays_when_the_dsn_has_none() -> None:
    environ = {"PGPASSWORD": "secretpw", "DEVKIT_STAGING_DSN": SECRETS["DEVKIT_STAGING_DSN"], "HOME": "/home/x"}
    assert client_environment(None, environ) == {"PGPASSWORD": "secretpw", "HOME": "/home/x", "PGCONNECT_TIMEOUT": "10"}
    assert client_environment("own", environ)["PGPASSWORD"] == "own"
