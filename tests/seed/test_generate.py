"""Pure tests of the generators: determinism, identity, business consistency. No database."""

from __future__ import annotations

import hashlib
import random
import uuid
from collections import Counter
from datetime import datetime, time, timedelta

from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from devkit.schema import TABLES
from devkit.seed.checksum import RowHasher, TableDigest
from devkit.seed.generate import JST, NAMESPACE, World, corporate_number, entity_id, entity_seed, tax
from devkit.seed.load import expected_manifest
from devkit.seed.transactions import BLOCK, TransactionGenerator, blocks_of
from devkit.seed.workers import EncodedBlock, world_stream
from tests.seed.conftest import all_rows as _all_rows
from tests.seed.conftest import make_world, staging_world


def test_ids_are_uuid5_of_kind_and_key() -> None:
    assert entity_id("merchant", 1) == uuid.uuid5(NAMESPACE, "merchant:1")
    assert entity_id("merchant", 1).version == 5


def test_entity_seed_is_stable_across_processes() -> None:
    # A literal: Python's salted hash() would make this differ per process.
    assert entity_seed(1, "merchant", 1) == entity_seed(1, "merchant", 1)
    assert entity_seed(1, "merchant", 1) == 226691878706625269112548201849094859075


def test_output_does_not_depend_on_batch_size_or_order(small_world: World) -> None:
    reference = expected_manifest(small_world).checksums
    tiny_batches = _all_rows(make_world(), merchants_per_batch=1)
    digests = {table.name: TableDigest() for table in TABLES}
    for table in TABLES:
        RowHasher(table).digest(tiny_batches.get(table.name, []), digests[table.name])
    assert {name: digest.checksum for name, digest in digests.items()} == reference

    # Blocks generated backwards and shuffled, each by a fresh generator, come out identical to the stream.
    world = staging_world(0.0002, days=2)  # ~4,000 orders a day: blocks per day
    tasks = blocks_of(world)
    assert len(tasks) >= 4 and world.order_count > 2 * BLOCK
    generator = TransactionGenerator(world)
    forward = {task: generator.block(*task).lines for task in tasks}
    random.Random(7).shuffle(tasks)
    for task in tasks:
        assert TransactionGenerator(world).block(*task).lines == forward[task]


def _stream_hash(world: World, workers: int) -> str:
    digest = hashlib.sha256()
    for part in world_stream(world, workers):
        if isinstance(part, EncodedBlock):
            for name, (data, _) in part.tables.items():
                digest.update(name.encode() + b"\0" + data)
        else:
            digest.update(repr(sorted(part.items())).encode())
    return digest.hexdigest()


def test_one_worker_and_several_stream_the_same_bytes() -> None:
    world = staging_world(0.0005, days=2)
    assert len(blocks_of(world)) >= 6
    assert _stream_hash(world, 0) == _stream_hash(world, 1) == _stream_hash(world, 3)
    assert expected_manifest(world, workers=0).checksums == expected_manifest(world, workers=2).checksums


def test_same_seed_same_rows_other_seed_other_rows_same_ids() -> None:
    one, again, other = make_world(seed=1), make_world(seed=1), make_world(seed=2)
    assert expected_manifest(one).checksums == expected_manifest(again).checksums
    merchant_one, merchant_other = one.merchant_row(2), other.merchant_row(2)
    assert merchant_one["id"] == merchant_other["id"]
    assert merchant_one["representative_name"] != merchant_other["representative_name"]
    assert expected_manifest(one).checksums["orders"] != expected_manifest(other).checksums["orders"]


def test_overlapping_days_keep_their_orders_when_the_window_moves() -> None:
    today = make_world()
    tomorrow = make_world(as_of=today.as_of + timedelta(days=1))
    shared_day = today.window_days()[-1]
    count = dict(today.day_counts)[shared_day]
    assert count == dict(tomorrow.day_counts)[shared_day]
    assert TransactionGenerator(today).block(shared_day, 0, count).lines == (
        TransactionGenerator(tomorrow).block(shared_day, 0, count).lines
    )


def test_transaction_ids_are_uuid5_shaped_and_unique() -> None:
    rows = _all_rows(make_world("dev", days=3))
    for table in ("orders", "order_items", "bills", "payment_intents", "payments", "webhook_events"):
        ids = [row["id"] for row in rows[table]]
        assert len(set(ids)) == len(ids) and all(i.version == 5 for i in ids), table
    transaction_ids = [p["provider_transaction_id"] for p in rows["payments"]]
    assert len(set(transaction_ids)) == len(transaction_ids)
    assert len({order["order_no"] for order in rows["orders"]}) == len(rows["orders"])


def test_canonical_fixtures(small_world: World) -> None:
    rows = _all_rows(small_world)
    merchant = next(r for r in rows["merchants"] if r["merchant_no"] == 1)
    assert merchant["id"] == entity_id("merchant", 1)
    assert merchant["legal_name"] == "株式会社エムパックテスト商事"
    store = next(r for r in rows["stores"] if r["id"] == entity_id("store", "1-1"))
    assert store["merchant_id"] == merchant["id"] and store["store_no"] == 1
    device = next(r for r in rows["devices"] if r["serial"] == "TEST123456")
    assert device["store_id"] == store["id"] and device["status"] == "active"
    configs = [r for r in rows["merchant_payment_configs"] if r["merchant_id"] == merchant["id"]]
    assert len(configs) == 4 and all(c["environment"] == "sandbox" and c["enabled"] for c in configs)
    assert all(row["is_test"] for table in rows.values() for row in table)


def test_device_keys_are_real_ed25519_pairs(small_world: World) -> None:
    keys = list(small_world.device_keys())
    assert len({k.serial for k in keys}) == len(keys)
    test_device = next(k for k in keys if k.serial == "TEST123456")
    private = load_pem_private_key(test_device.private_key_pem.encode(), password=None)
    public = load_pem_public_key(test_device.public_key_pem.encode())
    public.verify(private.sign(b"jwt header.payload"), b"jwt header.payload")  # raises if they don't pair
    device_row = next(r for r in _all_rows(small_world)["devices"] if r["serial"] == "TEST123456")
    assert device_row["public_key"] == test_device.public_key_pem
    assert "PRIVATE" not in device_row["public_key"]


def test_orders_bills_and_payments_are_consistent(small_world: World) -> None:
    rows = _all_rows(small_world)
    items_by_order: dict = {}
    for item in rows["order_items"]:
        items_by_order.setdefault(item["order_id"], []).append(item)
    bills = {b["order_id"]: b for b in rows["bills"]}
    intents = {i["bill_id"]: i for i in rows["payment_intents"]}
    payments_by_bill: dict = {}
    for payment in rows["payments"]:
        payments_by_bill.setdefault(payment["bill_id"], []).append(payment)
    statuses: Counter = Counter()
    methods: Counter = Counter()
    window_start, window_end = small_world.window_start, datetime.combine(small_world.as_of, time(0), JST)
    for order in rows["orders"]:
        items = items_by_order[order["id"]]
        by_rate = {rate: sum(i["amount"] for i in items if i["tax_rate"] == rate) for rate in (8, 10)}
        assert order["subtotal_8"] == by_rate[8] and order["subtotal_10"] == by_rate[10]
        assert order["tax_8"] == tax(by_rate[8], 8) and order["tax_10"] == tax(by_rate[10], 10)
        assert order["total"] == sum(i["amount"] for i in items) + order["tax_8"] + order["tax_10"]
        assert window_start <= order["ordered_at"] < window_end
        assert small_world.profile.curve.hours[order["ordered_at"].hour] > 0  # business hours only
        bill = bills[order["id"]]
        assert bill["total"] == order["total"] and bill["tax_total"] == order["tax_8"] + order["tax_10"]
        payments = sorted(payments_by_bill.get(bill["id"], []), key=lambda p: p["processed_at"])
        intent = intents[bill["id"]]
        statuses[order["status"]] += 1
        methods[intent["method"]] += 1
        if bill["status"] == "closed":
            completed = [p for p in payments if p["status"] == "completed"]
            assert len(completed) == 1 and completed[0]["amount"] == bill["total"]
            assert payments[-1] is completed[0] and intent["status"] == "succeeded"
            assert order["status"] == "closed" and order["closed_at"] >= order["ordered_at"]
        elif bill["status"] == "void":
            assert payments and all(p["status"] in ("declined", "failed") for p in payments)
        else:
            assert not payments and intent["status"] == "requires_payment" and order["closed_at"] is None
        for payment in payments:
            assert payment["method"] == intent["method"]
            if payment["method"] == "credit_card":
                expected_last4 = "0002" if payment["status"] == "declined" else None
                if expected_last4:
                    assert payment["card_last4"] == expected_last4 and payment["card_brand"] == "visa"
                else:
                    assert payment["card_last4"] in {"4242", "4444", "0005"}
            else:
                assert payment["card_brand"] is None and payment["card_last4"] is None
    assert set(statuses) == {"closed", "cancelled", "open"}  # the small profile shows every path
    assert set(methods) == {"credit_card", "paypay", "line_pay", "rakuten_pay"}
    assert len(rows["webhook_events"]) == len(rows["payments"])
    events = {event["payment_id"]: event for event in rows["webhook_events"]}
    for payment in rows["payments"]:
        payload = events[payment["id"]]["payload"]
        if payment["method"] == "credit_card":
            assert payload["data"]["object"]["card"]["last4"] == payment["card_last4"]
        elif payment["method"] == "line_pay":
            assert str(payload["info"]["transactionId"]) == payment["provider_transaction_id"]
        else:
            assert payment["provider_transaction_id"] in (payload.get("order_id"), payload.get("transactionId"))


def test_japanese_personal_data_has_readings(small_world: World) -> None:
    customers = [o for o in _all_rows(small_world)["orders"] if o["customer_name"]]
    assert customers
    for order in customers:
        assert len(order["customer_name"].split(" ")) == 2
        assert all("\u30a0" <= ch <= "\u30ff" or ch == " " for ch in order["customer_name_kana"])
        assert order["customer_email"].endswith((".com", ".net", ".jp"))


def test_corporate_number_check_digit() -> None:
    assert corporate_number("000012050002") == "7000012050002"  # 国税庁's own 法人番号
    assert corporate_number("011001234567") == "2011001234567"


def test_phones_sit_in_assignable_ranges_apart_from_snapshot_fakes(small_world: World) -> None:
    """Snapshot phone fakes live in the never-assigned 0A0-0 / 0X-0 blocks; seeded numbers must not, or a seeded
    database snapshotted would show fakes equal to its own numbers."""
    phones = [
        value
        for items in _all_rows(small_world).values()
        for row in items
        for column, value in row.items()
        if column in ("phone", "customer_phone")
        and value is not None
        and not value.startswith("03-0000-")  # seeds/fixtures.toml's fixed, unreachable numbers
    ]
    assert len(phones) > 50
    for phone in phones:
        digits = phone.replace("-", "")
        assert digits.startswith("0") and digits[1] != "0", phone
        if len(digits) == 11:
            assert digits[2] == "0" and digits[3] != "0", phone
        else:
            assert len(digits) == 10 and digits[2] not in "01", phone
