"""`devkit providers events | pay`: the mock payment providers' webhook deliveries, and the customer's side of a
QR payment."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from devkit.cli.app import app
from devkit.config import PROVIDER_CODES, load_settings
from devkit.errors import ConfigError, UsageError
from devkit.providers.client import ProvidersClient, news
from devkit.stack.endpoints import service_url
from devkit.stack.spec import load_stack
from devkit.terminal import Terminal

SERVICE = "providers"
FOLLOW_POLL_SECONDS = 1.0

providers_app = typer.Typer(help="The mock payment providers (the `providers` service of the stack).")
app.add_typer(providers_app, name="providers")


def _client() -> ProvidersClient:
    stack = load_stack(load_settings())
    url = service_url(stack.service(SERVICE))
    if url is None:
        raise ConfigError(f"service {SERVICE!r} publishes no port", "add ports: to it in the compose file")
    return ProvidersClient(url)


def _row(item: dict) -> tuple[str, ...]:
    attempts = item.get("attempts") or []
    last = attempts[-1] if attempts else {}
    outcome = str(last.get("status") or last.get("error") or "-")
    created = time.strftime("%H:%M:%S", time.localtime(item.get("created") or 0))
    return (
        created,
        item["provider"],
        item["event"],
        item.get("url") or "-",
        item["state"],
        str(len(attempts)),
        outcome,
    )


COLUMNS = ("created", "provider", "event", "url", "state", "attempts", "last outcome")


@providers_app.command()
def events(
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing deliveries as they happen.")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many recent deliveries.")] = 50,
    json_output: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List webhook deliveries (newest first) and their outcomes: state, attempts, last HTTP status or error."""
    if limit < 1:
        raise UsageError(f"--limit must be 1 or more, got {limit}", "pass e.g. --limit 50")
    terminal = Terminal(json_output=json_output)
    client = _client()
    deliveries = client.deliveries(limit)
    if json_output and not follow:
        terminal.json({"deliveries": deliveries})
        return
    if not follow:
        terminal.table(COLUMNS, [_row(item) for item in deliveries])
        return
    seen: set[tuple[str, str, int]] = set()
    while True:  # one line per new delivery or change of one; Ctrl-C ends it
        for item in news(seen, deliveries):
            terminal.line("  ".join(_row(item)))
        time.sleep(FOLLOW_POLL_SECONDS)
        deliveries = client.deliveries(limit)


@providers_app.command()
def pay(
    code: Annotated[
        str, typer.Argument(help="PayPay codeId / merchantPaymentId, LINE Pay transactionId or Rakuten Pay charge id.")
    ],
    decline: Annotated[
        str | None,
        typer.Option(
            help="Fail it instead, with this code (PayPay: USER_CANCELED, INSUFFICIENT_BALANCE, EXPIRED; "
            "LINE Pay: 1104, 1141, 1152; Rakuten Pay: CANCELED_BY_USER, LIMIT_EXCEEDED)."
        ),
    ] = None,
) -> None:
    """Stand in for the customer's app: pay a PayPay QR code, approve a LINE Pay payment, authorize a Rakuten Pay
    charge."""
    terminal = Terminal()
    result = _client().pay(code, decline)
    terminal.success(f"{code}: {result.get('status')}")


@providers_app.command()
def webhook(
    provider: Annotated[str, typer.Argument(help="paypay, line_pay, rakuten_pay or card_processor.")],
    merchant_id: Annotated[str, typer.Argument(help="The merchant's provider_merchant_id (merchant_payment_configs).")],
    url: Annotated[str, typer.Argument(help="Where to POST its webhooks (http://...).")],
    secret: Annotated[
        str,
        typer.Option(
            help="Signing secret (card_processor: the endpoint's whsec_...; rakuten_pay: default its signature key)."
        ),
    ] = "",
) -> None:
    """Send one merchant's webhooks to URL (kept in the stack's Redis, so across restarts)."""
    if provider not in PROVIDER_CODES:
        raise UsageError(f"unknown provider {provider!r}", f"use one of {', '.join(PROVIDER_CODES)}")
    if not url.startswith("http://"):
        raise UsageError(f"webhook URL {url!r} is not http://...", "pass e.g. http://127.0.0.1:8002/webhooks/paypay")
    _client().set_webhook(provider, merchant_id, url, secret)
    Terminal().success(f"{provider} webhooks of {merchant_id} go to {url}")


@providers_app.command()
def sync(
    env: Annotated[str, typer.Argument(help="The environment whose database holds the configs.")] = "dev",
) -> None:
    """Register every enabled sandbox merchant payment config of ENV's database with the mock, so all seeded
    merchants' credentials work against it (merchant 1's fixtures always do), and the webhook receivers of
    [providers.webhooks] in devkit.toml."""
    from devkit.environments import resolve_dsn
    from devkit.providers.sync import batches, sandbox_configs

    terminal = Terminal()
    settings = load_settings()
    configs = sandbox_configs(resolve_dsn(settings, env))
    client = _client()
    registered = sum(client.register_merchants(batch) for batch in batches(configs))
    terminal.success(f"{registered} sandbox merchant payment configs of {env} registered with the mock providers")
    for target, url in settings.providers.webhooks.items():
        provider, _, merchant_id = target.partition(":")
        client.set_webhook(provider, merchant_id or "*", url, "")
        terminal.success(f"{provider} webhooks of {merchant_id or 'every merchant'} go to {url} ([providers.webhooks])")
