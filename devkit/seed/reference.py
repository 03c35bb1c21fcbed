"""The seed's fixed data from `seeds/`: canonical fixtures, test cards, providers and the catalog, validated.

Kept apart from profiles: profiles say how much, these files say what the canonical world contains.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from devkit.errors import ConfigError
from devkit.schema import PAYMENT_METHODS
from devkit.seed.profiles import DEFAULT_SEEDS_DIR


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Card(_Strict):
    brand: Literal["visa", "mastercard", "amex", "jcb", "diners"]
    number: str = Field(pattern=r"^\d{14,16}$")
    outcome: Literal["succeeds", "declined"]
    failure_code: str | None = None
    weight: float = Field(ge=0)

    @property
    def last4(self) -> str:
        return self.number[-4:]


class Provider(_Strict):
    code: str
    name: str
    kind: Literal["card", "qr"]
    method: str
    api_base_url: str
    webhook_event: str
    decline_event: str
    decline_codes: list[str] = Field(default_factory=list)


class CatalogItem(_Strict):
    sku: str
    name: str
    price: int = Field(gt=0)
    tax_rate: Literal[8, 10]


class Bank(_Strict):
    name: str
    branches: list[str] = Field(min_length=1)


class Catalog(_Strict):
    items: list[CatalogItem] = Field(min_length=1)
    store_suffixes: list[str] = Field(min_length=1)
    business_kinds: list[str] = Field(min_length=1)
    device_models: list[str] = Field(min_length=1)
    banks: list[Bank] = Field(min_length=1)
    order_notes: list[str] = Field(min_length=1)
    merchant_notes: list[str] = Field(min_length=1)
    user_agents: list[str] = Field(min_length=1)


class StoreFixture(_Strict):
    name: str
    name_kana: str
    phone: str
    postal_code: str
    prefecture: str
    city: str
    address_line: str
    stores: int = Field(ge=1)
    devices: int = Field(ge=1)


class PaymentConfigFixture(_Strict):
    provider_merchant_id: str
    credentials: dict[str, str]


class Fixtures(_Strict):
    merchant: dict[str, str]
    store: StoreFixture
    device: dict[str, str]
    staff: dict[str, str]
    payment_configs: dict[str, PaymentConfigFixture]


class _Cards(_Strict):
    cards: list[Card]

    @model_validator(mode="after")
    def _usable(self) -> _Cards:
        if not any(c.outcome == "succeeds" and c.weight > 0 for c in self.cards):
            raise ValueError("at least one succeeding card needs a positive weight")
        if not any(c.outcome == "declined" for c in self.cards):
            raise ValueError("a declining test card is needed for the decline rate")
        return self


class _Providers(_Strict):
    providers: list[Provider]

    @model_validator(mode="after")
    def _one_per_method(self) -> _Providers:
        methods = [p.method for p in self.providers]
        if sorted(methods) != sorted(PAYMENT_METHODS):
            raise ValueError(f"need exactly one provider per method {PAYMENT_METHODS}, got {methods}")
        return self


@dataclass(frozen=True)
class Reference:
    fixtures: Fixtures
    cards: tuple[Card, ...]
    providers: tuple[Provider, ...]
    catalog: Catalog

    def provider_for(self, method: str) -> Provider:
        return next(p for p in self.providers if p.method == method)


def _read(path: Path, model: type[BaseModel]) -> Any:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"seed data file {path} is missing", "restore it from the repository") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}", "fix the syntax") from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {problems}", "fix the seed data file") from None


@cache
def load_reference(seeds_dir: Path = DEFAULT_SEEDS_DIR) -> Reference:
    fixtures: Fixtures = _read(seeds_dir / "fixtures.toml", Fixtures)
    cards: _Cards = _read(seeds_dir / "test_cards.toml", _Cards)
    providers: _Providers = _read(seeds_dir / "providers.toml", _Providers)
    catalog: Catalog = _read(seeds_dir / "catalog.toml", Catalog)
    unknown = set(fixtures.payment_configs) - {p.code for p in providers.providers}
    if unknown:
        raise ConfigError(f"{seeds_dir / 'fixtures.toml'}: payment_configs for unknown provider(s) {sorted(unknown)}")
    return Reference(fixtures, tuple(cards.cards), tuple(providers.providers), catalog)
