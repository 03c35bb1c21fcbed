"""`devkit cleanup` with bad options or a damaged archive: one line naming the value and the fix, a non-zero exit
code, no traceback, and nothing deleted or restored.

Option checks run against a DSN on a closed port: a check that reached the database would exit 8, not 2."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import psycopg
import pytest
from click.testing import Result
from typer.testing import CliRunner

from devkit.cli.app import app
from devkit.seed.load import load
from testbed.servers import free_port
from tests.seed.conftest import make_world


def one_line_error(result: Result, exit_code: int) -> str:
    """The single `error: ...` line of a failed command (and proof there was no traceback)."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == exit_code, result.output
    lines = [line for line in result.stderr.strip().splitlines() if not line.startswith("…")]  # progress lines
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture
def unreachable() -> dict[str, str]:
    dsn = f"postgresql://dev:dev@127.0.0.1:{free_port()}/nowhere"
    return {"DEVKIT_DEV_DSN": dsn, "DEVKIT_STAGING_DSN": dsn, "NO_COLOR": "1"}


def cleanup(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(app, ["cleanup", "dev", *args], env=env)


@pytest.mark.parametrize(
    ("older_than", "expected"),
    [
        # Each was an OverflowError traceback (now minus the duration fell before year 1, or past a C int).
        ("10000000d", "invalid duration '10000000d': longer than 100 years (at most 36525d)"),
        ("999999999w", "invalid duration '999999999w': longer than 100 years (at most 5217w)"),
        ("99999999999999999999m", "longer than 100 years (at most 52596000m)"),
        ("876601h", "invalid duration '876601h': longer than 100 years (at most 876600h)"),
        ("0h", "invalid duration '0h'"),
        ("1h30m", "invalid duration '1h30m'"),
        ("", "invalid duration ''"),
        ("-1d", "invalid duration '-1d'"),
    ],
)
def test_bad_durations(unreachable: dict[str, str], older_than: str, expected: str) -> None:
    for extra in ((), ("--dry-run",)):
        line = one_line_error(cleanup(unreachable, "--older-than", older_than, *extra), 2)
        assert expected in line and "24h" in line


def test_the_longest_duration_is_accepted(unreachable: dict[str, str]) -> None:
    # 100 years passes the check and goes on to the database (unreachable here: exit 8, one line).
    assert "cannot connect" in one_line_error(cleanup(unreachable, "--older-than", "36525d", "--dry-run"), 8)


@pytest.mark.parametrize(
    ("batch_size", "expected"),
    [
        ("0", "--batch-size must be between 1 and 100000, got 0"),
        ("-3", "--batch-size must be between 1 and 100000, got -3"),
        ("100001", "--batch-size must be between 1 and 100000, got 100001"),
        # Was sent to the server: "bigint out of range", reported as a cleanup that "stopped after 0 batch(es)".
        ("99999999999999999999", "--batch-size must be between 1 and 100000, got 99999999999999999999"),
    ],
)
def test_bad_batch_sizes(unreachable: dict[str, str], batch_size: str, expected: str) -> None:
    for extra in ((), ("--dry-run",)):
        line = one_line_error(cleanup(unreachable, "--older-than", "24h", "--batch-size", batch_size, *extra), 2)
        assert expected in line and "e.g. --batch-size 500" in line


@pytest.mark.parametrize("jobs", ["0", "9", "-1"])
def test_bad_jobs(unreachable: dict[str, str], jobs: str) -> None:
    line = one_line_error(cleanup(unreachable, "--older-than", "24h", "--jobs", jobs), 2)
    assert f"--jobs must be between 1 and 8, got {jobs}" in line and "e.g. --jobs 2" in line


@pytest.fixture
def unwritable_dir(tmp_path: Path) -> Path:
    """A folder this process may not create files in. Root ignores permission bits, so as root it is sysfs,
    which refuses file creation to everyone."""
    if os.geteuid() == 0:
        return Path("/sys/kernel")
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o500)
    return folder


def test_bad_archive_folders(unreachable: dict[str, str], tmp_path: Path, unwritable_dir: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder\n")
    cases = [
        (a_file, f"--archive {a_file} is a file, not a folder"),  # was NotADirectoryError, a traceback
        (a_file / "sub", f"cannot create --archive folder {a_file / 'sub'}: Not a directory"),
        # /proc refuses new entries: was three chained tracebacks (FileNotFoundError)
        (Path("/proc/forbidden"), "cannot create --archive folder /proc/forbidden: No such file or directory"),
        (unwritable_dir, f"cannot write to --archive folder {unwritable_dir}: "),
    ]
    for folder, expected in cases:
        line = one_line_error(cleanup(unreachable, "--older-than", "24h", "--archive", str(folder)), 2)
        assert expected in line and "pass a folder you can write to" in line, line
    assert a_file.read_text() == "not a folder\n"


# --- restore ---------------------------------------------------------------------------------------------------


@pytest.fixture
def seeded(pg_database: str) -> dict[str, str]:
    load(pg_database, make_world(), "dev")
    return {"DEVKIT_DEV_DSN": pg_database, "NO_COLOR": "1"}


def _table_counts(dsn: str) -> dict[str, int]:
    names = ("orders", "order_items", "bills", "payment_intents", "payments", "webhook_events")
    with psycopg.connect(dsn) as conn:
        return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


@pytest.fixture
def archive(seeded: dict[str, str], tmp_path: Path) -> Path:
    """A real archive of every seeded order (restored again, so the database is whole)."""
    made = cleanup(seeded, "--older-than", "1h", "--archive", str(tmp_path / "archives"))
    assert made.exit_code == 0, made.output
    folder = next((tmp_path / "archives").glob("cleanup-dev-*"))
    assert cleanup(seeded, "--restore", str(folder)).exit_code == 0
    return folder


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def _damage(folder: Path, how: str) -> None:
    manifest = _manifest(folder)
    if how == "not json":
        (folder / "manifest.json").write_text("{")
    elif how == "not utf-8":
        (folder / "manifest.json").write_bytes(b"\xff\xfe{}")
    elif how == "a list":
        (folder / "manifest.json").write_text("[1]")
    elif how == "no tables":
        del manifest["tables"]
        (folder / "manifest.json").write_text(json.dumps(manifest))
    elif how == "entry without file":
        del manifest["tables"][0]["file"]
        (folder / "manifest.json").write_text(json.dumps(manifest))
    elif how == "unknown table":
        manifest["tables"][0]["name"] = "nope"
        (folder / "manifest.json").write_text(json.dumps(manifest))
    elif how == "file outside":
        manifest["tables"][0]["file"] = "../../../../etc/passwd"
        (folder / "manifest.json").write_text(json.dumps(manifest))
    elif how == "partition of another table":
        manifest["partitions"] = [{"table": "merchants", "schema": "public", "name": "m", "from": "0", "to": "1"}]
        (folder / "manifest.json").write_text(json.dumps(manifest))
    elif how == "partition without bounds":
        manifest["partitions"] = [{"table": "webhook_events", "schema": "public", "name": "w", "from": "x"}]
        (folder / "manifest.json").write_text(json.dumps(manifest))
    elif how == "garbage gzip":
        (folder / "payments.copy.gz").write_bytes(b"garbage")
    elif how == "corrupt in the middle":
        data = bytearray((folder / "payments.copy.gz").read_bytes())
        data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
        (folder / "payments.copy.gz").write_bytes(bytes(data))
    elif how == "bad rows":
        (folder / "payments.copy.gz").write_bytes(gzip.compress(b"not\ta\trow\n"))


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("not json", "manifest.json: unreadable manifest"),
        ("not utf-8", "manifest.json: unreadable manifest"),  # was a UnicodeDecodeError traceback
        ("a list", "manifest.json: not a cleanup manifest"),  # was AttributeError
        ("no tables", "manifest.json: not a cleanup manifest"),
        ("entry without file", "manifest.json: not a cleanup manifest"),  # was KeyError
        ("unknown table", "manifest.json: not a cleanup manifest"),
        ("file outside", "manifest.json: not a cleanup manifest"),  # was read from outside the archive
        ("partition of another table", "manifest.json: not a cleanup manifest"),  # never created by restore
        ("partition without bounds", "manifest.json: not a cleanup manifest"),
        ("garbage gzip", "payments.copy.gz is not a readable gzip file"),  # was zlib.error
        ("corrupt in the middle", "payments.copy.gz is not a readable gzip file"),
        ("bad rows", "invalid input syntax for type uuid"),
    ],
)
def test_a_damaged_archive_restores_nothing(
    seeded: dict[str, str], archive: Path, pg_database: str, how: str, expected: str
) -> None:
    assert cleanup(seeded, "--older-than", "1h").exit_code == 0  # delete everything again (no archive)
    before = _table_counts(pg_database)
    assert before["orders"] == 0
    _damage(archive, how)
    line = one_line_error(cleanup(seeded, "--restore", str(archive)), 8)
    assert expected in line, line
    assert "damaged" in line or "nothing was restored" in line, line
    assert _table_counts(pg_database) == before  # one transaction: nothing half-restored


def test_restore_of_a_missing_archive_or_a_file(unreachable: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    assert f"{missing} is not a cleanup archive (no manifest.json)" in one_line_error(
        cleanup(unreachable, "--restore", str(missing)), 2
    )
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    # Was NotADirectoryError, a traceback.
    assert f"{a_file} is not a cleanup archive" in one_line_error(cleanup(unreachable, "--restore", str(a_file)), 2)
