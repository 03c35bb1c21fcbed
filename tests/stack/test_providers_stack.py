"""`devkit up providers` alone, on both runtimes, from the shipped compose file: the mock providers come up
healthy behind their real probe, `status` shows each provider's base URL, the SDKs work against those URLs and
`devkit providers pay | events` drive and read it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import paypayopa
import pytest
import stripe

from testbed.images.build import BASE_IMAGE
from tests.conftest import REPO_ROOT
from tests.providers.conftest import CARD_KEY, PAYPAY, PAYPAY_MERCHANT, Receiver
from tests.stack.conftest import StackProject

COMPOSE = REPO_ROOT / "compose" / "docker-compose.yml"
SERVICES = ("postgres", "redis", "providers")


def paypay_client(url: str) -> paypayopa.Client:
    client = paypayopa.Client(auth=(PAYPAY["api_key"], PAYPAY["api_secret"]), base_url=url)
    client.set_assume_merchant(PAYPAY_MERCHANT)
    return client


def exercise(project: StackProject) -> dict:
    status = project.status()
    by_name = {item["service"]: item for item in status["services"]}
    assert by_name["postgres"]["state"] == "missing"  # `up providers` starts only what providers needs
    providers = by_name["providers"]
    assert providers["state"] == "running" and providers["health"] == "healthy"
    base = f"http://127.0.0.1:{project.ports['providers']}"
    assert providers["urls"] == {
        "paypay": f"{base}/paypay",
        "line_pay": f"{base}/linepay",
        "rakuten_pay": f"{base}/rakuten",
        "card_processor": f"{base}/stripe",
        "page": f"{base}/",
    }
    paypay = paypay_client(providers["urls"]["paypay"])
    merchant_payment_id = uuid.uuid4().hex
    code = paypay.Code.create_qr_code(
        {"merchantPaymentId": merchant_payment_id, "amount": {"amount": 800, "currency": "JPY"}}
    )["data"]
    paid = project.ok("providers", "pay", code["codeId"])
    assert "COMPLETED" in paid.stderr + paid.stdout
    assert paypay.Code.get_payment_details(merchant_payment_id)["data"]["status"] == "COMPLETED"
    cards = stripe.StripeClient(CARD_KEY, base_addresses={"api": providers["urls"]["card_processor"]})
    intent = cards.v1.payment_intents.create(
        {"amount": 900, "currency": "jpy", "payment_method": "pm_card_visa", "confirm": True}
    )
    assert intent.status == "succeeded"
    events = json.loads(project.ok("providers", "events", "--json").stdout)["deliveries"]
    # No webhook URL is configured in this project: recorded, not sent.
    assert {(item["event"], item["state"]) for item in events} == {
        ("Transaction.COMPLETED", "no_url"),
        ("charge.completed", "no_url"),
    }
    return providers


def test_native(stack_project: Callable[..., StackProject]) -> None:
    project = stack_project("native", services=SERVICES, compose_file=COMPOSE)
    try:
        project.ok("up", "providers")
        providers = exercise(project)
        receiver = Receiver()
        try:
            project.ok("providers", "webhook", "paypay", PAYPAY_MERCHANT, receiver.url)
            merchant_payment_id = uuid.uuid4().hex
            paypay = paypay_client(providers["urls"]["paypay"])
            code = paypay.Code.create_qr_code(
                {"merchantPaymentId": merchant_payment_id, "amount": {"amount": 300, "currency": "JPY"}}
            )["data"]
            project.ok("providers", "pay", code["codeId"], "--decline", "USER_CANCELED")
            notification = json.loads(receiver.wait_for(1)[0].body)
            assert notification["merchant_order_id"] == merchant_payment_id and notification["state"] == "FAILED"
        finally:
            receiver.close()
        bad = project.devkit("providers", "webhook", "nopay", PAYPAY_MERCHANT, receiver.url)
        assert bad.returncode == 2 and "unknown provider" in bad.stderr
    finally:
        project.devkit("down", "--volumes", "--yes")
    refused = project.devkit("providers", "events")
    assert refused.returncode == 9 and "not reachable" in refused.stderr
    assert "Traceback" not in refused.stderr


@pytest.mark.docker
def test_docker(docker_stack: Callable[..., StackProject]) -> None:
    project = docker_stack(
        services=SERVICES, compose_file=COMPOSE, extra_env={"DEVKIT_PROVIDERS_BASE_IMAGE": BASE_IMAGE}
    )
    project.ok("up", "providers")
    exercise(project)
