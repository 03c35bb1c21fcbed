"""The seed's command-line overrides are held to the profile files' own bounds, from one source."""

from __future__ import annotations

from datetime import date

import pytest

from devkit.errors import UsageError
from devkit.seed.params import EARLIEST_WINDOW_START, check_days, check_seed, check_window, parse_as_of
from devkit.seed.profiles import MAX_DAYS, SEED_LIMIT, Profile
from tests.cli.test_seed_bad_input import MAX_DAYS as CLI_TESTS_MAX_DAYS


def test_the_bounds_have_one_source() -> None:
    schema = Profile.model_json_schema()["properties"]
    assert schema["days"]["maximum"] == MAX_DAYS == CLI_TESTS_MAX_DAYS
    assert schema["seed"]["exclusiveMaximum"] == SEED_LIMIT
    assert check_days(1) == 1 and check_days(MAX_DAYS) == MAX_DAYS
    for bad in (0, -1, MAX_DAYS + 1, 10**30):
        with pytest.raises(UsageError, match=f"--days must be between 1 and {MAX_DAYS}"):
            check_days(bad)
    assert check_seed(0) == 0 and check_seed(SEED_LIMIT - 1) == SEED_LIMIT - 1
    for bad in (-1, SEED_LIMIT, 10**30):
        with pytest.raises(UsageError, match="--seed must be between 0 and 2"):
            check_seed(bad)


def test_as_of_parsing() -> None:
    assert parse_as_of("2025-03-01") == date(2025, 3, 1)
    assert parse_as_of(" 2025-03-01 ") == date(2025, 3, 1)
    for bad in ("", "yesterday", "2025-02-30", "10000-01-01", "2025-3-1"):
        with pytest.raises(UsageError, match="is not a date") as caught:
            parse_as_of(bad)
        assert "YYYY-MM-DD" in caught.value.hint


def test_window_bounds() -> None:
    assert date(1970, 1, 1) == EARLIEST_WINDOW_START
    check_window(date(1970, 1, 8), 7)  # starts exactly on the earliest day
    with pytest.raises(UsageError, match="--as-of 1970-01-07 with 7 days starts the window before 1970-01-01") as err:
        check_window(date(1970, 1, 7), 7)
    assert "pass --as-of 1970-01-08 or later" in err.value.hint
    with pytest.raises(UsageError):
        check_window(date(1, 1, 2), 5)  # would underflow date.min: OverflowError before the fix
    check_window(date.max, MAX_DAYS)  # the far future is allowed (test_cli seeds and verifies 9999-12-31)
