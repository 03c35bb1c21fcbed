"""Rakuten Pay against the mock through a minimal client written from the mock's documented (partly assumed)
contract: no public Rakuten Pay SDK for this flow exists to hold it against (see devkit/providers/rakuten.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import requests

from tests.providers.conftest import ProvidersProcess, Receiver, customer_step

SERVICE_ID, ACCESS_KEY, SIGNATURE_KEY = "RPAY-SBX-0001", "sandbox-rakutenpay-key-0001", "sandbox-rakutenpay-sign-0001"


def call(providers: ProvidersProcess, method: str, path: str, body: dict | None = None, key: str = SIGNATURE_KEY):
    data = json.dumps(body).encode() if body is not None else b""
    stamp = str(int(time.time()))
    mac = hmac.new(key.encode(), f"{method}\n{path}\n{stamp}\n".encode() + data, hashlib.sha256).digest()
    headers = {
        "X-Rakuten-Service-Id": SERVICE_ID,
        "X-Rakuten-Access-Key": ACCESS_KEY,
        "X-Rakuten-Timestamp": stamp,
        "X-Rakuten-Signature": base64.b64encode(mac).decode(),
        "Content-Type": "application/json",
    }
    return requests.request(method, f"{providers.url}/rakuten{path}", data=data, headers=headers, timeout=10)


def authorize(providers: ProvidersProcess, charge_id: str, decline: str | None = None) -> dict:
    return customer_step(providers, "rakuten/authorize", charge_id, decline)


def test_create_authorize_capture_refund_with_signed_webhook(providers: ProvidersProcess, receiver: Receiver) -> None:
    url = f"{providers.url}/_devkit/webhooks/rakuten_pay/{SERVICE_ID}"
    assert requests.put(url, json={"url": receiver.url}, timeout=10).status_code == 200
    created = call(providers, "POST", "/v1/charges", {"amount": 2000, "cart_id": uuid.uuid4().hex})
    assert created.status_code == 201, created.text
    charge = created.json()
    assert charge["object"] == "charge" and charge["status"] == "pending" and not charge["paid"]
    not_yet = call(providers, "POST", f"/v1/charges/{charge['id']}/capture", {})
    assert not_yet.status_code == 409
    assert authorize(providers, charge["id"])["paid"] is True
    captured = call(providers, "POST", f"/v1/charges/{charge['id']}/capture", {}).json()
    assert captured["captured"] is True
    delivered = receiver.wait_for(1)[0]
    expected = base64.b64encode(hmac.new(SIGNATURE_KEY.encode(), delivered.body, hashlib.sha256).digest()).decode()
    assert delivered.headers["X-Rakuten-Signature"] == expected
    assert json.loads(delivered.body)["id"] == charge["id"]
    assert (
        call(providers, "POST", f"/v1/charges/{charge['id']}/refund", {"amount": 500}).json()["amount_refunded"] == 500
    )
    assert call(providers, "POST", f"/v1/charges/{charge['id']}/refund", {"amount": 1501}).status_code == 400
    final = call(providers, "POST", f"/v1/charges/{charge['id']}/refund", {}).json()
    assert final["refunded"] is True and final["amount_refunded"] == 2000
    assert call(providers, "GET", f"/v1/charges/{charge['id']}").json() == final


def test_bad_signature_decline_cancel_and_duplicate_cart(providers: ProvidersProcess) -> None:
    cart = uuid.uuid4().hex
    assert call(providers, "POST", "/v1/charges", {"amount": 100, "cart_id": cart}, key="wrong").status_code == 401
    first = call(providers, "POST", "/v1/charges", {"amount": 100, "cart_id": cart}).json()
    assert call(providers, "POST", "/v1/charges", {"amount": 100, "cart_id": cart}).status_code == 409
    assert authorize(providers, first["id"], "LIMIT_EXCEEDED")["status"] == "failed"
    assert call(providers, "POST", f"/v1/charges/{first['id']}/capture", {}).status_code == 409
    other = call(providers, "POST", "/v1/charges", {"amount": 100, "cart_id": uuid.uuid4().hex}).json()
    assert call(providers, "POST", f"/v1/charges/{other['id']}/cancel", {}).json()["status"] == "canceled"
