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
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from devkit.errors import ConfigError, UsageError
from devkit.schema import PAYMENT_METHODS

DEFAULT_SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"

# Bounds of a profile's params, shared with the command-line overrides (`devkit.seed.params`) so `--days` and
# `--seed` are held to exactly what a profile file may say. MAX_DAYS is about ten years of transactions: our
# assumption of the longest history a dev or staging database is seeded with (staging's profile uses 30 days).
MAX_DAYS = 3660
SEED_LIMIT = 2**63  # seeds are stored in the ledger's BIGINT column
# --scale bounds. Our assumption: a millionth of production (80 orders a day) is the smallest useful world, and 10x a
# profile is as far as a benchmark of memory growth needs to go.
MIN_SCALE, MAX_SCALE = 1e-6, 10.0


def check_scale(factor: float) -> float:
    if not (math.isfinite(factor) and MIN_SCALE <= factor <= MAX_SCALE):
        raise UsageError(
            f"--scale must be between {MIN_SCALE:g} and {MAX_SCALE:g}, got {factor:g}",
            "pass a fraction of the profile's volume, e.g. --scale 0.001 for a laptop",
        )
    return factor


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

    def mean(self) -> float:
        """The expected count: min + sum over k of P(count >= min + k), P = 1 - (k / width) ** (1 / skew)."""
        width = self.max - self.min + 1
        return self.min + sum(1 - (k / width) ** (1 / self.skew) for k in range(1, self.max - self.min + 1))


class Curve(_Strict):
    hours: list[float] = Field(min_length=24, max_length=24)
    weekdays: list[float] = Field(min_length=7, max_length=7)

    @field_validator("hours", "weekdays")
    @classmethod
    def _weights(cls, value: list[float]) -> list[float]:
        if any(weight < 0 or not math.isfinite(weight) for weight in value) or sum(value) <= 0:
            raise ValueError("weights must be finite, non-negative and not all zero")
        return value


class Sizing(_Strict):
    """Where a profile's volume comes from: production's figures as the platform's Environments page states them,
    and the share of production this environment is. The profile's merchants and orders a day are derived from
    these (`derive_volume`), never written by hand."""

    production_devices: int = Field(gt=0)
    production_transactions_per_day: int = Field(gt=0)
    production_peak_rps: int = Field(gt=0)
    share: float = Field(gt=0, le=1)

    @property
    def devices(self) -> int:
        return round(self.production_devices * self.share)

    @property
    def transactions_per_day(self) -> int:
        return round(self.production_transactions_per_day * self.share)

    @property
    def peak_rps(self) -> int:
        return round(self.production_peak_rps * self.share)


def derive_volume(sizing: Sizing, stores_per_merchant: CountRange, devices_per_store: CountRange) -> tuple[int, int]:
    """(merchants, orders a day) for a sizing: one transaction is one order with its bill, intent and payments (our
    assumption), and merchants = devices / (expected stores per merchant x expected devices per store)."""
    devices_per_merchant = stores_per_merchant.mean() * devices_per_store.mean()
    return max(1, round(sizing.devices / devices_per_merchant)), sizing.transactions_per_day


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
    sizing: Sizing | None = None
    scale: float = Field(default=1.0, gt=0)  # --scale: merchants and orders a day are multiplied by it

    @model_validator(mode="before")
    @classmethod
    def _derived_volume(cls, raw: Any) -> Any:
        if not isinstance(raw, dict) or "sizing" not in raw:
            return raw
        written = sorted({"merchants", "orders_per_day"} & set(raw))
        if written and raw.get("scale", 1.0) == 1.0:
            raise ValueError(f"{' and '.join(written)} are derived from [sizing]: remove them from the profile")
        if written:  # a scaled copy being re-validated: its volumes are the scaled ones
            return raw
        try:
            sizing = Sizing.model_validate(raw["sizing"])
            stores = CountRange.model_validate(raw["stores_per_merchant"])
            devices = CountRange.model_validate(raw["devices_per_store"])
        except (KeyError, ValidationError):
            return raw  # the field validators name what is wrong
        merchants, orders_per_day = derive_volume(sizing, stores, devices)
        return {**raw, "merchants": merchants, "orders_per_day": orders_per_day}

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
        """The same shape with factor times the merchants and orders (`--scale`; benchmarks grow a profile this
        way). The name stays: the ledger records the profile and its scale apart."""
        check_scale(factor)
        if factor == 1:
            return self
        return self.model_copy(
            update={
                "scale": self.scale * factor,
                "merchants": max(1, round(self.merchants * factor)),
                "orders_per_day": round(self.orders_per_day * factor),
            }
        )

    def fingerprint(self) -> str:
        """A hash of everything that shapes the rows, so an edited profile file is a different seed."""
        shape = self.model_dump(exclude={"description"})
        for optional, default in (("sizing", None), ("scale", 1.0)):  # absent = as before these fields existed
            if shape[optional] == default:
                del shape[optional]
        canonical = json.dumps(shape, sort_keys=True)
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
