from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import BigInteger, Boolean, DateTime, Integer, SmallInteger
from sqlalchemy.dialects.postgresql import JSONB, UUID

from devkit.schema import TABLES
from devkit.seed.generate import JST, World
from devkit.seed.profiles import load_profile
from devkit.seed.reference import load_reference
from devkit.seed.transactions import TransactionGenerator, blocks_of

AS_OF = date(2025, 3, 1)  # a Saturday; fixed so expectations don't move with the calendar


def make_world(profile: str = "small", seed: int = 1, as_of: date = AS_OF, days: int | None = None) -> World:
    chosen = load_profile(profile)
    return World(chosen, seed, days or chosen.days, as_of, load_reference())


def staging_world(scale: float, days: int, as_of: date = AS_OF) -> World:
    """The staging profile at `--scale scale`: its ratios and volume arithmetic, small enough for a test."""
    return World(load_profile("staging").scaled(scale), 1, days, as_of, load_reference())


@pytest.fixture
def small_world() -> World:
    return make_world()


def parse_lines(table_name: str, lines: list[bytes]) -> list[dict]:
    """Canonical lines (COPY text) of devkit.seed.transactions back into typed rows, as the generators' dict rows
    look: ints, bools, UUIDs, JSON values and Asia/Tokyo datetimes; \\N is None."""
    table = next(t for t in TABLES if t.name == table_name)
    converters = []
    for column in table.columns:
        kind = column.type
        if isinstance(kind, UUID):
            converters.append(uuid.UUID)
        elif isinstance(kind, DateTime):
            converters.append(
                lambda v: datetime.strptime(v, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC).astimezone(JST)
            )
        elif isinstance(kind, Boolean):
            converters.append(lambda v: v == "t")
        elif isinstance(kind, SmallInteger | Integer | BigInteger):
            converters.append(int)
        elif isinstance(kind, JSONB):
            converters.append(json.loads)
        else:
            converters.append(str)
    names = [column.name for column in table.columns]
    rows = []
    for line in lines:
        values = line.decode().split("\t")
        assert len(values) == len(names), (table_name, line)
        rows.append(
            {
                name: None if value == "\\N" else convert(value)
                for name, value, convert in zip(names, values, converters, strict=True)
            }
        )
    return rows


def all_rows(world: World, merchants_per_batch: int = 50) -> dict[str, list[dict]]:
    """Every row of the world as typed dicts: reference and login rows as generated, transactions parsed."""
    rows: dict[str, list[dict]] = {}
    for batch in [*world.batches(merchants_per_batch), *world.login_batches(merchants_per_batch)]:
        for name, items in batch.items():
            rows.setdefault(name, []).extend(items)
    generator = TransactionGenerator(world)
    for task in blocks_of(world):
        for name, lines in generator.block(*task).lines.items():
            rows.setdefault(name, []).extend(parse_lines(name, lines))
    return rows
