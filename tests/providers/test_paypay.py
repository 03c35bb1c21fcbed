"""PayPay's official Python SDK (paypayopa) against the mock, nothing changed but the base URL."""

from __future__ import annotations

import time
import uuid

import paypayopa
import pytest
import requests

from tests.providers.conftest import PAYPAY, PAYPAY_MERCHANT, ProvidersProcess, Receiver, customer_step


def client(providers: ProvidersProcess, secret: str = PAYPAY["api_secret"]) -> paypayopa.Client:
    made = paypayopa.Client(auth=(PAYPAY["api_key"], secret), production_mode=False, base_url=f"{providers.url}/paypay")
    made.set_assume_merchant(PAYPAY_MERCHANT)
    return made


def create(paypay: paypayopa.Client, amount: int = 1200, **extra: object) -> tuple[str, dict]:
    merchant_payment_id = uuid.uuid4().hex
    body = {
        "merchantPaymentId": merchant_payment_id,
        "amount": {"amount": amount, "currency": "JPY"},
        "codeType": "ORDER_QR",
        "orderDescription": "ブレンドコーヒー",
        **extra,
    }
    answer = paypay.Code.create_qr_code(body)
    assert answer["resultInfo"]["code"] == "CREATED", answer
    return merchant_payment_id, answer["data"]


def pay(providers: ProvidersProcess, code: str, decline: str | None = None) -> dict:
    return customer_step(providers, "paypay/pay", code, decline)


def test_qr_payment_pending_until_paid_then_refunded(providers: ProvidersProcess) -> None:
    paypay = client(providers)
    merchant_payment_id, code = create(paypay)
    assert code["url"].startswith(f"{providers.url}/paypay/qr/")
    assert code["amount"] == {"amount": 1200, "currency": "JPY"}
    assert paypay.Code.get_payment_details(merchant_payment_id)["data"]["status"] == "CREATED"
    # The customer's app pays: the merchant's next poll sees it completed, with PayPay's payment id.
    assert pay(providers, code["codeId"])["status"] == "COMPLETED"
    details = paypay.Code.get_payment_details(merchant_payment_id)["data"]
    assert details["status"] == "COMPLETED" and details["paymentId"]
    partial = {"amount": 200, "currency": "JPY"}
    refund = paypay.Payment.refund_payment(
        {"merchantRefundId": uuid.uuid4().hex, "paymentId": details["paymentId"], "amount": partial}
    )
    assert refund["resultInfo"]["code"] == "CREATED" and refund["data"]["amount"] == partial
    assert paypay.Payment.refund_details(refund["data"]["merchantRefundId"])["data"]["status"] == "COMPLETED"
    too_much = {"merchantRefundId": uuid.uuid4().hex, "paymentId": details["paymentId"],
                "amount": {"amount": 1001, "currency": "JPY"}}  # fmt: skip
    assert paypay.Payment.refund_payment(too_much)["resultInfo"]["code"] == "REFUND_LIMIT_EXCEEDED"
    rest = {**too_much, "merchantRefundId": uuid.uuid4().hex, "amount": {"amount": 1000, "currency": "JPY"}}
    assert paypay.Payment.refund_payment(rest)["resultInfo"]["code"] == "CREATED"
    assert paypay.Code.get_payment_details(merchant_payment_id)["data"]["status"] == "REFUNDED"


def test_merchant_payment_id_is_unique(providers: ProvidersProcess) -> None:
    paypay = client(providers)
    merchant_payment_id, _ = create(paypay)
    again = paypay.Code.create_qr_code(
        {"merchantPaymentId": merchant_payment_id, "amount": {"amount": 1200, "currency": "JPY"}}
    )
    assert again["resultInfo"]["code"] == "DUPLICATE_DYNAMIC_QR_REQUEST"


@pytest.mark.parametrize("secret", ["not-the-secret", ""])
def test_bad_signature_is_refused_as_paypay_refuses_it(providers: ProvidersProcess, secret: str) -> None:
    response = requests.get(f"{providers.url}/paypay/v2/codes/payments/anything", timeout=10)
    assert response.status_code == 401 and response.json()["resultInfo"]["code"] == "UNAUTHORIZED"
    answer = client(providers, secret).Code.get_payment_details("anything")
    assert answer["resultInfo"]["code"] == "UNAUTHORIZED"


def test_decline_cancel_delete_and_expiry(providers: ProvidersProcess) -> None:
    paypay = client(providers)
    declined_id, declined = create(paypay)
    assert pay(providers, declined["codeId"], "INSUFFICIENT_BALANCE")["status"] == "FAILED"
    assert paypay.Code.get_payment_details(declined_id)["data"]["status"] == "FAILED"
    magic_id, magic = create(paypay, amount=990402)  # faults.py: the magic amount declines when paid
    assert pay(providers, magic["codeId"])["status"] == "FAILED"
    deleted_id, deleted = create(paypay)
    assert paypay.Code.delete_qr_code(deleted["codeId"])["resultInfo"]["code"] == "SUCCESS"
    assert paypay.Code.get_payment_details(deleted_id)["data"]["status"] == "CANCELED"
    paid_id, paid = create(paypay)
    pay(providers, paid["codeId"])
    assert paypay.Payment.cancel_payment(paid_id)["resultInfo"]["code"] == "REQUEST_ACCEPTED"
    assert paypay.Code.get_payment_details(paid_id)["data"]["status"] == "CANCELED"
    expiring_id, _ = create(paypay, codeValidPeriodSecs=1)
    time.sleep(2.05)  # expiry is to the second: past it for sure
    assert paypay.Code.get_payment_details(expiring_id)["data"]["status"] == "EXPIRED"
    assert magic_id != declined_id


def test_server_error_fault(providers: ProvidersProcess) -> None:
    answer = client(providers).Code.create_qr_code(
        {"merchantPaymentId": uuid.uuid4().hex, "amount": {"amount": 990500, "currency": "JPY"}}
    )
    assert answer["resultInfo"]["code"] == "INTERNAL_SERVER_ERROR"


def test_transaction_webhook_arrives(providers: ProvidersProcess, receiver: Receiver) -> None:
    setting = requests.put(
        f"{providers.url}/_devkit/webhooks/paypay/{PAYPAY_MERCHANT}", json={"url": receiver.url}, timeout=10
    )
    assert setting.status_code == 200, setting.text
    paypay = client(providers)
    merchant_payment_id, code = create(paypay)
    pay(providers, code["codeId"])
    receiver.wait_for(1)
    notification = receiver.json(0)
    assert notification["notification_type"] == "Transaction" and notification["state"] == "COMPLETED"
    assert notification["merchant_order_id"] == merchant_payment_id
    assert notification["order_amount"] == 1200
