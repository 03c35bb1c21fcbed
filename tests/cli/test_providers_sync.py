"""`devkit providers sync`: after `devkit seed dev`, every seeded merchant's sandbox credentials work against the
mock (merchant 1's fixtures always do; the generated merchants' keys depend on the seed)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import paypayopa
import psycopg
import pytest
import stripe
from linepay import LinePayApi
from typer.testing import CliRunner

from devkit.cli.app import app
from devkit.config import load_settings
from devkit.errors import ConfigError
from tests.providers.conftest import REPO_ROOT, ProvidersProcess, Receiver, customer_step


def cli_env(providers: ProvidersProcess, dsn: str, tmp_path: Path, config: str = "") -> dict[str, str]:
    (tmp_path / "devkit.toml").write_text(config)
    return {
        "DEVKIT_CONFIG": str(tmp_path / "devkit.toml"),
        "DEVKIT_DEV_DSN": dsn,
        "DEVKIT_STATE_DIR": str(tmp_path / "state"),
        "DEVKIT_COMPOSE_FILE": str(REPO_ROOT / "compose" / "docker-compose.yml"),
        "DEVKIT_PORT_PROVIDERS": str(providers.port),
        "NO_COLOR": "1",
    }


def test_seeded_merchants_work_after_sync(
    providers: ProvidersProcess, pg_database: str, tmp_path: Path, receiver: Receiver
) -> None:
    env = cli_env(providers, pg_database, tmp_path, f'[providers.webhooks]\npaypay = "{receiver.url}"\n')
    runner = CliRunner()
    assert runner.invoke(app, ["seed", "dev", "--profile", "small", "--as-of", "2025-03-01"], env=env).exit_code == 0
    with psycopg.connect(pg_database) as conn:
        rows = conn.execute(
            "SELECT p.code, c.provider_merchant_id, c.credentials FROM merchant_payment_configs c "
            "JOIN payment_service_providers p ON p.id = c.provider_id "
            "WHERE c.provider_merchant_id LIKE 'SBX-%' AND c.enabled ORDER BY c.provider_merchant_id"
        ).fetchall()
    generated = {code: (merchant_id, creds) for code, merchant_id, creds in rows}
    assert set(generated) == {"card_processor", "paypay", "line_pay", "rakuten_pay"}
    merchant_id, creds = generated["paypay"]
    paypay = paypayopa.Client(auth=(creds["api_key"], creds["api_secret"]), base_url=f"{providers.url}/paypay")
    paypay.set_assume_merchant(merchant_id)
    body = {"merchantPaymentId": uuid.uuid4().hex, "amount": {"amount": 500, "currency": "JPY"}}
    assert paypay.Code.create_qr_code(dict(body))["resultInfo"]["code"] == "UNAUTHORIZED"  # not registered yet

    synced = runner.invoke(app, ["providers", "sync"], env=env)
    assert synced.exit_code == 0, synced.output
    assert "registered" in synced.output
    code = paypay.Code.create_qr_code(dict(body))["data"]["codeId"]
    customer_step(providers, "paypay/pay", code)
    notification = json.loads(receiver.wait_for(1)[0].body)  # [providers.webhooks] paypay: every PayPay merchant
    assert notification["merchant_id"] == merchant_id and notification["state"] == "COMPLETED"
    card_key = generated["card_processor"][1]["api_key"]
    cards = stripe.StripeClient(card_key, base_addresses={"api": f"{providers.url}/stripe"}, max_network_retries=0)
    assert cards.v1.payment_intents.create({"amount": 300, "currency": "jpy"}).status == "requires_payment_method"
    channel, line_creds = generated["line_pay"]
    line = LinePayApi(channel, line_creds["api_secret"], is_sandbox=True)
    line.api_endpoint = f"{providers.url}/linepay"
    packages = [{"id": "p", "amount": 100, "name": "x", "products": [{"name": "x", "quantity": 1, "price": 100}]}]
    urls = {"confirmUrl": "http://127.0.0.1/c", "cancelUrl": "http://127.0.0.1/x"}
    answer = line.request({"amount": 100, "currency": "JPY", "orderId": uuid.uuid4().hex, "packages": packages,
                           "redirectUrls": urls})  # fmt: skip
    assert answer["returnCode"] == "0000"


def test_sync_without_seeded_database_is_one_line(
    providers: ProvidersProcess, pg_database: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(app, ["providers", "sync"], env=cli_env(providers, pg_database, tmp_path))
    assert result.exit_code == 8 and "devkit seed dev" in result.output


def test_providers_settings_are_checked(tmp_path: Path) -> None:
    (tmp_path / "devkit.toml").write_text('[providers.webhooks]\n"nopay:1" = "http://127.0.0.1:1/"\n')
    with pytest.raises(ConfigError, match="provider must be one of"):
        load_settings(cwd=tmp_path, environ={})
    (tmp_path / "devkit.toml").write_text('[providers.webhooks]\npaypay = "https://example.com/"\n')
    with pytest.raises(ConfigError, match="not an http:// URL"):
        load_settings(cwd=tmp_path, environ={})
