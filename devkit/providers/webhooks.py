"""Webhook deliveries: queued in Redis, POSTed to the merchant's URL signed as its provider signs them, retried
with exponential backoff, every attempt recorded (the web page and `devkit providers events` read them)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from devkit.providers.store import Store

# provider -> (secret, payload bytes, unix time) -> the headers that sign the payload
Signer = Callable[[str, bytes, int], dict[str, str]]
DELIVERY_TIMEOUT = 10.0  # seconds a receiver gets to answer; our assumption
POLL_SECONDS = 0.1


def backoff(base: float, attempt: int) -> float:
    """Delay before attempt `attempt + 1`, after `attempt` failed ones: base, 2*base, 4*base, ..."""
    return base * (2 ** (attempt - 1))


async def post(url: str, body: bytes, headers: dict[str, str], timeout: float = DELIVERY_TIMEOUT) -> int:
    """One HTTP/1.1 POST over a fresh connection; the status code. Loopback http:// receivers only need this."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"webhook URL {url!r} is not http://HOST:PORT/PATH")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    head = [f"POST {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close", f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in headers.items()]

    async def exchange() -> int:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
        try:
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
            await writer.drain()
            status_line = await reader.readline()
            return int(status_line.split()[1])
        finally:
            writer.close()

    return await asyncio.wait_for(exchange(), timeout)


class Outbox:
    def __init__(self, store: Store, signers: dict[str, Signer], default_url: str, base_delay: float, attempts: int):
        self.store = store
        self.signers = signers
        self.default_url = default_url
        self.base_delay = base_delay
        self.attempts = attempts
        self._running: set[asyncio.Task] = set()  # held so running deliveries are not garbage-collected

    async def emit(
        self,
        provider: str,
        merchant_id: str,
        event: str,
        payload: dict[str, Any],
        copies: int = 1,
        default_secret: str = "",
    ) -> list[str]:
        """Queue the event for the merchant's receiver (`copies` > 1: the duplicate-delivery fault), signed with
        the secret set with the URL, else `default_secret` (a provider that signs with a merchant credential)."""
        setting = await self.store.webhook(provider, merchant_id) or await self.store.webhook(provider, "*") or {}
        url = setting.get("url") or self.default_url
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        ids = []
        for _ in range(copies):
            delivery_id = f"wh_{uuid.uuid4().hex[:20]}"
            record = {
                "id": delivery_id,
                "provider": provider,
                "merchant_id": merchant_id,
                "event": event,
                "url": url,
                "secret": setting.get("secret") or default_secret,
                "payload": body,
                "state": "pending" if url else "no_url",
                "attempts": [],
                "created": time.time(),
            }
            await self.store.log_delivery(delivery_id, record)
            if url:
                await self.store.schedule(delivery_id, time.time())
            ids.append(delivery_id)
        return ids

    async def deliver(self, delivery_id: str) -> None:
        record = await self.store.get("delivery", delivery_id)
        if record is None or record["state"] != "pending":
            return
        body = record["payload"].encode()
        headers = {"Content-Type": "application/json", "User-Agent": f"devkit-providers/{record['provider']}"}
        signer = self.signers.get(record["provider"])
        if signer is not None:
            headers.update(signer(record["secret"], body, int(time.time())))
        began = time.monotonic()
        attempt: dict[str, Any] = {"at": time.time()}
        try:
            status = await post(record["url"], body, headers)
            attempt["status"] = status
            ok = 200 <= status < 300
        except (OSError, ValueError, IndexError, TimeoutError) as exc:
            attempt["error"] = str(exc) or type(exc).__name__
            ok = False
        attempt["ms"] = round((time.monotonic() - began) * 1000, 1)
        record["attempts"].append(attempt)
        if ok:
            record["state"] = "delivered"
        elif len(record["attempts"]) >= self.attempts:
            record["state"] = "failed"
        else:
            record["next_at"] = time.time() + backoff(self.base_delay, len(record["attempts"]))
        await self.store.put("delivery", delivery_id, record)
        if record["state"] == "pending":
            await self.store.schedule(delivery_id, record["next_at"])

    async def drain(self) -> None:
        """Let the deliveries under way finish and record their outcome (a stop must not lose an attempt)."""
        if self._running:
            await asyncio.wait(set(self._running), timeout=DELIVERY_TIMEOUT + 1.0)

    async def run(self) -> None:
        """Deliver whatever is due, for ever; deliveries run concurrently so a slow receiver holds up no other."""
        while True:
            try:
                for delivery_id in await self.store.claim_due(time.time()):
                    task = asyncio.create_task(self.deliver(delivery_id))
                    self._running.add(task)
                    task.add_done_callback(self._running.discard)
            except Exception as exc:  # Redis away for a moment: keep the loop, say so once per poll
                print(f"webhooks: {exc}", flush=True)
                await asyncio.sleep(1.0)
            await asyncio.sleep(POLL_SECONDS)
