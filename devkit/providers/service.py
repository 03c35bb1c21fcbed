"""What every provider's handlers share: the state store, the merchants, the test cards, the settings and the
webhook outbox."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from devkit.providers.faults import DEFAULT_TIMEOUT_SECONDS
from devkit.providers.merchants import Merchant, MerchantBook, TestCard
from devkit.providers.store import Store
from devkit.providers.webhooks import Outbox


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    redis_url: str
    seeds_dir: Path
    public_url: str  # what QR codes and payment URLs point at (the host's view of the published port)
    timeout_seconds: float  # how long the "timeout" fault holds an answer
    qr_ttl_seconds: int  # a dynamic QR code's life when the request names none
    webhook_url: str  # default receiver for merchants with no URL of their own ("" = none)
    webhook_backoff: float  # first retry delay; doubles each attempt
    webhook_attempts: int

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        from devkit.providers.merchants import seeds_dir

        env = dict(os.environ if env is None else env)
        port = int(env.get("PORT") or 8040)
        return cls(
            host=env.get("HOST") or "127.0.0.1",
            port=port,
            redis_url=env.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
            seeds_dir=seeds_dir(),
            public_url=(env.get("PROVIDERS_PUBLIC_URL") or f"http://127.0.0.1:{port}").rstrip("/"),
            timeout_seconds=float(env.get("PROVIDERS_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_SECONDS),
            # PayPay's dynamic QR codes expire after 5 minutes unless the merchant asks otherwise (our reading
            # of its API reference; codeValidPeriodSecs overrides it).
            qr_ttl_seconds=int(env.get("PROVIDERS_QR_TTL_SECONDS") or 300),
            webhook_url=env.get("PROVIDERS_WEBHOOK_URL") or "",
            webhook_backoff=float(env.get("PROVIDERS_WEBHOOK_BACKOFF") or 1.0),
            # Six attempts over ~1 minute at the default backoff: the providers retry for hours or days; a
            # developer's laptop needs the retries, not the hours (our assumption).
            webhook_attempts=int(env.get("PROVIDERS_WEBHOOK_ATTEMPTS") or 6),
        )


@dataclass
class Service:
    settings: Settings
    store: Store
    merchants: MerchantBook
    cards: dict[str, TestCard]
    outbox: Outbox

    async def find_merchant(self, provider: str, key: str) -> Merchant | None:
        """The seeded fixture merchants first, then those `devkit providers sync` registered (kept in memory once
        found: credentials don't change under a running service, a new sync adds merchants, never edits)."""
        found = self.merchants.find(provider, key)
        if found is None and key:
            found = await self.store.merchant(provider, key)
            if found is not None:
                self.merchants.add(found)
        return found
