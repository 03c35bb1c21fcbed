"""`devkit seed` end to end: the command line, environments, production guard, key file, and a killed seed."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from devkit import failpoints
from devkit.cli.app import app
from devkit.seed.verify import verify
from tests.conftest import REPO_ROOT
from tests.seed.conftest import make_world

AS_OF = "2025-03-01"


@pytest.fixture
def env(pg_database: str, tmp_path: Path) -> dict[str, str]:
    return {
        "DEVKIT_DEV_DSN": pg_database,
        "DEVKIT_STAGING_DSN": pg_database,
        "DEVKIT_PRODUCTION_DSN": pg_database,
        "DEVKIT_STATE_DIR": str(tmp_path / "state"),
        "NO_COLOR": "1",
    }


def run(env: dict[str, str], *args: str):
    return CliRunner().invoke(app, list(args), env=env)


def tables_exist(dsn: str) -> bool:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT to_regclass('orders') IS NOT NULL").fetchone()[0]


def test_seed_dev_then_verify_then_no_op(env: dict[str, str], pg_database: str, tmp_path: Path) -> None:
    first = run(env, "seed", "dev", "--profile", "small", "--as-of", AS_OF)
    assert first.exit_code == 0, first.output
    assert "dev loaded" in first.stderr
    keys = tmp_path / "state" / "mpac" / "device-keys" / "dev.json"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    document = json.loads(keys.read_text())
    assert any(d["serial"] == "TEST123456" and "PRIVATE KEY" in d["private_key_pem"] for d in document["devices"])
    with psycopg.connect(pg_database) as conn:  # private keys never reach the database
        assert conn.execute("SELECT count(*) FROM devices WHERE public_key LIKE '%PRIVATE%'").fetchone()[0] == 0

    verified = run(env, "seed", "dev", "--verify")
    assert verified.exit_code == 0, verified.output
    assert "matches the manifest" in verified.stderr

    again = run(env, "seed", "dev", "--profile", "small", "--as-of", AS_OF)
    assert again.exit_code == 0 and "nothing changed" in again.stderr


def test_verify_fails_with_exit_code_when_the_environment_drifted(env: dict[str, str], pg_database: str) -> None:
    assert run(env, "seed", "dev", "--profile", "small", "--as-of", AS_OF).exit_code == 0
    with psycopg.connect(pg_database) as conn:
        conn.execute("DELETE FROM audit_logs WHERE action = 'staff.login'")
    result = run(env, "seed", "dev", "--verify")
    assert result.exit_code == 8
    assert "differs from the manifest in audit_logs" in result.stderr


def test_production_is_refused_and_untouched(env: dict[str, str], pg_database: str) -> None:
    for args in (("seed", "production", "--yes"), ("seed", "production", "--dry-run")):
        result = run(env, *args)
        assert result.exit_code == 7
        assert "marked production" in result.stderr
    assert not tables_exist(pg_database)


def test_staging_needs_confirmation_without_a_terminal(env: dict[str, str], pg_database: str) -> None:
    refused = run(env, "seed", "staging", "--profile", "small")
    assert refused.exit_code == 7 and "--yes" in refused.stderr
    assert not tables_exist(pg_database)
    accepted = run(env, "seed", "staging", "--profile", "small", "--as-of", AS_OF, "--yes")
    assert accepted.exit_code == 0, accepted.output


def test_a_scaled_seed_is_recorded_with_its_scale_and_verified_at_it(env: dict[str, str], pg_database: str) -> None:
    seeded = run(env, "seed", "staging", "--scale", "0.0002", "--days", "1", "--as-of", AS_OF, "--yes")
    assert seeded.exit_code == 0, seeded.output
    assert "profile staging x0.0002" in seeded.stderr
    with psycopg.connect(pg_database) as conn:
        assert conn.execute("SELECT profile, scale, days FROM devkit_seed_ledger").fetchone() == ("staging", 0.0002, 1)
        merchants = conn.execute("SELECT count(*) FROM merchants").fetchone()[0]
    assert merchants == round(4_496 * 0.0002)  # the Environments page's staging, scaled
    verified = run(env, "seed", "staging", "--verify")  # profile, scale, days and as-of from the ledger
    assert verified.exit_code == 0, verified.output
    assert "matches the manifest" in verified.stderr
    other = run(env, "seed", "staging", "--verify", "--scale", "0.0003")
    assert other.exit_code != 0 and "differs from the manifest" in other.stderr


def test_staging_password_is_masked(env: dict[str, str]) -> None:
    env = {**env, "DEVKIT_STAGING_DSN": "postgresql://app:s3cret-pw@127.0.0.1:1/staging"}
    result = run(env, "seed", "staging", "--profile", "small", "--yes")
    assert result.exit_code == 8
    assert "s3cret-pw" not in result.output and "app:***@127.0.0.1" in result.stderr


def test_dry_run_prints_counts_and_writes_nothing(env: dict[str, str], pg_database: str) -> None:
    result = run(env, "seed", "dev", "--profile", "small", "--as-of", AS_OF, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "orders" in result.stdout and str(make_world().order_count) in result.stdout
    assert not tables_exist(pg_database)


def test_bad_arguments_are_usage_errors(env: dict[str, str]) -> None:
    assert run(env, "seed", "dev", "--profile", "nope").exit_code == 2
    assert run(env, "seed", "dev", "--as-of", "yesterday").exit_code == 2
    assert run(env, "seed", "dev", "--days", "0").exit_code == 2


def _backends(dsn: str, database: str) -> list[tuple[int, str]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(
            "SELECT pid, query FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (database,)
        ).fetchall()


def _marked_processes(marker: str) -> list[int]:
    """Live processes whose environment carries `marker`: the seed and every worker it forked."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker.encode() in (proc / "environ").read_bytes() and "State:\tZ" not in (proc / "status").read_text():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _stopped(pid: int) -> bool:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] == "T"


def _kill_mid_copy(env: dict[str, str], dsn: str, *seed: str) -> None:
    """Start `devkit seed ...`, which stops itself (failpoint seed-mid-copy) once a block of every table is written,
    prove its transaction is open and uncommitted, then SIGKILL it. Stopped by itself at that point, it can neither
    finish before the test looks nor commit between the check and the kill: no race however fast the seed is."""
    database = dsn.rsplit("/", 1)[1]
    admin = dsn.rsplit("/", 1)[0] + "/postgres"
    code = "import sys; from devkit.cli import main; sys.argv[0] = 'devkit'; main()"
    marker = f"DEVKIT_TEST_KILL_MARK={uuid.uuid4().hex}"
    key, value = marker.split("=")
    process = subprocess.Popen(
        [sys.executable, "-c", code, "seed", *(seed or ("dev", "--profile", "dev")), "--as-of", AS_OF],
        cwd=REPO_ROOT,
        env={**os.environ, **env, key: value, failpoints.VARIABLE: "seed-mid-copy"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not _stopped(process.pid):
            assert process.poll() is None, "the seed ended before its failpoint"
            assert time.monotonic() < deadline, "the seed never reached its failpoint"
            time.sleep(0.02)
        with psycopg.connect(admin, autocommit=True) as conn:
            states = conn.execute(
                "SELECT state, backend_xid IS NOT NULL FROM pg_stat_activity WHERE datname = %s", (database,)
            ).fetchall()
        assert states == [("idle in transaction", True)], states  # rows written, not committed
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    deadline = time.monotonic() + 30
    while _backends(admin, database) or _marked_processes(marker):  # the server rolls back; workers die with it
        assert time.monotonic() < deadline, _marked_processes(marker)
        time.sleep(0.05)


def test_a_seed_killed_midway_leaves_nothing_behind(env: dict[str, str], pg_database: str) -> None:
    _kill_mid_copy(env, pg_database)
    assert not tables_exist(pg_database)  # even the schema creation rolled back

    # Killed while converging an existing seed: the earlier seed stays exactly as it was.
    assert run(env, "seed", "dev", "--profile", "small", "--as-of", AS_OF).exit_code == 0
    _kill_mid_copy(env, pg_database)
    assert all(check.ok for check in verify(pg_database, make_world()))
    with psycopg.connect(pg_database) as conn:
        assert conn.execute("SELECT count(*), min(profile) FROM devkit_seed_ledger").fetchone() == (1, "small")


def test_a_parallel_staging_seed_killed_midway_leaves_the_previous_seed_and_no_workers(
    env: dict[str, str], pg_database: str
) -> None:
    assert run(env, "seed", "dev", "--profile", "small", "--as-of", AS_OF).exit_code == 0
    before = verify(pg_database, make_world())
    _kill_mid_copy(env, pg_database, "staging", "--scale", "0.001", "--days", "3", "--workers", "2", "--yes")
    after = verify(pg_database, make_world())
    assert all(check.ok for check in after) and after == before
    with psycopg.connect(pg_database) as conn:
        assert conn.execute("SELECT count(*), min(profile) FROM devkit_seed_ledger").fetchone() == (1, "small")


def test_the_far_future_is_a_valid_window(env: dict[str, str]) -> None:
    # The last representable day: the window's timestamps (minutes past its end at most) still fit.
    seeded = run(env, "seed", "dev", "--profile", "small", "--as-of", "9999-12-31")
    assert seeded.exit_code == 0, seeded.output
    verified = run(env, "seed", "dev", "--verify")
    assert verified.exit_code == 0 and "matches the manifest" in verified.stderr, verified.output
