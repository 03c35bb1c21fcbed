"""A payments database, as a stranger's production would be (issue 13): merchants, their customers, card and QR
payments through three providers, refunds, disputes, and the providers' webhooks kept as JSONB.

The provider's transaction id sits in a plain column (`payments.provider_txn_id`, an id a draft rules `keep`) and
again inside the webhook payloads: Stripe-shaped events carry it as `data.object.id` (`data.object.charge` for a
dispute), PayPay-shaped ones as `transaction_id`, the domestic card processor's as `reference`. PayPay and the
processor use 19-digit numeric ids, about one in ten of which passes the Luhn check by chance -- the shape of a
card number. The payloads also carry the card's `last4`, `exp_month`/`exp_year` and `brand` next to the holder's
name and email, while `payments.card_pan` holds the whole (Luhn-valid, test-BIN) number. Refund and dispute notes
are free text naming people.

At scale 1.0 about 2,800 rows, built in about a second; `scale` multiplies every table.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import datetime

import psycopg
import yaml

from testbed.strangers.common import World, alnum, card_number, copy_rows, digits, luhn_valid, scaled, table_counts
from testbed.strangers.locations import parse, read_values

NAME = "payments"

SCHEMA = """
CREATE TABLE merchants (
    id serial PRIMARY KEY,
    legal_name text NOT NULL,
    display_name text NOT NULL,
    contact_name text NOT NULL,
    contact_email text NOT NULL,
    contact_phone text,
    country char(2) NOT NULL,
    mcc char(4) NOT NULL,
    provider_account_id text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);
CREATE TABLE customers (
    id bigserial PRIMARY KEY,
    merchant_id int NOT NULL REFERENCES merchants(id),
    provider_customer_id text UNIQUE,
    name text NOT NULL,
    email text NOT NULL,
    phone text,
    created_at timestamptz NOT NULL
);
CREATE INDEX customers_merchant_idx ON customers (merchant_id);
CREATE TABLE payments (
    id bigserial PRIMARY KEY,
    merchant_id int NOT NULL REFERENCES merchants(id),
    customer_id bigint REFERENCES customers(id),
    provider text NOT NULL CHECK (provider IN ('stripe', 'paypay', 'cardnet')),
    provider_txn_id text NOT NULL UNIQUE,
    amount_minor bigint NOT NULL CHECK (amount_minor > 0),
    currency char(3) NOT NULL,
    status text NOT NULL,
    card_pan text,
    card_holder_name text,
    card_exp_month smallint CHECK (card_exp_month BETWEEN 1 AND 12),
    card_exp_year smallint,
    card_brand text,
    description text,
    created_at timestamptz NOT NULL,
    captured_at timestamptz
);
CREATE INDEX payments_merchant_created_idx ON payments (merchant_id, created_at);
CREATE TABLE refunds (
    id bigserial PRIMARY KEY,
    payment_id bigint NOT NULL REFERENCES payments(id),
    provider_refund_id text NOT NULL UNIQUE,
    amount_minor bigint NOT NULL,
    reason text NOT NULL,
    note text,
    created_at timestamptz NOT NULL
);
CREATE TABLE disputes (
    id bigserial PRIMARY KEY,
    payment_id bigint NOT NULL REFERENCES payments(id),
    provider_dispute_id text NOT NULL UNIQUE,
    reason text NOT NULL,
    status text NOT NULL,
    amount_minor bigint NOT NULL,
    evidence_due_by date,
    notes text,
    opened_at timestamptz NOT NULL
);
CREATE TABLE webhook_events (
    id bigserial PRIMARY KEY,
    provider text NOT NULL,
    event_id text NOT NULL UNIQUE,
    event_type text NOT NULL,
    payment_id bigint REFERENCES payments(id),
    payload jsonb NOT NULL,
    signature text NOT NULL,
    received_at timestamptz NOT NULL,
    processed_at timestamptz
);
CREATE INDEX webhook_events_payment_idx ON webhook_events (payment_id);
COMMENT ON COLUMN webhook_events.payload IS 'The provider''s request body, verbatim';
"""

COUNTRIES = (("US", "en_US", 0.4), ("GB", "en_GB", 0.2), ("JP", "ja_JP", 0.4))
BASE_ROWS = {"merchants": 20, "customers": 300, "payments": 1000}
CURRENCY = {"US": "usd", "GB": "gbp", "JP": "jpy"}
BRANDS = {"US": ("visa", "mastercard", "amex", "discover"), "GB": ("visa", "mastercard"), "JP": ("jcb", "visa")}
NAME_KINDS = ("western_name", "japanese_name")
PHONE_KINDS = ("us_phone", "10_digit_phone", "uk_phone", "jp_mobile")

# Notes staff write about refunds and disputes: a person by full name, no honorific; the oracle reads them back.
REFUND_NOTES = (
    "Customer {name} asked to cancel, duplicate charge.",
    "Goodwill refund approved by {name}.",
    "{name}様より返品の連絡あり。",
)
DISPUTE_NOTES = (
    "Cardholder {name} says the parcel never arrived; tracking sent.",
    "Spoke to {name}, who does not recognise the charge.",
    "{name}様 カード会社経由で異議申し立て。",
)
PROCESSOR_NOTES = ("Signature on file: {name}.", "Call {name} before shipping")

locale_expectations: dict[str, tuple[str, ...]] = {
    "public.merchants.contact_name": NAME_KINDS,
    "public.merchants.contact_phone": PHONE_KINDS,
    "public.customers.name": NAME_KINDS,
    "public.customers.phone": PHONE_KINDS,
    "public.payments.card_holder_name": ("western_name",),  # embossed: Latin capitals, Japanese holders too
    "public.webhook_events.payload$.data.object.billing_details.name": NAME_KINDS,
    "public.webhook_events.payload$.data.object.billing_details.phone": PHONE_KINDS,
    "public.webhook_events.payload$.card.holder.name": ("western_name",),
}
id_columns: tuple[str, ...] = (
    "public.merchants.provider_account_id",
    "public.customers.provider_customer_id",
    "public.payments.provider_txn_id",
    "public.refunds.provider_refund_id",
    "public.disputes.provider_dispute_id",
    "public.webhook_events.event_id",
    "public.webhook_events.payload$.id",
    "public.webhook_events.payload$.data.object.id",
    "public.webhook_events.payload$.data.object.charge",
    "public.webhook_events.payload$.data.object.customer",
    "public.webhook_events.payload$.data.object.refunds.data[0].id",
    "public.webhook_events.payload$.transaction_id",
    "public.webhook_events.payload$.merchant_order_id",
    "public.webhook_events.payload$.reference",
)

_STRIPE_CARD = "payload$.data.object.payment_method_details.card"
_PROCESSOR_CARD = "payload$.card"
# The card's pieces beside its holder in a payload, one value per row ("4242 12 2027"): alone each is too common
# to search for; together, in their own row, they are the real card.
STRIPE_CARD_PIECES = f"public.webhook_events.{_STRIPE_CARD}.last4+{_STRIPE_CARD}.exp_month+{_STRIPE_CARD}.exp_year"
PROCESSOR_CARD_PIECES = (
    f"public.webhook_events.{_PROCESSOR_CARD}.last4+{_PROCESSOR_CARD}.exp_month+{_PROCESSOR_CARD}.exp_year"
)
in_place_only: frozenset[str] = frozenset(
    {
        STRIPE_CARD_PIECES,
        PROCESSOR_CARD_PIECES,
        "public.webhook_events.payload$.data.object.billing_details.address.postal_code",
    }
)
PERSONAL_LOCATIONS: tuple[str, ...] = (
    "public.merchants.contact_name",
    "public.merchants.contact_email",
    "public.merchants.contact_phone",
    "public.customers.name",
    "public.customers.email",
    "public.customers.phone",
    "public.payments.card_pan",
    "public.payments.card_holder_name",
    "public.webhook_events.payload$.data.object.billing_details.name",
    "public.webhook_events.payload$.data.object.billing_details.email",
    "public.webhook_events.payload$.data.object.billing_details.phone",
    "public.webhook_events.payload$.data.object.billing_details.address.line1",
    "public.webhook_events.payload$.data.object.billing_details.address.postal_code",
    "public.webhook_events.payload$.data.object.receipt_email",
    "public.webhook_events.payload$.data.object.evidence.customer_name",
    "public.webhook_events.payload$.data.object.evidence.customer_email_address",
    "public.webhook_events.payload$.card.holder.name",
    "public.webhook_events.payload$.customer.name",
    "public.webhook_events.payload$.customer.email",
    STRIPE_CARD_PIECES,
    PROCESSOR_CARD_PIECES,
)
NOTE_LOCATIONS = {  # free text: the names inside, not the text
    "public.refunds.note": REFUND_NOTES,
    "public.disputes.notes": DISPUTE_NOTES,
    "public.webhook_events.payload$.note": PROCESSOR_NOTES,
}


class _Payments(World):
    """World plus the ids providers hand out."""

    def provider_txn_id(self, provider: str) -> str:
        if provider == "stripe":
            return "ch_3" + alnum(self.rng, 23)
        # PayPay's payment ids and the processor's references: 19 digits, uniformly drawn, so about one in ten
        # passes Luhn by chance.
        return str(self.rng.randint(10**18, 10**19 - 1))

    def stripe_id(self, prefix: str) -> str:
        return f"{prefix}_" + alnum(self.rng, 24)

    def holder(self, country: str) -> str:
        """The name embossed on a card: Latin capitals, romanized for Japanese holders."""
        if country == "JP":
            fake = self.fake["ja_JP"]
            return f"{fake.first_romanized_name()} {fake.last_romanized_name()}".upper()
        return self.full_name(country).upper()


def build(dsn: str, scale: float = 1.0, seed: int = 1) -> dict[str, int]:
    """Create and fill the payments database in the empty database `dsn`; rows per table."""
    world = _Payments(seed, COUNTRIES)
    with psycopg.connect(dsn) as conn:
        conn.execute(SCHEMA)
        merchants = _merchants(conn, world, scaled(BASE_ROWS["merchants"], scale))
        customers = _customers(conn, world, scaled(BASE_ROWS["customers"], scale), merchants)
        payments = _payments(conn, world, scaled(BASE_ROWS["payments"], scale), customers)
        events = _webhooks_for_payments(world, payments)
        events += _refunds(conn, world, payments)
        events += _disputes(conn, world, payments)
        _store_events(conn, world, events)
        conn.execute("ANALYZE")
        return table_counts(conn)


def _merchants(conn: psycopg.Connection, world: _Payments, n: int) -> list[tuple[int, str]]:
    rows, out = [], []
    for i in range(1, n + 1):
        country, fake = world.country()
        given, family = world.person(country)
        legal = fake.company()
        domain = (re.sub(r"[^a-z]", "", legal.lower()) or f"merchant{i}")[:20]
        domain += ".co.jp" if country == "JP" else ".com"
        local = f"{given}.{family}" if country != "JP" else fake.first_romanized_name()
        contact = f"{family}{given}" if country == "JP" else f"{given} {family}"
        rows.append(
            (
                i,
                legal,
                legal.split()[0] if country != "JP" else legal,
                contact,
                world.email(local, domain),
                world.phone(country) if world.rng.random() < 0.9 else None,
                country,
                world.rng.choice(["5411", "5812", "5999", "7230", "5732"]),
                "acct_1" + alnum(world.rng, 15),
                world.moment(2000),
            )
        )
        out.append((i, country))
    columns = ["id", "legal_name", "display_name", "contact_name", "contact_email", "contact_phone", "country"]
    copy_rows(conn, "public.merchants", [*columns, "mcc", "provider_account_id", "created_at"], rows)
    conn.execute("SELECT setval('merchants_id_seq', %s)", (n,))
    return out


def _customers(
    conn: psycopg.Connection, world: _Payments, n: int, merchants: list[tuple[int, str]]
) -> list[dict[str, object]]:
    rows, out = [], []
    domains = {
        "US": ("gmail.com", "yahoo.com"),
        "GB": ("gmail.com", "hotmail.co.uk"),
        "JP": ("docomo.ne.jp", "gmail.com"),
    }
    for i in range(1, n + 1):
        merchant_id, country = world.rng.choice(merchants)
        given, family = world.person(country)
        fake = world.fake["ja_JP"] if country == "JP" else None
        name = f"{family}{given}" if fake else f"{given} {family}"
        local = f"{fake.first_romanized_name()}{fake.last_romanized_name()}" if fake else f"{given}.{family}"
        customer = {
            "id": i,
            "merchant_id": merchant_id,
            "country": country,
            "ref": "cus_" + alnum(world.rng, 14),
            "name": name,
            "email": world.email(local, world.rng.choice(domains[country])),
            "phone": world.phone(country) if world.rng.random() < 0.8 else None,
            "address": world.address(country),
        }
        rows.append((i, merchant_id, customer["ref"], name, customer["email"], customer["phone"], world.moment(1200)))
        out.append(customer)
    columns = ["id", "merchant_id", "provider_customer_id", "name", "email", "phone", "created_at"]
    copy_rows(conn, "public.customers", columns, rows)
    conn.execute("SELECT setval('customers_id_seq', %s)", (n,))
    return out


def _payments(
    conn: psycopg.Connection, world: _Payments, n: int, customers: list[dict[str, object]]
) -> list[dict[str, object]]:
    rng, rows, out = world.rng, [], []
    used: set[str] = set()
    cards: dict[int, dict[str, object]] = {}  # a customer's card, reused across payments
    for i in range(1, n + 1):
        customer = rng.choice(customers)
        country = str(customer["country"])
        provider = rng.choice(["stripe", "paypay", "cardnet"] if country == "JP" else ["stripe"])
        txn = world.provider_txn_id(provider)
        while txn in used:
            txn = world.provider_txn_id(provider)
        used.add(txn)
        card = None
        if provider != "paypay":
            card = cards.get(int(customer["id"])) or _card(world, country)
            cards[int(customer["id"])] = card
        created = world.moment(400)
        status = rng.choices(["succeeded", "failed", "pending"], weights=[92, 5, 3])[0]
        amount = rng.randint(300, 50000) if country == "JP" else rng.randint(199, 45000)
        payment = {
            "id": i,
            "customer": customer,
            "merchant_id": customer["merchant_id"],
            "provider": provider,
            "txn": txn,
            "amount": amount,
            "currency": CURRENCY[country],
            "status": status,
            "card": card,
            "created": created,
        }
        rows.append(
            (
                i,
                customer["merchant_id"],
                customer["id"],
                provider,
                txn,
                amount,
                CURRENCY[country].upper(),
                status,
                card["pan"] if card else None,
                card["holder"] if card else None,
                card["exp_month"] if card else None,
                card["exp_year"] if card else None,
                card["brand"] if card else None,
                f"Order #{alnum(rng, 8).upper()}",
                created,
                created if status == "succeeded" else None,
            )
        )
        out.append(payment)
    columns = ["id", "merchant_id", "customer_id", "provider", "provider_txn_id", "amount_minor", "currency", "status"]
    columns += ["card_pan", "card_holder_name", "card_exp_month", "card_exp_year", "card_brand", "description"]
    copy_rows(conn, "public.payments", [*columns, "created_at", "captured_at"], rows)
    conn.execute("SELECT setval('payments_id_seq', %s)", (n + 3,))  # three attempts rolled back
    return out


def _card(world: _Payments, country: str) -> dict[str, object]:
    brand = world.rng.choice(BRANDS[country])
    pan = card_number(world.rng, brand)
    return {
        "pan": pan,
        "brand": brand,
        "holder": world.holder(country),
        "exp_month": world.rng.randint(1, 12),
        "exp_year": world.rng.randint(2025, 2031),
        "fingerprint": alnum(world.rng, 16),
    }


# ---------------------------------------------------------------- webhooks, as each provider sends them


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _stripe_event(world: _Payments, kind: str, obj: dict, moment: datetime) -> dict:
    return {
        "id": world.stripe_id("evt"),
        "object": "event",
        "api_version": "2023-10-16",
        "created": _epoch(moment),
        "livemode": True,
        "pending_webhooks": 1,
        "request": {"id": world.stripe_id("req"), "idempotency_key": str(uuid.UUID(int=world.rng.getrandbits(128)))},
        "type": kind,
        "data": {"object": obj},
    }


def _stripe_charge(world: _Payments, payment: dict) -> dict:
    customer, card = payment["customer"], payment["card"]
    address = customer["address"]
    return {
        "id": payment["txn"],
        "object": "charge",
        "amount": payment["amount"],
        "amount_captured": payment["amount"] if payment["status"] == "succeeded" else 0,
        "amount_refunded": 0,
        "balance_transaction": world.stripe_id("txn"),
        "billing_details": {
            "address": {
                "city": address["city"],
                "country": customer["country"],
                "line1": address["address1"],
                "line2": address["address2"],
                "postal_code": address["postal_code"],
                "state": address["region"],
            },
            "email": customer["email"],
            "name": card["holder"].title() if world.rng.random() < 0.5 else customer["name"],
            "phone": customer["phone"],
        },
        "captured": payment["status"] == "succeeded",
        "created": _epoch(payment["created"]),
        "currency": payment["currency"],
        "customer": customer["ref"],
        "description": None,
        "livemode": True,
        "metadata": {"order_reference": f"ORD-{world.rng.randint(100000, 999999)}"},
        "outcome": {
            "network_status": "approved_by_network" if payment["status"] == "succeeded" else "declined_by_network",
            "risk_level": "normal",
            "risk_score": world.rng.randint(5, 60),
            "seller_message": "Payment complete." if payment["status"] == "succeeded" else "The bank declined.",
            "type": "authorized" if payment["status"] == "succeeded" else "issuer_declined",
        },
        "paid": payment["status"] == "succeeded",
        "payment_method": world.stripe_id("pm"),
        "payment_method_details": {
            "type": "card",
            "card": {
                "brand": card["brand"],
                "checks": {"address_line1_check": "pass", "address_postal_code_check": "pass", "cvc_check": "pass"},
                "country": customer["country"],
                "exp_month": card["exp_month"],
                "exp_year": card["exp_year"],
                "fingerprint": card["fingerprint"],
                "funding": world.rng.choice(["credit", "debit"]),
                "last4": card["pan"][-4:],
                "network": card["brand"],
            },
        },
        "receipt_email": customer["email"],
        "refunded": False,
        "refunds": {"object": "list", "data": [], "has_more": False, "total_count": 0},
        "status": payment["status"],
    }


def _paypay_event(world: _Payments, payment: dict) -> dict:
    return {
        "notification_type": "Transaction",
        "merchant_id": f"{400000000000000000 + int(payment['merchant_id'])}",
        "store_id": f"STORE-{payment['merchant_id']:04d}",
        "pos_id": f"POS-{world.rng.randint(1, 40):03d}",
        "transaction_id": payment["txn"],
        "merchant_order_id": f"MO{digits(world.rng, 12)}",
        "order_amount": payment["amount"],
        "state": "COMPLETED" if payment["status"] == "succeeded" else "FAILED",
        "paid_at": payment["created"].isoformat(),
    }


def _processor_event(world: _Payments, payment: dict) -> dict:
    customer, card = payment["customer"], payment["card"]
    event = {
        "event": "authorization.captured" if payment["status"] == "succeeded" else "authorization.declined",
        "reference": payment["txn"],
        "approval_code": digits(world.rng, 6),
        "terminal_id": f"T{digits(world.rng, 7)}",
        "amount": payment["amount"],
        "currency": payment["currency"].upper(),
        "card": {
            "brand": str(card["brand"]).upper(),
            "bin": card["pan"][:6],
            "last4": card["pan"][-4:],
            "exp_month": card["exp_month"],
            "exp_year": card["exp_year"],
            "holder": {"name": card["holder"]},
        },
        "customer": {"name": customer["name"], "email": customer["email"]},
        "processed_at": payment["created"].isoformat(),
    }
    if world.rng.random() < 0.3:
        event["note"] = world.rng.choice(PROCESSOR_NOTES).format(name=customer["name"])
    return event


def _webhooks_for_payments(world: _Payments, payments: list[dict]) -> list[tuple[str, str, int | None, dict, datetime]]:
    """(provider, event type, payment id, payload, received at) of every payment's webhooks."""
    events = []
    for payment in payments:
        if payment["status"] == "pending":
            continue
        received = payment["created"]
        if payment["provider"] == "stripe":
            kind = "charge.succeeded" if payment["status"] == "succeeded" else "charge.failed"
            payload = _stripe_event(world, kind, _stripe_charge(world, payment), received)
        elif payment["provider"] == "paypay":
            payload = _paypay_event(world, payment)
        else:
            payload = _processor_event(world, payment)
        events.append((payment["provider"], _event_type(payload), payment["id"], payload, received))
    return events


def _event_type(payload: dict) -> str:
    return payload.get("type") or payload.get("event") or payload.get("notification_type") or "unknown"


def _refunds(conn: psycopg.Connection, world: _Payments, payments: list[dict]) -> list[tuple]:
    rng, rows, events = world.rng, [], []
    succeeded = [p for p in payments if p["status"] == "succeeded"]
    for payment in rng.sample(succeeded, k=max(1, len(succeeded) * 8 // 100)):
        refund_id = world.stripe_id("re") if payment["provider"] == "stripe" else str(rng.randint(10**18, 10**19 - 1))
        amount = payment["amount"] if rng.random() < 0.7 else payment["amount"] // 2
        note = None
        if rng.random() < 0.6:
            note = rng.choice(REFUND_NOTES).format(name=payment["customer"]["name"])
        created = payment["created"]
        rows.append(
            (payment["id"], refund_id, amount, rng.choice(["requested_by_customer", "duplicate"]), note, created)
        )
        if payment["provider"] == "stripe":
            charge = _stripe_charge(world, payment)
            charge.update(amount_refunded=amount, refunded=amount == payment["amount"])
            charge["refunds"] = {
                "object": "list",
                "data": [{"id": refund_id, "object": "refund", "amount": amount, "charge": payment["txn"]}],
                "has_more": False,
                "total_count": 1,
            }
            payload = _stripe_event(world, "charge.refunded", charge, created)
            events.append(("stripe", "charge.refunded", payment["id"], payload, created))
    copy_rows(
        conn,
        "public.refunds",
        ["payment_id", "provider_refund_id", "amount_minor", "reason", "note", "created_at"],
        rows,
    )
    return events


def _disputes(conn: psycopg.Connection, world: _Payments, payments: list[dict]) -> list[tuple]:
    rng, rows, events = world.rng, [], []
    carded = [p for p in payments if p["status"] == "succeeded" and p["card"] is not None]
    for payment in rng.sample(carded, k=max(1, len(carded) * 2 // 100)):
        customer = payment["customer"]
        dispute_id = world.stripe_id("dp") if payment["provider"] == "stripe" else f"DSP{digits(rng, 10)}"
        reason = rng.choice(["fraudulent", "product_not_received", "duplicate"])
        notes = rng.choice(DISPUTE_NOTES).format(
            name=payment["card"]["holder"] if rng.random() < 0.5 else customer["name"]
        )
        opened = payment["created"]
        rows.append(
            (payment["id"], dispute_id, reason, "needs_response", payment["amount"], opened.date(), notes, opened)
        )
        if payment["provider"] == "stripe":
            dispute = {
                "id": dispute_id,
                "object": "dispute",
                "amount": payment["amount"],
                "charge": payment["txn"],
                "currency": payment["currency"],
                "evidence": {
                    "customer_name": customer["name"],
                    "customer_email_address": customer["email"],
                    "uncategorized_text": None,
                },
                "reason": reason,
                "status": "needs_response",
            }
            payload = _stripe_event(world, "charge.dispute.created", dispute, opened)
            events.append(("stripe", "charge.dispute.created", payment["id"], payload, opened))
    columns = ["payment_id", "provider_dispute_id", "reason", "status", "amount_minor", "evidence_due_by", "notes"]
    copy_rows(conn, "public.disputes", [*columns, "opened_at"], rows)
    return events


def _store_events(conn: psycopg.Connection, world: _Payments, events: list[tuple]) -> None:
    rows = []
    for provider, kind, payment_id, payload, received in sorted(events, key=lambda e: e[4]):
        body = json.dumps(payload, ensure_ascii=False)
        event_id = payload.get("id") or f"{provider}-{hashlib.sha1(body.encode()).hexdigest()[:20]}"
        signature = f"t={_epoch(received)},v1={hashlib.sha256(('whsec' + body).encode()).hexdigest()}"
        rows.append((provider, event_id, kind, payment_id, body, signature, received, received))
    columns = ["provider", "event_id", "event_type", "payment_id", "payload", "signature", "received_at"]
    copy_rows(conn, "public.webhook_events", [*columns, "processed_at"], rows)


# ---------------------------------------------------------------- the oracle

_LATIN_NAME = r"([A-Z][A-Za-z'\-]+(?: [A-Z][A-Za-z'\-]+)+|[A-Z][A-Z'\-]+(?: [A-Z][A-Z'\-]+)+)"
_JAPANESE_NAME = r"([\u3040-\u30ff\u4e00-\u9fff\u3005]+?)"


def _note_pattern(templates: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = []
    for template in templates:
        before, after = template.split("{name}")
        # A literal on each side of every template: the lazy Japanese group ends where the template goes on.
        alternatives.append(re.escape(before) + rf"(?:{_LATIN_NAME}|{_JAPANESE_NAME})" + re.escape(after))
    return re.compile("|".join(f"(?:{a})" for a in alternatives))


def personal_values(dsn: str) -> dict[str, set[str]]:
    """Location -> the personal values planted there, read back from the database."""
    out: dict[str, set[str]] = {}
    with psycopg.connect(dsn) as conn:
        for location in PERSONAL_LOCATIONS:
            out[location] = set(read_values(conn, parse(location)))
        for location, templates in NOTE_LOCATIONS.items():
            pattern = _note_pattern(templates)
            out[location] = {
                next(group for group in match.groups() if group is not None)
                for text in read_values(conn, parse(location))
                for match in pattern.finditer(text)
            }
    return out


def luhn_valid_txn_ids(dsn: str) -> set[str]:
    """The provider transaction ids that are 19 digits and pass Luhn: what a card detector would take for cards."""
    with psycopg.connect(dsn) as conn:
        ids = [value for (value,) in conn.execute("SELECT provider_txn_id FROM payments")]
    return {value for value in ids if len(value) == 19 and luhn_valid(value)}


# The payload paths where providers put ids (transaction, reference, event, customer, refund).
ID_PATHS = (
    "$.id",
    "$.transaction_id",
    "$.reference",
    "$.merchant_order_id",
    "$.data.object.id",
    "$.data.object.charge",
    "$.data.object.customer",
    "$.data.object.refunds.data[*].id",
)


def workaround(draft_text: str) -> str:
    """What a user does today when the untouched draft does not publish (issue 13, 1): rule the payload's id
    paths `keep`, so the 19-digit ids that pass Luhn are no longer taken for cards inside the JSON."""
    rules = yaml.safe_load(draft_text)
    payload = rules["tables"]["public.webhook_events"]["columns"]["payload"]
    if isinstance(payload, dict) and payload.get("transform") == "json":
        paths = payload.setdefault("params", {}).setdefault("paths", {})
        paths.update(dict.fromkeys(ID_PATHS, "keep"))
    return yaml.safe_dump(rules, allow_unicode=True, sort_keys=False)
