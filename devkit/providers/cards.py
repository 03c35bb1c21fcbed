"""The card processor, Stripe-compatible for what the test cards need: payment intents (create, retrieve,
confirm, capture, cancel) and refunds, with Stripe's shapes, errors, test card outcomes and Idempotency-Key
semantics (docs.stripe.com/api, /testing, /api/idempotent_requests), so `stripe` (the Python SDK) works with
nothing changed but its base URL.

Requests are form-encoded with bracketed keys (`metadata[order]=1`); the secret key comes as a Bearer token.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

from devkit.providers.faults import fault_for
from devkit.providers.http import Request, Response
from devkit.providers.merchants import Merchant, TestCard
from devkit.providers.service import Service

PROVIDER = "card_processor"
# Stripe's test PaymentMethod ids and the card each stands for (docs.stripe.com/testing).
TEST_PAYMENT_METHODS = {
    "pm_card_visa": "4242424242424242",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_amex": "378282246310005",
    "pm_card_visa_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
}
# The endpoint secret when the receiver was set without one (Stripe always signs; ours, documented in README).
DEFAULT_WEBHOOK_SECRET = "whsec_devkit_sandbox"
# outcome -> (error code, decline code, message), as Stripe reports each test card's failure.
DECLINES = {
    "declined": ("card_declined", "generic_decline", "Your card was declined."),
    "insufficient_funds": ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    "expired_card": ("expired_card", "expired_card", "Your card has expired."),
    "processing_error": (
        "processing_error",
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
}


def parse_form(body: bytes) -> dict[str, Any]:
    """`a[b][c]=1&l[0]=x` -> {"a": {"b": {"c": "1"}}, "l": ["x"]}: Stripe's encoding of nested parameters."""
    result: dict[str, Any] = {}
    for raw_key, value in parse_qsl(body.decode(), keep_blank_values=True):
        head, _, rest = raw_key.partition("[")
        path = [head] + [part.rstrip("]") for part in rest.split("[")] if rest else [head]
        node: Any = result
        for index, part in enumerate(path):
            last = index == len(path) - 1
            if isinstance(node, list):
                if last:
                    node.append(value)
                else:
                    node.append({} if not path[index + 1].isdigit() and path[index + 1] != "" else [])
                    node = node[-1]
                continue
            nxt_is_list = not last and (path[index + 1].isdigit() or path[index + 1] == "")
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, [] if nxt_is_list else {})
    return result


def error(status: int, kind: str, message: str, **extra: Any) -> Response:
    return Response.json(status, {"error": {"type": kind, "message": message, **extra}}, _request_id())


def _request_id() -> dict[str, str]:
    return {"Request-Id": f"req_{uuid.uuid4().hex[:14]}"}


async def authenticate(service: Service, request: Request) -> Merchant | None:
    scheme, _, token = request.header("authorization").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return await service.find_merchant(PROVIDER, token.strip())


def sign_webhook(secret: str, payload: bytes, timestamp: int) -> dict[str, str]:
    """Stripe-Signature: t=<unix time>,v1=hex(HMAC-SHA256(endpoint secret, "<t>.<payload>"))."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={timestamp},v1={mac}"}


async def handle(service: Service, request: Request, path: str) -> Response:
    merchant = await authenticate(service, request)
    if merchant is None:
        shown = request.header("authorization").partition(" ")[2]
        return error(
            401,
            "invalid_request_error",
            f"Invalid API Key provided: {shown[:8]}{'*' * max(0, len(shown) - 12)}{shown[-4:]}",
        )
    parts = path.strip("/").split("/")
    params = parse_form(request.body) if request.body else {}
    key = request.header("idempotency-key")
    if request.method == "POST" and key:
        fingerprint = hashlib.sha256(f"{path}\0".encode() + request.body).hexdigest()
        scope = f"{PROVIDER}:{merchant.merchant_id}"
        seen = await service.store.remembered(scope, key)
        if seen is not None:
            if seen["fingerprint"] != fingerprint:
                return error(
                    400,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters they were first used "
                    f"with. Try using a key other than '{key}' if you meant to execute a different request.",
                )
            return Response(seen["status"], seen["body"].encode(), {**_request_id(), "Idempotent-Replayed": "true"})
        response = await _route(service, merchant, request.method, parts, params)
        if response.status < 500:  # Stripe does not save the result of a request that failed on its side
            await service.store.remember(
                scope, key, {"fingerprint": fingerprint, "status": response.status, "body": response.body.decode()}
            )
        return response
    return await _route(service, merchant, request.method, parts, params)


async def _route(service: Service, merchant: Merchant, method: str, parts: list[str], params: dict) -> Response:
    if parts[:2] == ["v1", "payment_intents"]:
        if method == "POST" and len(parts) == 2:
            return await create_intent(service, merchant, params)
        if len(parts) >= 3:
            ident = parts[2]
            if method == "GET" and len(parts) == 3:
                found = await service.store.get("pi", ident)
                return (
                    _ok(found)
                    if found and found["_merchant"] == merchant.merchant_id
                    else _missing("payment_intent", ident)
                )
            if method == "POST" and len(parts) == 4 and parts[3] in ("confirm", "capture", "cancel"):
                return await transition(service, merchant, ident, parts[3], params)
    if parts[:2] == ["v1", "refunds"]:
        if method == "POST" and len(parts) == 2:
            return await create_refund(service, merchant, params)
        if method == "GET" and len(parts) == 3:
            found = await service.store.get("re", parts[2])
            return _ok(found) if found and found["_merchant"] == merchant.merchant_id else _missing("refund", parts[2])
    return error(404, "invalid_request_error", f"Unrecognized request URL ({method}: /{'/'.join(parts)}).")


def _ok(obj: dict) -> Response:
    return Response.json(200, {k: v for k, v in obj.items() if not k.startswith("_")}, _request_id())


def _missing(kind: str, ident: str) -> Response:
    return error(404, "invalid_request_error", f"No such {kind}: '{ident}'", code="resource_missing", param="id")


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _truthy(value: Any) -> bool:
    return str(value).lower() == "true"


async def create_intent(service: Service, merchant: Merchant, params: dict) -> Response:
    amount = _int(params.get("amount"))
    if amount is None:
        return error(
            400, "invalid_request_error", "Missing required param: amount.", code="parameter_missing", param="amount"
        )
    if not params.get("currency"):
        return error(
            400,
            "invalid_request_error",
            "Missing required param: currency.",
            code="parameter_missing",
            param="currency",
        )
    metadata = params.get("metadata") if isinstance(params.get("metadata"), dict) else {}
    fault = fault_for(amount, metadata)
    if fault and fault.kind == "server_error":
        return error(500, "api_error", "An unknown error occurred (devkit fault: server_error).")
    ident = f"pi_{uuid.uuid4().hex[:24]}"
    intent = {
        "id": ident,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "capture_method": params.get("capture_method", "automatic"),
        "client_secret": f"{ident}_secret_{uuid.uuid4().hex[:24]}",
        "confirmation_method": params.get("confirmation_method", "automatic"),
        "created": int(time.time()),
        "currency": str(params["currency"]).lower(),
        "description": params.get("description"),
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": metadata,
        "payment_method": None,
        "payment_method_types": ["card"],
        "cancellation_reason": None,
        "canceled_at": None,
        "status": "requires_payment_method",
        "_merchant": merchant.merchant_id,
        "_fault": fault.kind if fault else None,
        "_refunded": 0,
    }
    _attach_method(intent, params)
    await service.store.create("pi", ident, intent)
    if _truthy(params.get("confirm")):
        return await transition(service, merchant, ident, "confirm", {})
    return _ok(intent)


def _attach_method(intent: dict, params: dict) -> None:
    method = params.get("payment_method")
    data = params.get("payment_method_data")
    if isinstance(method, str) and method:
        intent["payment_method"] = method
    elif isinstance(data, dict) and isinstance(data.get("card"), dict):
        number = str(data["card"].get("number", "")).replace(" ", "")
        intent["payment_method"] = f"pm_card_number_{number}"
    if intent["payment_method"] and intent["status"] == "requires_payment_method":
        intent["status"] = "requires_confirmation"


def card_for(service: Service, payment_method: str) -> TestCard | None:
    number = TEST_PAYMENT_METHODS.get(payment_method)
    if number is None and payment_method.startswith("pm_card_number_"):
        number = payment_method.removeprefix("pm_card_number_")
    return service.cards.get(number or "")


async def transition(service: Service, merchant: Merchant, ident: str, action: str, params: dict) -> Response:
    async with service.store.lock("pi", ident):
        intent = await service.store.get("pi", ident)
        if intent is None or intent["_merchant"] != merchant.merchant_id:
            return _missing("payment_intent", ident)
        if action == "confirm":
            response = await _confirm(service, merchant, intent, params)
        elif action == "capture":
            response = _capture(intent, params)
        else:
            response = _cancel(intent, params)
        await service.store.put("pi", ident, intent)
    if (response.status == 200 and action != "cancel") or response.status == 402:
        await _notify(service, merchant, intent)
    if intent["_fault"] == "timeout" and action == "confirm":
        response.delay = service.settings.timeout_seconds
    return response


def _state_error(intent: dict, action: str) -> Response:
    return error(
        400,
        "invalid_request_error",
        f"This PaymentIntent's status is {intent['status']}, so it cannot be {action}.",
        code="payment_intent_unexpected_state",
        payment_intent=_public(intent),
    )


def _public(intent: dict) -> dict:
    return {k: v for k, v in intent.items() if not k.startswith("_")}


async def _confirm(service: Service, merchant: Merchant, intent: dict, params: dict) -> Response:
    if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
        return _state_error(intent, "confirmed")
    _attach_method(intent, params)
    if not intent["payment_method"]:
        return error(
            400,
            "invalid_request_error",
            "You cannot confirm this PaymentIntent because it's missing a payment method.",
            code="payment_intent_unexpected_state",
        )
    card = card_for(service, intent["payment_method"])
    outcome = card.outcome if card else "unknown"
    if intent["_fault"] == "decline":
        outcome = "declined"
    charge = f"ch_{uuid.uuid4().hex[:24]}"
    intent["latest_charge"] = charge
    if outcome in DECLINES or outcome == "unknown":
        code, decline_code, message = DECLINES.get(outcome, DECLINES["declined"])
        if outcome == "unknown":
            message = "Your card number is incorrect."
            code = decline_code = "incorrect_number"
        failure = {
            "type": "card_error",
            "code": code,
            "decline_code": decline_code,
            "message": message,
            "charge": charge,
            "payment_method": {"id": intent["payment_method"], "object": "payment_method", "type": "card"},
        }
        intent["status"] = "requires_payment_method"
        intent["last_payment_error"] = failure
        return error(
            402,
            "card_error",
            message,
            code=code,
            decline_code=decline_code,
            charge=charge,
            payment_intent=_public(intent),
        )
    intent["last_payment_error"] = None
    intent["_card"] = {"brand": card.brand, "last4": card.number[-4:]} if card else None
    if intent["capture_method"] == "manual":
        intent["status"] = "requires_capture"
        intent["amount_capturable"] = intent["amount"]
    else:
        intent["status"] = "succeeded"
        intent["amount_received"] = intent["amount"]
    return _ok(intent)


def _capture(intent: dict, params: dict) -> Response:
    if intent["status"] != "requires_capture":
        return _state_error(intent, "captured")
    amount = _int(params.get("amount_to_capture")) or intent["amount_capturable"]
    if amount > intent["amount_capturable"]:
        return error(
            400,
            "invalid_request_error",
            "The amount to capture is greater than the capturable amount.",
            param="amount_to_capture",
        )
    intent["amount_received"] = amount
    intent["amount_capturable"] = 0
    intent["status"] = "succeeded"
    return _ok(intent)


def _cancel(intent: dict, params: dict) -> Response:
    if intent["status"] not in (
        "requires_payment_method",
        "requires_confirmation",
        "requires_capture",
        "requires_action",
    ):
        return _state_error(intent, "canceled")
    intent["status"] = "canceled"
    intent["cancellation_reason"] = params.get("cancellation_reason")
    intent["canceled_at"] = int(time.time())
    intent["amount_capturable"] = 0
    return _ok(intent)


async def create_refund(service: Service, merchant: Merchant, params: dict) -> Response:
    ident = params.get("payment_intent")
    if not isinstance(ident, str):
        return error(
            400,
            "invalid_request_error",
            "Missing required param: payment_intent.",
            code="parameter_missing",
            param="payment_intent",
        )
    async with service.store.lock("pi", ident):
        intent = await service.store.get("pi", ident)
        if intent is None or intent["_merchant"] != merchant.merchant_id:
            return _missing("payment_intent", ident)
        if intent["status"] != "succeeded":
            return error(
                400,
                "invalid_request_error",
                f"This PaymentIntent ({ident}) does not have a successful charge to refund.",
                code="charge_not_refundable" if intent["status"] != "canceled" else "payment_intent_unexpected_state",
            )
        remaining = intent["amount_received"] - intent["_refunded"]
        if remaining <= 0:
            return error(
                400,
                "invalid_request_error",
                f"Charge {intent['latest_charge']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = _int(params.get("amount")) or remaining
        if amount > remaining:
            return error(
                400,
                "invalid_request_error",
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
                code="amount_too_large",
                param="amount",
            )
        intent["_refunded"] += amount
        await service.store.put("pi", ident, intent)
    refund = {
        "id": f"re_{uuid.uuid4().hex[:24]}",
        "object": "refund",
        "amount": amount,
        "charge": intent["latest_charge"],
        "created": int(time.time()),
        "currency": intent["currency"],
        "metadata": params.get("metadata") if isinstance(params.get("metadata"), dict) else {},
        "payment_intent": ident,
        "reason": params.get("reason"),
        "status": "succeeded",
        "_merchant": merchant.merchant_id,
    }
    await service.store.create("re", refund["id"], refund)
    await _emit(service, merchant, "charge.refunded", refund)
    return _ok(refund)


async def _notify(service: Service, merchant: Merchant, intent: dict) -> None:
    """The events the platform's seeds name (providers.toml: charge.completed / charge.declined), in Stripe's
    event envelope so stripe.Webhook.construct_event reads and verifies them."""
    if intent["status"] == "succeeded":
        event = "charge.completed"
    elif intent["status"] == "requires_payment_method" and intent["last_payment_error"]:
        event = "charge.declined"
    else:
        return
    copies = 2 if intent["_fault"] == "duplicate_webhook" else 1
    await _emit(service, merchant, event, _public(intent), copies)


async def _emit(service: Service, merchant: Merchant, event: str, obj: dict, copies: int = 1) -> None:
    envelope = {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "livemode": False,
        "type": event,
        "data": {"object": {k: v for k, v in obj.items() if not k.startswith("_")}},
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
    }
    await service.outbox.emit(PROVIDER, merchant.merchant_id, event, envelope, copies, DEFAULT_WEBHOOK_SECRET)
