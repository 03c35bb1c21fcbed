"""Which world a seed plans from its overrides, its profile and (for --verify) its ledger: reachable before only
through the CLI and a database, here directly."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from devkit.errors import DataError, UsageError
from devkit.seed.ledger import LedgerEntry, SeedParams
from devkit.seed.plan import SeedRequest, default_profile, describe, seeds_dir_of, world_to_seed, world_to_verify
from devkit.seed.profiles import DEFAULT_SEEDS_DIR, load_profile

AS_OF = date(2025, 3, 1)


def _entry(profile: str = "small", fingerprint: str | None = None, **params: object) -> LedgerEntry:
    values = {"seed": 7, "days": 3, "as_of": date(2025, 1, 10), "scale": 1.0} | params
    chosen = load_profile(profile).scaled(values["scale"])  # the ledger records the scaled profile's fingerprint
    seed_params = SeedParams(
        profile=profile,
        profile_fingerprint=fingerprint or chosen.fingerprint(),
        devkit_version="test",
        generator="test",
        **values,
    )
    return LedgerEntry(1, "staging", "seeded", seed_params, {}, {})


def test_options_are_checked_and_parsed() -> None:
    request = SeedRequest.checked("small", 3, 2, 0.5, "2025-03-01", 0)
    assert request == SeedRequest("small", 3, 2, 0.5, AS_OF, 0)
    assert SeedRequest.checked() == SeedRequest()
    with pytest.raises(UsageError, match="--days"):
        SeedRequest.checked(days=0)
    with pytest.raises(UsageError, match="--as-of"):
        SeedRequest.checked(as_of="01/03/2025")


def test_the_profile_named_like_the_environment_else_dev(tmp_path: Path) -> None:
    assert default_profile("staging") == "staging"
    assert default_profile("qa") == "dev"
    assert seeds_dir_of(tmp_path) == DEFAULT_SEEDS_DIR  # a project without profiles of its own
    (tmp_path / "seeds" / "profiles").mkdir(parents=True)
    assert seeds_dir_of(tmp_path) == tmp_path / "seeds"


def test_a_seed_takes_the_profiles_values_unless_overridden() -> None:
    small = load_profile("small")
    world = world_to_seed(SeedRequest(profile="small", as_of=AS_OF), "dev")
    assert (world.profile.name, world.seed, world.days, world.as_of) == ("small", small.seed, small.days, AS_OF)
    world = world_to_seed(SeedRequest(profile="staging", seed=5, days=2, scale=0.001, as_of=AS_OF), "dev")
    assert (world.profile.name, world.profile.scale, world.seed, world.days) == ("staging", 0.001, 5, 2)


def test_verify_follows_the_ledger_unless_overridden() -> None:
    world, notice = world_to_verify(SeedRequest(), "staging", _entry(scale=0.5))
    assert (world.profile.name, world.seed, world.days, world.as_of) == ("small", 7, 3, date(2025, 1, 10))
    assert world.profile.scale == 0.5 and notice is None
    world, _ = world_to_verify(SeedRequest(seed=9, days=2, as_of=AS_OF, scale=1.0), "staging", _entry(scale=0.5))
    assert (world.seed, world.days, world.as_of, world.profile.scale) == (9, 2, AS_OF, 1.0)


def test_verify_says_when_the_profile_file_changed_since_the_seed() -> None:
    _, notice = world_to_verify(SeedRequest(), "staging", _entry(fingerprint="0" * 16))
    assert notice == "profile 'small' changed since staging was seeded; verifying against the file"
    _, notice = world_to_verify(SeedRequest(profile="small"), "staging", _entry(fingerprint="0" * 16))
    assert notice is None  # an explicit --profile is what the user asked for


def test_verify_without_a_ledger_needs_profile_and_date() -> None:
    with pytest.raises(DataError, match="staging has no seed ledger"):
        world_to_verify(SeedRequest(profile="small"), "staging", None)
    world, _ = world_to_verify(SeedRequest(profile="small", as_of=AS_OF), "staging", None)
    small = load_profile("small")
    assert (world.seed, world.days, world.as_of) == (small.seed, small.days, AS_OF)


def test_the_description_masks_the_password_and_shows_the_scale() -> None:
    world = world_to_seed(SeedRequest(profile="staging", days=2, scale=0.001, as_of=AS_OF), "dev")
    line = describe(world, "staging", "postgresql://app:secret@127.0.0.1:5432/pos")
    assert "secret" not in line
    assert line.startswith("staging -> postgresql://app:")
    assert "profile staging x0.001, seed" in line and "2 days 2025-02-27..2025-03-01 (exclusive)" in line
    assert describe(world, "staging", None).startswith("staging: profile staging x0.001")
