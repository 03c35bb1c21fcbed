"""Pure, deterministic row generators for the SmartPOS world.

Every entity has a kind and a key (`merchant:3`, `store:3-2`, `order:20250301-117`). Its id is
UUIDv5(NAMESPACE, "kind:key") and its attributes come from its own RNG, seeded by a hash of (seed, kind, key),
so a row never depends on which rows were generated before it: any batch size or generation order gives the
same bytes. Keys are chosen so an entity keeps its identity when the world around it changes: stores are keyed
by merchant and number, orders by calendar day and number, so seeding a day later re-creates the overlapping
days' orders identically and the loader's upsert finds nothing to change there.

Reference entities (providers, merchants, stores, devices, staff, configs) get timestamps from a fixed epoch; only
transactions and staff logins depend on the window (`as_of` and `days`).

Faker (ja_JP) supplies names with their kana readings and addresses (phone numbers: `_phone`). One Faker instance is
re-seeded per entity (`seed_instance` costs a few µs; building a Faker costs ~0.6 ms), so Faker draws are
entity-local too. Faker's word lists are part of the output: a Faker upgrade may change names, which the
ledger's checksums then show.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from faker import Faker

from devkit.seed.profiles import Profile
from devkit.seed.reference import Card, Provider, Reference

# Fixed forever: changing it changes every seeded id in every environment.
NAMESPACE = uuid.UUID("0b4e7d1c-5a8f-5e2b-9c3d-6f7a8b9c0d1e")
JST = ZoneInfo("Asia/Tokyo")
EPOCH = datetime(2024, 4, 1, 9, 0, tzinfo=JST)  # reference entities are "created" in the weeks after this
GENERATOR_VERSION = "1"  # bump when generated rows change for the same profile and seed

Row = dict[str, Any]
Batch = dict[str, list[Row]]  # table name -> rows


def entity_id(kind: str, key: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{kind}:{key}")


def entity_seed(seed: int, kind: str, key: object) -> int:
    # hashlib, not hash(): Python salts str hashes per process.
    digest = hashlib.blake2b(f"{seed}\x1f{kind}\x1f{key}".encode(), digest_size=16).digest()
    return int.from_bytes(digest, "big")


def entity_rng(seed: int, kind: str, key: object) -> random.Random:
    return random.Random(entity_seed(seed, kind, key))


def stable_digits(kind: str, key: object, count: int) -> str:
    """Seed-independent digits for ids that must be unique per entity (provider transaction ids)."""
    digest = hashlib.blake2b(f"{kind}\x1f{key}".encode(), digest_size=16).digest()
    return str(int.from_bytes(digest, "big"))[-count:].zfill(count)


def corporate_number(base12: str) -> str:
    """A 法人番号: the 12-digit base with its leading check digit (National Tax Agency's formula)."""
    total = sum(int(d) * (1 if i % 2 else 2) for i, d in enumerate(reversed(base12), 1))
    return f"{9 - total % 9}{base12}"


def tax(amount: int, rate: int) -> int:
    """Consumption tax on a tax-exclusive amount, rounded down (the usual choice under the invoice system)."""
    return amount * rate // 100


def device_private_key(seed: int, device_key: str) -> Ed25519PrivateKey:
    material = hashlib.blake2b(f"{seed}\x1fdevice_key\x1f{device_key}".encode(), digest_size=32).digest()
    return Ed25519PrivateKey.from_private_bytes(material)


def _public_pem(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@cache
def _faker() -> Faker:
    return Faker("ja_JP")


def _seeded_faker(seed: int, kind: str, key: object) -> Faker:
    fake = _faker()
    fake.seed_instance(entity_seed(seed, f"faker.{kind}", key))
    return fake


def _test_ip(rng: random.Random) -> str:
    # Documentation ranges (RFC 5737): realistic shape, never someone's real address.
    return f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randint(1, 254)}"


@dataclass(frozen=True)
class Person:
    family: str
    given: str
    family_kana: str
    given_kana: str
    family_roman: str
    given_roman: str

    @property
    def name(self) -> str:
        return f"{self.family} {self.given}"

    @property
    def kana(self) -> str:
        return f"{self.family_kana} {self.given_kana}"


def _person(fake: Faker) -> Person:
    family, family_kana, family_roman = fake.last_name_pair()
    if fake.random.random() < 0.5:
        given, given_kana, given_roman = fake.first_name_female_pair()
    else:
        given, given_kana, given_roman = fake.first_name_male_pair()
    return Person(family, given, family_kana, given_kana, family_roman, given_roman)


def _email(person: Person, rng: random.Random, domain: str) -> str:
    return f"{person.given_roman.lower()}.{person.family_roman.lower()}{rng.randint(1, 999)}@{domain}"


def _phone(fake: Faker) -> str:
    """A number in an assignable range, drawn from the entity's Faker: mobile 0A0-[1-9]XXX-XXXX, landline
    0X-[2-9]XXX-XXXX. Faker's own ja_JP numbers fall in 0A0-0... about 8% of the time, the never-assigned block
    where `devkit snapshot`'s phone fakes live (a seeded database snapshotted would then see fakes equal to
    its own numbers), and its landlines often lack the trunk 0."""
    rng = fake.random
    if rng.random() < 0.75:
        return f"0{rng.choice('789')}0-{rng.randint(1000, 9999)}-{rng.randint(0, 9999):04d}"
    return f"0{rng.randint(1, 9)}-{rng.randint(2000, 9999)}-{rng.randint(0, 9999):04d}"


def _address(fake: Faker) -> tuple[str, str, str, str]:
    """(postal code, prefecture, city, rest of the line)."""
    line = f"{fake.town()}{fake.chome()}{fake.ban()}{fake.gou()}"
    if fake.random.random() < 0.4:
        line += f" {fake.building_name()}{fake.random.randint(101, 1205)}"
    return fake.zipcode(), fake.prefecture(), fake.city(), line


# --- the plan: who exists, before any attribute is drawn ----------------------------------------------------


@dataclass(frozen=True)
class StorePlan:
    key: str  # "<merchant_no>-<store_no>"
    merchant_no: int
    store_no: int
    weight: float  # share of orders
    devices: tuple[str, ...]  # device keys
    active_devices: tuple[str, ...]
    staff: tuple[str, ...]  # staff keys who ring up orders here (store staff, else the owner)


@dataclass(frozen=True)
class MerchantPlan:
    merchant_no: int
    stores: tuple[StorePlan, ...]
    staff: tuple[tuple[str, int | None, str], ...]  # (staff key, store_no or None, role)
    methods: tuple[str, ...]  # enabled payment methods


@dataclass(frozen=True)
class DeviceKey:
    device_id: uuid.UUID
    device_uuid: uuid.UUID
    serial: str
    store_key: str
    private_key_pem: str
    public_key_pem: str


@dataclass
class World:
    """A profile + seed + window, planned. `batches()` yields every row; nothing here touches I/O."""

    profile: Profile
    seed: int
    days: int
    as_of: date  # the window is the `days` whole Asia/Tokyo days before this date
    reference: Reference
    merchants: list[MerchantPlan] = field(init=False)
    stores: list[StorePlan] = field(init=False)
    day_counts: list[tuple[date, int]] = field(init=False)

    def __post_init__(self) -> None:
        self.merchants = [self._plan_merchant(no) for no in range(1, self.profile.merchants + 1)]
        self.stores = [store for merchant in self.merchants for store in merchant.stores]
        self._store_cum = list(itertools.accumulate(store.weight for store in self.stores))
        self._merchant_by_no = {m.merchant_no: m for m in self.merchants}
        self.day_counts = [(day, self._orders_on(day)) for day in self.window_days()]
        self._hour_cum = list(itertools.accumulate(self.profile.curve.hours))
        self._items = self.reference.catalog.items
        self._succeeding = [c for c in self.reference.cards if c.outcome == "succeeds" and c.weight > 0]
        self._succeeding_cum = list(itertools.accumulate(c.weight for c in self._succeeding))
        self._declining = next(c for c in self.reference.cards if c.outcome == "declined")
        self._providers = {p.method: p for p in self.reference.providers}

    # --- plan ---------------------------------------------------------------------------------------------

    def window_days(self) -> list[date]:
        return [self.as_of - timedelta(days=self.days - offset) for offset in range(self.days)]

    @property
    def window_start(self) -> datetime:
        return datetime.combine(self.as_of - timedelta(days=self.days), time(0), JST)

    @property
    def order_count(self) -> int:
        return sum(count for _, count in self.day_counts)

    def _plan_merchant(self, merchant_no: int) -> MerchantPlan:
        profile, fixtures = self.profile, self.reference.fixtures
        rng = entity_rng(self.seed, "plan.merchant", merchant_no)
        store_count = profile.stores_per_merchant.draw(rng.random())
        if merchant_no == 1:
            store_count = max(store_count, fixtures.store.stores)
        owner = f"{merchant_no}-1"
        staff: list[tuple[str, int | None, str]] = [(owner, None, "owner")]
        stores = []
        for store_no in range(1, store_count + 1):
            key = f"{merchant_no}-{store_no}"
            srng = entity_rng(self.seed, "plan.store", key)
            device_count = profile.devices_per_store.draw(srng.random())
            if key == "1-1":
                device_count = max(device_count, fixtures.store.devices)
            devices = tuple(f"{key}-{n}" for n in range(1, device_count + 1))
            # The first device of a store is always active so every store can take orders.
            active = tuple(d for n, d in enumerate(devices) if n == 0 or srng.random() < 0.9)
            store_staff = []
            for _ in range(profile.staff_per_store.draw(srng.random())):
                staff_key = f"{merchant_no}-{len(staff) + 1}"
                role = "manager" if not store_staff else "cashier"
                staff.append((staff_key, store_no, role))
                store_staff.append(staff_key)
            # Lognormal store sizes: a few busy flagship stores, many quiet ones.
            weight = srng.lognormvariate(0.0, 0.8)
            stores.append(StorePlan(key, merchant_no, store_no, weight, devices, active, tuple(store_staff or [owner])))
        methods = ["credit_card"]
        for method in ("paypay", "line_pay", "rakuten_pay"):
            if merchant_no == 1 or rng.random() < 0.7:
                methods.append(method)
        return MerchantPlan(merchant_no, tuple(stores), tuple(staff), tuple(methods))

    def _orders_on(self, day: date) -> int:
        curve = self.profile.curve.weekdays
        mean = self.profile.orders_per_day * curve[day.weekday()] * 7 / sum(curve)
        jitter = entity_rng(self.seed, "plan.day", day.isoformat()).uniform(0.9, 1.1)
        return round(mean * jitter)

    # --- rows ---------------------------------------------------------------------------------------------

    def batches(self, orders_per_batch: int = 2000, merchants_per_batch: int = 50) -> Iterator[Batch]:
        """Every row of the world in batches small enough to keep memory flat: reference data first, a group of
        merchants with their stores, devices and staff at a time, then transactions in batches of whole orders.
        A batch never holds a child without its parent, in the same or an earlier batch."""
        yield {"payment_service_providers": [self._provider_row(p) for p in self.reference.providers]}
        groups = [
            self.merchants[i : i + merchants_per_batch] for i in range(0, len(self.merchants), merchants_per_batch)
        ]
        for group in groups:
            yield self.reference_rows(group)
        for day, count in self.day_counts:
            for start in range(1, count + 1, orders_per_batch):
                batch: Batch = {}
                for n in range(start, min(count, start + orders_per_batch - 1) + 1):
                    for table, row in self.order_rows(day, n):
                        batch.setdefault(table, []).append(row)
                yield batch
            for group in groups:
                yield {"audit_logs": self.login_rows(day, group)}

    def reference_rows(self, merchants: list[MerchantPlan]) -> Batch:
        batch: Batch = {
            "merchants": [],
            "stores": [],
            "devices": [],
            "staff_users": [],
            "merchant_payment_configs": [],
            "audit_logs": [],
        }
        for merchant in merchants:
            batch["merchants"].append(self.merchant_row(merchant.merchant_no))
            for store in merchant.stores:
                batch["stores"].append(self.store_row(store))
                for device_key in store.devices:
                    device = self.device_row(store, device_key)
                    batch["devices"].append(device)
                    batch["audit_logs"].append(self._device_audit(merchant, device))
            for staff_key, store_no, role in merchant.staff:
                batch["staff_users"].append(self.staff_row(merchant, staff_key, store_no, role))
            for method in merchant.methods:
                config = self.config_row(merchant, self._providers[method])
                batch["merchant_payment_configs"].append(config)
                batch["audit_logs"].append(self._config_audit(merchant, config))
        return batch

    def _provider_row(self, provider: Provider) -> Row:
        return {
            "id": entity_id("payment_service_provider", provider.code),
            "code": provider.code,
            "name": provider.name,
            "kind": provider.kind,
            "api_base_url": provider.api_base_url,
            "sandbox": True,
            "is_test": True,
            "created_at": EPOCH,
        }

    def merchant_row(self, merchant_no: int) -> Row:
        rng = entity_rng(self.seed, "merchant", merchant_no)
        fake = _seeded_faker(self.seed, "merchant", merchant_no)
        catalog = self.reference.catalog
        representative = _person(fake)
        company = fake.last_name_pair()
        kind = rng.choice(catalog.business_kinds)
        postal, prefecture, city, line = _address(fake)
        bank = rng.choice(catalog.banks)
        domain = f"{company[2].lower()}-{merchant_no}.example.jp"
        note = rng.choice(catalog.merchant_notes).format(
            name=representative.name, phone=_phone(fake), email=f"keiri@{domain}"
        )
        row = {
            "id": entity_id("merchant", merchant_no),
            "merchant_no": merchant_no,
            "legal_name": f"株式会社{company[0]}{kind}",
            "legal_name_kana": f"カブシキガイシャ{company[1]}",
            "trade_name": f"{company[0]}{kind}",
            "corporate_number": corporate_number(f"{rng.randrange(10**12):012d}"),
            "representative_name": representative.name,
            "representative_name_kana": representative.kana,
            "email": f"info@{domain}",
            "phone": _phone(fake),
            "postal_code": postal,
            "prefecture": prefecture,
            "city": city,
            "address_line": line,
            "bank_name": bank.name,
            "bank_branch": rng.choice(bank.branches),
            "bank_account_type": "futsu" if rng.random() < 0.8 else "toza",
            "bank_account_number": f"{rng.randrange(10**7):07d}",
            "bank_account_holder_kana": f"カ）{company[1]}",
            "status": "active" if rng.random() < 0.95 else "suspended",
            "notes": note or None,
            "is_test": True,
            "created_at": EPOCH + timedelta(days=rng.randint(0, 60), seconds=rng.randint(0, 28800)),
        }
        if merchant_no == 1:
            row.update(self.reference.fixtures.merchant)
            row["notes"] = "canonical test merchant (seeds/fixtures.toml)"
        return row

    def store_row(self, store: StorePlan) -> Row:
        merchant = self.merchant_row(store.merchant_no) if store.store_no == 1 else None
        rng = entity_rng(self.seed, "store", store.key)
        fake = _seeded_faker(self.seed, "store", store.key)  # after merchant_row: both re-seed the one Faker
        postal, prefecture, city, line = _address(fake)
        suffix = rng.choice(self.reference.catalog.store_suffixes) if store.store_no > 1 else "本店"
        base = merchant["trade_name"] if merchant else f"{fake.last_name_pair()[0]}{fake.city()}"
        row = {
            "id": entity_id("store", store.key),
            "merchant_id": entity_id("merchant", store.merchant_no),
            "store_no": store.store_no,
            "name": f"{base} {suffix}",
            "name_kana": f"{fake.last_kana_name()} {suffix}",
            "phone": _phone(fake),
            "postal_code": postal,
            "prefecture": prefecture,
            "city": city,
            "address_line": line,
            "timezone": "Asia/Tokyo",
            "opened_on": (EPOCH - timedelta(days=rng.randint(30, 3000))).date(),
            "is_test": True,
            "created_at": EPOCH + timedelta(days=rng.randint(61, 90), seconds=rng.randint(0, 28800)),
        }
        if store.key == "1-1":
            fixture = self.reference.fixtures.store
            row.update(fixture.model_dump(exclude={"stores", "devices"}))
        return row

    def device_row(self, store: StorePlan, device_key: str) -> Row:
        rng = entity_rng(self.seed, "device", device_key)
        merchant_no, store_no, device_no = (int(part) for part in device_key.split("-"))
        status = "active" if device_key in store.active_devices else rng.choice(("registered", "suspended"))
        registered = EPOCH + timedelta(days=rng.randint(91, 120), seconds=rng.randint(0, 28800))
        row = {
            "id": entity_id("device", device_key),
            "store_id": entity_id("store", store.key),
            # Unique because it spells the key out; realistic enough for a terminal's printed serial.
            "serial": f"MP{merchant_no:05d}{store_no:03d}{device_no:02d}",
            "device_uuid": entity_id("device_uuid", device_key),
            "model": rng.choice(self.reference.catalog.device_models),
            "key_algorithm": "Ed25519",
            "public_key": _public_pem(device_private_key(self.seed, device_key)),
            "status": status,
            "registered_at": registered,
            "last_seen_ip": _test_ip(rng) if status == "active" else None,
            "is_test": True,
            "created_at": registered,
        }
        if device_key == "1-1-1":
            row.update(self.reference.fixtures.device)
        return row

    def device_keys(self) -> Iterator[DeviceKey]:
        for store in self.stores:
            for device_key in store.devices:
                row = self.device_row(store, device_key)
                private = device_private_key(self.seed, device_key)
                pem = private.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                ).decode()
                yield DeviceKey(row["id"], row["device_uuid"], row["serial"], store.key, pem, row["public_key"])

    def staff_row(self, merchant: MerchantPlan, staff_key: str, store_no: int | None, role: str) -> Row:
        rng = entity_rng(self.seed, "staff_user", staff_key)
        fake = _seeded_faker(self.seed, "staff_user", staff_key)
        person = _person(fake)
        row = {
            "id": entity_id("staff_user", staff_key),
            "merchant_id": entity_id("merchant", merchant.merchant_no),
            "store_id": entity_id("store", f"{merchant.merchant_no}-{store_no}") if store_no else None,
            "login_id": f"staff-{staff_key}",
            "family_name": person.family,
            "given_name": person.given,
            "family_name_kana": person.family_kana,
            "given_name_kana": person.given_kana,
            "email": _email(person, rng, f"merchant{merchant.merchant_no}.example.jp"),
            "phone": _phone(fake) if rng.random() < 0.7 else None,
            "role": role,
            # Not a real hash of anything: a fixed-shape placeholder for a bcrypt-hashed PIN.
            "pin_hash": "$2b$12$" + hashlib.sha256(f"{self.seed}:{staff_key}".encode()).hexdigest()[:53],
            "last_login_ip": _test_ip(rng),
            "is_test": True,
            "created_at": EPOCH + timedelta(days=rng.randint(61, 120), seconds=rng.randint(0, 28800)),
        }
        if staff_key == "1-1":
            row.update(self.reference.fixtures.staff)
        return row

    def config_row(self, merchant: MerchantPlan, provider: Provider) -> Row:
        key = f"{merchant.merchant_no}-{provider.code}"
        rng = entity_rng(self.seed, "merchant_payment_config", key)
        fixture = self.reference.fixtures.payment_configs.get(provider.code) if merchant.merchant_no == 1 else None
        if fixture:
            provider_merchant_id, credentials = fixture.provider_merchant_id, dict(fixture.credentials)
        else:
            provider_merchant_id = f"SBX-{provider.code.upper()}-{merchant.merchant_no:06d}"
            secret = hashlib.sha256(f"{self.seed}:{key}".encode()).hexdigest()
            credentials = {"merchant_id": provider_merchant_id, "api_key": f"sbx_{secret[:24]}", "api_secret": secret}
        return {
            "id": entity_id("merchant_payment_config", key),
            "merchant_id": entity_id("merchant", merchant.merchant_no),
            "provider_id": entity_id("payment_service_provider", provider.code),
            "provider_merchant_id": provider_merchant_id,
            "environment": "sandbox",
            "credentials": credentials,
            "enabled": merchant.merchant_no == 1 or rng.random() < 0.95,
            "is_test": True,
            "created_at": EPOCH + timedelta(days=rng.randint(61, 90), seconds=rng.randint(0, 28800)),
        }

    def _device_audit(self, merchant: MerchantPlan, device: Row) -> Row:
        key = f"device:{device['serial']}"
        rng = entity_rng(self.seed, "audit_log", key)
        return {
            "id": entity_id("audit_log", key),
            "merchant_id": entity_id("merchant", merchant.merchant_no),
            "actor_staff_user_id": entity_id("staff_user", f"{merchant.merchant_no}-1"),
            "action": "device.registered",
            "target_table": "devices",
            "target_id": device["id"],
            "ip_address": _test_ip(rng),
            "user_agent": rng.choice(self.reference.catalog.user_agents),
            "details": f"serial {device['serial']} registered ({device['model']})",
            "occurred_at": device["registered_at"],
            "is_test": True,
        }

    def _config_audit(self, merchant: MerchantPlan, config: Row) -> Row:
        key = f"config:{config['id']}"
        rng = entity_rng(self.seed, "audit_log", key)
        return {
            "id": entity_id("audit_log", key),
            "merchant_id": config["merchant_id"],
            "actor_staff_user_id": entity_id("staff_user", f"{merchant.merchant_no}-1"),
            "action": "payment_config.created",
            "target_table": "merchant_payment_configs",
            "target_id": config["id"],
            "ip_address": _test_ip(rng),
            "user_agent": rng.choice(self.reference.catalog.user_agents),
            "details": None,
            "occurred_at": config["created_at"],
            "is_test": True,
        }

    def login_rows(self, day: date, merchants: list[MerchantPlan]) -> list[Row]:
        rows = []
        rate = self.profile.staff_logins_per_day
        for merchant in merchants:
            for staff_key, _, _ in merchant.staff:
                key = f"{day:%Y%m%d}-{staff_key}"
                rng = entity_rng(self.seed, "plan.logins", key)
                for n in range(int(rate + rng.random())):
                    hour = bisect.bisect_right(self._hour_cum, rng.random() * self._hour_cum[-1])
                    at = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), JST)
                    rows.append(
                        {
                            "id": entity_id("audit_log", f"login:{key}-{n}"),
                            "merchant_id": entity_id("merchant", merchant.merchant_no),
                            "actor_staff_user_id": entity_id("staff_user", staff_key),
                            "action": "staff.login",
                            "target_table": "staff_users",
                            "target_id": entity_id("staff_user", staff_key),
                            "ip_address": _test_ip(rng),
                            "user_agent": rng.choice(self.reference.catalog.user_agents),
                            "details": None,
                            "occurred_at": at,
                            "is_test": True,
                        }
                    )
        return rows

    # --- transactions -------------------------------------------------------------------------------------

    def order_rows(self, day: date, n: int) -> list[tuple[str, Row]]:
        """One order and everything hanging off it: items, bill, payment intent, payments, webhook events."""
        profile = self.profile
        key = f"{day:%Y%m%d}-{n}"
        rng = entity_rng(self.seed, "order", key)
        store = self.stores[bisect.bisect_right(self._store_cum, rng.random() * self._store_cum[-1])]
        merchant = self._merchant_by_no[store.merchant_no]
        hour = bisect.bisect_right(self._hour_cum, rng.random() * self._hour_cum[-1])
        ordered_at = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), JST)
        order_id = entity_id("order", key)
        order_no = f"{day:%Y%m%d}-{n:07d}"
        out: list[tuple[str, Row]] = []

        subtotals = {8: 0, 10: 0}
        for line_no in range(1, profile.items_per_order.draw(rng.random()) + 1):
            item = self._items[rng.randrange(len(self._items))]
            quantity = 1 if rng.random() < 0.75 else rng.randint(2, 4)
            amount = item.price * quantity
            subtotals[item.tax_rate] += amount
            out.append(
                (
                    "order_items",
                    {
                        "id": entity_id("order_item", f"{key}-{line_no}"),
                        "order_id": order_id,
                        "line_no": line_no,
                        "sku": item.sku,
                        "name": item.name,
                        "unit_price": item.price,
                        "quantity": quantity,
                        "tax_rate": item.tax_rate,
                        "amount": amount,
                        "is_test": True,
                    },
                )
            )
        tax_10, tax_8 = tax(subtotals[10], 10), tax(subtotals[8], 8)
        subtotal = subtotals[10] + subtotals[8]
        total = subtotal + tax_10 + tax_8

        customer = None
        customer_email = customer_phone = None
        if rng.random() < profile.customer_rate:
            fake = _seeded_faker(self.seed, "order", key)
            customer = _person(fake)
            customer_email = _email(customer, rng, rng.choice(("example.com", "example.net", "example.jp")))
            customer_phone = _phone(fake)
        notes = None
        if rng.random() < profile.note_rate:
            template = rng.choice(self.reference.catalog.order_notes)
            if customer or "{" not in template:
                notes = template.format(
                    name=customer.name if customer else "", phone=customer_phone, email=customer_email
                )

        issued_at = ordered_at + timedelta(seconds=rng.randint(60, 2400))
        bill_id = entity_id("bill", key)
        methods = [m for m in merchant.methods if profile.payment_mix.get(m, 0) > 0]
        method = rng.choices(methods, weights=[profile.payment_mix[m] for m in methods])[0]
        intent_id = entity_id("payment_intent", key)

        payments: list[tuple[str, Row]] = []
        if rng.random() < profile.open_rate:
            status, intent_status, bill_status, closed_at = "open", "requires_payment", "open", None
        else:
            at = issued_at + timedelta(seconds=rng.randint(5, 90))
            attempts = ["declined", "completed"] if rng.random() < profile.decline_rate else ["completed"]
            if len(attempts) == 2 and rng.random() >= profile.retry_rate:
                attempts = ["declined"]
            for attempt, outcome in enumerate(attempts, 1):
                payments.extend(
                    self._payment(
                        rng, key, attempt, outcome, method, total, at, intent_id, bill_id, order_no, customer, store
                    )
                )
                at += timedelta(seconds=rng.randint(20, 180))
            if attempts[-1] == "completed":
                status, intent_status, bill_status, closed_at = "closed", "succeeded", "closed", at
            else:
                status, intent_status, bill_status, closed_at = "cancelled", "canceled", "void", at

        order = {
            "id": order_id,
            "store_id": entity_id("store", store.key),
            "device_id": entity_id("device", store.active_devices[rng.randrange(len(store.active_devices))]),
            "staff_user_id": entity_id("staff_user", store.staff[rng.randrange(len(store.staff))]),
            "order_no": order_no,
            "status": status,
            "customer_name": customer.name if customer else None,
            "customer_name_kana": customer.kana if customer else None,
            "customer_email": customer_email,
            "customer_phone": customer_phone,
            "subtotal_10": subtotals[10],
            "subtotal_8": subtotals[8],
            "tax_10": tax_10,
            "tax_8": tax_8,
            "total": total,
            "notes": notes,
            "ordered_at": ordered_at,
            "closed_at": closed_at,
            "is_test": True,
            "created_at": ordered_at,
        }
        bill = {
            "id": bill_id,
            "order_id": order_id,
            "store_id": order["store_id"],
            "bill_no": f"B{order_no}",
            "status": bill_status,
            "subtotal": subtotal,
            "tax_total": tax_10 + tax_8,
            "total": total,
            "issued_at": issued_at,
            "closed_at": closed_at,
            "is_test": True,
        }
        intent = {
            "id": intent_id,
            "bill_id": bill_id,
            "method": method,
            "amount": total,
            "currency": "JPY",
            "status": intent_status,
            "idempotency_key": f"pi-{key}",
            "created_at": issued_at,
            "updated_at": closed_at or issued_at,
            "is_test": True,
        }
        return [("orders", order), *out, ("bills", bill), ("payment_intents", intent), *payments]

    def _payment(
        self,
        rng: random.Random,
        order_key: str,
        attempt: int,
        outcome: str,
        method: str,
        amount: int,
        at: datetime,
        intent_id: uuid.UUID,
        bill_id: uuid.UUID,
        order_no: str,
        customer: Person | None,
        store: StorePlan,
    ) -> list[tuple[str, Row]]:
        provider = self._providers[method]
        key = f"{order_key}-{attempt}"
        payment_id = entity_id("payment", key)
        card: Card | None = None
        failure_code = None
        if method == "credit_card":
            if outcome == "declined":
                card = self._declining
                failure_code = card.failure_code or "card_declined"
            else:
                pick = rng.random() * self._succeeding_cum[-1]
                card = self._succeeding[bisect.bisect_right(self._succeeding_cum, pick)]
            transaction_id = f"ch_{stable_digits('payment', key, 20)}"
        else:
            if outcome == "declined":
                failure_code = rng.choice(provider.decline_codes) if provider.decline_codes else "FAILED"
            transaction_id = _qr_transaction_id(method, key)
        status = "completed" if outcome == "completed" else ("declined" if method == "credit_card" else "failed")
        payment = {
            "id": payment_id,
            "payment_intent_id": intent_id,
            "bill_id": bill_id,
            "provider_id": entity_id("payment_service_provider", provider.code),
            "method": method,
            "amount": amount,
            "status": status,
            "provider_transaction_id": transaction_id,
            "card_brand": card.brand if card else None,
            "card_last4": card.last4 if card else None,
            "failure_code": failure_code,
            "customer_ip": None if method == "credit_card" else _test_ip(rng),
            "processed_at": at,
            "is_test": True,
        }
        received_at = at + timedelta(seconds=rng.randint(1, 20))
        event = {
            "id": entity_id("webhook_event", key),
            "provider_id": payment["provider_id"],
            "payment_id": payment_id,
            "event_type": provider.webhook_event if outcome == "completed" else provider.decline_event,
            "payload": _webhook_payload(method, payment, order_no, store.key, customer, at),
            "signature_valid": True,
            "source_ip": _test_ip(rng),
            "received_at": received_at,
            "is_test": True,
        }
        return [("payments", payment), ("webhook_events", event)]


def _qr_transaction_id(method: str, key: str) -> str:
    if method == "paypay":
        return stable_digits("payment", key, 19)
    if method == "line_pay":
        return "2025" + stable_digits("payment", key, 15)
    return f"RP-{stable_digits('payment', key, 16)}"


def _iso(at: datetime) -> str:
    return at.astimezone(JST).isoformat()


def _webhook_payload(
    method: str, payment: Row, order_no: str, store_key: str, customer: Person | None, at: datetime
) -> dict[str, Any]:
    """What each provider's sandbox posts back, in its own shape (only ints and strings: JSON floats would
    make the checksum depend on float formatting)."""
    ok = payment["status"] == "completed"
    txn, amount = payment["provider_transaction_id"], payment["amount"]
    if method == "credit_card":
        return {
            "id": f"evt_{txn[3:]}",
            "type": "charge.completed" if ok else "charge.declined",
            "created": int(at.timestamp()),
            "data": {
                "object": {
                    "id": txn,
                    "amount": amount,
                    "currency": "jpy",
                    "status": "succeeded" if ok else "failed",
                    "failure_code": payment["failure_code"],
                    "card": {"brand": payment["card_brand"], "last4": payment["card_last4"]},
                    "metadata": {"order_no": order_no, "store": store_key},
                }
            },
        }
    if method == "paypay":
        return {
            "notification_type": "Transaction",
            "merchant_order_id": order_no,
            "order_id": txn,
            "state": "COMPLETED" if ok else "FAILED",
            "order_amount": amount,
            "paid_at": _iso(at) if ok else None,
            "authorized_at": _iso(at),
            "store_id": store_key,
            "error_code": payment["failure_code"],
        }
    if method == "line_pay":
        return {
            "returnCode": "0000" if ok else payment["failure_code"],
            "returnMessage": "Success." if ok else "Payment failed.",
            "info": {
                "orderId": order_no,
                "transactionId": int(txn),
                "payInfo": [{"method": "BALANCE", "amount": amount}],
            },
        }
    buyer = {"name": customer.name, "nameKana": customer.kana} if customer else None
    return {
        "resultType": "success" if ok else "failure",
        "errorCode": payment["failure_code"],
        "orderId": order_no,
        "transactionId": txn,
        "amount": amount,
        "currency": "JPY",
        "buyer": buyer,
        "createdAt": _iso(at),
    }


def today_in_tokyo() -> date:
    """The default end of the window: seeded transactions cover the whole days before today, Asia/Tokyo."""
    return datetime.now(JST).date()
