"""`devkit cleanup` where webhook_events is range-partitioned by day (a variant of SmartPOS's schema built here):
old partitions holding only rows cleanup deletes are dropped whole, everything else goes by batch, and the result
— counts, remaining rows, archived rows — equals the batched deletes' on the same data without partitions."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from pathlib import Path

import psycopg
import pytest

from devkit.cleanup import cleanup, dry_run, read_manifest, restore_archive
from devkit.schema import TABLES
from devkit.seed.generate import JST
from devkit.seed.load import load
from testbed.partitioned_smartpos import partition_name, partition_webhook_events
from tests.cli.test_cleanup import CUTOFF, _add_non_test_order, _archived_lines
from tests.seed.conftest import make_world

FIRST_DAY = date(2025, 2, 20)  # the small profile's five days end on 2025-03-01; partitions on both sides of them
DAYS = 14
STRAY_DAY = date(2025, 2, 25)  # an old day holding one webhook cleanup keeps (no payment)


def _add_stray_webhook(dsn: str) -> None:
    """A test webhook without a payment, received on STRAY_DAY: cleanup never deletes it."""
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO webhook_events (id, provider_id, payment_id, event_type, payload, signature_valid,"
            " received_at, is_test) SELECT %s, provider_id, NULL, event_type, payload, signature_valid, %s, true"
            " FROM webhook_events ORDER BY id LIMIT 1",
            (uuid.UUID(int=3), datetime.combine(STRAY_DAY, time(12), JST)),
        )


def _twins(postgres_server, plain: str, parted: str) -> None:
    for dsn in (plain, parted):
        load(dsn, make_world(), "dev")
        _add_non_test_order(dsn)
    partition_webhook_events(parted, FIRST_DAY, DAYS)
    for dsn in (plain, parted):
        _add_stray_webhook(dsn)


def _contents(dsn: str) -> dict[str, str]:
    """Each SmartPOS table's rows (a partitioned one through its parent), one digest per table."""
    with psycopg.connect(dsn) as conn:
        return {
            table.name: conn.execute(
                f'SELECT md5(string_agg(t::text, chr(10) ORDER BY t.id)) FROM "{table.name}" t'
            ).fetchone()[0]
            for table in TABLES
        }


def _partitions(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT n.nspname || '.' || c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE i.inhparent = 'webhook_events'::regclass"
        )
        return {name for (name,) in rows}


def _dropped_days(names: list[str]) -> set[date]:
    return {datetime.strptime(name.rsplit("_", 1)[1], "%Y%m%d").date() for name in names}


def test_old_partitions_go_whole_and_the_result_equals_batched_deletes(postgres_server, tmp_path: Path) -> None:
    with postgres_server.database() as plain, postgres_server.database() as parted:
        _twins(postgres_server, plain, parted)
        start = _contents(parted)
        assert _contents(plain) == start
        every_partition = _partitions(parted)
        planned = dry_run(parted, CUTOFF)
        assert dry_run(plain, CUTOFF) == planned

        batched = cleanup(plain, "dev", CUTOFF, batch_size=7, archive_root=tmp_path / "plain", jobs=2)
        whole = cleanup(parted, "dev", CUTOFF, batch_size=7, archive_root=tmp_path / "parted", jobs=2)

        assert batched.counts == whole.counts == planned  # the dry run counts what either way deletes
        assert batched.partitions == []
        dropped = _dropped_days(whole.partitions)
        # Only days that end by the cutoff, hold rows, and hold nothing cleanup keeps.
        assert dropped and max(dropped) < CUTOFF.date() and STRAY_DAY not in dropped
        assert FIRST_DAY not in dropped  # empty: none of cleanup's business
        assert set(whole.partitions) == {f"public.{partition_name(day)}" for day in dropped}
        assert _partitions(parted) == every_partition - set(whole.partitions)  # gone from the catalog
        assert _contents(parted) == _contents(plain)  # the same rows remain
        assert _archived_lines(whole.archive) == _archived_lines(batched.archive)  # the same rows archived
        manifest = read_manifest(whole.archive)
        assert {entry["name"] for entry in manifest["partitions"]} == {partition_name(day) for day in dropped}

        restored = restore_archive(parted, whole.archive)  # creates the dropped partitions again first
        assert restored.restored == whole.counts
        assert _partitions(parted) == every_partition
        assert _contents(parted) == start  # byte for byte


@pytest.mark.parametrize(
    "mode",
    [
        "ROW EXCLUSIVE",  # the platform writing into it: the SHARE lock isn't granted
        "ACCESS SHARE",  # the platform reading it: SHARE is, then the detach isn't (after the archive was written)
    ],
)
def test_a_partition_whose_lock_isnt_granted_goes_by_batch(postgres_server, tmp_path: Path, mode: str) -> None:
    with postgres_server.database() as plain, postgres_server.database() as parted:
        _twins(postgres_server, plain, parted)
        held = date(2025, 2, 24)
        with psycopg.connect(parted) as platform:  # the platform's transaction, still open
            platform.execute(f"LOCK TABLE {partition_name(held)} IN {mode} MODE")
            whole = cleanup(parted, "dev", CUTOFF, batch_size=5, archive_root=tmp_path / "parted", lock_timeout="200ms")
            platform.rollback()
        batched = cleanup(plain, "dev", CUTOFF, batch_size=5, archive_root=tmp_path / "plain")
        assert whole.counts == batched.counts
        dropped = _dropped_days(whole.partitions)
        assert dropped and held not in dropped
        assert f"public.{partition_name(held)}" in _partitions(parted)
        assert _contents(parted) == _contents(plain)
        # The held day's rows are archived once, by its batches: what the partition had written was taken back.
        assert _archived_lines(whole.archive) == _archived_lines(batched.archive)
