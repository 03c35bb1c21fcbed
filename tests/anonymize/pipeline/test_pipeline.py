"""The snapshot pipeline end to end on real PostgreSQL 15: a production-like database with realistic PII ->
anonymized copy swapped into a dev database. Nothing personal survives, the shape does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from anonymize.errors import CoverageError
from anonymize.keys import Keyring
from anonymize.pipeline.run import VerificationError, run_snapshot
from anonymize.rules import parse_rules
from anonymize.sinks import DatabaseSink
from anonymize.sources import LiveSource
from testbed.servers import PostgresServer
from tests.anonymize.prodlike import RULES, build_prodlike, leaked, output_text, source_pii

KEY = Keyring(b"test-key-0123456789abcdef-pipeline")
REPO = Path(__file__).resolve().parents[3]
# order_items gets a row filter: it has no dependents, so the subset keeps every foreign key whole
FILTERED_RULES = RULES.replace("  order_items:\n    columns:", '  order_items:\n    where: "qty > 1"\n    columns:')


@pytest.fixture(scope="module")
def prod(postgres_server: PostgresServer) -> Iterator[str]:
    """The production-like source, built once for the module (tests only read it)."""
    with postgres_server.database("prod") as dsn:
        build_prodlike(dsn)
        yield dsn


@pytest.fixture
def dev(pg_database: str) -> str:
    """A dev database holding something a failed run must leave alone."""
    with psycopg.connect(pg_database) as conn:
        conn.execute("CREATE TABLE precious (note text)")
        conn.execute("INSERT INTO precious VALUES ('dev work in progress')")
    return pg_database


def _dev_untouched(dev: str) -> bool:
    with psycopg.connect(dev) as conn:
        return conn.execute("SELECT note FROM precious").fetchall() == [("dev work in progress",)]


def _work_databases(server_dsn: str) -> list[str]:
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE '%\\_devkit\\_%'").fetchall()
    return [name for (name,) in rows]


def _rows(dsn: str, query: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query).fetchall()


def _one(dsn: str, query: str) -> object:
    return _rows(dsn, query)[0][0]


def test_snapshot_replaces_dev_with_an_anonymized_verified_copy(
    prod: str, dev: str, postgres_server: PostgresServer
) -> None:
    report = run_snapshot(LiveSource(prod), DatabaseSink(dev), parse_rules(FILTERED_RULES), KEY, jobs=2)

    # dev was replaced (the old content is gone), nothing is left behind
    with psycopg.connect(dev) as conn:
        assert conn.execute("SELECT to_regclass('precious')").fetchone()[0] is None
    assert _work_databases(postgres_server.dsn()) == []

    # no identifying source value anywhere in the output
    text = output_text(dev)
    pii = source_pii(prod)
    for column, values in pii.items():
        assert values, column
        assert not leaked(values, text), f"{column} leaked"
    assert leaked(pii["customers.email"], output_text(prod))  # the check itself can see a leak

    # same row counts (order_items: the filtered subset), audit_log schema only
    for table in ("merchants", "customers", "orders", "payments"):
        assert _one(dev, f"SELECT count(*) FROM {table}") == _one(prod, f"SELECT count(*) FROM {table}"), table
    assert _one(dev, "SELECT count(*) FROM order_items") == _one(prod, "SELECT count(*) FROM order_items WHERE qty > 1")
    assert _one(dev, "SELECT count(*) FROM audit_log") == 0
    assert _one(dev, "SELECT count(*) FROM payments_2024") == _one(prod, "SELECT count(*) FROM payments_2024")

    # every personal value changed in its own row; ids and kept columns did not
    pairs = zip(
        _rows(prod, "SELECT id, full_name, email, status, created_at FROM customers ORDER BY id"),
        _rows(dev, "SELECT id, full_name, email, status, created_at FROM customers ORDER BY id"),
        strict=True,
    )
    for (sid, sname, semail, sstatus, screated), (did, dname, demail, dstatus, dcreated) in pairs:
        assert (sid, sstatus, screated) == (did, dstatus, dcreated)
        assert sname != dname and semail.lower() != demail.lower()

    # the same email becomes the same fake in another table (orders hold a lower-cased copy)
    assert (
        _one(
            dev,
            "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.customer_email <> c.email",
        )
        == 0
    )
    # uniques stay unique, fakes are on reserved domains
    assert _one(dev, "SELECT count(DISTINCT email) = count(*) FROM customers") is True
    assert _one(dev, "SELECT bool_and(email LIKE '%@example.com') FROM customers") is True

    # NULLs stay NULL, non-NULLs stay non-NULL
    for table, column in (
        ("customers", "phone"),
        ("customers", "my_number"),
        ("customers", "full_name_kana"),
        ("orders", "card_pan"),
        ("orders", "client_ip"),
        ("orders", "payload"),
    ):
        query = f"SELECT count(*) FILTER (WHERE {column} IS NULL) FROM {table}"
        assert _one(dev, query) == _one(prod, query), f"{table}.{column}"
    assert _one(dev, "SELECT count(*) FROM orders WHERE note IS NOT NULL") == 0  # rule: null

    # sequences end where the source's do; generated columns are recomputed
    for sequence in ("orders_id_seq", "customers_id_seq", "merchants_id_seq"):
        query = f"SELECT last_value, is_called FROM {sequence}"
        assert _rows(dev, query) == _rows(prod, query), sequence
    assert _one(dev, "SELECT bool_and(tax_yen = amount_yen / 10) FROM orders") is True

    # post-data came last: the index, the constraints and the trigger exist, and the trigger never fired
    assert _one(dev, "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_customer_idx'") == 1
    assert _one(dev, "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND convalidated AND conparentid = 0") == 4
    assert _one(dev, "SELECT count(*) FROM pg_trigger WHERE tgname = 'orders_mark_note'") == 1

    # the report
    verification = report.verification
    assert verification is not None and verification.passed
    assert verification.output_values_checked > 1000 and verification.source_values_indexed > 1000
    assert verification.foreign_keys == 4 and verification.sequences_checked >= 5
    tables = {t.table: t for t in report.tables}
    assert tables["public.audit_log"].skipped and tables["public.order_items"].filtered
    emails = next(r for r in report.rules if r.rule.startswith("email"))
    assert emails.columns == 3 and emails.changed == emails.values > 0
    assert report.rows == sum(t.rows for t in report.tables) and report.rows_per_second > 0
    assert set(report.phases) >= {"check", "pre-data", "data", "post-data", "verify", "publish"}
    assert '"key_fingerprint"' in report.to_json() and KEY.fingerprint() in report.to_json()


def test_same_key_same_fakes_across_runs(prod: str, dev: str) -> None:
    rules = parse_rules(RULES)
    query = "SELECT id, email, full_name, phone, my_number FROM customers ORDER BY id"
    run_snapshot(LiveSource(prod), DatabaseSink(dev), rules, KEY, jobs=1)
    first = _rows(dev, query)
    run_snapshot(LiveSource(prod), DatabaseSink(dev), rules, KEY, jobs=2)  # threads + worker processes
    assert _rows(dev, query) == first
    other_key = Keyring(b"another-key-0123456789abcdef-xx")
    run_snapshot(LiveSource(prod), DatabaseSink(dev), rules, other_key, jobs=2)
    different = _rows(dev, query)
    assert [row[1] for row in different] != [row[1] for row in first]


def test_uncovered_schema_stops_the_run_before_any_data_moves(
    prod: str, dev: str, postgres_server: PostgresServer
) -> None:
    broken = RULES.replace("      phone: phone\n", "").replace(
        '      note: "null"\n', '      note: "null"\n      gone: keep\n'
    )
    with pytest.raises(CoverageError) as caught:
        run_snapshot(LiveSource(prod), DatabaseSink(dev), parse_rules(broken), KEY)
    problems = "\n".join(caught.value.problems)
    assert "public.customers.phone: column has no rule" in problems
    assert "public.orders.gone: rule for a column that does not exist" in problems
    assert _dev_untouched(dev)
    assert _work_databases(postgres_server.dsn()) == []


def test_a_leak_fails_verification_and_publishes_nothing(prod: str, dev: str, postgres_server: PostgresServer) -> None:
    # orders.customer_email kept: every customer's (lower-cased) email reaches the output unchanged;
    # customers.status constant 'active' leaves the active customers' status as it was
    leaky = RULES.replace("      customer_email: email", "      customer_email: keep").replace(
        "      status: keep", "      status: {transform: constant, params: {value: active}}"
    )
    with pytest.raises(VerificationError) as caught:
        run_snapshot(LiveSource(prod), DatabaseSink(dev), parse_rules(leaky), KEY)
    verification = caught.value.report.verification
    assert verification is not None
    assert verification.leaks.get("public.orders.customer_email", 0) > 0
    assert verification.unchanged_in_row.get("public.customers.status", 0) > 0
    assert "public.customers.email" not in verification.leaks
    message = caught.value.message
    assert "public.customers.status" in message and "(and 1 more)" in message and "@" not in message
    assert _dev_untouched(dev)
    assert _work_databases(postgres_server.dsn()) == []


def test_a_fake_equal_to_a_real_value_fails_verification(prod: str, dev: str) -> None:
    # A whole-value transform whose output is some customer's real email: scanned as it is made, counted as a
    # fake collision (the column holds fakes, not source values), and the run publishes nothing.
    real = _one(prod, "SELECT lower(email) FROM customers ORDER BY id LIMIT 1")
    colliding = RULES.replace(
        "      contact_email: email", f"      contact_email: {{transform: constant, params: {{value: '{real}'}}}}"
    )
    with pytest.raises(VerificationError) as caught:
        run_snapshot(LiveSource(prod), DatabaseSink(dev), parse_rules(colliding), KEY, jobs=2)
    verification = caught.value.report.verification
    assert verification is not None
    assert verification.fake_collisions.get("public.merchants.contact_email", 0) > 0
    assert "public.merchants.contact_email" not in verification.leaks
    assert _dev_untouched(dev)


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from anonymize.keys import Keyring
    from anonymize.pipeline.progress import SilentProgress
    from anonymize.pipeline.run import run_snapshot
    from anonymize.rules import load_rules
    from anonymize.sinks import DatabaseSink
    from anonymize.sources import LiveSource

    class KillMidway(SilentProgress):
        def table_progress(self, table, rows, bytes_read):
            os.kill(os.getpid(), signal.SIGKILL)  # no cleanup of any kind: as if the machine died

    source, target, rules = sys.argv[1:4]
    run_snapshot(LiveSource(source), DatabaseSink(target), load_rules(rules), Keyring(b"k" * 32),
                 jobs=2, progress=KillMidway())
    """
)


def test_a_run_killed_midway_leaves_dev_intact_and_the_next_run_cleans_up(
    prod: str, dev: str, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    rules_path = tmp_path / "rules.yml"
    rules_path.write_text(RULES)
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmp_path)}  # what a killed run leaves, stays here
    result = subprocess.run(
        [sys.executable, "-c", KILLER, prod, dev, str(rules_path)], env=env, capture_output=True, timeout=60
    )
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()
    assert _dev_untouched(dev)
    stale = _work_databases(postgres_server.dsn())
    assert len(stale) == 1 and "_devkit_new_" in stale[0]

    sink = DatabaseSink(dev)
    report = run_snapshot(LiveSource(prod), sink, parse_rules(RULES), KEY, jobs=2)
    assert any(stale[0] in note for note in report.notes)
    assert _work_databases(postgres_server.dsn()) == []
    assert _one(dev, "SELECT count(*) FROM customers") == _one(prod, "SELECT count(*) FROM customers")


def test_a_first_snapshot_creates_the_dev_database(prod: str, postgres_server: PostgresServer) -> None:
    name = f"fresh_{uuid.uuid4().hex[:8]}"
    try:
        run_snapshot(LiveSource(prod), DatabaseSink(postgres_server.dsn(name)), parse_rules(RULES), KEY, jobs=1)
        assert _one(postgres_server.dsn(name), "SELECT count(*) FROM merchants") == 5
    finally:
        with psycopg.connect(postgres_server.dsn(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_sessions_on_dev_do_not_block_the_swap(prod: str, dev: str) -> None:
    app = psycopg.connect(dev, autocommit=True)  # a dev service holding a connection open
    try:
        app.execute("SELECT 1")
        run_snapshot(LiveSource(prod), DatabaseSink(dev), parse_rules(RULES), KEY, jobs=1)
        with pytest.raises(psycopg.OperationalError):
            app.execute("SELECT 1")  # terminated by the swap; a reconnect sees the snapshot
    finally:
        app.close()
    assert _one(dev, "SELECT count(*) FROM merchants") == 5


def test_names_in_a_kept_column_fail_verification(postgres_server: PostgresServer, dev: str) -> None:
    """A kept column holding the names other columns replace (nicknames that are the staff's first names) is a
    finding that fails the run; a kept town that happens to be somebody's surname is only listed."""
    with postgres_server.database("names") as source:
        with psycopg.connect(source) as conn:
            conn.execute(
                "CREATE TABLE staff (id int PRIMARY KEY, first_name text, last_name text, nickname text, city text)"
            )
            people = [("Emily", "Clark"), ("Thomas", "Reed"), ("Sophia", "Preston"), ("Jane", "Wilson")]
            for i, (given, family) in enumerate(people * 2):
                city = "Preston" if i == 0 else "Leeds"
                conn.execute("INSERT INTO staff VALUES (%s, %s, %s, %s, %s)", (i, given, family, given, city))
        rules = parse_rules(
            "version: 1\ntables:\n  staff:\n    columns:\n      id: keep\n"
            "      first_name: {transform: person_name, params: {part: given}}\n"
            "      last_name: {transform: person_name, params: {part: family}}\n"
            "      nickname: keep\n      city: keep\n"
        )
        with pytest.raises(VerificationError) as caught:
            run_snapshot(LiveSource(source), DatabaseSink(dev), rules, KEY, jobs=2)
    verification = caught.value.report.verification
    assert verification is not None
    assert verification.names_in_kept == {"public.staff.nickname": 8, "public.staff.city": 1}
    assert verification.names_in_kept_failing() == {"public.staff.nickname": 8}
    assert "public.staff.nickname" in caught.value.message and "Emily" not in caught.value.message
    assert _dev_untouched(dev)
