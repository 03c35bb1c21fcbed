"""Sources on real PostgreSQL 15: pg_dump files (custom, directory, plain) give the same anonymized result as the
live database; corrupt and truncated dumps fail with one clear line and leave dev alone; a live source is
read-only and every worker sees one snapshot."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from anonymize.catalog import data_tables
from anonymize.errors import AnonymizeError
from anonymize.keys import Keyring
from anonymize.pipeline.run import run_snapshot
from anonymize.postgres import ClientTools, ConnectError
from anonymize.rules import parse_rules
from anonymize.sinks import DatabaseSink, DumpFileSink
from anonymize.sources import ArchiveSource, DumpError, LiveSource, PlainSource, open_source, parse_column_list
from testbed.servers import PostgresServer
from tests.anonymize.prodlike import RULES, build_prodlike, leaked, output_text, source_pii

KEY = Keyring(b"test-key-0123456789abcdef-sources")
TOOLS = ClientTools.find()
CUSTOMERS = "SELECT id, email, full_name, full_name_kana, phone, my_number, status FROM customers ORDER BY id"
ORDERS = "SELECT id, customer_email, card_pan, client_ip::text, payload::text, note FROM orders ORDER BY id"


@pytest.fixture(scope="module")
def prod(postgres_server: PostgresServer) -> Iterator[str]:
    with postgres_server.database("prod") as dsn:
        build_prodlike(dsn, customers=120, seed=2)
        yield dsn


@pytest.fixture(scope="module")
def dumps(prod: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The production database as pg_dump writes it, in each format a source accepts."""
    base = tmp_path_factory.mktemp("dumps")
    made = {
        "custom": base / "prod.dump",
        "directory": base / "prod.dir",
        "tar": base / "prod.tar",
        "plain": base / "prod.sql",
    }
    for fmt, path in made.items():
        TOOLS.run(["pg_dump", f"--format={fmt}", "-f", str(path)], prod)
    return made


@pytest.fixture(scope="module")
def live_result(prod: str, postgres_server: PostgresServer) -> Iterator[tuple[list, list]]:
    """What the live source gives, to compare every dump format with."""
    with postgres_server.database("live") as dsn:
        run_snapshot(LiveSource(prod), DatabaseSink(dsn), parse_rules(RULES), KEY, jobs=2)
        yield _rows(dsn, CUSTOMERS), _rows(dsn, ORDERS)


def _rows(dsn: str, query: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query).fetchall()


def _marked(dsn: str) -> str:
    with psycopg.connect(dsn) as conn:
        conn.execute("CREATE TABLE precious (note text)")
        conn.execute("INSERT INTO precious VALUES ('keep me')")
    return dsn


def _still_marked(dsn: str) -> bool:
    return _rows(dsn, "SELECT note FROM precious") == [("keep me",)]


@pytest.mark.parametrize("fmt", ["custom", "directory", "tar", "plain"])
def test_a_dump_file_gives_what_the_live_database_gives(
    fmt: str, dumps: dict[str, Path], live_result: tuple[list, list], prod: str, pg_database: str
) -> None:
    source = open_source(str(dumps[fmt]), TOOLS)
    assert isinstance(source, PlainSource if fmt == "plain" else ArchiveSource)
    report = run_snapshot(source, DatabaseSink(pg_database), parse_rules(RULES), KEY, jobs=2)
    assert report.verification is not None and report.verification.passed
    # same key, same rules: exactly the rows the live source produced, sequences where the source's are
    assert (_rows(pg_database, CUSTOMERS), _rows(pg_database, ORDERS)) == live_result
    for sequence in ("orders_id_seq", "customers_id_seq"):
        query = f"SELECT last_value, is_called FROM {sequence}"
        assert _rows(pg_database, query) == _rows(prod, query)
    assert _rows(pg_database, "SELECT count(*) FROM payments") == _rows(prod, "SELECT count(*) FROM payments")
    text = output_text(pg_database)
    for column, values in source_pii(prod).items():
        assert not leaked(values, text), f"{column} leaked"


def test_a_dump_file_target_is_restorable_with_pg_restore(
    prod: str, postgres_server: PostgresServer, pg_database: str, tmp_path: Path, live_result: tuple[list, list]
) -> None:
    output = tmp_path / "shared" / "anonymized.dump"
    report = run_snapshot(LiveSource(prod), DumpFileSink(postgres_server.dsn(), output), parse_rules(RULES), KEY)
    assert "pg_restore" in report.target and output.is_file()
    assert not output.with_name(output.name + ".partial").exists()
    command, env = TOOLS.command(["pg_restore", "--exit-on-error", "--no-owner", str(output)], pg_database)
    subprocess.run(command, env=env, check=True, capture_output=True)
    assert (_rows(pg_database, CUSTOMERS), _rows(pg_database, ORDERS)) == live_result
    text = output.read_bytes().decode("latin-1")  # compressed or not, no email may be readable in it
    assert not any(email in text for email in source_pii(prod)["customers.email"])
    with psycopg.connect(postgres_server.dsn()) as conn:  # the scratch database is gone
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname LIKE '%devkit_export%'").fetchone()[0] == 0


def _truncated(path: Path, out: Path, fraction: float) -> Path:
    data = path.read_bytes()
    out.write_bytes(data[: int(len(data) * fraction)])
    return out


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d, t: _truncated(d["custom"], t / "cut.dump", 0.6), r"corrupt or truncated|end of file"),
        (lambda d, t: _truncated(d["plain"], t / "cut.sql", 0.6), r"truncated"),
        (lambda d, t: _truncated(d["plain"], t / "cut2.sql", 0.97), r"truncated"),
        (lambda d, t: (t / "junk.dump").write_bytes(os.urandom(4096)) and t / "junk.dump", "not a pg_dump file"),
        (
            lambda d, t: (t / "hdr.dump").write_bytes(b"PGDMP" + os.urandom(200)) and t / "hdr.dump",
            "not a readable pg_dump archive",
        ),
        (lambda d, t: (t / "empty.sql").write_bytes(b"") or t / "empty.sql", "not a pg_dump file"),
    ],
    ids=["custom-truncated", "plain-truncated", "plain-missing-end", "random-bytes", "bad-header", "empty"],
)
def test_a_corrupt_or_truncated_dump_fails_clearly_and_leaves_dev_alone(
    make, expected: str, dumps: dict[str, Path], tmp_path: Path, pg_database: str, postgres_server: PostgresServer
) -> None:
    dev = _marked(pg_database)
    path = make(dumps, tmp_path)
    with pytest.raises(DumpError, match=expected) as caught:
        run_snapshot(open_source(str(path), TOOLS), DatabaseSink(dev), parse_rules(RULES), KEY)
    assert "\n" not in caught.value.message and str(path) in caught.value.message
    assert _still_marked(dev)
    with psycopg.connect(postgres_server.dsn()) as conn:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname LIKE '%devkit_new%'").fetchone()[0] == 0


def test_a_plain_dump_with_inserts_is_refused(prod: str, tmp_path: Path, pg_database: str) -> None:
    path = tmp_path / "inserts.sql"
    TOOLS.run(["pg_dump", "--format=plain", "--inserts", "-t", "merchants", "-f", str(path)], prod)
    with pytest.raises(DumpError, match="INSERT statements"):
        run_snapshot(open_source(str(path), TOOLS), DatabaseSink(pg_database), parse_rules(RULES), KEY)


def test_row_filters_need_a_live_source(dumps: dict[str, Path], pg_database: str) -> None:
    filtered = RULES.replace("  order_items:\n    columns:", '  order_items:\n    where: "qty > 1"\n    columns:')
    dev = _marked(pg_database)
    with pytest.raises(AnonymizeError, match=r"row filters .* need a live source"):
        run_snapshot(open_source(str(dumps["custom"]), TOOLS), DatabaseSink(dev), parse_rules(filtered), KEY)
    assert _still_marked(dev)


def test_live_source_is_read_only_and_shares_one_snapshot(prod: str) -> None:
    source = LiveSource(prod)
    with source:
        catalog = source.catalog()
        assert catalog.execute("SHOW transaction_read_only").fetchone()[0] == "on"
        assert catalog.execute("SHOW transaction_isolation").fetchone()[0] == "repeatable read"
        before = catalog.execute("SELECT count(*) FROM merchants").fetchone()[0]
        # a write landing after the snapshot was taken is seen by no worker
        with psycopg.connect(prod, autocommit=True) as writer:
            writer.execute("INSERT INTO merchants (name) VALUES ('arrived later')")
        try:
            table = next(t for t in data_tables(catalog) if t.name == "public.merchants")
            for _ in range(2):  # a fresh worker connection, then a reused one
                with source.stream(table, table.columns) as stream:
                    rows = b"".join(stream.chunks).count(b"\n")
                assert rows == before
            with source.stream(table, table.columns) as stream:
                worker_rows = sum(chunk.count(b"\n") for chunk in stream.chunks)
            assert worker_rows == before
            # and nothing can be written through it
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                catalog.execute("INSERT INTO merchants (name) VALUES ('through the source')")
        finally:
            with psycopg.connect(prod, autocommit=True) as writer:
                writer.execute("DELETE FROM merchants WHERE name = 'arrived later'")


def test_unreachable_source_and_bad_password_are_one_line_without_the_password(
    postgres_server: PostgresServer,
) -> None:
    wrong = f"postgresql://postgres:s3cret-wrong@127.0.0.1:{postgres_server.port}/postgres"
    with pytest.raises(ConnectError) as caught:
        LiveSource(wrong).open()
    assert "s3cret-wrong" not in caught.value.one_line() and "password authentication failed" in caught.value.message
    closed = "postgresql://postgres:s3cret@127.0.0.1:1/postgres"
    with pytest.raises(ConnectError) as caught:
        LiveSource(closed).open()
    assert "s3cret" not in caught.value.one_line() and "127.0.0.1:1/postgres" in caught.value.message


def test_copy_header_column_lists_are_parsed() -> None:
    assert parse_column_list('id, "Weird, Col", "a""b", email') == ("id", "Weird, Col", 'a"b', "email")


def test_a_dump_not_in_utf8_is_refused(postgres_server: PostgresServer, tmp_path: Path, pg_database: str) -> None:
    name = f"latin_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE \"{name}\" ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'")
    try:
        with psycopg.connect(postgres_server.dsn(name)) as conn:
            conn.execute("CREATE TABLE t (v text)")
            conn.execute("INSERT INTO t VALUES ('café')")
        for fmt, suffix in (("plain", "sql"), ("custom", "dump")):
            path = tmp_path / f"latin.{suffix}"
            TOOLS.run(["pg_dump", f"--format={fmt}", "-f", str(path)], postgres_server.dsn(name))
            rules = parse_rules("version: 1\ntables:\n  t:\n    columns: {v: keep}\n")
            with pytest.raises(DumpError, match="was dumped in LATIN1, not UTF-8"):
                run_snapshot(open_source(str(path), TOOLS), DatabaseSink(pg_database), rules, KEY)
    finally:
        with psycopg.connect(postgres_server.dsn(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_live_source_needs_psql_beside_pg_dump(prod: str, tmp_path: Path) -> None:
    # Rows are read through psql (whole pipe blocks instead of a Python round trip per row): without it, one line.
    (tmp_path / "pg_dump").symlink_to(ClientTools.find().path("pg_dump"))
    source = LiveSource(prod, ClientTools.find(tmp_path))
    with pytest.raises(AnonymizeError) as caught:
        source.open()
    assert "psql not found" in caught.value.message and "postgresql-client-15" in (caught.value.hint or "")
