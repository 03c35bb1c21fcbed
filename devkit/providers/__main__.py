"""`python3 -m devkit.providers`: serve the mock providers on $HOST:$PORT with state in $REDIS_URL."""

from __future__ import annotations

import asyncio
import signal
import sys

from devkit.providers import cards, rakuten
from devkit.providers.app import App
from devkit.providers.http import start_server
from devkit.providers.merchants import MerchantBook, load_cards, load_seeded
from devkit.providers.resp import Redis
from devkit.providers.service import Service, Settings
from devkit.providers.store import Store
from devkit.providers.webhooks import Outbox


def build(settings: Settings) -> Service:
    try:
        merchants = MerchantBook(load_seeded(settings.seeds_dir))
        test_cards = load_cards(settings.seeds_dir)
    except (OSError, ValueError) as exc:
        raise SystemExit(
            f"providers: cannot read the seeds in {settings.seeds_dir}: {exc} (set PROVIDERS_SEEDS_DIR)"
        ) from None
    store = Store(Redis(settings.redis_url))
    outbox = Outbox(
        store,
        {"card_processor": cards.sign_webhook, "rakuten_pay": rakuten.sign_webhook},
        settings.webhook_url,
        settings.webhook_backoff,
        settings.webhook_attempts,
    )
    return Service(settings, store, merchants, test_cards, outbox)


async def serve(settings: Settings) -> None:
    service = build(settings)
    server = await start_server(App(service), settings.host, settings.port)
    print(f"providers: listening on {settings.host}:{settings.port}, state in {settings.redis_url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    outbox = asyncio.create_task(service.outbox.run())
    await stop.wait()
    outbox.cancel()
    server.close()
    await service.outbox.drain()
    await service.store.redis.close()


def main() -> None:
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        raise SystemExit(f"providers: bad setting: {exc}") from None
    try:
        asyncio.run(serve(settings))
    except OSError as exc:
        raise SystemExit(f"providers: cannot listen on {settings.host}:{settings.port}: {exc.strerror}") from None


if __name__ == "__main__":
    main()
    sys.exit(0)
