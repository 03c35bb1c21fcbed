"""The SmartPOS core schema, defined once.

The seed writes it, cleanup deletes from it and the anonymization rules are checked against it, so table and
column names here are a contract: rename only with the rules file in the same change.

Conventions: uuid primary keys (seeded rows use UUIDv5, applications v4), JPY amounts as BIGINT yen (JPY has no
minor unit), timestamps with time zone, `is_test` on every table so test data can be told from real data
without joins. Columns holding personal or secret data are marked `info={"pii": "<kind>"}` so the anonymizer's
coverage check can say which ones need more than `keep`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import INET, JSONB, UUID

metadata = MetaData(
    naming_convention={
        "pk": "%(table_name)s_pkey",
        "fk": "%(table_name)s_%(column_0_name)s_fkey",
        "uq": "%(table_name)s_%(column_0_N_name)s_key",
        "ix": "%(table_name)s_%(column_0_N_name)s_idx",
        "ck": "%(table_name)s_%(constraint_name)s_check",
    }
)

PAYMENT_METHODS = ("credit_card", "paypay", "line_pay", "rakuten_pay")
CARD_BRANDS = ("visa", "mastercard", "amex", "jcb", "diners")


def _id() -> Column:
    return Column("id", UUID(as_uuid=True), primary_key=True)


def _is_test() -> Column:
    return Column("is_test", Boolean, nullable=False, server_default=text("false"))


def _created_at() -> Column:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()"))


def _pii(kind: str) -> dict[str, str]:
    return {"pii": kind}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


payment_service_providers = Table(
    "payment_service_providers",
    metadata,
    _id(),
    Column("code", String(32), nullable=False, unique=True),  # card_processor | paypay | line_pay | rakuten_pay
    Column("name", Text, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("api_base_url", Text, nullable=False),
    Column("sandbox", Boolean, nullable=False),
    _is_test(),
    _created_at(),
    CheckConstraint("kind IN ('card', 'qr')", name="kind"),
)

merchants = Table(
    "merchants",
    metadata,
    _id(),
    Column("merchant_no", Integer, nullable=False, unique=True),  # the number humans and tests use: merchant 1
    Column("legal_name", Text, nullable=False),
    Column("legal_name_kana", Text, nullable=False),
    Column("trade_name", Text, nullable=False),
    Column("corporate_number", String(13), info=_pii("corporate_number")),  # 法人番号, with its check digit
    Column("representative_name", Text, nullable=False, info=_pii("person_name")),
    Column("representative_name_kana", Text, nullable=False, info=_pii("person_name_kana")),
    Column("email", Text, nullable=False, info=_pii("email")),
    Column("phone", Text, nullable=False, info=_pii("phone")),
    Column("postal_code", String(8), nullable=False, info=_pii("postal_code")),
    Column("prefecture", Text, nullable=False),
    Column("city", Text, nullable=False),
    Column("address_line", Text, nullable=False, info=_pii("address")),
    Column("bank_name", Text, nullable=False),
    Column("bank_branch", Text, nullable=False),
    Column("bank_account_type", String(8), nullable=False),  # futsu | toza
    Column("bank_account_number", String(7), nullable=False, info=_pii("bank_account")),
    Column("bank_account_holder_kana", Text, nullable=False, info=_pii("person_name_kana")),
    Column("status", String(16), nullable=False),
    Column("notes", Text, info=_pii("free_text")),
    _is_test(),
    _created_at(),
    CheckConstraint("status IN ('active', 'suspended', 'closed')", name="status"),
    CheckConstraint("bank_account_type IN ('futsu', 'toza')", name="bank_account_type"),
)

stores = Table(
    "stores",
    metadata,
    _id(),
    Column("merchant_id", UUID(as_uuid=True), ForeignKey("merchants.id"), nullable=False),
    Column("store_no", Integer, nullable=False),  # per merchant: store 1 of merchant 1
    Column("name", Text, nullable=False),
    Column("name_kana", Text, nullable=False),
    Column("phone", Text, nullable=False, info=_pii("phone")),
    Column("postal_code", String(8), nullable=False),
    Column("prefecture", Text, nullable=False),
    Column("city", Text, nullable=False),
    Column("address_line", Text, nullable=False),
    Column("timezone", Text, nullable=False),
    Column("opened_on", Date, nullable=False),
    _is_test(),
    _created_at(),
    UniqueConstraint("merchant_id", "store_no"),
)

devices = Table(
    "devices",
    metadata,
    _id(),
    Column("store_id", UUID(as_uuid=True), ForeignKey("stores.id"), nullable=False),
    Column("serial", String(32), nullable=False, unique=True),
    Column("device_uuid", UUID(as_uuid=True), nullable=False, unique=True),
    Column("model", Text, nullable=False),
    Column("key_algorithm", String(16), nullable=False),
    Column("public_key", Text, nullable=False),  # PEM SubjectPublicKeyInfo; the private key never reaches a database
    Column("status", String(16), nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_ip", INET, info=_pii("ip_address")),
    _is_test(),
    _created_at(),
    CheckConstraint("status IN ('registered', 'active', 'suspended', 'retired')", name="status"),
)

staff_users = Table(
    "staff_users",
    metadata,
    _id(),
    Column("merchant_id", UUID(as_uuid=True), ForeignKey("merchants.id"), nullable=False),
    Column("store_id", UUID(as_uuid=True), ForeignKey("stores.id")),  # NULL: merchant-wide staff
    Column("login_id", String(64), nullable=False, unique=True),
    Column("family_name", Text, nullable=False, info=_pii("person_name")),
    Column("given_name", Text, nullable=False, info=_pii("person_name")),
    Column("family_name_kana", Text, nullable=False, info=_pii("person_name_kana")),
    Column("given_name_kana", Text, nullable=False, info=_pii("person_name_kana")),
    Column("email", Text, nullable=False, info=_pii("email")),
    Column("phone", Text, info=_pii("phone")),
    Column("role", String(16), nullable=False),
    Column("pin_hash", Text, nullable=False, info=_pii("secret")),
    Column("last_login_ip", INET, info=_pii("ip_address")),
    _is_test(),
    _created_at(),
    CheckConstraint("role IN ('owner', 'manager', 'cashier')", name="role"),
)

merchant_payment_configs = Table(
    "merchant_payment_configs",
    metadata,
    _id(),
    Column("merchant_id", UUID(as_uuid=True), ForeignKey("merchants.id"), nullable=False),
    Column("provider_id", UUID(as_uuid=True), ForeignKey("payment_service_providers.id"), nullable=False),
    Column("provider_merchant_id", Text, nullable=False),
    Column("environment", String(16), nullable=False),  # sandbox | production
    Column("credentials", JSONB, nullable=False, info=_pii("secret")),  # API keys / secrets, per provider
    Column("enabled", Boolean, nullable=False),
    _is_test(),
    _created_at(),
    UniqueConstraint("merchant_id", "provider_id"),
    CheckConstraint("environment IN ('sandbox', 'production')", name="environment"),
)

orders = Table(
    "orders",
    metadata,
    _id(),
    Column("store_id", UUID(as_uuid=True), ForeignKey("stores.id"), nullable=False),
    Column("device_id", UUID(as_uuid=True), ForeignKey("devices.id"), nullable=False),
    Column("staff_user_id", UUID(as_uuid=True), ForeignKey("staff_users.id")),
    Column("order_no", String(24), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("customer_name", Text, info=_pii("person_name")),
    Column("customer_name_kana", Text, info=_pii("person_name_kana")),
    Column("customer_email", Text, info=_pii("email")),
    Column("customer_phone", Text, info=_pii("phone")),
    # Tax-exclusive subtotals per rate; tax is rounded down once per rate per order (インボイス制度).
    Column("subtotal_10", BigInteger, nullable=False),
    Column("subtotal_8", BigInteger, nullable=False),
    Column("tax_10", BigInteger, nullable=False),
    Column("tax_8", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("notes", Text, info=_pii("free_text")),
    Column("ordered_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    _is_test(),
    _created_at(),
    CheckConstraint("status IN ('open', 'closed', 'cancelled')", name="status"),
    CheckConstraint("total = subtotal_10 + subtotal_8 + tax_10 + tax_8", name="total"),
    Index(None, "ordered_at"),
    Index(None, "store_id"),
)

order_items = Table(
    "order_items",
    metadata,
    _id(),
    Column("order_id", UUID(as_uuid=True), ForeignKey("orders.id"), nullable=False),
    Column("line_no", SmallInteger, nullable=False),
    Column("sku", String(32), nullable=False),
    Column("name", Text, nullable=False),
    Column("unit_price", BigInteger, nullable=False),  # tax-exclusive yen
    Column("quantity", Integer, nullable=False),
    Column("tax_rate", SmallInteger, nullable=False),  # percent: 10 standard, 8 reduced (food, takeout)
    Column("amount", BigInteger, nullable=False),  # unit_price * quantity
    _is_test(),
    UniqueConstraint("order_id", "line_no"),
    CheckConstraint("tax_rate IN (8, 10)", name="tax_rate"),
    CheckConstraint("amount = unit_price * quantity", name="amount"),
)

bills = Table(
    "bills",
    metadata,
    _id(),
    Column("order_id", UUID(as_uuid=True), ForeignKey("orders.id"), nullable=False, unique=True),
    Column("store_id", UUID(as_uuid=True), ForeignKey("stores.id"), nullable=False),
    Column("bill_no", String(24), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("subtotal", BigInteger, nullable=False),
    Column("tax_total", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    _is_test(),
    CheckConstraint("status IN ('open', 'closed', 'void')", name="status"),
    CheckConstraint("total = subtotal + tax_total", name="total"),
)

payment_intents = Table(
    "payment_intents",
    metadata,
    _id(),
    Column("bill_id", UUID(as_uuid=True), ForeignKey("bills.id"), nullable=False),
    Column("method", String(16), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(24), nullable=False),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    _is_test(),
    CheckConstraint(_in("method", PAYMENT_METHODS), name="method"),
    CheckConstraint("status IN ('requires_payment', 'processing', 'succeeded', 'canceled')", name="status"),
    Index(None, "bill_id"),
)

payments = Table(
    "payments",
    metadata,
    _id(),
    Column("payment_intent_id", UUID(as_uuid=True), ForeignKey("payment_intents.id"), nullable=False),
    Column("bill_id", UUID(as_uuid=True), ForeignKey("bills.id"), nullable=False),
    Column("provider_id", UUID(as_uuid=True), ForeignKey("payment_service_providers.id"), nullable=False),
    Column("method", String(16), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("provider_transaction_id", String(64), nullable=False, unique=True),
    Column("card_brand", String(16)),
    Column("card_last4", String(4)),
    Column("failure_code", String(48)),
    Column("customer_ip", INET, info=_pii("ip_address")),
    Column("processed_at", DateTime(timezone=True), nullable=False),
    _is_test(),
    CheckConstraint(_in("method", PAYMENT_METHODS), name="method"),
    CheckConstraint("status IN ('completed', 'declined', 'failed', 'refunded')", name="status"),
    CheckConstraint(
        "(method = 'credit_card') = (card_brand IS NOT NULL AND card_last4 IS NOT NULL)", name="card_fields"
    ),
    Index(None, "payment_intent_id"),
    Index(None, "bill_id"),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    _id(),
    Column("provider_id", UUID(as_uuid=True), ForeignKey("payment_service_providers.id"), nullable=False),
    Column("payment_id", UUID(as_uuid=True), ForeignKey("payments.id")),
    Column("event_type", String(64), nullable=False),
    Column("payload", JSONB, nullable=False, info=_pii("json")),
    Column("signature_valid", Boolean, nullable=False),
    Column("source_ip", INET, info=_pii("ip_address")),
    Column("received_at", DateTime(timezone=True), nullable=False),
    _is_test(),
    Index(None, "payment_id"),
)

audit_logs = Table(
    "audit_logs",
    metadata,
    _id(),
    Column("merchant_id", UUID(as_uuid=True), ForeignKey("merchants.id")),
    Column("actor_staff_user_id", UUID(as_uuid=True), ForeignKey("staff_users.id")),
    Column("action", String(64), nullable=False),
    Column("target_table", String(64), nullable=False),
    Column("target_id", UUID(as_uuid=True), nullable=False),  # no FK: the trail outlives what it describes
    Column("ip_address", INET, info=_pii("ip_address")),
    Column("user_agent", Text),
    Column("details", Text, info=_pii("free_text")),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    _is_test(),
)

# Every table, parents before children: the order to load in (and the reverse, to delete in).
TABLES: tuple[Table, ...] = tuple(metadata.sorted_tables)
