"""Which world a seed run plans: the command line's overrides merged with the profile (and, for `--verify`, with
the environment's seed ledger). Pure but for reading the profile and reference files: no database is touched here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from devkit.environments import mask_dsn
from devkit.errors import DataError
from devkit.seed.generate import World, today_in_tokyo
from devkit.seed.ledger import LedgerEntry
from devkit.seed.params import check_days, check_seed, check_window, check_workers, parse_as_of
from devkit.seed.profiles import DEFAULT_SEEDS_DIR, check_scale, load_profile, profile_names
from devkit.seed.reference import load_reference


@dataclass(frozen=True)
class SeedRequest:
    """The seed command's overrides, each checked; None: not given (the profile's or the ledger's value)."""

    profile: str | None = None
    seed: int | None = None
    days: int | None = None
    scale: float | None = None
    as_of: date | None = None
    workers: int | None = None

    @classmethod
    def checked(
        cls,
        profile: str | None = None,
        seed: int | None = None,
        days: int | None = None,
        scale: float | None = None,
        as_of: str | None = None,
        workers: int | None = None,
    ) -> SeedRequest:
        """Every option checked before a profile is planned or a database touched (a UsageError names the first
        bad one)."""
        days = check_days(days) if days is not None else None
        seed = check_seed(seed) if seed is not None else None
        scale = check_scale(scale) if scale is not None else None
        workers = check_workers(workers) if workers is not None else None
        window_end = parse_as_of(as_of) if as_of is not None else None
        if window_end is not None and days is not None:
            check_window(window_end, days)
        return cls(profile, seed, days, scale, window_end, workers)


def seeds_dir_of(root: Path) -> Path:
    """The project's own `seeds/` when it has profiles, else the ones devkit ships."""
    return root / "seeds" if (root / "seeds" / "profiles").is_dir() else DEFAULT_SEEDS_DIR


def default_profile(env: str, seeds_dir: Path = DEFAULT_SEEDS_DIR) -> str:
    """The profile named like the environment, else dev."""
    return env if env in profile_names(seeds_dir) else "dev"


def world_to_seed(request: SeedRequest, env: str, seeds_dir: Path = DEFAULT_SEEDS_DIR) -> World:
    """The world a seed (or its dry run) writes: the profile's values unless overridden, scale 1, today's window."""
    chosen = load_profile(request.profile or default_profile(env, seeds_dir), seeds_dir).scaled(request.scale or 1.0)
    window_end = request.as_of or today_in_tokyo()
    check_window(window_end, request.days or chosen.days)
    return World(
        chosen,
        chosen.seed if request.seed is None else request.seed,
        request.days or chosen.days,
        window_end,
        load_reference(seeds_dir),
    )


def world_to_verify(
    request: SeedRequest, env: str, entry: LedgerEntry | None, seeds_dir: Path = DEFAULT_SEEDS_DIR
) -> tuple[World, str | None]:
    """The world `--verify` compares with: the ledger's last seed unless overridden; and a notice when the ledger's
    profile file changed since (the file wins)."""
    if entry is None and (request.profile is None or request.as_of is None):
        raise DataError(
            f"{env} has no seed ledger to verify against",
            "seed it first, or pass --profile and --as-of to verify against explicit params",
        )
    chosen = load_profile(request.profile or entry.params.profile, seeds_dir)
    chosen = chosen.scaled(request.scale if request.scale is not None else (entry.params.scale if entry else 1.0))
    notice = None
    if entry and request.profile is None and chosen.fingerprint() != entry.params.profile_fingerprint:
        notice = f"profile {chosen.name!r} changed since {env} was seeded; verifying against the file"
    window_days = request.days or (entry.params.days if entry else chosen.days)
    window_end = request.as_of or entry.params.as_of
    check_window(window_end, window_days)
    seed = request.seed if request.seed is not None else (entry.params.seed if entry else chosen.seed)
    return World(chosen, seed, window_days, window_end, load_reference(seeds_dir)), notice


def describe(world: World, env: str, dsn: str | None) -> str:
    """One line: where, which profile (and scale), seed, window and order count."""
    target = f" -> {mask_dsn(dsn)}" if dsn else ""
    scaled = f" x{world.profile.scale:g}" if world.profile.scale != 1 else ""
    first = world.window_days()[0]
    return (
        f"{env}{target}: profile {world.profile.name}{scaled}, seed {world.seed}, "
        f"{world.days} days {first:%Y-%m-%d}..{world.as_of:%Y-%m-%d} (exclusive), {world.order_count} orders"
    )
