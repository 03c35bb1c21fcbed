"""Rakuten Pay online payment: create a charge, the customer authorizes it (仮売上), capture (実売上), cancel,
refund, retrieve.

The charge object follows Rakuten Pay (online, LITE) API reference's Charge (lite.checkout.rakuten.co.jp/manual/api:
object "charge", id, livemode, currency "jpy", amount, point, cart_id, paid, captured, status, refunded, items).
ASSUMED, since the public reference documents neither for the flow the platform uses (the seeds' credentials:
service_id, access_key, signature_key): the server-side create call, the paths (/v1/charges...), the request
signature (headers below) and the webhook signature. Where Rakuten's real contract differs, change it here.

    X-Rakuten-Service-Id: <service_id>   X-Rakuten-Access-Key: <access_key>   X-Rakuten-Timestamp: <unix time>
    X-Rakuten-Signature: base64(HMAC-SHA256(signature_key, METHOD \\n path \\n timestamp \\n body))
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from typing import Any

from devkit.providers.faults import fault_for
from devkit.providers.http import Request, Response
from devkit.providers.merchants import Merchant
from devkit.providers.service import Service

PROVIDER = "rakuten_pay"
# What a customer's authorization can end with (seeds/providers.toml decline_codes).
DECLINE_CODES = ("CANCELED_BY_USER", "LIMIT_EXCEEDED")
CHARGE_PREFIX = "rpay-"  # ours: tells `devkit providers pay` a charge id from the other providers' codes


def error(status: int, code: str, message: str) -> Response:
    return Response.json(status, {"error": {"code": code, "message": message}})


def signature(signature_key: str, method: str, path: str, timestamp: str, body: bytes) -> str:
    text = f"{method}\n{path}\n{timestamp}\n".encode() + body
    return base64.b64encode(hmac.new(signature_key.encode(), text, hashlib.sha256).digest()).decode()


def sign_webhook(secret: str, payload: bytes, timestamp: int) -> dict[str, str]:
    """ASSUMED webhook signature: the same HMAC over the body alone, keyed by the merchant's signature key."""
    mac = hmac.new(secret.encode(), payload, hashlib.sha256).digest()
    return {"X-Rakuten-Signature": base64.b64encode(mac).decode(), "X-Rakuten-Timestamp": str(timestamp)}


async def authenticate(service: Service, request: Request, path: str) -> Merchant | None:
    merchant = await service.find_merchant(PROVIDER, request.header("x-rakuten-service-id"))
    if merchant is None or not hmac.compare_digest(
        request.header("x-rakuten-access-key"), merchant.secret("access_key")
    ):
        return None
    expected = signature(
        merchant.secret("signature_key"), request.method, path, request.header("x-rakuten-timestamp"), request.body
    )
    return merchant if hmac.compare_digest(expected, request.header("x-rakuten-signature")) else None


async def handle(service: Service, request: Request, path: str) -> Response:
    merchant = await authenticate(service, request, path)
    if merchant is None:
        return error(401, "unauthorized", "Invalid service id, access key or signature.")
    parts = path.strip("/").split("/")
    try:
        body = request.json() if request.body else {}
    except ValueError:
        return error(400, "invalid_request", "The body is not JSON.")
    if parts == ["v1", "charges"] and request.method == "POST":
        return await create(service, merchant, body)
    if len(parts) == 3 and parts[:2] == ["v1", "charges"] and request.method == "GET":
        found = await service.store.get("rakuten_charge", f"{merchant.merchant_id}:{parts[2]}")
        return Response.json(200, public(found)) if found else error(404, "not_found", f"No such charge: {parts[2]}")
    actions = ("capture", "cancel", "refund")
    if len(parts) == 4 and parts[:2] == ["v1", "charges"] and request.method == "POST" and parts[3] in actions:
        return await transition(service, merchant, parts[2], parts[3], body)
    return error(404, "not_found", f"No route {request.method} {path}")


def public(charge: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in charge.items() if not k.startswith("_")}


async def create(service: Service, merchant: Merchant, body: dict) -> Response:
    amount, cart_id = body.get("amount"), body.get("cart_id")
    if not isinstance(amount, int) or amount <= 0 or not isinstance(cart_id, str) or not cart_id:
        return error(400, "invalid_request", "amount (a positive integer) and cart_id are required.")
    fault = fault_for(amount, body.get("metadata") if isinstance(body.get("metadata"), dict) else None)
    if fault and fault.kind == "server_error":
        return error(500, "system_error", "An internal error occurred (devkit fault: server_error).")
    if not await service.store.create("rakuten_cart", f"{merchant.merchant_id}:{cart_id}", {"cart_id": cart_id}):
        return error(409, "duplicate_cart_id", f"A charge for cart_id {cart_id} exists already.")
    ident = f"{CHARGE_PREFIX}{uuid.uuid4().hex[:20]}"
    charge = {
        "object": "charge",
        "id": ident,
        "livemode": False,
        "currency": "jpy",
        "amount": amount,
        "point": 0,
        "cart_id": cart_id,
        "paid": False,
        "captured": False,
        "status": "pending",  # ASSUMED: "succeeded" once the customer authorized it, "failed" on a decline
        "refunded": False,
        "amount_refunded": 0,
        "items": body.get("items") or [],
        "payment_url": f"{service.settings.public_url}/rakuten/authorize/{ident}",
        "created": int(time.time()),
        "_merchant": merchant.merchant_id,
        "_fault": fault.kind if fault else None,
    }
    await service.store.create("rakuten_charge", f"{merchant.merchant_id}:{ident}", charge)
    await service.store.set_alias("rakuten_id", ident, f"{merchant.merchant_id}:{ident}")
    response = Response.json(201, public(charge))
    if fault and fault.kind == "timeout":
        response.delay = service.settings.timeout_seconds
    return response


async def authorize(service: Service, charge_id: str, decline: str | None = None) -> dict | None:
    """The customer logs in with their Rakuten ID and authorizes (or fails) the charge."""

    def change(charge: dict) -> None:
        code = decline or ("LIMIT_EXCEEDED" if charge["_fault"] == "decline" else None)
        charge["status"] = "failed" if code else "succeeded"
        charge["paid"] = not code
        charge["failure_code"] = code

    charge = await service.store.update_if("rakuten_id", "rakuten_charge", charge_id, "pending", change)
    return public(charge) if charge else None


async def transition(service: Service, merchant: Merchant, charge_id: str, action: str, body: dict) -> Response:
    ident = f"{merchant.merchant_id}:{charge_id}"
    async with service.store.lock("rakuten_charge", ident):
        charge = await service.store.get("rakuten_charge", ident)
        if charge is None:
            return error(404, "not_found", f"No such charge: {charge_id}")
        if action == "capture":
            if not charge["paid"] or charge["captured"] or charge["refunded"]:
                return error(409, "invalid_status", f"Charge {charge_id} is not authorized and uncaptured.")
            charge["captured"] = True
        elif action == "cancel":
            if charge["captured"] or charge["refunded"]:
                return error(409, "invalid_status", f"Charge {charge_id} is captured or canceled: refund it instead.")
            charge["refunded"] = True
            charge["status"] = "canceled"
        else:
            remaining = charge["amount"] - charge["amount_refunded"]
            amount = body.get("amount", remaining)
            if not charge["captured"] or remaining <= 0:
                return error(409, "invalid_status", f"Charge {charge_id} has nothing captured to refund.")
            if not isinstance(amount, int) or not 0 < amount <= remaining:
                return error(400, "invalid_request", f"amount must be 1..{remaining}.")
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        await service.store.put("rakuten_charge", ident, charge)
    if action == "capture":
        copies = 2 if charge["_fault"] == "duplicate_webhook" else 1
        await service.outbox.emit(
            PROVIDER, merchant.merchant_id, "payment.captured", public(charge), copies, merchant.secret("signature_key")
        )
    return Response.json(200, public(charge))
