"""`devkit seed` with bad options: one line naming the value and the allowed range, exit 2, no traceback, and
the database never touched (the DSN points at a closed port: reaching it would be exit 8, not 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from devkit.cli.app import app
from testbed.servers import free_port

MAX_DAYS = 3660  # the profiles' bound (devkit.seed.profiles.MAX_DAYS; test_params checks they agree)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    unreachable = f"postgresql://dev:dev@127.0.0.1:{free_port()}/nowhere"
    return {
        "DEVKIT_DEV_DSN": unreachable,
        "DEVKIT_STAGING_DSN": unreachable,
        "DEVKIT_STATE_DIR": str(tmp_path / "state"),
        "NO_COLOR": "1",
    }


def one_line_error(result: Result, exit_code: int = 2) -> str:
    """The single `error: ...` line of a failed command (and proof there was no traceback)."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == exit_code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(app, ["seed", "dev", "--profile", "small", *args], env=env)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # An --as-of so early that the window would start before year 1: was an OverflowError traceback.
        (("--as-of", "0001-01-02"), "--as-of 0001-01-02 with 5 days starts the window before 1970-01-01"),
        (("--as-of", "0001-01-02", "--dry-run"), "--as-of 0001-01-02 with 5 days starts the window before 1970-01-01"),
        (("--as-of", "1970-01-03", "--days", "3"), "--as-of 1970-01-03 with 3 days starts the window before"),
        (("--as-of", "2025-02-30"), "--as-of '2025-02-30' is not a date"),
        (("--as-of", "10000-01-01"), "--as-of '10000-01-01' is not a date"),
        (("--as-of", ""), "--as-of '' is not a date"),
        # No upper bound on the command line: 100000 days planned 4M orders back to 1753 and ran on.
        (("--days", "100000"), f"--days must be between 1 and {MAX_DAYS}, got 100000"),
        (("--days", str(MAX_DAYS + 1)), f"--days must be between 1 and {MAX_DAYS}, got {MAX_DAYS + 1}"),
        (("--days", "99999999999999999999"), f"--days must be between 1 and {MAX_DAYS}"),  # was an OverflowError
        (("--days", "0"), f"--days must be between 1 and {MAX_DAYS}, got 0"),
        (("--days", "-5"), f"--days must be between 1 and {MAX_DAYS}, got -5"),
        (("--seed", "-1"), "--seed must be between 0 and 2^63-1, got -1"),
        (("--seed", str(2**63)), f"--seed must be between 0 and 2^63-1, got {2**63}"),
        (("--seed", "99999999999999999999999"), "--seed must be between 0 and 2^63-1"),
        (("--verify", "--as-of", "0001-01-02", "--days", "5"), "--as-of 0001-01-02 with 5 days starts the window"),
        (("--verify", "--days", "100000"), f"--days must be between 1 and {MAX_DAYS}, got 100000"),
        (("--scale", "0"), "--scale must be between 1e-06 and 10, got 0"),
        (("--scale", "-0.5"), "--scale must be between 1e-06 and 10, got -0.5"),
        (("--scale", "11"), "--scale must be between 1e-06 and 10, got 11"),
        (("--scale", "nan"), "--scale must be between 1e-06 and 10, got nan"),
        (("--verify", "--scale", "0"), "--scale must be between 1e-06 and 10, got 0"),
        (("--workers", "-1"), "--workers must be between 0 and 64, got -1"),
        (("--workers", "65"), "--workers must be between 0 and 64, got 65"),
    ],
)
def test_bad_values_are_one_line_usage_errors_before_the_database(
    env: dict[str, str], args: tuple[str, ...], expected: str
) -> None:
    line = one_line_error(run(env, *args))
    assert expected in line


def test_messages_name_the_fix(env: dict[str, str]) -> None:
    assert "pass --as-of 1970-01-06 or later, or fewer --days" in one_line_error(run(env, "--as-of", "0001-01-02"))
    days_line = one_line_error(run(env, "--days", "100000"))
    assert "pass e.g. --days 7; 3660 (about ten years) is the seed profiles' limit too" in days_line
    assert "YYYY-MM-DD between" in one_line_error(run(env, "--as-of", "10000-01-01"))


def test_bad_profiles_are_one_line_errors(env: dict[str, str], tmp_path: Path) -> None:
    assert "unknown seed profile 'nope'" in one_line_error(run(env, "--profile", "nope"))
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    assert "is not a file" in one_line_error(run(env, "--profile", str(folder)))
    undecodable = tmp_path / "latin1.toml"
    undecodable.write_bytes(b'name = "caf\xe9"\n')  # was a UnicodeDecodeError traceback
    line = one_line_error(run(env, "--profile", str(undecodable)), exit_code=3)
    assert "latin1.toml: not UTF-8" in line and "save it as UTF-8" in line
