"""Seed profiles: `seeds/profiles/<name>.toml` -> a validated `Profile`.

A profile is the data's only description of shape (how many merchants, how skewed, how many orders a day and
when); the generators read nothing else. `--profile` takes a name from the profiles folder or a path to a file.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from devkit.errors import ConfigError, UsageError
from devkit.schema import PAYMENT_METHODS

DEFAULT_SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"

# Bounds of a profile's params, shared with the command-line overrides (`devkit.seed.params`) so `--days` and
# `--seed` are held to exactly what a profile file may say. MAX_DAYS is about ten years of transactions: our
# assumption of the longest history a dev or staging database is seeded with (staging's profile uses 30 days).
MAX_DAYS = 3660
SEED_LIMIT = 2**63  # seeds are stored in the ledger's BIGINT column


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CountRange(_Strict):
    """A count per parent, drawn as min + (max - min + 1) * u**skew: skew > 1 makes most parents small."""

    min: int = Field(ge=0)
    max: int = Field(ge=0)
    skew: float = Field(default=1.0, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        return self

    def draw(self, u: float) -> int:
        """The count for a uniform draw u in [0, 1)."""
        return min(self.max, self.min + int((self.max - self.min + 1) * u**self.skew))


class Curve(_Strict):
    hours: list[float] = Field(min_length=24, max_length=24)
    weekdays: list[float] = Field(min_length=7, max_length=7)

    @field_validator("hours", "weekdays")
    @classmethod
    def _weights(cls, value: list[float]) -> list[float]:
        if any(weight < 0 or not math.isfinite(weight) for weight in value) or sum(value) <= 0:
            raise ValueError("weights must be finite, non-negative and not all zero")
        return value


class Profile(_Strict):
    name: str
    description: str = ""
    seed: int = Field(default=1, ge=0, lt=SEED_LIMIT)
    days: int = Field(ge=1, le=MAX_DAYS)
    merchants: int = Field(ge=1)
    orders_per_day: int = Field(ge=0)
    decline_rate: float = Field(ge=0, le=1)
    retry_rate: float = Field(ge=0, le=1)
    open_rate: float = Field(ge=0, le=1)
    customer_rate: float = Field(ge=0, le=1)
    note_rate: float = Field(ge=0, le=1)
    staff_logins_per_day: float = Field(ge=0)
    stores_per_merchant: CountRange
    devices_per_store: CountRange
    staff_per_store: CountRange
    items_per_order: CountRange
    payment_mix: dict[str, float]
    curve: Curve

    @field_validator("stores_per_merchant", "devices_per_store", "items_per_order")
    @classmethod
    def _at_least_one(cls, value: CountRange) -> CountRange:
        if value.min < 1:
            raise ValueError("min must be at least 1 (every merchant needs a store, every store a device)")
        return value

    @field_validator("payment_mix")
    @classmethod
    def _mix(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = set(value) - set(PAYMENT_METHODS)
        if unknown:
            raise ValueError(f"unknown method(s) {sorted(unknown)}; known: {', '.join(PAYMENT_METHODS)}")
        if value.get("credit_card", 0) <= 0:
            # Every merchant accepts cards: it is the fallback when a merchant has no QR provider configured.
            raise ValueError("credit_card needs a positive weight")
        if any(weight < 0 for weight in value.values()):
            raise ValueError("weights must be non-negative")
        return value

    def scaled(self, factor: float) -> Profile:
        """The same shape with factor times the merchants and orders (benchmarks grow a profile this way)."""
        return self.model_copy(
            update={
                "name": f"{self.name}x{factor:g}",
                "merchants": max(1, round(self.merchants * factor)),
                "orders_per_day": round(self.orders_per_day * factor),
            }
        )

    def fingerprint(self) -> str:
        """A hash of everything that shapes the rows, so an edited profile file is a different seed."""
        canonical = json.dumps(self.model_dump(exclude={"description"}), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def profile_names(seeds_dir: Path = DEFAULT_SEEDS_DIR) -> list[str]:
    return sorted(path.stem for path in (seeds_dir / "profiles").glob("*.toml"))


def load_profile(name_or_path: str, seeds_dir: Path = DEFAULT_SEEDS_DIR) -> Profile:
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = seeds_dir / "profiles" / f"{name_or_path}.toml"
        if not path.is_file():
            known = ", ".join(profile_names(seeds_dir)) or "none"
            raise UsageError(f"unknown seed profile {name_or_path!r}", f"use one of: {known}, or a path to a .toml")
    elif path.exists() and not path.is_file():
        raise UsageError(f"profile {path} is not a file", "pass a profile name or a .toml file")
    elif not path.is_file():
        raise UsageError(f"profile file {path} does not exist", "pass a profile name or an existing .toml file")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})", "save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"cannot read profile {path}: {exc.strerror}", "check the file's permissions") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}", "fix the syntax") from None
    raw.setdefault("name", path.stem)
    try:
        return Profile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {problems}", "fix the profile") from None
