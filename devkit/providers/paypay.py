"""PayPay Open Payment API v2, dynamic QR flow: create a code, get payment details, delete the code, cancel the
payment, refund, get refund details (developer.paypay.ne.jp, and the shapes the official `paypayopa` SDK sends
and reads).

Requests carry `Authorization: hmac OPA-Auth:<api key>:<mac>:<nonce>:<epoch>:<body hash>`; the mac is
base64(HMAC-SHA256(api secret, path\\nmethod\\nnonce\\nepoch\\ncontent type\\nbody hash)) where the body hash is
base64(MD5(content type + body)), and both are "empty" for a request without a body (as paypayopa signs).
Every answer is `{"resultInfo": {"code", "message", "codeId"}, "data": ...}`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass
from typing import Any

from devkit.providers.faults import fault_for
from devkit.providers.http import Request, Response
from devkit.providers.merchants import Merchant
from devkit.providers.service import Service

PROVIDER = "paypay"
# Result codes and their codeIds; PayPay's resolve page keys on both. The ids are ours (the reference lists the
# codes, and the SDK only echoes the id into a troubleshooting link).
RESULTS: dict[str, tuple[int, str, str]] = {
    "SUCCESS": (200, "Success", "08100001"),
    "CREATED": (201, "Created", "08100001"),
    "REQUEST_ACCEPTED": (202, "Request accepted", "08100001"),
    "UNAUTHORIZED": (401, "Unauthorized request", "08100016"),
    "INVALID_REQUEST_PARAMS": (400, "Invalid request params", "08100006"),
    "DUPLICATE_DYNAMIC_QR_REQUEST": (400, "Duplicate Dynamic QR request error", "01652073"),
    "DYNAMIC_QR_NOT_FOUND": (404, "Dynamic QR not found", "01652074"),
    "DYNAMIC_QR_PAYMENT_NOT_FOUND": (404, "Dynamic QR payment not found", "01652075"),
    "DYNAMIC_QR_ALREADY_PAID": (400, "Dynamic QR already paid", "01652076"),
    "NO_SUCH_REFUND_ORDER": (404, "No such refund order", "01654051"),
    "UNACCEPTABLE_OP": (400, "The requested operation is not able to be processed", "01654043"),
    "REFUND_LIMIT_EXCEEDED": (400, "Refund amount exceeds the payment's remaining amount", "01654048"),
    "INTERNAL_SERVER_ERROR": (500, "Something went wrong on PayPay-side", "08100998"),
}
# What a customer's app can end a payment with (seeds/providers.toml decline_codes).
DECLINE_CODES = ("USER_CANCELED", "INSUFFICIENT_BALANCE", "EXPIRED")


def result(code: str, data: Any = None, status: int | None = None) -> Response:
    http_status, message, code_id = RESULTS[code]
    payload = {"resultInfo": {"code": code, "message": message, "codeId": code_id}, "data": data}
    return Response.json(status or http_status, payload)


@dataclass(frozen=True)
class OpaAuth:
    api_key: str
    mac: str
    nonce: str
    epoch: str
    body_hash: str


def parse_authorization(header: str) -> OpaAuth | None:
    scheme, _, rest = header.partition(":")
    parts = rest.split(":")
    if scheme != "hmac OPA-Auth" or len(parts) != 5:
        return None
    return OpaAuth(*parts)


def body_hash(content_type: str, body: bytes) -> str:
    return base64.b64encode(hashlib.md5(content_type.encode() + body).digest()).decode()


def signature(secret: str, path: str, method: str, nonce: str, epoch: str, content_type: str, digest: str) -> str:
    text = "\n".join([path, method, nonce, epoch, content_type, digest])
    return base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()).decode()


async def authenticate(service: Service, request: Request, path: str) -> Merchant | None:
    """The merchant whose key signed the request, or None: unknown key, or a mac that does not match."""
    auth = parse_authorization(request.header("authorization"))
    if auth is None:
        return None
    merchant = await service.find_merchant(PROVIDER, auth.api_key)
    if merchant is None:
        return None
    if request.body:
        content_type = request.header("content-type")
        digest = body_hash(content_type, request.body)
    else:
        content_type = digest = "empty"
    if not hmac.compare_digest(digest, auth.body_hash):
        return None
    expected = signature(
        merchant.secret("api_secret"), path, request.method, auth.nonce, auth.epoch, content_type, digest
    )
    if not hmac.compare_digest(expected, auth.mac):
        return None
    assume = request.header("x-assume-merchant")
    if assume and assume != merchant.merchant_id:
        return None
    return merchant


def _pid(merchant: Merchant, merchant_payment_id: str) -> str:
    return f"{merchant.merchant_id}:{merchant_payment_id}"


async def handle(service: Service, request: Request, path: str) -> Response:
    merchant = await authenticate(service, request, path)
    if merchant is None:
        return result("UNAUTHORIZED")
    method, parts = request.method, path.strip("/").split("/")
    if parts[:2] != ["v2", "codes"] and parts[:2] != ["v2", "payments"] and parts[:2] != ["v2", "refunds"]:
        return result("INVALID_REQUEST_PARAMS", status=404)
    try:
        body = request.json() if request.body else {}
    except ValueError:
        return result("INVALID_REQUEST_PARAMS")
    if method == "POST" and parts == ["v2", "codes"]:
        return await create_code(service, merchant, body)
    if method == "GET" and len(parts) == 4 and parts[2] == "payments" and parts[1] == "codes":
        return await payment_details(service, merchant, parts[3])
    if method == "DELETE" and len(parts) == 3 and parts[1] == "codes":
        return await delete_code(service, merchant, parts[2])
    if method == "DELETE" and len(parts) == 3 and parts[1] == "payments":
        return await cancel_payment(service, merchant, parts[2])
    if method == "POST" and parts[1] == "refunds" and len(parts) == 2:
        return await refund(service, merchant, body)
    if method == "GET" and parts[1] == "refunds" and len(parts) == 3:
        found = await service.store.get("paypay_refund", _pid(merchant, parts[2]))
        return result("SUCCESS", found["data"]) if found else result("NO_SUCH_REFUND_ORDER")
    return result("INVALID_REQUEST_PARAMS", status=404)


def _amount(body: dict) -> int | None:
    amount = (body.get("amount") or {}).get("amount")
    return amount if isinstance(amount, int) and not isinstance(amount, bool) and amount > 0 else None


async def create_code(service: Service, merchant: Merchant, body: dict) -> Response:
    merchant_payment_id = body.get("merchantPaymentId")
    amount = _amount(body)
    if not isinstance(merchant_payment_id, str) or not merchant_payment_id or amount is None:
        return result("INVALID_REQUEST_PARAMS")
    fault = fault_for(amount, body.get("metadata") if isinstance(body.get("metadata"), dict) else None)
    if fault and fault.kind == "server_error":
        return result("INTERNAL_SERVER_ERROR")
    now = int(time.time())
    code_id = "04-" + uuid.uuid4().hex[:16]
    ttl = body.get("codeValidPeriodSecs") or service.settings.qr_ttl_seconds
    data = {
        "codeId": code_id,
        "url": f"{service.settings.public_url}/paypay/qr/{code_id}",
        "deeplink": f"paypay://payment?link_key={service.settings.public_url}/paypay/qr/{code_id}",
        "expiryDate": now + int(ttl),
        "merchantPaymentId": merchant_payment_id,
        "amount": {"amount": amount, "currency": (body.get("amount") or {}).get("currency", "JPY")},
        "orderDescription": body.get("orderDescription"),
        "orderItems": body.get("orderItems"),
        "metadata": body.get("metadata"),
        "codeType": body.get("codeType", "ORDER_QR"),
        "storeInfo": body.get("storeInfo"),
        "storeId": body.get("storeId"),
        "terminalId": body.get("terminalId"),
        "requestedAt": body.get("requestedAt", now),
        "redirectUrl": body.get("redirectUrl"),
        "redirectType": body.get("redirectType"),
        "isAuthorization": body.get("isAuthorization", False),
        "authorizationExpiry": body.get("authorizationExpiry"),
    }
    record = {
        "provider": PROVIDER,
        "merchant_id": merchant.merchant_id,
        "code": data,
        "status": "CREATED",
        "paymentId": None,
        "acceptedAt": None,
        "refunds": [],
        "fault": fault.kind if fault else None,
    }
    if not await service.store.create("paypay_payment", _pid(merchant, merchant_payment_id), record):
        return result("DUPLICATE_DYNAMIC_QR_REQUEST")
    await service.store.set_alias("paypay_code", code_id, _pid(merchant, merchant_payment_id))
    response = result("CREATED", data)
    if fault and fault.kind == "timeout":
        response.delay = service.settings.timeout_seconds
    return response


def expire(record: dict, now: float) -> bool:
    """A code nobody paid in time ends EXPIRED; True when this call changed it."""
    if record["status"] == "CREATED" and now > record["code"]["expiryDate"]:
        record["status"] = "EXPIRED"
        return True
    return False


def details(record: dict) -> dict:
    code = record["code"]
    refunds = [
        {key: item[key] for key in ("status", "merchantRefundId", "paymentId", "amount", "requestedAt", "reason")}
        | {"acceptedAt": item["acceptedAt"]}
        for item in record["refunds"]
    ]
    return {
        "paymentId": record["paymentId"],
        "status": record["status"],
        "acceptedAt": record["acceptedAt"],
        "refunds": {"data": refunds},
        "merchantPaymentId": code["merchantPaymentId"],
        "amount": code["amount"],
        "requestedAt": code["requestedAt"],
        "storeId": code["storeId"],
        "terminalId": code["terminalId"],
        "orderReceiptNumber": None,
        "orderDescription": code["orderDescription"],
        "orderItems": code["orderItems"],
        "metadata": code["metadata"],
    }


async def _load(service: Service, ident: str) -> dict | None:
    record = await service.store.get("paypay_payment", ident)
    if record is not None and expire(record, time.time()):
        await service.store.put("paypay_payment", ident, record)
        await _notify(service, record)
    return record


async def payment_details(service: Service, merchant: Merchant, merchant_payment_id: str) -> Response:
    record = await _load(service, _pid(merchant, merchant_payment_id))
    if record is None:
        return result("DYNAMIC_QR_PAYMENT_NOT_FOUND")
    return result("SUCCESS", details(record))


async def delete_code(service: Service, merchant: Merchant, code_id: str) -> Response:
    ident = await service.store.resolve("paypay_code", code_id)
    if ident is None or not ident.startswith(f"{merchant.merchant_id}:"):
        return result("DYNAMIC_QR_NOT_FOUND")
    async with service.store.lock("paypay_payment", ident):
        record = await _load(service, ident)
        if record is None:
            return result("DYNAMIC_QR_NOT_FOUND")
        if record["status"] == "COMPLETED":
            return result("DYNAMIC_QR_ALREADY_PAID")
        record["status"] = "CANCELED" if record["status"] == "CREATED" else record["status"]
        await service.store.put("paypay_payment", ident, record)
    return result("SUCCESS", None)


async def cancel_payment(service: Service, merchant: Merchant, merchant_payment_id: str) -> Response:
    """For a payment whose outcome the merchant does not know (a timeout): reverse it whatever happened."""
    ident = _pid(merchant, merchant_payment_id)
    async with service.store.lock("paypay_payment", ident):
        record = await _load(service, ident)
        if record is None:
            return result("DYNAMIC_QR_PAYMENT_NOT_FOUND")
        if record["status"] in ("CREATED", "COMPLETED"):
            record["status"] = "CANCELED"
            await service.store.put("paypay_payment", ident, record)
    return result("REQUEST_ACCEPTED", None)


async def refund(service: Service, merchant: Merchant, body: dict) -> Response:
    merchant_refund_id, payment_id, amount = body.get("merchantRefundId"), body.get("paymentId"), _amount(body)
    if not isinstance(merchant_refund_id, str) or not isinstance(payment_id, str) or amount is None:
        return result("INVALID_REQUEST_PARAMS")
    ident = await service.store.resolve("paypay_paymentid", payment_id)
    if ident is None or not ident.startswith(f"{merchant.merchant_id}:"):
        return result("DYNAMIC_QR_PAYMENT_NOT_FOUND")
    async with service.store.lock("paypay_payment", ident):
        record = await _load(service, ident)
        if record is None or record["status"] not in ("COMPLETED", "REFUNDED"):
            return result("UNACCEPTABLE_OP")
        refunded = sum(item["amount"]["amount"] for item in record["refunds"])
        if refunded + amount > record["code"]["amount"]["amount"]:
            return result("REFUND_LIMIT_EXCEEDED")
        now = int(time.time())
        data = {
            "status": "CREATED",
            "acceptedAt": now,
            "merchantRefundId": merchant_refund_id,
            "paymentId": payment_id,
            "amount": {"amount": amount, "currency": record["code"]["amount"]["currency"]},
            "requestedAt": body.get("requestedAt", now),
            "reason": body.get("reason"),
        }
        # Refunds complete at once in the mock; the real API may report CREATED for a while (our assumption).
        if not await service.store.create(
            "paypay_refund", _pid(merchant, merchant_refund_id), {"data": {**data, "status": "COMPLETED"}}
        ):
            return result("UNACCEPTABLE_OP")
        record["refunds"].append({**data, "status": "COMPLETED"})
        if refunded + amount == record["code"]["amount"]["amount"]:
            record["status"] = "REFUNDED"
        await service.store.put("paypay_payment", ident, record)
    return result("CREATED", data)


async def pay(service: Service, code_id: str, decline: str | None = None) -> dict | None:
    """The customer's app scans the code and pays (or fails with one of DECLINE_CODES); the payment's details."""
    ident = await service.store.resolve("paypay_code", code_id)
    if ident is None:
        ident = code_id if await service.store.get("paypay_payment", code_id) else None
    if ident is None:
        return None
    async with service.store.lock("paypay_payment", ident):
        record = await _load(service, ident)
        if record is None or record["status"] != "CREATED":
            return details(record) if record else None
        if decline is None and record.get("fault") == "decline":
            decline = "INSUFFICIENT_BALANCE"
        record["status"] = "FAILED" if decline else "COMPLETED"
        record["declineCode"] = decline
        record["paymentId"] = str(uuid.uuid4().int)[:19]
        record["acceptedAt"] = int(time.time())
        await service.store.put("paypay_payment", ident, record)
        await service.store.set_alias("paypay_paymentid", record["paymentId"], ident)
    await _notify(service, record)
    return details(record)


async def _notify(service: Service, record: dict) -> None:
    """PayPay's transaction notification (webhook) for a payment that reached an end state."""
    code = record["code"]
    state = record["status"]
    payload = {
        "notification_type": "Transaction",
        "merchant_id": record["merchant_id"],
        "store_id": code.get("storeId"),
        "pos_id": code.get("terminalId"),
        "order_id": record["paymentId"],
        "merchant_order_id": code["merchantPaymentId"],
        "authorized_at": None,
        "expires_at": None,
        "paid_at": _iso(record["acceptedAt"]) if state == "COMPLETED" else None,
        "order_amount": code["amount"]["amount"],
        "state": state,
    }
    copies = 2 if record.get("fault") == "duplicate_webhook" else 1
    await service.outbox.emit(PROVIDER, record["merchant_id"], f"Transaction.{state}", payload, copies)


def _iso(epoch: int | None) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch)) if epoch else None
