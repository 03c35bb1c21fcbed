"""Cleanup archives: private modes, and an archive that can't be written never loses a deleted row.

Write failures are real ones: `devkit cleanup` runs as a subprocess under a file-size limit (RLIMIT_FSIZE; Python
ignores SIGXFSZ, so a write past the limit fails with EFBIG the way a full disk fails with ENOSPC)."""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from devkit.cleanup import cleanup, restore_archive
from devkit.seed.load import load
from devkit.seed.verify import verify
from tests.cli.test_cleanup import CUTOFF
from tests.conftest import REPO_ROOT
from tests.seed.conftest import make_world


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """umask 0: whatever devkit doesn't restrict itself comes out world-readable (and writable)."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_archive_folders_are_0700_and_files_0600(pg_database: str, tmp_path: Path, open_umask: None) -> None:
    load(pg_database, make_world(), "dev")
    existing = tmp_path / "archives"
    existing.mkdir(mode=0o755)
    root = existing / "staging" / "2025"  # these two don't exist yet
    result = cleanup(pg_database, "dev", CUTOFF, batch_size=20, archive_root=root)
    assert result.archive is not None and result.batches > 1
    for folder in (existing / "staging", root, result.archive):
        assert _mode(folder) == 0o700, folder  # every folder devkit created, not only the last
    assert _mode(existing) == 0o755  # a folder devkit didn't create is left as it was
    files = sorted(result.archive.iterdir())
    assert {path.name for path in files} >= {"manifest.json", "orders.copy.gz", "payments.copy.gz"}
    for path in files:
        assert _mode(path) == 0o600, path  # was 0644 (0666 under this umask) for the .copy.gz files


def _orders(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT count(*) FROM orders").fetchone()[0]


def _cleanup_with_file_size_limit(dsn: str, archive: Path, limit: int, batch_size: int) -> subprocess.CompletedProcess:
    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    code = "import sys; from devkit.cli import main; sys.argv[0] = 'devkit'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, "cleanup", "dev", "--older-than", "1h", "--archive", str(archive)]
        + ["--batch-size", str(batch_size)],
        cwd=REPO_ROOT,
        env={**os.environ, "DEVKIT_DEV_DSN": dsn, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit_file_size,
    )


def _one_line(process: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in process.stderr, process.stderr
    lines = [line for line in process.stderr.strip().splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, process.stderr
    return lines[0]


def test_an_archive_failing_mid_run_leaves_every_deleted_row_archived(pg_database: str, tmp_path: Path) -> None:
    world = make_world()
    load(pg_database, world, "dev")
    # 8 KiB per file: the manifest fits, the busiest .copy.gz outgrows it a few batches in.
    process = _cleanup_with_file_size_limit(pg_database, tmp_path, limit=8192, batch_size=5)
    assert process.returncode == 1, process.stderr
    line = _one_line(process)
    assert "File too large" in line and "a batch is only deleted once archived" in line, line
    left = _orders(pg_database)
    assert 0 < left < world.order_count  # it failed midway: some batches were deleted, the rest stayed
    archive = next(tmp_path.glob("cleanup-dev-*"))
    # Everything deleted is in the archive, including nothing of the failed batch lost: restoring gives back
    # exactly the seeded world, byte for byte.
    restored = restore_archive(pg_database, archive)
    assert restored.restored["orders"] == world.order_count - left
    assert all(check.ok for check in verify(pg_database, world))


@pytest.mark.parametrize(
    ("limit", "what"),
    [(1024, "the manifest can't be written"), (4096, "the first batch's rows can't be written")],
)
def test_an_archive_failing_at_once_deletes_nothing(pg_database: str, tmp_path: Path, limit: int, what: str) -> None:
    world = make_world()
    load(pg_database, world, "dev")
    process = _cleanup_with_file_size_limit(pg_database, tmp_path, limit=limit, batch_size=1000)
    assert process.returncode == 1, (what, process.stderr)
    assert "File too large" in _one_line(process)
    assert _orders(pg_database) == world.order_count, what
    assert all(check.ok for check in verify(pg_database, world))
