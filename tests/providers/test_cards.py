"""Stripe's Python SDK against the card processor mock, nothing changed but the base URL: the test cards'
outcomes, idempotent retries, capture/cancel, refunds, signed webhooks with retries, state across a restart."""

from __future__ import annotations

import uuid

import pytest
import requests
import stripe

from tests.providers.conftest import CARD_KEY, CARD_MERCHANT, ProvidersProcess, Receiver


def client(providers: ProvidersProcess, key: str = CARD_KEY) -> stripe.StripeClient:
    return stripe.StripeClient(key, base_addresses={"api": f"{providers.url}/stripe"}, max_network_retries=0)


def charge(
    cards: stripe.StripeClient, payment_method: str, amount: int = 1500, **extra: object
) -> stripe.PaymentIntent:
    params = {"amount": amount, "currency": "jpy", "payment_method": payment_method, "confirm": True, **extra}
    return cards.v1.payment_intents.create(params)


@pytest.mark.parametrize("payment_method", ["pm_card_visa", "pm_card_mastercard", "pm_card_amex"])
def test_succeeding_test_cards(providers: ProvidersProcess, payment_method: str) -> None:
    intent = charge(client(providers), payment_method, metadata={"order_id": "o-1"})
    assert intent.status == "succeeded" and intent.amount_received == 1500
    assert intent.metadata["order_id"] == "o-1" and intent.latest_charge.startswith("ch_")


@pytest.mark.parametrize(
    ("payment_method", "code", "decline_code"),
    [
        ("pm_card_chargeDeclined", "card_declined", "generic_decline"),
        ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
        ("pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error"),
    ],
)
def test_declining_test_cards(providers: ProvidersProcess, payment_method: str, code: str, decline_code: str) -> None:
    with pytest.raises(stripe.CardError) as raised:
        charge(client(providers), payment_method)
    assert raised.value.http_status == 402
    assert raised.value.code == code and raised.value.error.decline_code == decline_code
    assert raised.value.error.payment_intent.status == "requires_payment_method"


def test_raw_test_card_numbers(providers: ProvidersProcess) -> None:
    """The seeds' card numbers (seeds/test_cards.toml) as payment_method_data, as the page lists them."""
    cards = client(providers)
    ok = cards.v1.payment_intents.create(
        {"amount": 500, "currency": "jpy", "confirm": True,
         "payment_method_data": {"type": "card", "card": {"number": "4242424242424242"}}}
    )  # fmt: skip
    assert ok.status == "succeeded"
    with pytest.raises(stripe.CardError):
        cards.v1.payment_intents.create(
            {"amount": 500, "currency": "jpy", "confirm": True,
             "payment_method_data": {"type": "card", "card": {"number": "4000000000000002"}}}
        )  # fmt: skip


def test_idempotent_retry(providers: ProvidersProcess) -> None:
    cards = client(providers)
    key = uuid.uuid4().hex
    params = {"amount": 2500, "currency": "jpy", "payment_method": "pm_card_visa", "confirm": True}
    first = cards.v1.payment_intents.create(params, {"idempotency_key": key})
    again = cards.v1.payment_intents.create(params, {"idempotency_key": key})
    assert again.id == first.id and again.last_response.headers["Idempotent-Replayed"] == "true"
    with pytest.raises(stripe.IdempotencyError):
        cards.v1.payment_intents.create({**params, "amount": 2600}, {"idempotency_key": key})


def test_manual_capture_cancel_and_refunds(providers: ProvidersProcess) -> None:
    cards = client(providers)
    held = charge(cards, "pm_card_visa", amount=3000, capture_method="manual")
    assert held.status == "requires_capture" and held.amount_capturable == 3000
    captured = cards.v1.payment_intents.capture(held.id)
    assert captured.status == "succeeded" and captured.amount_received == 3000
    partial = cards.v1.refunds.create({"payment_intent": held.id, "amount": 1000})
    assert partial.status == "succeeded" and partial.amount == 1000
    assert cards.v1.refunds.retrieve(partial.id).payment_intent == held.id
    with pytest.raises(stripe.InvalidRequestError, match="greater than unrefunded"):
        cards.v1.refunds.create({"payment_intent": held.id, "amount": 2001})
    assert cards.v1.refunds.create({"payment_intent": held.id}).amount == 2000
    with pytest.raises(stripe.InvalidRequestError, match="already been refunded"):
        cards.v1.refunds.create({"payment_intent": held.id})
    pending = cards.v1.payment_intents.create({"amount": 700, "currency": "jpy"})
    assert pending.status == "requires_payment_method"
    assert cards.v1.payment_intents.cancel(pending.id).status == "canceled"
    with pytest.raises(stripe.InvalidRequestError):
        cards.v1.payment_intents.confirm(pending.id, {"payment_method": "pm_card_visa"})


def test_bad_key_is_refused(providers: ProvidersProcess) -> None:
    with pytest.raises(stripe.AuthenticationError, match="Invalid API Key"):
        charge(client(providers, "sk_test_not_a_seeded_key"), "pm_card_visa")


def test_timeout_fault_holds_the_answer(providers: ProvidersProcess) -> None:
    """Magic amount 990408: the client's deadline passes first (the fixture holds answers 3 s); the payment is
    recorded all the same, as a real timeout leaves it."""
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(
            f"{providers.url}/stripe/v1/payment_intents",
            data={"amount": 990408, "currency": "jpy", "payment_method": "pm_card_visa", "confirm": "true"},
            headers={"Authorization": f"Bearer {CARD_KEY}"},
            timeout=1.0,
        )
    with pytest.raises(stripe.APIError):
        charge(client(providers), "pm_card_visa", amount=990500)


def test_webhooks_signed_retried_recorded_and_state_survives_restart(
    providers: ProvidersProcess, receiver: Receiver
) -> None:
    receiver.fail_first = 2
    secret = "whsec_devkit_test"
    setting = requests.put(
        f"{providers.url}/_devkit/webhooks/card_processor/{CARD_MERCHANT}",
        json={"url": receiver.url, "secret": secret},
        timeout=10,
    )
    assert setting.status_code == 200, setting.text
    intent = charge(client(providers), "pm_card_visa", amount=4200)
    arrived = receiver.wait_for(3)  # two 500s, then the retry that succeeds
    assert [item.body for item in arrived] == [arrived[0].body] * 3
    for item in arrived:
        event = stripe.Webhook.construct_event(item.body.decode(), item.headers["Stripe-Signature"], secret)
        assert event.type == "charge.completed" and event.data.object.id == intent.id
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(arrived[0].body.decode(), arrived[0].headers["Stripe-Signature"], "whsec_x")
    deliveries = requests.get(f"{providers.url}/_devkit/events", timeout=10).json()["deliveries"]
    ours = next(item for item in deliveries if intent.id in item["payload"])
    # The third attempt's answer may still be on its way to Redis when the receiver has seen it.
    assert [attempt.get("status") for attempt in ours["attempts"][:2]] == [500, 500]
    assert "secret" not in ours

    providers.stop()
    providers.start()
    again = client(providers).v1.payment_intents.retrieve(intent.id)
    assert again.status == "succeeded" and again.amount_received == 4200
    deliveries = requests.get(f"{providers.url}/_devkit/events", timeout=10).json()["deliveries"]
    ours = next(item for item in deliveries if intent.id in item["payload"])
    assert ours["state"] == "delivered" and [a["status"] for a in ours["attempts"]] == [500, 500, 200]


def test_web_page_shows_payments_and_deliveries(providers: ProvidersProcess) -> None:
    intent = charge(client(providers), "pm_card_amex", amount=1234)
    page = requests.get(f"{providers.url}/", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert intent.id in page.text and "charge.completed" in page.text


def test_duplicate_webhook_fault(providers: ProvidersProcess, receiver: Receiver) -> None:
    """Magic amount 990409: the event is delivered twice, as providers that deliver at least once may do."""
    setting = {"url": receiver.url, "secret": "whsec_dup"}
    url = f"{providers.url}/_devkit/webhooks/card_processor/{CARD_MERCHANT}"
    assert requests.put(url, json=setting, timeout=10).status_code == 200
    intent = charge(client(providers), "pm_card_visa", amount=990409)
    arrived = receiver.wait_for(2)
    ids = [
        stripe.Webhook.construct_event(a.body.decode(), a.headers["Stripe-Signature"], "whsec_dup").id for a in arrived
    ]
    assert ids[0] == ids[1] and intent.id in arrived[0].body.decode()
