"""The engine's privilege checks on real PostgreSQL 15 with real restricted roles: a run that can't finish stops
before it creates anything, missing grants surface as our errors (never a psycopg exception), and the check
stays one query per kind of object on a schema with thousands of tables."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from anonymize.catalog import data_tables
from anonymize.errors import AnonymizeError
from anonymize.keys import Keyring
from anonymize.pipeline.progress import SilentProgress
from anonymize.pipeline.run import run_snapshot
from anonymize.rules import parse_rules
from anonymize.scan import _sample_live, scan_source
from anonymize.sinks import DatabaseSink
from anonymize.sources import LiveSource
from testbed.servers import PostgresServer
from tests.anonymize.prodlike import RULES, build_prodlike
from tests.pgroles import Role, database_name, login_role

KEY = Keyring(b"test-key-0123456789abcdef-privileges")


class Phases(SilentProgress):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def phase(self, name: str) -> None:
        self.seen.append(name)


@pytest.fixture(scope="module")
def prod(postgres_server: PostgresServer) -> Iterator[str]:
    with postgres_server.database("privprod") as dsn:
        build_prodlike(dsn, customers=20, seed=7)
        yield dsn


@pytest.fixture
def reader(postgres_server: PostgresServer, prod: str) -> Iterator[Role]:
    with login_role(postgres_server, "reader") as role:
        with psycopg.connect(prod, autocommit=True) as conn:
            conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role.name}")
            conn.execute(f"GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO {role.name}")
        yield role


def _work_databases(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE '%\\_devkit\\_%'").fetchall()
    return [name for (name,) in rows]


def test_a_target_it_cannot_replace_stops_the_run_before_the_scratch_database_is_made(
    postgres_server: PostgresServer, prod: str, pg_database: str
) -> None:
    with login_role(postgres_server, "loader", "CREATEDB") as loader:
        phases = Phases()
        with pytest.raises(AnonymizeError) as caught:
            run_snapshot(
                LiveSource(prod), DatabaseSink(loader.dsn(pg_database)), parse_rules(RULES), KEY, progress=phases
            )
        assert f'can\'t replace database "{database_name(pg_database)}"' in caught.value.message
        # Nothing was created, let alone loaded: the run never reached its first step on the target.
        assert not {"create", "pre-data", "data"} & set(phases.seen), phases.seen
        assert not _work_databases(pg_database)


def test_reads_that_fail_after_the_check_passed_are_our_errors_not_psycopgs(prod: str, reader: Role) -> None:
    # A grant revoked between the up-front check and the read: the reads themselves name what is missing.
    with psycopg.connect(prod, autocommit=True) as conn:
        conn.execute(f"REVOKE SELECT ON SEQUENCE orders_id_seq FROM {reader.name}")
        conn.execute(f"REVOKE SELECT ON customers FROM {reader.name}")
    with LiveSource(reader.dsn(prod)) as source:
        with pytest.raises(AnonymizeError) as caught:
            source.sequences()
        assert "orders_id_seq" in caught.value.message and "GRANT SELECT ON SEQUENCE" in (caught.value.hint or "")
    with LiveSource(reader.dsn(prod)) as source:
        customers = next(t for t in data_tables(source.catalog()) if t.name == "public.customers")
        with pytest.raises(AnonymizeError) as caught:
            _sample_live(source, customers, ["email"], 5)
        assert "permission denied for table customers" in caught.value.message
        assert 'GRANT SELECT ON "public"."customers"' in (caught.value.hint or "")


def test_scan_names_the_tables_it_cannot_sample_before_sampling_any(prod: str, reader: Role) -> None:
    with psycopg.connect(prod, autocommit=True) as conn:
        conn.execute(f"REVOKE SELECT ON customers, merchants FROM {reader.name}")
        conn.execute(f"GRANT SELECT (id, merchant_id, status) ON customers TO {reader.name}")
    with pytest.raises(AnonymizeError) as caught:
        scan_source(LiveSource(reader.dsn(prod)), None, sample=10)
    # customers' column grant covers `status` but not the names and emails a scan samples
    assert f'source role "{reader.name}" lacks SELECT on public.customers, public.merchants' in caught.value.message


class _CountingConnection(psycopg.Connection):
    """Counts statements: the check's cost must not grow with the number of tables (timing is bench's, not ours)."""

    statements = 0

    def execute(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        type(self).statements += 1
        return super().execute(*args, **kwargs)


def test_thousands_of_unreadable_tables_are_checked_in_a_few_queries_and_counted_not_listed(
    postgres_server: PostgresServer, pg_database: str
) -> None:
    from anonymize.privileges import source_privileges

    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(
            "DO $$ BEGIN FOR i IN 1..1500 LOOP "
            "EXECUTE format('CREATE TABLE t%s (id serial PRIMARY KEY, note text)', i); END LOOP; END $$"
        )
    with login_role(postgres_server, "reader") as role, _CountingConnection.connect(role.dsn(pg_database)) as conn:
        _CountingConnection.statements = 0
        missing = source_privileges(conn)
    assert missing is not None
    assert _CountingConnection.statements <= 5, _CountingConnection.statements
    # ten names of each kind, the rest counted
    assert "lacks SELECT on public.t1, public.t10, " in missing.problem
    assert "; SELECT on sequence public.t" in missing.problem and missing.problem.count("(+1490 more)") == 2
    assert len(missing.problem) < 1000
    assert f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role.name}" in missing.fix
    assert f"GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO {role.name}" in missing.fix
