"""What the database roles must be allowed, found before anything moves: `devkit snapshot --check` and the start
of every run name each missing privilege of the source and the target role in one line (with the GRANT that
fixes it); `devkit rules init` and `devkit scan` name the tables they can't sample instead of a traceback; and
a role holding only what the run needs passes. Real PostgreSQL 15, real roles with restricted grants."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import Result
from typer.testing import CliRunner

from devkit.cli import app
from testbed.servers import PostgresServer
from tests.anonymize.prodlike import RULES, build_prodlike
from tests.pgroles import Role, database_name, login_role
from tests.projects import snapshot_project

runner = CliRunner()
KEY = "privileges-test-key-0123456789abcdef"
# A second schema: its tables and sequences are only reachable with USAGE on it.
BILLING = """
CREATE SCHEMA billing;
CREATE TABLE billing.invoices (id serial PRIMARY KEY, customer_email text NOT NULL, total int NOT NULL);
INSERT INTO billing.invoices (customer_email, total)
SELECT 'buyer' || i || '@example.jp', i * 100 FROM generate_series(1, 20) AS i;
"""
BILLING_RULES = RULES + "  billing.invoices:\n    columns: {id: keep, customer_email: email, total: keep}\n"


@pytest.fixture(scope="module")
def prod(postgres_server: PostgresServer) -> Iterator[str]:
    with postgres_server.database("privprod") as dsn:
        build_prodlike(dsn, customers=30, seed=5)
        with psycopg.connect(dsn) as conn:
            conn.execute(BILLING)
        yield dsn


@pytest.fixture
def reader(postgres_server: PostgresServer, prod: str) -> Iterator[Role]:
    """A source role that can read everything a snapshot copies, and nothing more (tests take pieces away)."""
    with login_role(postgres_server, "reader") as role:
        _sql(
            prod,
            f"GRANT USAGE ON SCHEMA billing TO {role.name}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA public, billing TO {role.name}",
            f"GRANT SELECT ON ALL SEQUENCES IN SCHEMA public, billing TO {role.name}",
        )
        yield role


@pytest.fixture
def loader(postgres_server: PostgresServer) -> Iterator[Role]:
    """A target role that may create databases, but is no superuser and owns nothing yet."""
    with login_role(postgres_server, "loader", "CREATEDB") as role:
        yield role


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_database: str) -> Path:
    return snapshot_project(tmp_path, monkeypatch, name="priv", key=KEY, rules=BILLING_RULES, precious_in=pg_database)


def _sql(dsn: str, *statements: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _use(monkeypatch: pytest.MonkeyPatch, source: str, target: str) -> None:
    monkeypatch.setenv("DEVKIT_PRODUCTION_DSN", source)
    monkeypatch.setenv("DEVKIT_DEV_DSN", target)


def run(*args: str) -> Result:
    result = runner.invoke(app, list(args))
    # An exception other than the exit itself escaped the command: that is a traceback for the user.
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output, result.output
    return result


def _one_line(result: Result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def _dev_untouched(dsn: str) -> bool:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT to_regclass('precious')").fetchone()[0] is not None


def _work_databases(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE '%\\_devkit\\_%'").fetchall()
    return [name for (name,) in rows]


def test_check_names_every_table_and_schema_the_source_role_cannot_read(
    project: Path, monkeypatch: pytest.MonkeyPatch, prod: str, reader: Role, pg_database: str
) -> None:
    # A partitioned parent counts: pg_dump locks it (LOCK TABLE needs SELECT on 15); a leaf too: rows are read
    # from each leaf directly, where the parent's grant doesn't reach.
    _sql(
        prod,
        f"REVOKE USAGE ON SCHEMA billing FROM {reader.name}",
        f"REVOKE SELECT ON customers, payments, payments_2024 FROM {reader.name}",
    )
    _use(monkeypatch, reader.dsn(prod), pg_database)
    result = run("snapshot", "--check", "--rules", "rules.yml")
    assert result.exit_code == 8, result.output
    line = _one_line(result)
    assert (
        f'source role "{reader.name}" lacks USAGE on schema billing; '
        "SELECT on public.customers, public.payments, public.payments_2024" in line
    )
    assert f"GRANT USAGE ON SCHEMA billing TO {reader.name}" in line
    assert f"GRANT SELECT ON public.customers, public.payments, public.payments_2024 TO {reader.name}" in line

    result = run("snapshot", "--anonymize", "--rules", "rules.yml", "--yes")
    assert result.exit_code == 8, result.output
    assert f'source role "{reader.name}" lacks USAGE on schema billing' in result.output
    assert _dev_untouched(pg_database) and not _work_databases(pg_database)


def test_check_names_a_sequence_the_source_role_cannot_read(
    project: Path, monkeypatch: pytest.MonkeyPatch, prod: str, reader: Role, pg_database: str
) -> None:
    # A sequence's value is read with SELECT last_value: USAGE (nextval/currval) doesn't allow that.
    _sql(
        prod,
        f"REVOKE SELECT ON SEQUENCE orders_id_seq FROM {reader.name}",
        f"GRANT USAGE ON SEQUENCE orders_id_seq TO {reader.name}",
    )
    _use(monkeypatch, reader.dsn(prod), pg_database)
    result = run("snapshot", "--check", "--rules", "rules.yml")
    assert result.exit_code == 8, result.output
    line = _one_line(result)
    assert f'source role "{reader.name}" lacks SELECT on sequence public.orders_id_seq' in line
    assert f"GRANT SELECT ON SEQUENCE public.orders_id_seq TO {reader.name}" in line

    # The run used to load every table and then die reading the sequences, with a traceback.
    result = run("snapshot", "--anonymize", "--rules", "rules.yml", "--yes")
    assert result.exit_code == 8, result.output
    assert "SELECT on sequence public.orders_id_seq" in result.output
    assert "rows/s" not in result.output
    assert _dev_untouched(pg_database) and not _work_databases(pg_database)


def test_rules_init_and_scan_name_the_table_they_cannot_sample(
    project: Path, monkeypatch: pytest.MonkeyPatch, prod: str, reader: Role, pg_database: str
) -> None:
    _sql(prod, f"REVOKE SELECT ON customers FROM {reader.name}")
    _use(monkeypatch, reader.dsn(prod), pg_database)
    grant = f"GRANT SELECT ON public.customers TO {reader.name}"

    result = run("rules", "init", "--output", "drafted.yml")
    assert result.exit_code == 8, result.output
    line = _one_line(result)
    assert f'source role "{reader.name}" lacks SELECT on public.customers' in line
    assert grant in line and "--no-scan" in line
    assert not (project / "drafted.yml").exists()

    result = run("scan", "--rules", "rules.yml")
    assert result.exit_code == 8, result.output  # not 7: that is the CI gate's "personal data found"
    line = _one_line(result)
    assert f'source role "{reader.name}" lacks SELECT on public.customers' in line and grant in line

    # Drafting from the schema alone reads only the catalog: it needs no SELECT at all.
    result = run("rules", "init", "--no-scan", "--output", "drafted.yml")
    assert result.exit_code == 0, result.output
    assert "email: email" in (project / "drafted.yml").read_text()


def test_a_target_role_that_does_not_own_the_target_fails_before_any_data_moves(
    project: Path, monkeypatch: pytest.MonkeyPatch, prod: str, reader: Role, loader: Role, pg_database: str
) -> None:
    target = database_name(pg_database)
    # (Not the superuser's DSN as the source: its password is `postgres`, masked wherever the owner is named.)
    _use(monkeypatch, reader.dsn(prod), loader.dsn(pg_database))
    expected = (
        f'target role "{loader.name}" can\'t replace database "{target}": it is owned by "postgres" '
        "(needs ownership or membership in the owner role)"
    )
    result = run("snapshot", "--check", "--rules", "rules.yml")
    assert result.exit_code == 8, result.output
    line = _one_line(result)
    assert expected in line and f"ALTER DATABASE {target} OWNER TO {loader.name}" in line

    result = run("snapshot", "--anonymize", "--rules", "rules.yml", "--yes")
    assert result.exit_code == 8, result.output
    assert expected in result.output and "must be owner" not in result.output
    assert "rows/s" not in result.output
    assert _dev_untouched(pg_database) and not _work_databases(pg_database)


def test_a_target_role_without_createdb_is_named_by_check(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    postgres_server: PostgresServer,
    prod: str,
    reader: Role,
    pg_database: str,
) -> None:
    with login_role(postgres_server, "nocreate") as role:
        _sql(pg_database, f"ALTER DATABASE {database_name(pg_database)} OWNER TO {role.name}")
        _use(monkeypatch, reader.dsn(prod), role.dsn(pg_database))
        for extra in ((), ("--output", "anon.dump")):
            result = run("snapshot", "--check", "--rules", "rules.yml", *extra)
            assert result.exit_code == 8, result.output
            line = _one_line(result)
            assert f'target role "{role.name}" lacks CREATEDB' in line and f"ALTER ROLE {role.name} CREATEDB" in line


def test_roles_with_only_the_needed_grants_pass_check_and_complete_a_snapshot(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    postgres_server: PostgresServer,
    prod: str,
    reader: Role,
    loader: Role,
    pg_database: str,
) -> None:
    # A dump file needs only CREATEDB on the target's server: the scratch database is the run's own.
    _use(monkeypatch, reader.dsn(prod), loader.dsn(pg_database))
    result = run("snapshot", "--check", "--rules", "rules.yml", "--output", "anon.dump")
    assert result.exit_code == 0, result.output
    result = run("snapshot", "--anonymize", "--rules", "rules.yml", "--output", "anon.dump")
    assert result.exit_code == 0, result.output
    assert (project / "anon.dump").stat().st_size > 0 and _dev_untouched(pg_database)

    # Replacing dev needs the privileges of its owner: membership in the owning role is enough.
    with login_role(postgres_server, "devowner") as owner:
        _sql(
            pg_database,
            f"ALTER DATABASE {database_name(pg_database)} OWNER TO {owner.name}",
            f"GRANT {owner.name} TO {loader.name}",
        )
        result = run("snapshot", "--check", "--rules", "rules.yml")
        assert result.exit_code == 0, result.output
        assert "cover all" in result.output
        result = run("snapshot", "--anonymize", "--rules", "rules.yml", "--yes")
        assert result.exit_code == 0, result.output
        assert not _dev_untouched(pg_database)
        with psycopg.connect(pg_database) as dev, psycopg.connect(prod) as source:
            for table in ("customers", "billing.invoices"):
                count = f"SELECT count(*) FROM {table}"
                assert dev.execute(count).fetchone() == source.execute(count).fetchone()


def test_a_database_error_the_engine_does_not_expect_is_one_line_not_a_traceback(
    project: Path, monkeypatch: pytest.MonkeyPatch, prod: str, reader: Role, pg_database: str
) -> None:
    # Someone holds the sequence locked past the role's lock_timeout: the run's read of its value (after every
    # table was loaded) is cancelled, an error no part of the engine turns into one of its own.
    _sql(prod, f"ALTER ROLE {reader.name} SET lock_timeout = '200ms'")
    _use(monkeypatch, reader.dsn(prod), pg_database)
    with psycopg.connect(prod) as holder:  # a rename, not committed: the lock LOCK TABLE can't take on a sequence
        holder.execute("ALTER SEQUENCE orders_id_seq RENAME TO orders_id_seq_held")
        result = run("snapshot", "--anonymize", "--rules", "rules.yml", "--yes")
        holder.rollback()
    assert result.exit_code == 8, result.output
    error = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and "lock timeout" in error[0], result.output
    assert _dev_untouched(pg_database) and not _work_databases(pg_database)
