"""LINE Pay v3 online payments: request, (the customer approves), confirm, refund, payment details, check status
(pay.line.me/jp/developers/apis/onlineApis, and the shapes the `line-pay` SDK sends and reads).

Requests carry X-LINE-ChannelId, X-LINE-Authorization-Nonce and X-LINE-Authorization =
base64(HMAC-SHA256(channel secret, channel secret + path + (body | query string) + nonce)). Every answer is
`{"returnCode", "returnMessage", "info"}`; errors come as HTTP 200 with a non-"0000" returnCode, as LINE Pay
answers them (our reading of the reference; the SDK raises on the returnCode alone).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import time
from typing import Any

from devkit.providers.faults import fault_for
from devkit.providers.http import Request, Response
from devkit.providers.merchants import Merchant
from devkit.providers.service import Service

PROVIDER = "line_pay"
MESSAGES = {
    "0000": "Success.",
    "0110": "Authorization completed; confirm the payment.",  # check status: the customer approved
    "0121": "The transaction was cancelled by the customer or expired.",
    "0122": "Payment failed.",
    "0123": "Payment completed.",
    "1104": "Merchant not found.",
    "1106": "Header information error.",
    "1124": "Amount info error.",
    "1141": "Payment account status error.",
    "1150": "Transaction record not found.",
    "1152": "A transaction with the same transactionId already exists.",
    "1155": "The transaction is not eligible for refund.",
    "1165": "The transaction has already been refunded.",
    "1169": "The customer has not approved the payment in LINE Pay yet.",
    "1172": "There is a record of a transaction with the same order number.",
    "1198": "API calls were duplicated.",
    "9000": "Internal error.",
}
# What a customer's approval can end with (seeds/providers.toml decline_codes).
DECLINE_CODES = ("1104", "1141", "1152")


def answer(code: str, info: Any = None, status: int = 200) -> Response:
    payload: dict[str, Any] = {"returnCode": code, "returnMessage": MESSAGES.get(code, "")}
    if info is not None:
        payload["info"] = info
    return Response.json(status, payload)


def signature(secret: str, path: str, text: str, nonce: str) -> str:
    mac = hmac.new(secret.encode(), (secret + path + text + nonce).encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


async def authenticate(service: Service, request: Request, path: str) -> Merchant | None:
    merchant = await service.find_merchant(PROVIDER, request.header("x-line-channelid"))
    nonce, given = request.header("x-line-authorization-nonce"), request.header("x-line-authorization")
    if merchant is None or not nonce or not given:
        return None
    text = request.query if request.method == "GET" else request.body.decode()
    expected = signature(merchant.secret("channel_secret"), path, text, nonce)
    return merchant if hmac.compare_digest(expected, given) else None


def _key(merchant: Merchant, transaction_id: str) -> str:
    return f"{merchant.merchant_id}:{transaction_id}"


async def handle(service: Service, request: Request, path: str) -> Response:
    merchant = await authenticate(service, request, path)
    if merchant is None:
        return answer("1106", status=401 if not request.header("x-line-channelid") else 200)
    parts = path.strip("/").split("/")
    try:
        body = request.json() if request.body else {}
    except ValueError:
        return answer("1124")
    if parts == ["v3", "payments", "request"] and request.method == "POST":
        return await request_payment(service, merchant, body)
    if parts == ["v3", "payments"] and request.method == "GET":
        return await details(service, merchant, request.query_params())
    if len(parts) == 4 and parts[:2] == ["v3", "payments"] and request.method == "POST":
        if parts[3] == "confirm":
            return await confirm(service, merchant, parts[2], body)
        if parts[3] == "refund":
            return await refund(service, merchant, parts[2], body)
    if len(parts) == 5 and parts[:3] == ["v3", "payments", "requests"] and parts[4] == "check":
        return await check(service, merchant, parts[3])
    return answer("1150", status=404)


def _new_transaction_id() -> int:
    # 19 digits like LINE Pay's, starting with the year as theirs do (20xx...).
    return int(time.strftime("%Y")) * 10**15 + random.randrange(10**15)


async def request_payment(service: Service, merchant: Merchant, body: dict) -> Response:
    amount, order_id = body.get("amount"), body.get("orderId")
    packages = body.get("packages") or []
    if not isinstance(amount, int) or amount <= 0 or not order_id or not packages:
        return answer("1124")
    if sum(int(package.get("amount", 0)) for package in packages) != amount:
        return answer("1124")
    fault = fault_for(amount)
    if fault and fault.kind == "server_error":
        return answer("9000", status=500)
    if not await service.store.create("linepay_order", f"{merchant.merchant_id}:{order_id}", {"order": order_id}):
        return answer("1172")
    transaction_id = _new_transaction_id()
    record = {
        "provider": PROVIDER,
        "merchant_id": merchant.merchant_id,
        "transactionId": transaction_id,
        "orderId": order_id,
        "amount": amount,
        "currency": body.get("currency", "JPY"),
        "productName": (packages[0].get("products") or [{}])[0].get("name") or packages[0].get("name"),
        "redirectUrls": body.get("redirectUrls") or {},
        "status": "REQUESTED",  # -> AUTHORIZED (customer approved) -> CONFIRMED | DECLINED | EXPIRED
        "requestedAt": time.time(),
        "refunds": [],
        "fault": fault.kind if fault else None,
    }
    await service.store.create("linepay_payment", _key(merchant, str(transaction_id)), record)
    await service.store.set_alias("linepay_tx", str(transaction_id), _key(merchant, str(transaction_id)))
    web = f"{service.settings.public_url}/linepay/approve/{transaction_id}"
    info = {
        "paymentUrl": {"web": web, "app": f"line://pay/payment/{transaction_id}"},
        "transactionId": transaction_id,
        "paymentAccessToken": str(transaction_id)[-12:],
    }
    response = answer("0000", info)
    if fault and fault.kind == "timeout":
        response.delay = service.settings.timeout_seconds
    return response


async def approve(service: Service, transaction_id: str, decline: str | None = None) -> dict | None:
    """The customer approves (or fails) the payment in the LINE app; what the record became."""

    def change(record: dict) -> None:
        code = decline or ("1141" if record.get("fault") == "decline" else None)
        record["status"] = "DECLINED" if code else "AUTHORIZED"
        record["declineCode"] = code

    return await service.store.update_if("linepay_tx", "linepay_payment", transaction_id, "REQUESTED", change)


async def confirm(service: Service, merchant: Merchant, transaction_id: str, body: dict) -> Response:
    ident = _key(merchant, transaction_id)
    async with service.store.locked("linepay_payment", ident) as record:
        if record is None:
            return answer("1150")
        if record["status"] == "REQUESTED":
            return answer("1169")
        if record["status"] == "DECLINED":
            return answer(record["declineCode"])
        if record["status"] != "AUTHORIZED":
            return answer("1198" if record["status"] == "CONFIRMED" else "1150")
        if body.get("amount") != record["amount"] or body.get("currency", record["currency"]) != record["currency"]:
            return answer("1124")
        record["status"] = "CONFIRMED"
        record["confirmedAt"] = time.time()
        await service.store.put("linepay_payment", ident, record)
    copies = 2 if record.get("fault") == "duplicate_webhook" else 1
    await service.outbox.emit(PROVIDER, merchant.merchant_id, "payment.confirmed", _public(record), copies)
    info = {
        "orderId": record["orderId"],
        "transactionId": record["transactionId"],
        "payInfo": [{"method": "BALANCE", "amount": record["amount"]}],
    }
    return answer("0000", info)


async def refund(service: Service, merchant: Merchant, transaction_id: str, body: dict) -> Response:
    ident = _key(merchant, transaction_id)
    async with service.store.locked("linepay_payment", ident) as record:
        if record is None:
            return answer("1150")
        if record["status"] != "CONFIRMED":
            return answer("1155")
        refunded = sum(item["refundAmount"] for item in record["refunds"])
        remaining = record["amount"] - refunded
        if remaining <= 0:
            return answer("1165")
        amount = body.get("refundAmount") or remaining
        if not isinstance(amount, int) or amount > remaining:
            return answer("1124")
        item = {
            "refundTransactionId": _new_transaction_id(),
            "transactionType": "PAYMENT_REFUND",
            "refundAmount": amount,
            "refundTransactionDate": _iso(time.time()),
        }
        record["refunds"].append(item)
        await service.store.put("linepay_payment", ident, record)
    return answer("0000", {k: item[k] for k in ("refundTransactionId", "refundTransactionDate")})


async def details(service: Service, merchant: Merchant, query: dict[str, str]) -> Response:
    transaction_id = query.get("transactionId")
    if not transaction_id:
        return answer("1150")
    record = await service.store.get("linepay_payment", _key(merchant, transaction_id))
    if record is None or record["status"] != "CONFIRMED":
        return answer("1150")
    info = {
        "transactionId": record["transactionId"],
        "transactionDate": _iso(record["confirmedAt"]),
        "transactionType": "PAYMENT",
        "payInfo": [{"method": "BALANCE", "amount": record["amount"]}],
        "productName": record["productName"],
        "currency": record["currency"],
        "orderId": record["orderId"],
        "refundList": [
            {
                "refundTransactionId": item["refundTransactionId"],
                "transactionType": item["transactionType"],
                "refundAmount": -item["refundAmount"],
                "refundTransactionDate": item["refundTransactionDate"],
            }
            for item in record["refunds"]
        ],
    }
    return answer("0000", [info])


async def check(service: Service, merchant: Merchant, transaction_id: str) -> Response:
    record = await service.store.get("linepay_payment", _key(merchant, transaction_id))
    if record is None:
        return answer("1150")
    code = {"REQUESTED": "0000", "AUTHORIZED": "0110", "DECLINED": "0122", "CONFIRMED": "0123"}.get(record["status"])
    return answer(code or "0121")


def _public(record: dict) -> dict:
    return {k: record[k] for k in ("transactionId", "orderId", "amount", "currency", "status")}


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
