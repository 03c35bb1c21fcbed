"""A LINE Pay v3 Python SDK (line-pay) against the mock, nothing changed but the API endpoint."""

from __future__ import annotations

import uuid

import pytest
from linepay import LinePayApi
from linepay.exceptions import LinePayApiError

from tests.providers.conftest import LINE_CHANNEL, ProvidersProcess, customer_step


def client(providers: ProvidersProcess, secret: str = LINE_CHANNEL[1]) -> LinePayApi:
    api = LinePayApi(LINE_CHANNEL[0], secret, is_sandbox=True)
    api.api_endpoint = f"{providers.url}/linepay"
    return api


def request(api: LinePayApi, amount: int = 1000, order_id: str | None = None) -> int:
    answer = api.request(
        {
            "amount": amount,
            "currency": "JPY",
            "orderId": order_id or uuid.uuid4().hex,
            "packages": [
                {"id": "pkg-1", "amount": amount, "name": "MPAC",
                 "products": [{"name": "カフェラテ", "quantity": 1, "price": amount}]}
            ],
            "redirectUrls": {"confirmUrl": "http://127.0.0.1/confirm", "cancelUrl": "http://127.0.0.1/cancel"},
        }
    )  # fmt: skip
    assert answer["returnCode"] == "0000"
    return answer["info"]["transactionId"]


def approve(providers: ProvidersProcess, transaction_id: int, decline: str | None = None) -> dict:
    return customer_step(providers, "linepay/approve", transaction_id, decline)


def test_request_approve_confirm_refund(providers: ProvidersProcess) -> None:
    api = client(providers)
    transaction_id = request(api)
    assert len(str(transaction_id)) == 19
    assert api.check_payment_status(transaction_id)["returnCode"] == "0000"  # waiting for the customer
    with pytest.raises(LinePayApiError) as early:
        api.confirm(transaction_id, 1000.0, "JPY")
    assert early.value.return_code == "1169"
    assert approve(providers, transaction_id)["status"] == "AUTHORIZED"
    assert api.check_payment_status(transaction_id)["returnCode"] == "0110"
    confirmed = api.confirm(transaction_id, 1000.0, "JPY")
    assert confirmed["info"]["payInfo"] == [{"method": "BALANCE", "amount": 1000}]
    assert api.refund(transaction_id, 300)["info"]["refundTransactionId"]
    details = api.payment_details(transaction_id=transaction_id)["info"][0]
    assert details["transactionType"] == "PAYMENT" and [r["refundAmount"] for r in details["refundList"]] == [-300]
    assert api.refund(transaction_id)["returnCode"] == "0000"  # the rest
    with pytest.raises(LinePayApiError) as twice:
        api.refund(transaction_id)
    assert twice.value.return_code == "1165"


def test_bad_signature_and_declines(providers: ProvidersProcess) -> None:
    with pytest.raises(LinePayApiError) as refused:
        client(providers, "not-the-secret").payment_details(transaction_id=1)
    assert refused.value.return_code == "1106"
    api = client(providers)
    declined = request(api)
    approve(providers, declined, "1141")
    with pytest.raises(LinePayApiError) as failed:
        api.confirm(declined, 1000.0, "JPY")
    assert failed.value.return_code == "1141"
    order_id = uuid.uuid4().hex
    request(api, order_id=order_id)
    with pytest.raises(LinePayApiError) as duplicate:
        request(api, order_id=order_id)
    assert duplicate.value.return_code == "1172"
