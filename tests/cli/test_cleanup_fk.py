"""`devkit cleanup`'s set-based foreign-key checks (devkit/cleanup_fk.py): the same outcome as PostgreSQL's per-row
triggers, today's path wherever the replica role would change what a DELETE does, and no orphan when the platform
writes a child of a row being deleted."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from devkit.cleanup import cleanup, plan_fk_checks
from devkit.cli.app import app
from devkit.errors import DataError
from devkit.seed.load import load
from testbed.partitioned_smartpos import partition_webhook_events
from tests.cli.test_cleanup import CUTOFF, _add_non_test_order, _archived_lines, _contents, expected_deletions
from tests.cli.test_cleanup_partitions import DAYS, FIRST_DAY
from tests.seed.conftest import make_world

# Every foreign key of the cascade, child -> parent: none may point at a missing row after any cleanup.
LINKS = [
    ("order_items", "order_id", "orders"),
    ("bills", "order_id", "orders"),
    ("payment_intents", "bill_id", "bills"),
    ("payments", "payment_intent_id", "payment_intents"),
    ("payments", "bill_id", "bills"),
    ("webhook_events", "payment_id", "payments"),
]


def _orphans(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return sum(
            conn.execute(
                f'SELECT count(*) FROM "{child}" c WHERE c."{column}" IS NOT NULL'
                f' AND NOT EXISTS (SELECT 1 FROM "{parent}" p WHERE p.id = c."{column}")'
            ).fetchone()[0]
            for child, column, parent in LINKS
        )


@pytest.fixture
def seeded(pg_database: str) -> str:
    load(pg_database, make_world(), "dev")
    _add_non_test_order(pg_database)
    return pg_database


@pytest.mark.parametrize("partitioned", [False, True], ids=["plain", "webhook_events-partitioned"])
def test_set_based_and_per_row_checks_delete_and_archive_the_same(
    postgres_server, tmp_path: Path, partitioned: bool
) -> None:
    with postgres_server.database() as fast, postgres_server.database() as slow:
        for dsn in (fast, slow):
            load(dsn, make_world(), "dev")
            _add_non_test_order(dsn)
            if partitioned:
                partition_webhook_events(dsn, FIRST_DAY, DAYS)
        before = _contents(fast)
        assert _contents(slow) == before
        assert plan_fk_checks(fast).set_based  # the test server's role is a superuser: the fast path is open
        quick = cleanup(fast, "dev", CUTOFF, batch_size=4, archive_root=tmp_path / "fast", jobs=2)
        today = cleanup(
            slow, "dev", CUTOFF, batch_size=4, archive_root=tmp_path / "slow", jobs=2, set_based_fk_checks=False
        )
        assert quick.fk_checks.set_based and not today.fk_checks.set_based
        assert quick.counts == today.counts == expected_deletions(CUTOFF)
        after = _contents(fast)
        assert _contents(slow) == after and after != before  # the same rows remain, byte for byte
        assert _archived_lines(quick.archive) == _archived_lines(today.archive)
        assert _orphans(fast) == 0


# Each case: SQL that makes the replica role unsafe, what the plan must name, and what the fallback must still do.
_AUDIT = """
CREATE TABLE bill_audit (bill_id uuid, at timestamptz DEFAULT now());
CREATE FUNCTION audit_bill() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO bill_audit (bill_id) VALUES (OLD.id); RETURN OLD; END $$;
CREATE TRIGGER bill_deleted AFTER DELETE ON bills FOR EACH ROW EXECUTE FUNCTION audit_bill();
"""


def _audited(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT count(*) FROM bill_audit").fetchone()[0]


def test_an_ordinary_delete_trigger_means_per_row_and_it_still_fires(seeded: str) -> None:
    with psycopg.connect(seeded) as conn:
        conn.execute(_AUDIT)
    plan = plan_fk_checks(seeded)
    assert not plan.set_based and "trigger bill_deleted on bills" in plan.reason
    result = cleanup(seeded, "dev", CUTOFF, batch_size=5)
    assert not result.fk_checks.set_based
    assert _audited(seeded) == result.counts["bills"] == expected_deletions(CUTOFF)["bills"]  # the audit saw each


def test_an_always_enabled_trigger_keeps_the_set_based_path_and_still_fires(seeded: str) -> None:
    with psycopg.connect(seeded) as conn:
        conn.execute(_AUDIT)
        conn.execute("ALTER TABLE bills ENABLE ALWAYS TRIGGER bill_deleted")
    result = cleanup(seeded, "dev", CUTOFF, batch_size=5)
    assert result.fk_checks.set_based
    assert _audited(seeded) == result.counts["bills"] == expected_deletions(CUTOFF)["bills"]


def test_a_replica_only_trigger_means_per_row(seeded: str) -> None:
    with psycopg.connect(seeded) as conn:
        conn.execute(_AUDIT)
        conn.execute("ALTER TABLE bills ENABLE REPLICA TRIGGER bill_deleted")  # fires only in the replica role
    result = cleanup(seeded, "dev", CUTOFF, batch_size=5)
    assert not result.fk_checks.set_based and "bill_deleted" in result.fk_checks.reason
    assert _audited(seeded) == 0  # as without devkit: a replica trigger doesn't fire in an ordinary session


def test_a_delete_rule_means_per_row(seeded: str) -> None:
    with psycopg.connect(seeded) as conn:
        conn.execute("CREATE TABLE gone_items (id uuid)")
        conn.execute(
            "CREATE RULE keep_trace AS ON DELETE TO order_items DO ALSO INSERT INTO gone_items VALUES (OLD.id)"
        )
    result = cleanup(seeded, "dev", CUTOFF, batch_size=5)
    assert not result.fk_checks.set_based and "rule keep_trace on order_items" in result.fk_checks.reason
    with psycopg.connect(seeded) as conn:
        assert conn.execute("SELECT count(*) FROM gone_items").fetchone()[0] == result.counts["order_items"]


def test_a_foreign_key_cleanup_does_not_know_means_per_row_and_it_still_holds(seeded: str) -> None:
    with psycopg.connect(seeded) as conn:
        conn.execute("CREATE TABLE refunds (id uuid PRIMARY KEY, payment_id uuid NOT NULL REFERENCES payments (id))")
        conn.execute(
            "INSERT INTO refunds SELECT gen_random_uuid(), p.id FROM payments p JOIN bills b ON b.id = p.bill_id"
            " JOIN orders o ON o.id = b.order_id WHERE o.is_test AND o.ordered_at < %s ORDER BY o.ordered_at LIMIT 1",
            (CUTOFF,),
        )
    plan = plan_fk_checks(seeded)
    assert not plan.set_based and "refunds.payment_id references payments" in plan.reason
    with pytest.raises(DataError, match="refunds"):  # PostgreSQL's own check stops the batch, as before
        cleanup(seeded, "dev", CUTOFF, batch_size=100_000)
    with psycopg.connect(seeded) as conn:
        assert (
            conn.execute(
                "SELECT count(*) FROM refunds r WHERE NOT EXISTS (SELECT 1 FROM payments p WHERE p.id = r.payment_id)"
            ).fetchone()[0]
            == 0
        )


def test_an_on_delete_action_on_a_cascade_link_means_per_row(seeded: str) -> None:
    # The replica role would skip the action's trigger too: on a concurrent insert PostgreSQL would delete the late
    # child where the set-based check fails the batch. Today's path keeps the action's meaning.
    with psycopg.connect(seeded) as conn:
        conn.execute("ALTER TABLE order_items DROP CONSTRAINT order_items_order_id_fkey")
        conn.execute(
            "ALTER TABLE order_items ADD CONSTRAINT order_items_order_id_fkey"
            " FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE"
        )
    plan = plan_fk_checks(seeded)
    assert not plan.set_based and "order_items.order_id references orders with an ON DELETE action" in plan.reason
    result = cleanup(seeded, "dev", CUTOFF, batch_size=5)
    assert not result.fk_checks.set_based and result.counts == expected_deletions(CUTOFF)
    assert _orphans(seeded) == 0


@pytest.fixture
def plain_role(postgres_server) -> Iterator[tuple[str, Callable[[str], str]]]:
    """A role that is not a superuser, allowed what cleanup needs on the tables; (name, dsn-of-database)."""
    name = f"cleaner_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {name} LOGIN PASSWORD 'cleaner'")
    yield name, lambda dsn: dsn.replace("postgres:postgres@", f"{name}:cleaner@", 1)
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as conn:
        conn.execute(f"REVOKE SET ON PARAMETER session_replication_role FROM {name}")
        conn.execute(f"DROP ROLE {name}")  # its grants went with the test's database


def test_a_role_that_may_not_set_the_replica_role_gets_per_row_then_the_grant_opens_the_fast_path(
    postgres_server, plain_role: tuple[str, Callable[[str], str]]
) -> None:
    name, as_role = plain_role
    with postgres_server.database() as admin:
        load(admin, make_world(), "dev")
        with psycopg.connect(admin) as conn:
            conn.execute(f"GRANT SELECT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}")
        dsn = as_role(admin)
        plan = plan_fk_checks(dsn)
        assert not plan.set_based and "session_replication_role" in plan.reason
        earlier = cleanup(dsn, "dev", CUTOFF - timedelta(days=1), batch_size=5, jobs=2)
        assert not earlier.fk_checks.set_based and earlier.counts["orders"] > 0
        with psycopg.connect(postgres_server.dsn(), autocommit=True) as conn:
            conn.execute(f"GRANT SET ON PARAMETER session_replication_role TO {name}")  # PostgreSQL 15
        assert plan_fk_checks(dsn).set_based
        later = cleanup(dsn, "dev", CUTOFF, batch_size=5, jobs=2)
        assert later.fk_checks.set_based and later.counts["orders"] > 0
        expected = expected_deletions(CUTOFF)
        assert {table: earlier.counts[table] + later.counts[table] for table in expected} == expected
        assert _orphans(admin) == 0


def _wait_for_lock(dsn: str, query_start: str, deadline: float = 30.0) -> None:
    """Until a session of this database waits for a lock in a statement starting with `query_start`."""
    ends = time.monotonic() + deadline
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < ends:
            waiting = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query LIKE %s",
                (query_start + "%",),
            ).fetchone()[0]
            if waiting:
                return
            time.sleep(0.05)
    raise AssertionError(f"nothing waited on a lock in {query_start!r}")


def _run_cleanup(dsn: str, set_based: bool) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = cleanup(
                dsn, "dev", CUTOFF, batch_size=100_000, lock_timeout="60s", set_based_fk_checks=set_based
            )
        except DataError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _oldest_order(dsn: str) -> tuple[uuid.UUID, uuid.UUID]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT o.id, b.id FROM orders o JOIN bills b ON b.order_id = o.id"
            " WHERE o.is_test AND o.ordered_at < %s ORDER BY o.ordered_at, o.id LIMIT 1",
            (CUTOFF,),
        ).fetchone()


@pytest.fixture(params=["read committed", "repeatable read"])
def isolation(request, seeded: str) -> str:
    """The database's default isolation: cleanup must not depend on it (the set-based check needs READ COMMITTED
    and takes it)."""
    with psycopg.connect(seeded, autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {conn.info.dbname} SET default_transaction_isolation = '{request.param}'")
    return request.param


@pytest.mark.parametrize("set_based", [True, False], ids=["set-based", "per-row"])
def test_a_child_inserted_under_our_lock_fails_and_leaves_no_orphan(
    seeded: str, isolation: str, set_based: bool
) -> None:
    order, bill = _oldest_order(seeded)
    with psycopg.connect(seeded) as pause:  # holds cleanup at its DELETE of bills, its orders locked
        pause.execute("SELECT 1 FROM bills WHERE id = %s FOR KEY SHARE", (bill,))
        thread, outcome = _run_cleanup(seeded, set_based)
        _wait_for_lock(seeded, 'DELETE FROM "bills"')
        failure: dict = {}

        def insert_item() -> None:  # the platform adding a line to an order cleanup is deleting
            try:
                with psycopg.connect(seeded) as platform:
                    platform.execute(
                        "INSERT INTO order_items (id, order_id, line_no, sku, name, unit_price, quantity, tax_rate,"
                        " amount, is_test) VALUES (%s, %s, 999, 'LATE', 'late item', 100, 1, 10, 100, true)",
                        (uuid.uuid4(), order),
                    )
            except psycopg.Error as exc:
                failure["error"] = exc

        platform = threading.Thread(target=insert_item)
        platform.start()
        _wait_for_lock(seeded, "INSERT INTO order_items")  # its foreign-key check waits for our lock on the order
        pause.rollback()
    thread.join(60)
    platform.join(60)
    assert "result" in outcome, outcome.get("error")
    assert outcome["result"].fk_checks.set_based == set_based
    assert isinstance(failure.get("error"), psycopg.errors.ForeignKeyViolation | psycopg.errors.SerializationFailure)
    assert _orphans(seeded) == 0
    with psycopg.connect(seeded) as conn:
        assert conn.execute("SELECT count(*) FROM orders WHERE id = %s", (order,)).fetchone()[0] == 0


@pytest.mark.parametrize("set_based", [True, False], ids=["set-based", "per-row"])
def test_a_child_committed_before_our_delete_of_its_parent_fails_the_batch(
    seeded: str, isolation: str, set_based: bool
) -> None:
    order, bill = _oldest_order(seeded)
    with psycopg.connect(seeded) as platform:  # a new intent for a bill cleanup is about to delete, not committed
        platform.execute(
            "INSERT INTO payment_intents (id, bill_id, method, amount, currency, status, idempotency_key, created_at,"
            " updated_at, is_test) VALUES (%s, %s, 'paypay', 100, 'JPY', 'processing', %s, now(), now(), true)",
            (uuid.UUID(int=7), bill, f"late-{uuid.uuid4()}"),
        )
        thread, outcome = _run_cleanup(seeded, set_based)
        _wait_for_lock(seeded, 'DELETE FROM "bills"')  # the intent's foreign-key check holds the bill
        platform.commit()  # the intent lands after cleanup deleted the bill's intents, before the bill
    thread.join(60)
    assert "error" in outcome, "cleanup deleted a bill an intent points at"
    message = outcome["error"].message
    assert "payment_intents" in message or "serialize" in message
    assert _orphans(seeded) == 0
    with psycopg.connect(seeded) as conn:
        assert conn.execute("SELECT count(*) FROM bills WHERE id = %s", (bill,)).fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM orders WHERE id = %s", (order,)).fetchone()[0] == 1  # rolled back


def test_a_trigger_created_mid_run_turns_the_next_batches_per_row(seeded: str) -> None:
    batch = 5
    with psycopg.connect(seeded) as conn:
        first_bills = conn.execute(
            "SELECT count(*) FROM bills WHERE order_id IN (SELECT id FROM orders WHERE is_test AND ordered_at < %s"
            " ORDER BY ordered_at, id LIMIT %s)",
            (CUTOFF, batch),
        ).fetchone()[0]
        _, bill = _oldest_order(seeded)
    with psycopg.connect(seeded) as pause, psycopg.connect(seeded) as admin:
        pause.execute("SELECT 1 FROM bills WHERE id = %s FOR KEY SHARE", (bill,))  # holds batch 1 at its DELETE
        outcome: dict = {}
        thread = threading.Thread(
            target=lambda: outcome.update(result=cleanup(seeded, "dev", CUTOFF, batch_size=batch, lock_timeout="60s"))
        )
        thread.start()
        _wait_for_lock(seeded, 'DELETE FROM "bills"')
        creating = threading.Thread(target=lambda: (admin.execute(_AUDIT), admin.commit()))
        creating.start()  # CREATE TRIGGER waits for batch 1's lock on bills; batch 2 queues behind it
        _wait_for_lock(seeded, "\nCREATE TABLE bill_audit")
        pause.rollback()
        creating.join(60)
        thread.join(60)
    result = outcome["result"]
    assert not result.fk_checks.set_based and "from batch 2" in result.fk_checks.reason
    assert 0 < first_bills < result.counts["bills"] == expected_deletions(CUTOFF)["bills"]
    assert _audited(seeded) == result.counts["bills"] - first_bills  # batch 1 ran before the trigger existed
    assert _orphans(seeded) == 0


def test_the_cli_names_the_path_in_the_dry_run_and_the_summary(seeded: str) -> None:
    env = {"DEVKIT_DEV_DSN": seeded}
    dry = CliRunner().invoke(app, ["cleanup", "dev", "--older-than", "1h", "--dry-run"], env=env)
    assert dry.exit_code == 0 and "foreign-key checks: set-based" in dry.output
    with psycopg.connect(seeded) as conn:
        conn.execute(_AUDIT)
    done = CliRunner().invoke(app, ["cleanup", "dev", "--older-than", "1h"], env=env)
    assert done.exit_code == 0, done.output
    assert "foreign-key checks: per row" in done.output and "bill_deleted" in done.output
