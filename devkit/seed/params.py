"""The seed's command-line overrides (`--days`, `--seed`, `--as-of`) checked before anything is planned or any
database touched: each bad value is one UsageError naming it and the allowed range.

`--days` and `--seed` override a profile's values, so they obey the profile files' own bounds (`MAX_DAYS`,
`SEED_LIMIT` in `devkit.seed.profiles`, the one source of both).
"""

from __future__ import annotations

from datetime import date, timedelta

from devkit.errors import UsageError
from devkit.seed.profiles import MAX_DAYS, SEED_LIMIT

# The earliest day a seeded window may start on. Our assumption: the platform's services count time from the Unix
# epoch, so earlier transactions are never realistic test data. It also keeps every derived timestamp (the window
# start minus a day for Asia/Tokyo -> UTC) far from `date.min`, where an early --as-of used to overflow.
EARLIEST_WINDOW_START = date(1970, 1, 1)


def _within(option: str, value: int, low: int, high: int, hint: str) -> int:
    if not low <= value <= high:
        raise UsageError(f"{option} must be between {low} and {high}, got {value}", hint)
    return value


def check_days(days: int) -> int:
    hint = f"pass e.g. --days 7; {MAX_DAYS} (about ten years) is the seed profiles' limit too"
    return _within("--days", days, 1, MAX_DAYS, hint)


def check_seed(seed: int) -> int:
    if not 0 <= seed < SEED_LIMIT:
        raise UsageError(
            f"--seed must be between 0 and 2^63-1, got {seed}", "pass a non-negative integer below 2^63, e.g. --seed 1"
        )
    return seed


# Our assumption: more generating processes than this only queue behind the one COPY stream they feed.
MAX_WORKERS = 64


def check_workers(workers: int) -> int:
    hint = "pass e.g. --workers 4 (0: generate in the seed's own process), or omit it"
    return _within("--workers", workers, 0, MAX_WORKERS, hint)


def parse_as_of(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        first = EARLIEST_WINDOW_START + timedelta(days=1)
        raise UsageError(
            f"--as-of {text!r} is not a date",
            f"use YYYY-MM-DD between {first} and {date.max}, e.g. --as-of 2025-03-01",
        ) from None


def check_window(as_of: date, days: int) -> None:
    """The window (the `days` whole days before `as_of`) must start on or after EARLIEST_WINDOW_START. The far
    future is allowed: generated timestamps end minutes after the window, so as_of = 9999-12-31 still fits."""
    earliest_as_of = EARLIEST_WINDOW_START + timedelta(days=days)
    if as_of < earliest_as_of:  # compared this way round: as_of - days could underflow date.min
        raise UsageError(
            f"--as-of {as_of} with {days} days starts the window before {EARLIEST_WINDOW_START}",
            f"pass --as-of {earliest_as_of} or later, or fewer --days",
        )
