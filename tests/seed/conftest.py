from __future__ import annotations

from datetime import date

import pytest

from devkit.seed.generate import World
from devkit.seed.profiles import load_profile
from devkit.seed.reference import load_reference

AS_OF = date(2025, 3, 1)  # a Saturday; fixed so expectations don't move with the calendar


def make_world(profile: str = "small", seed: int = 1, as_of: date = AS_OF, days: int | None = None) -> World:
    chosen = load_profile(profile)
    return World(chosen, seed, days or chosen.days, as_of, load_reference())


@pytest.fixture
def small_world() -> World:
    return make_world()
