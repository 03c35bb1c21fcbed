"""The mock's state in the stack's Redis: payments, refunds, idempotency records, webhook settings and
deliveries, as JSON under `providers:*` keys, so a restarted service carries on where it stopped."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from devkit.providers.merchants import Merchant, lookup_key
from devkit.providers.resp import Redis

PREFIX = "providers"
RECENT_LIMIT = 500  # objects the web page and `devkit providers events` can list; our assumption
IDEMPOTENCY_TTL = 24 * 3600  # Stripe keeps idempotency keys 24 hours (docs.stripe.com/api/idempotent_requests)
_LOCKS = 256


def key(*parts: str) -> str:
    return ":".join((PREFIX, *parts))


class Store:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        # Transitions (pay, confirm, refund) read-modify-write one object; this process is the only writer, so a
        # lock per object (striped) makes them atomic without Redis transactions.
        self._locks = [asyncio.Lock() for _ in range(_LOCKS)]
        # Webhook settings change only through this process (set_webhook): read once, then from memory, so an
        # event costs no extra round trip to Redis.
        self._webhooks: dict[str, dict[str, str] | None] = {}

    def lock(self, kind: str, ident: str) -> asyncio.Lock:
        return self._locks[zlib.crc32(f"{kind}:{ident}".encode()) % _LOCKS]

    @contextlib.asynccontextmanager
    async def locked(self, kind: str, ident: str) -> AsyncIterator[dict[str, Any] | None]:
        """The object (None if unknown) under its lock, for a read-modify-write; the caller puts it back."""
        async with self.lock(kind, ident):
            yield await self.get(kind, ident)

    async def get(self, kind: str, ident: str) -> dict[str, Any] | None:
        raw = await self.redis.execute("GET", key(kind, ident))
        return json.loads(raw) if raw else None

    async def put(self, kind: str, ident: str, value: dict[str, Any]) -> None:
        await self.redis.execute("SET", key(kind, ident), _dump(value))

    async def create(self, kind: str, ident: str, value: dict[str, Any]) -> bool:
        """False when the object exists already (the providers' own unique ids: merchantPaymentId, ...)."""
        created = await self.redis.execute("SET", key(kind, ident), _dump(value), "NX")
        if created:
            await self.redis.pipeline(
                ("LPUSH", key("recent"), f"{kind}:{ident}"), ("LTRIM", key("recent"), 0, RECENT_LIMIT - 1)
            )
        return bool(created)

    async def set_alias(self, kind: str, alias: str, ident: str) -> None:
        await self.redis.execute("SET", key("alias", kind, alias), ident)

    async def resolve(self, kind: str, alias: str) -> str | None:
        raw = await self.redis.execute("GET", key("alias", kind, alias))
        return raw.decode() if raw else None

    async def update_if(
        self, alias_kind: str, kind: str, alias: str, pending: str, change: Callable[[dict[str, Any]], None]
    ) -> dict[str, Any] | None:
        """The object `alias` names, `change`d (and saved) when its status is still `pending`; None if unknown.
        How each provider's customer step (pay, approve, authorize) acts on a payment."""
        ident = await self.resolve(alias_kind, alias)
        if ident is None:
            return None
        async with self.lock(kind, ident):
            value = await self.get(kind, ident)
            if value is not None and value["status"] == pending:
                change(value)
                await self.put(kind, ident, value)
        return value

    async def recent(self, limit: int = 100) -> list[tuple[str, dict[str, Any]]]:
        names = [name.decode() for name in await self.redis.execute("LRANGE", key("recent"), 0, limit - 1) or []]
        if not names:
            return []
        values = await self.redis.execute("MGET", *(key(name) for name in names))
        return [(name.partition(":")[0], json.loads(raw)) for name, raw in zip(names, values, strict=True) if raw]

    # --- merchants registered by `devkit providers sync` ----------------------------------------------------

    async def register_merchants(self, merchants: list[Merchant]) -> None:
        fields: list[str] = []
        for merchant in merchants:
            payload = {
                "provider": merchant.provider,
                "merchant_id": merchant.merchant_id,
                "credentials": merchant.credentials,
            }
            fields += [f"{merchant.provider}:{lookup_key(merchant)}", _dump(payload)]
        if fields:
            await self.redis.execute("HSET", key("merchants"), *fields)

    async def merchant(self, provider: str, lookup: str) -> Merchant | None:
        raw = await self.redis.execute("HGET", key("merchants"), f"{provider}:{lookup}")
        if not raw:
            return None
        found = json.loads(raw)
        return Merchant(found["provider"], found["merchant_id"], found["credentials"])

    # --- idempotency -----------------------------------------------------------------------------------------

    async def remembered(self, scope: str, idempotency_key: str) -> dict[str, Any] | None:
        raw = await self.redis.execute("GET", key("idem", scope, idempotency_key))
        return json.loads(raw) if raw else None

    async def remember(self, scope: str, idempotency_key: str, record: dict[str, Any]) -> None:
        await self.redis.execute("SET", key("idem", scope, idempotency_key), _dump(record), "EX", IDEMPOTENCY_TTL)

    # --- webhooks --------------------------------------------------------------------------------------------

    async def set_webhook(self, provider: str, merchant_id: str, setting: dict[str, str]) -> None:
        await self.redis.execute("HSET", key("webhooks"), f"{provider}:{merchant_id}", _dump(setting))
        self._webhooks[f"{provider}:{merchant_id}"] = setting

    async def webhook(self, provider: str, merchant_id: str) -> dict[str, str] | None:
        field = f"{provider}:{merchant_id}"
        if field not in self._webhooks:
            raw = await self.redis.execute("HGET", key("webhooks"), field)
            self._webhooks[field] = json.loads(raw) if raw else None
        return self._webhooks[field]

    async def schedule(self, delivery_id: str, due: float) -> None:
        await self.redis.execute("ZADD", key("queue"), due, delivery_id)

    async def claim_due(self, now: float, limit: int = 50) -> list[str]:
        """Deliveries whose time has come, each taken off the queue by exactly one claimer (ZREM's answer)."""
        names = await self.redis.execute("ZRANGEBYSCORE", key("queue"), "-inf", now, "LIMIT", 0, limit) or []
        claimed = []
        for name in names:
            if await self.redis.execute("ZREM", key("queue"), name):
                claimed.append(name.decode())
        return claimed

    async def log_delivery(self, delivery_id: str, record: dict[str, Any]) -> None:
        """Store the delivery and list it among the recent ones, in one round trip."""
        await self.redis.pipeline(
            ("SET", key("delivery", delivery_id), _dump(record)),
            ("LPUSH", key("deliveries"), delivery_id),
            ("LTRIM", key("deliveries"), 0, RECENT_LIMIT - 1),
        )

    async def deliveries(self, limit: int = 100) -> list[dict[str, Any]]:
        names = await self.redis.execute("LRANGE", key("deliveries"), 0, limit - 1) or []
        if not names:
            return []
        values = await self.redis.execute("MGET", *(key("delivery", name.decode()) for name in names))
        return [json.loads(raw) for raw in values if raw]


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def now() -> float:
    return time.time()
