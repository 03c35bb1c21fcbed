"""Which sandbox credentials the mock accepts: the seeded merchant payment configs (seeds/fixtures.toml), the same
ones `devkit seed` writes into merchant_payment_configs for merchant 1, plus any registered at run time."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

# The repository's seeds/, next to devkit/ (also in the image: see compose/providers.Dockerfile).
DEFAULT_SEEDS_DIR = Path(__file__).resolve().parent.parent.parent / "seeds"


@dataclass(frozen=True)
class Merchant:
    provider: str  # card_processor | paypay | line_pay | rakuten_pay
    merchant_id: str  # provider_merchant_id of merchant_payment_configs
    credentials: dict[str, str] = field(default_factory=dict)

    def secret(self, name: str) -> str:
        return self.credentials.get(name, "")


class MerchantBook:
    """Merchants by the credential each provider's requests name: the PayPay API key, the LINE Pay channel id,
    the card processor's secret key, the Rakuten Pay service id."""

    LOOKUP_FIELD: ClassVar[dict[str, str]] = {
        "paypay": "api_key",
        "line_pay": "channel_id",
        "card_processor": "api_key",
        "rakuten_pay": "service_id",
    }

    def __init__(self, merchants: list[Merchant]) -> None:
        self._by_key: dict[tuple[str, str], Merchant] = {}
        for merchant in merchants:
            self.add(merchant)

    def add(self, merchant: Merchant) -> None:
        key = lookup_key(merchant)
        if key:
            self._by_key[(merchant.provider, key)] = merchant

    def find(self, provider: str, key: str) -> Merchant | None:
        return self._by_key.get((provider, key))

    def all(self) -> list[Merchant]:
        return list(self._by_key.values())


def lookup_key(merchant: Merchant) -> str:
    return merchant.credentials.get(MerchantBook.LOOKUP_FIELD.get(merchant.provider, ""), "")


def normalize(provider: str, merchant_id: str, credentials: dict[str, str]) -> Merchant:
    """A merchant_payment_configs row as the mock reads it. Merchant 1's fixtures carry each provider's own
    credential names; the generated merchants' configs carry one generic shape (merchant_id, api_key,
    api_secret: devkit/seed/generate.py), read here as each provider's (our mapping: the id names the channel or
    service, the secret signs)."""
    creds = {key: str(value) for key, value in credentials.items()}
    if provider == "line_pay":
        creds.setdefault("channel_id", merchant_id)
        creds.setdefault("channel_secret", creds.get("api_secret", ""))
    elif provider == "rakuten_pay":
        creds.setdefault("service_id", merchant_id)
        creds.setdefault("access_key", creds.get("api_key", ""))
        creds.setdefault("signature_key", creds.get("api_secret", ""))
    return Merchant(provider, merchant_id, creds)


def seeds_dir() -> Path:
    return Path(os.environ.get("PROVIDERS_SEEDS_DIR") or DEFAULT_SEEDS_DIR)


def load_seeded(directory: Path) -> list[Merchant]:
    """The fixture merchant's payment configs; a missing or broken file is the caller's one-line error."""
    with (directory / "fixtures.toml").open("rb") as handle:
        fixtures = tomllib.load(handle)
    merchants = []
    for provider, config in (fixtures.get("payment_configs") or {}).items():
        merchants.append(
            normalize(provider, str(config.get("provider_merchant_id", "")), config.get("credentials") or {})
        )
    return merchants


@dataclass(frozen=True)
class TestCard:
    number: str
    brand: str
    outcome: str  # succeeds | declined | insufficient_funds | expired_card | processing_error


# Stripe's documented test numbers for the declines the seeds' file does not list (docs.stripe.com/testing).
STRIPE_EXTRA_CARDS = (
    TestCard("4000000000009995", "visa", "insufficient_funds"),
    TestCard("4000000000000069", "visa", "expired_card"),
    TestCard("4000000000000119", "visa", "processing_error"),
)


def load_cards(directory: Path) -> dict[str, TestCard]:
    with (directory / "test_cards.toml").open("rb") as handle:
        cards = tomllib.load(handle).get("cards") or []
    table = {card.number: card for card in STRIPE_EXTRA_CARDS}
    for card in cards:
        table[str(card["number"])] = TestCard(str(card["number"]), str(card["brand"]), str(card["outcome"]))
    return table
