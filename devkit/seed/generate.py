"""Pure, deterministic row generators for the SmartPOS world.

Every reference entity has a kind and a key (`merchant:3`, `store:3-2`, `device:3-2-1`). Its id is
UUIDv5(NAMESPACE, "kind:key") and its attributes come from its own RNG, seeded by a hash of (seed, kind, key),
so a row never depends on which rows were generated before it: any batch size or generation order gives the
same bytes. Keys are chosen so an entity keeps its identity when the world around it changes: stores are keyed
by merchant and number. Transactions (orders and what hangs off them, ~99% of the rows) are generated a block of
orders at a time, vectorised, by `devkit.seed.transactions`, keyed by calendar day and order number, so seeding a
day later re-creates the overlapping days' orders identically and the loader's upsert finds nothing to change.

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
from devkit.seed.reference import Provider, Reference

# Fixed forever: changing it changes every seeded id in every environment.
NAMESPACE = uuid.UUID("0b4e7d1c-5a8f-5e2b-9c3d-6f7a8b9c0d1e")
JST = ZoneInfo("Asia/Tokyo")
EPOCH = datetime(2024, 4, 1, 9, 0, tzinfo=JST)  # reference entities are "created" in the weeks after this
# Bump when generated rows change for the same profile and seed (2: transactions vectorised, devkit.seed.transactions).
GENERATOR_VERSION = "2"

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
        self.day_counts = [(day, self._orders_on(day)) for day in self.window_days()]
        self._hour_cum = list(itertools.accumulate(self.profile.curve.hours))
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

    def _groups(self, merchants_per_batch: int) -> list[list[MerchantPlan]]:
        return [self.merchants[i : i + merchants_per_batch] for i in range(0, len(self.merchants), merchants_per_batch)]

    def batches(self, merchants_per_batch: int = 50) -> Iterator[Batch]:
        """The reference rows in batches small enough to keep memory flat: providers, then a group of merchants
        with their stores, devices, staff and configs at a time. A batch never holds a child without its parent,
        in the same or an earlier batch. Transactions come from `devkit.seed.transactions`, block by block."""
        yield {"payment_service_providers": [self._provider_row(p) for p in self.reference.providers]}
        for group in self._groups(merchants_per_batch):
            yield self.reference_rows(group)

    def login_batches(self, merchants_per_batch: int = 50) -> Iterator[Batch]:
        """Staff logins (audit logs) of every day of the window, a group of merchants at a time."""
        for day in self.window_days():
            for group in self._groups(merchants_per_batch):
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


def today_in_tokyo() -> date:
    """The default end of the window: seeded transactions cover the whole days before today, Asia/Tokyo."""
    return datetime.now(JST).date()
