"""`devkit cleanup`: exact deletes of old test transactions, archives that restore, durations, the guard."""

from __future__ import annotations

import gzip
import json
import uuid
import zlib
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from devkit.cleanup import cascade, cleanup, dry_run, parse_duration, restore_archive
from devkit.cli.app import app
from devkit.errors import UsageError
from devkit.seed.generate import JST, entity_id
from devkit.seed.load import load
from devkit.seed.transactions import TransactionGenerator, blocks_of
from devkit.seed.verify import verify
from tests.seed.conftest import make_world

CUTOFF = datetime.combine(make_world().as_of - timedelta(days=2), time(0), JST)  # keeps the last two days


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        (" 36H ", timedelta(hours=36)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "24", "h", "0h", "-1d", "1.5h", "1y", "24 hours", "P1D"])
def test_bad_durations_are_clear_errors(text: str) -> None:
    with pytest.raises(UsageError, match="invalid duration") as caught:
        parse_duration(text)
    assert "90m" in caught.value.hint and "2w" in caught.value.hint


def test_cascade_follows_the_schema_foreign_keys() -> None:
    order = [name for name, _ in cascade()]
    assert order[0] == "orders"
    assert set(order) == {"orders", "order_items", "bills", "payment_intents", "payments", "webhook_events"}
    assert (
        order.index("bills") < order.index("payment_intents") < order.index("payments") < order.index("webhook_events")
    )


def expected_deletions(cutoff: datetime) -> dict[str, int]:
    """What must go, computed from the generators (not from the database)."""
    world = make_world()
    generator = TransactionGenerator(world)
    counts = dict.fromkeys(("orders", "order_items", "bills", "payment_intents", "payments", "webhook_events"), 0)
    for task in blocks_of(world):
        block = generator.block(*task)
        old = block.ordered_at < cutoff.timestamp()
        for table, owners in block.owners.items():
            counts[table] += int(old[owners].sum())
    return counts


def _add_non_test_order(dsn: str) -> uuid.UUID:
    # Fixed ids and times: two databases given the same order hold the same rows.
    order_id, bill_id = uuid.UUID(int=1), uuid.UUID(int=2)
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO orders (id, store_id, device_id, order_no, status, subtotal_10, subtotal_8, tax_10, tax_8,"
            " total, ordered_at, is_test, created_at)"
            " VALUES (%s, %s, %s, 'REAL-1', 'closed', 1000, 0, 100, 0, 1100, %s, false, %s)",
            (order_id, entity_id("store", "1-1"), entity_id("device", "1-1-1"), *[CUTOFF - timedelta(days=30)] * 2),
        )
        conn.execute(
            "INSERT INTO bills (id, order_id, store_id, bill_no, status, subtotal, tax_total, total, issued_at,"
            " is_test) VALUES (%s, %s, %s, 'BREAL-1', 'closed', 1000, 100, 1100, %s, false)",
            (bill_id, order_id, entity_id("store", "1-1"), CUTOFF - timedelta(days=30)),
        )
    return order_id


def _count(dsn: str, table: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def test_cleanup_deletes_exactly_the_old_test_rows_and_the_archive_restores_them(
    pg_database: str, tmp_path: Path
) -> None:
    seeded = load(pg_database, make_world(), "dev").manifest.row_counts
    real_order = _add_non_test_order(pg_database)
    expected = expected_deletions(CUTOFF)
    assert 0 < expected["orders"] < seeded["orders"]

    assert dry_run(pg_database, CUTOFF) == expected
    assert _count(pg_database, "orders") == seeded["orders"] + 1  # the dry run deleted nothing

    result = cleanup(pg_database, "dev", CUTOFF, batch_size=7, archive_root=tmp_path)
    assert result.counts == expected
    assert result.batches == -(-expected["orders"] // 7)
    for table, gone in expected.items():
        extra = 1 if table in ("orders", "bills") else 0  # the non-test order and its bill stay
        assert _count(pg_database, table) == seeded[table] - gone + extra
    for table in ("merchants", "stores", "devices", "staff_users", "merchant_payment_configs", "audit_logs"):
        assert _count(pg_database, table) == seeded[table]
    with psycopg.connect(pg_database) as conn:
        assert (
            conn.execute("SELECT count(*) FROM orders WHERE is_test AND ordered_at < %s", (CUTOFF,)).fetchone()[0] == 0
        )
        assert conn.execute("SELECT count(*) FROM orders WHERE id = %s", (real_order,)).fetchone()[0] == 1
        assert conn.execute("SELECT min(ordered_at) FROM orders WHERE is_test").fetchone()[0] >= CUTOFF

    manifest = json.loads((result.archive / "manifest.json").read_text())
    assert manifest["complete"] is True
    assert {entry["name"]: entry["rows"] for entry in manifest["tables"]} == expected
    with gzip.open(result.archive / "orders.copy.gz", "rt") as handle:
        assert sum(1 for _ in handle) == expected["orders"]

    restored = restore_archive(pg_database, result.archive)
    assert restored.restored == expected
    assert all(check.ok for check in verify(pg_database, make_world()))  # every seeded row is back, byte for byte
    assert _count(pg_database, "orders") == seeded["orders"] + 1
    again = restore_archive(pg_database, result.archive)  # restoring twice adds nothing
    assert sum(again.restored.values()) == 0 and again.already_present == expected


def test_parallel_jobs_delete_the_same_rows_and_their_archive_restores(pg_database: str, tmp_path: Path) -> None:
    seeded = load(pg_database, make_world(), "dev").manifest.row_counts
    real_order = _add_non_test_order(pg_database)
    expected = expected_deletions(CUTOFF)
    # Small batches on 3 connections: the workers' batches interleave in time and in the archive's streams.
    result = cleanup(pg_database, "dev", CUTOFF, batch_size=5, archive_root=tmp_path, jobs=3)
    assert result.counts == expected and not result.skipped_locked
    assert result.batches >= -(-expected["orders"] // 5) and result.longest_batch > 0
    for table, gone in expected.items():
        extra = 1 if table in ("orders", "bills") else 0
        assert _count(pg_database, table) == seeded[table] - gone + extra
    manifest = json.loads((result.archive / "manifest.json").read_text())
    assert manifest["complete"] is True and {e["name"]: e["rows"] for e in manifest["tables"]} == expected
    for table, rows in expected.items():  # whole rows only: one batch at a time writes to the streams
        with gzip.open(result.archive / f"{table}.copy.gz", "rt") as handle:
            assert sum(1 for _ in handle) == rows
    assert restore_archive(pg_database, result.archive).restored == expected
    assert all(check.ok for check in verify(pg_database, make_world()))
    assert _count(pg_database, "orders") == seeded["orders"] + 1
    with psycopg.connect(pg_database) as conn:
        assert conn.execute("SELECT count(*) FROM orders WHERE id = %s", (real_order,)).fetchone()[0] == 1


def _contents(dsn: str) -> dict[str, str]:
    """Every SmartPOS table's rows, as one digest per table (whole rows, in id order)."""
    with psycopg.connect(dsn) as conn:
        return {
            name: conn.execute(f'SELECT md5(string_agg(t::text, chr(10) ORDER BY t.id)) FROM "{name}" t').fetchone()[0]
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'devkit%'"
            )  # devkit_seed_ledger: when each seed ran
        }


def _archived_lines(archive: Path) -> dict[str, list[str]]:
    return {path.name: sorted(gzip.open(path, "rt").read().splitlines()) for path in archive.glob("*.copy.gz")}


def test_jobs_n_deletes_and_archives_exactly_what_jobs_1_does(postgres_server, tmp_path: Path) -> None:
    with postgres_server.database() as one, postgres_server.database() as many:
        for dsn in (one, many):
            load(dsn, make_world(), "dev")
            _add_non_test_order(dsn)
        before = _contents(one)
        assert _contents(many) == before  # the same start
        planned = dry_run(one, CUTOFF)
        serial = cleanup(one, "dev", CUTOFF, batch_size=3, archive_root=tmp_path / "one", jobs=1)
        parallel = cleanup(many, "dev", CUTOFF, batch_size=3, archive_root=tmp_path / "many", jobs=4)
        assert serial.counts == parallel.counts == planned  # the dry run counted what both deleted
        assert sum(planned.values()) > 0 and serial.batches == -(-planned["orders"] // 3)
        after = _contents(one)
        assert _contents(many) == after  # the same rows remain, byte for byte
        assert {name for name in after if after[name] != before[name]} == set(planned)  # only the cascade moved
        assert _archived_lines(serial.archive) == _archived_lines(parallel.archive)  # the same rows archived


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_order_the_platform_holds_locked_is_skipped_not_waited_for(pg_database: str, jobs: int) -> None:
    load(pg_database, make_world(), "dev")
    expected = expected_deletions(CUTOFF)
    with psycopg.connect(pg_database) as platform:  # an open transaction writing one old order
        held = platform.execute(
            "SELECT id FROM orders WHERE is_test AND ordered_at < %s ORDER BY ordered_at, id OFFSET 3 LIMIT 1",
            (CUTOFF,),
        ).fetchone()[0]
        platform.execute("SELECT 1 FROM orders WHERE id = %s FOR UPDATE", (held,))  # (with OFFSET it would lock 4)
        items = platform.execute("SELECT count(*) FROM order_items WHERE order_id = %s", (held,)).fetchone()[0]
        result = cleanup(pg_database, "dev", CUTOFF, batch_size=2, jobs=jobs)
        platform.rollback()
    assert result.skipped_locked
    assert result.counts["orders"] == expected["orders"] - 1
    assert result.counts["order_items"] == expected["order_items"] - items
    with psycopg.connect(pg_database) as conn:
        left = conn.execute("SELECT array_agg(id) FROM orders WHERE is_test AND ordered_at < %s", (CUTOFF,))
        assert left.fetchone()[0] == [held]
        assert conn.execute("SELECT count(*) FROM bills WHERE order_id = %s", (held,)).fetchone()[0] == 1


def test_nothing_old_means_nothing_deleted(pg_database: str) -> None:
    load(pg_database, make_world(), "dev")
    result = cleanup(pg_database, "dev", make_world().window_start, batch_size=50)
    assert sum(result.counts.values()) == 0 and result.batches == 0


@pytest.fixture
def cli_env(pg_database: str) -> dict[str, str]:
    return {"DEVKIT_DEV_DSN": pg_database, "DEVKIT_STAGING_DSN": pg_database, "DEVKIT_PRODUCTION_DSN": pg_database}


def test_cli_refuses_production(cli_env: dict[str, str], pg_database: str) -> None:
    load(pg_database, make_world(), "dev")
    result = CliRunner().invoke(app, ["cleanup", "production", "--older-than", "1h", "--yes"], env=cli_env)
    assert result.exit_code == 7 and "marked production" in result.stderr
    assert _count(pg_database, "orders") == make_world().order_count


def test_cli_rejects_a_bad_duration(cli_env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["cleanup", "dev", "--older-than", "3 days"], env=cli_env)
    assert result.exit_code == 2 and "invalid duration '3 days'" in result.stderr


def test_cli_staging_needs_confirmation_and_dev_runs_with_archive(
    cli_env: dict[str, str], pg_database: str, tmp_path: Path
) -> None:
    load(pg_database, make_world(), "dev")
    refused = CliRunner().invoke(app, ["cleanup", "staging", "--older-than", "1h"], env=cli_env)
    assert refused.exit_code == 7 and "--yes" in refused.stderr
    dry = CliRunner().invoke(app, ["cleanup", "dev", "--older-than", "1h", "--dry-run"], env=cli_env)
    assert dry.exit_code == 0 and "would delete" in dry.stdout
    assert _count(pg_database, "orders") == make_world().order_count
    # The seeded window ended on 2025-03-01, so everything is older than an hour.
    done = CliRunner().invoke(app, ["cleanup", "dev", "--older-than", "1h", "--archive", str(tmp_path)], env=cli_env)
    assert done.exit_code == 0, done.output
    assert _count(pg_database, "orders") == 0 and _count(pg_database, "merchants") == make_world().profile.merchants
    archive = next(tmp_path.glob("cleanup-dev-*"))
    back = CliRunner().invoke(app, ["cleanup", "dev", "--restore", str(archive)], env=cli_env)
    assert back.exit_code == 0, back.output
    assert _count(pg_database, "orders") == make_world().order_count
    assert datetime.now(UTC) > CUTOFF


def _members(data: bytes) -> int:
    """Complete gzip members in `data` (each batch appends one per table)."""
    count = 0
    while data:
        member = zlib.decompressobj(wbits=31)
        member.decompress(data)
        assert member.eof
        data, count = member.unused_data, count + 1
    return count


def test_an_archive_of_a_killed_run_still_restores(pg_database: str, tmp_path: Path) -> None:
    load(pg_database, make_world(), "dev")
    result = cleanup(pg_database, "dev", CUTOFF, batch_size=10, archive_root=tmp_path)
    assert _members((result.archive / "orders.copy.gz").read_bytes()) == result.batches > 1
    # Append to every file what a run killed mid-append leaves: the start of one more batch's member (its delete
    # never committed), sync-flushed, without its end: half a row, then nothing.
    for path in result.archive.glob("*.copy.gz"):
        first = gzip.decompress(path.read_bytes()).splitlines(keepends=True)[0]
        partial = zlib.compressobj(wbits=31)
        with path.open("ab") as out:
            out.write(partial.compress(first[:20]) + partial.flush(zlib.Z_SYNC_FLUSH))
        with pytest.raises(EOFError):
            gzip.decompress(path.read_bytes())
    restored = restore_archive(pg_database, result.archive)
    assert restored.restored == result.counts
    assert all(check.ok for check in verify(pg_database, make_world()))
