"""Vectorised generation of the transaction tables: orders and what hangs off them, a block of orders at a time.

Transactions are ~99% of a seed's rows (staging: 20M orders a day, ~150M rows), so they leave per-row Python:
each column of a block is drawn with NumPy from the block's own random stream and rendered to text in one pass,
from pools built once (customers with their readings, IP addresses, catalog items, the stores' devices and staff).

Determinism: the orders of a day are cut into blocks of BLOCK orders (a constant: it is part of the output), and
block b of day d draws from a stream seeded by (seed, "orders.block", d, b). A block's rows depend on nothing
else, so any worker count, any generation order and any COPY batching give the same bytes, and moving the
window keeps the overlapping days' orders as they were. Ids are UUIDv5-shaped (version nibble 5, so the seed's
ownership test holds) and computed with a bijective 64-bit mixer from (kind, day, order number, line), not SHA-1
per row; like the reference entities' ids they do not depend on the seed.

Each row comes out as one line that is both its COPY text (loaded with the session in UTC) and the canonical line
`devkit.seed.checksum.row_sql` renders for it, so the checksum is md5 of the very bytes sent. Pool strings are
checked once to need no COPY or JSON escaping.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import repeat

import numpy as np

from devkit.errors import ConfigError
from devkit.seed.checksum import TableDigest
from devkit.seed.generate import JST, World, _person, _seeded_faker, entity_id, entity_seed, tax
from devkit.seed.reference import Card

try:  # the C hot paths (csrc/speedups.c); without them numpy's own formatting, the same bytes
    from devkit.seed import _speedups as NATIVE
except ImportError:
    NATIVE = None

BLOCK = 2048  # orders per random stream; fixed forever for a GENERATOR_VERSION: it shapes every transaction row
PERSON_POOL = 2048  # customers drawn per seed (names, readings, romaji for e-mail); our assumption of enough variety
TABLES = ("orders", "order_items", "bills", "payment_intents", "payments", "webhook_events")
NULL, TRUE, TAB = b"\\N", b"t", b"\t"
IP_PREFIXES = (b"192.0.2.", b"198.51.100.", b"203.0.113.")  # RFC 5737 documentation ranges, as _test_ip
_KIND_CODE = {table: code for code, table in enumerate(TABLES, 1)}
_UNSAFE = re.compile(rb'[\x00-\x1f"\\]')  # needs COPY or JSON escaping: kept out of every pool
_HEX = np.frombuffer(b"".join(f"{i:02x}".encode() for i in range(256)), dtype=np.uint8).reshape(256, 2)
_UNIX_EPOCH = date(1970, 1, 1)


def _safe(value: str, where: str) -> bytes:
    encoded = value.encode()
    if _UNSAFE.search(encoded):
        raise ConfigError(f"{where}: {value!r} holds a quote, backslash or control character", "remove it")
    return encoded


# --- vectorised text --------------------------------------------------------------------------------------------


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: a bijection of uint64, so distinct inputs keep distinct outputs."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def uuids(kind: str, day_number: int, numbers: np.ndarray, sub: np.ndarray | int = 0) -> list[bytes]:
    """UUIDv5-shaped ids of (kind, day, order number, sub) as text. For a kind, hi is a bijection of (day, number)
    and lo one of sub for a given hi, so a kind's ids are distinct before the 6 version/variant bits are set."""
    with np.errstate(over="ignore"):
        key = (np.uint64(day_number) << np.uint64(32)) | numbers.astype(np.uint64)
        hi = _mix64(key ^ _mix64(np.uint64(_KIND_CODE[kind]) * np.uint64(0x5EED5EED5EED5EED)))
        other = (np.uint64(_KIND_CODE[kind]) << np.uint64(32)) | np.asarray(sub, dtype=np.uint64)
        lo = _mix64(hi ^ _mix64(other + np.uint64(0x9E3779B97F4A7C15)))
    hi = (hi & np.uint64(0xFFFFFFFFFFFF0FFF)) | np.uint64(0x5000)
    lo = (lo & np.uint64(0x3FFFFFFFFFFFFFFF)) | np.uint64(0x8000000000000000)
    raw = np.empty((len(hi), 2), dtype=">u8")
    raw[:, 0], raw[:, 1] = hi, lo
    hexed = _HEX[raw.view(np.uint8).reshape(-1, 16)].reshape(-1, 32)
    out = np.full((len(hi), 36), ord("-"), dtype=np.uint8)
    out[:, 0:8], out[:, 9:13], out[:, 14:18] = hexed[:, 0:8], hexed[:, 8:12], hexed[:, 12:16]
    out[:, 19:23], out[:, 24:36] = hexed[:, 16:20], hexed[:, 20:32]
    return out.view("S36").ravel().tolist()


def ints(values: np.ndarray) -> list[bytes]:
    if NATIVE is not None and values.dtype.kind == "i":
        return NATIVE.decimals(np.ascontiguousarray(values, dtype=np.int64))
    return values.astype("S20").tolist()


def _fixed(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative ints as an (N, width) array of ASCII bytes."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.uint64)
    return ((values.astype(np.uint64)[:, None] // powers) % np.uint64(10)).astype(np.uint8) + ord("0")


def _glue(*parts: np.ndarray | bytes) -> list[bytes]:
    """Concatenate (N, w) ASCII arrays and constants column-wise into N byte strings."""
    count = next(len(p) for p in parts if isinstance(p, np.ndarray))
    arrays = [
        p if isinstance(p, np.ndarray) else np.broadcast_to(np.frombuffer(p, np.uint8), (count, len(p))) for p in parts
    ]
    joined = np.ascontiguousarray(np.concatenate(arrays, axis=1))
    return joined.view(f"S{joined.shape[1]}").ravel().tolist()


def timestamps(epoch_seconds: np.ndarray) -> list[bytes]:
    """UTC `YYYY-MM-DD HH:MM:SS.000000`: checksum.row_sql's rendering, and COPY input in a UTC session."""
    if NATIVE is not None and epoch_seconds.dtype.kind == "i":
        text = NATIVE.timestamps(np.ascontiguousarray(epoch_seconds, dtype=np.int64))
        if text is not None:
            return text
    text = np.datetime_as_string(epoch_seconds.astype("datetime64[s]"), unit="s").astype("S19")
    grid = text.view(np.uint8).reshape(-1, 19).copy()
    grid[:, 10] = ord(" ")
    return _glue(grid, b".000000")


def iso_tokyo(epoch_seconds: np.ndarray) -> list[bytes]:
    """`datetime.astimezone(JST).isoformat()` of whole seconds: `YYYY-MM-DDTHH:MM:SS+09:00`."""
    local = (epoch_seconds + 9 * 3600).astype("datetime64[s]")
    text = np.datetime_as_string(local, unit="s").astype("S19")
    return _glue(text.view(np.uint8).reshape(-1, 19), b"+09:00")


def quoted(values: Iterable[bytes]) -> list[bytes]:
    return [b'"' + value + b'"' for value in values]


def lines(*columns: Sequence[bytes] | bytes) -> list[bytes]:
    """Rows from columns (a constant is repeated): tab-joined, the COPY text and the checksum line at once."""
    if NATIVE is not None and (joined := NATIVE.tab_join(columns)) is not None:
        return joined
    return list(map(TAB.join, zip(*(repeat(c) if isinstance(c, bytes) else c for c in columns), strict=False)))


class JsonTemplate:
    """A JSON document with slots, rendered as PostgreSQL's `jsonb::text` prints it (keys by byte length, then
    bytes; ", " and ": "), so it checksums like the stored value. Slots take already-rendered JSON values."""

    @dataclass(frozen=True)
    class Slot:
        name: str

    def __init__(self, shape: dict) -> None:
        self.parts: list[bytes | str] = []
        self._render(shape)

    def _constant(self, text: bytes) -> None:
        if self.parts and isinstance(self.parts[-1], bytes):
            self.parts[-1] += text
        else:
            self.parts.append(text)

    def _render(self, value: object) -> None:
        if isinstance(value, JsonTemplate.Slot):
            self.parts.append(value.name)
        elif isinstance(value, dict):
            self._constant(b"{")
            for i, key in enumerate(sorted(value, key=lambda k: (len(k.encode()), k.encode()))):
                self._constant((b", " if i else b"") + b'"' + _safe(key, "JSON key") + b'": ')
                self._render(value[key])
            self._constant(b"}")
        elif isinstance(value, list):
            self._constant(b"[")
            for i, item in enumerate(value):
                self._constant(b", " if i else b"")
                self._render(item)
            self._constant(b"]")
        else:
            self._constant(b'"' + _safe(value, "JSON constant") + b'"')

    def render(self, slots: dict[str, Sequence[bytes]]) -> list[bytes]:
        columns = (repeat(p) if isinstance(p, bytes) else slots[p] for p in self.parts)
        return list(map(b"".join, zip(*columns, strict=False)))


_S = JsonTemplate.Slot
PAYLOADS = {
    "credit_card": JsonTemplate(
        {
            "id": _S("event_id"),
            "type": _S("type"),
            "created": _S("created"),
            "data": {
                "object": {
                    "id": _S("txn"),
                    "amount": _S("amount"),
                    "currency": "jpy",
                    "status": _S("status"),
                    "failure_code": _S("failure_code"),
                    "card": {"brand": _S("brand"), "last4": _S("last4")},
                    "metadata": {"order_no": _S("order_no"), "store": _S("store")},
                }
            },
        }
    ),
    "paypay": JsonTemplate(
        {
            "notification_type": "Transaction",
            "merchant_order_id": _S("order_no"),
            "order_id": _S("txn"),
            "state": _S("state"),
            "order_amount": _S("amount"),
            "paid_at": _S("paid_at"),
            "authorized_at": _S("at"),
            "store_id": _S("store"),
            "error_code": _S("failure_code"),
        }
    ),
    "line_pay": JsonTemplate(
        {
            "returnCode": _S("return_code"),
            "returnMessage": _S("return_message"),
            "info": {
                "orderId": _S("order_no"),
                "transactionId": _S("txn_number"),
                "payInfo": [{"method": "BALANCE", "amount": _S("amount")}],
            },
        }
    ),
    "rakuten_pay": JsonTemplate(
        {
            "resultType": _S("result"),
            "errorCode": _S("failure_code"),
            "orderId": _S("order_no"),
            "transactionId": _S("txn"),
            "amount": _S("amount"),
            "currency": "JPY",
            "buyer": _S("buyer"),
            "createdAt": _S("at"),
        }
    ),
}


def _pick(pool: np.ndarray, index: np.ndarray) -> list[bytes]:
    return pool[index].tolist()


def _by_weight(cumulative: np.ndarray, u: np.ndarray) -> np.ndarray:
    """bisect_right(cumulative, u * total) for each u, clipped to the last index (u * total may round to it)."""
    return np.minimum(np.searchsorted(cumulative, u * cumulative[-1], side="right"), len(cumulative) - 1)


def _object_array(values: Sequence[bytes]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


# --- the generator ----------------------------------------------------------------------------------------------


@dataclass
class Block:
    """One block's rows: per table, canonical lines; per table, which of the block's orders each row belongs to."""

    day: date
    first: int  # the first order number
    ordered_at: np.ndarray  # epoch seconds per order
    lines: dict[str, list[bytes]]
    owners: dict[str, np.ndarray] = field(repr=False)

    def digests(self) -> dict[str, TableDigest]:
        return {table: digest_lines(rows) for table, rows in self.lines.items()}


def digest_lines(rows: list[bytes]) -> TableDigest:
    """count, sum of md5 high halves, sum of low halves (signed 64-bit, as checksum_sql sums them)."""
    if not rows:
        return TableDigest()
    if NATIVE is not None:
        high_top, high_bottom, low_top, low_bottom = NATIVE.digest_sums(rows)
    else:
        digests = np.frombuffer(b"".join([h.digest() for h in map(hashlib.md5, rows)]), dtype=">i8").astype(np.int64)
        top, bottom = digests >> 32, digests & 0xFFFFFFFF  # summed apart: exact in int64 for up to 2**31 rows
        high_top, high_bottom = int(top[0::2].sum()), int(bottom[0::2].sum())
        low_top, low_bottom = int(top[1::2].sum()), int(bottom[1::2].sum())
    return TableDigest(len(rows), (high_top << 32) + high_bottom, (low_top << 32) + low_bottom)


class TransactionGenerator:
    """Pools and plan arrays built once per world; `block(day, b)` renders a block from them."""

    def __init__(self, world: World) -> None:
        self.world = world
        profile, reference = world.profile, world.reference
        self.profile = profile
        stores = world.stores
        self.store_cum = np.cumsum([s.weight for s in stores])
        self.store_ids = _object_array([str(entity_id("store", s.key)).encode() for s in stores])
        self.store_keys = _object_array([b'"' + s.key.encode() + b'"' for s in stores])
        merchant_index = {m.merchant_no: i for i, m in enumerate(world.merchants)}
        self.store_merchant = np.array([merchant_index[s.merchant_no] for s in stores])
        devices = [str(entity_id("device", d)).encode() for s in stores for d in s.active_devices]
        staff = [str(entity_id("staff_user", k)).encode() for s in stores for k in s.staff]
        self.devices, self.staff = _object_array(devices), _object_array(staff)
        self.device_count = np.array([len(s.active_devices) for s in stores])
        self.device_start = np.concatenate(([0], np.cumsum(self.device_count)[:-1]))
        self.staff_count = np.array([len(s.staff) for s in stores])
        self.staff_start = np.concatenate(([0], np.cumsum(self.staff_count)[:-1]))
        self.hour_cum = np.cumsum(profile.curve.hours)

        items = reference.catalog.items
        self.item_sku = _object_array([_safe(i.sku, "catalog sku") for i in items])
        self.item_name = _object_array([_safe(i.name, "catalog item") for i in items])
        self.item_price = np.array([i.price for i in items], dtype=np.int64)
        self.item_rate = np.array([i.tax_rate for i in items], dtype=np.int64)

        # Payment methods: a merchant's enabled methods weighted by the profile's mix, as one cumulative row each.
        self.methods = ["credit_card", "paypay", "line_pay", "rakuten_pay"]
        weights = np.array(
            [
                [profile.payment_mix.get(m, 0) if m in merchant.methods else 0 for m in self.methods]
                for merchant in world.merchants
            ]
        )
        self.method_cum = np.cumsum(weights, axis=1)
        self.last_method = (weights.shape[1] - 1) - np.argmax(weights[:, ::-1] > 0, axis=1)  # its last enabled one
        providers = {p.method: p for p in reference.providers}
        self.providers = [providers[m] for m in self.methods]
        self.provider_ids = [str(entity_id("payment_service_provider", p.code)).encode() for p in self.providers]
        self.decline_codes = [
            _object_array([_safe(c, "decline code") for c in (p.decline_codes or ["FAILED"])]) for p in self.providers
        ]
        succeeding = [c for c in reference.cards if c.outcome == "succeeds" and c.weight > 0]
        self.card_cum = np.cumsum([c.weight for c in succeeding])
        self.card_brand = _object_array([_safe(c.brand, "card brand") for c in succeeding])
        self.card_last4 = _object_array([_safe(c.last4, "card") for c in succeeding])
        declining: Card = next(c for c in reference.cards if c.outcome == "declined")
        self.declined_brand, self.declined_last4 = declining.brand.encode(), declining.last4.encode()
        self.declined_code = _safe(declining.failure_code or "card_declined", "failure code")

        people = [_person(_seeded_faker(world.seed, "pool.person", i)) for i in range(PERSON_POOL)]
        self.person_name = _object_array([_safe(p.name, "person") for p in people])
        self.person_kana = _object_array([_safe(p.kana, "person") for p in people])
        self.person_mail = _object_array(
            [_safe(f"{p.given_roman.lower()}.{p.family_roman.lower()}", "person") for p in people]
        )
        self.person_buyer = _object_array(
            [b'{"name": "' + _safe(p.name, "") + b'", "nameKana": "' + _safe(p.kana, "") + b'"}' for p in people]
        )
        self.mail_domains = _object_array([b"@example.com", b"@example.net", b"@example.jp"])
        self.ips = _object_array([prefix + str(host).encode() for prefix in IP_PREFIXES for host in range(1, 255)])
        self.notes = [(template, "{" in template) for template in reference.catalog.order_notes]
        for template, _ in self.notes:
            _safe(template, "order note")

    def block_count(self, orders: int) -> int:
        return -(-orders // BLOCK)

    def block(self, day: date, block_no: int, orders_on_day: int) -> Block:
        p = self.profile
        first = block_no * BLOCK + 1
        n = np.arange(first, min(orders_on_day, first + BLOCK - 1) + 1, dtype=np.int64)
        count = len(n)
        rng = np.random.Generator(
            np.random.PCG64(entity_seed(self.world.seed, "orders.block", f"{day:%Y%m%d}-{block_no}"))
        )
        day_no = (day - _UNIX_EPOCH).days
        midnight = int(datetime.combine(day, time(0), JST).timestamp())

        # Every draw is a full-size array in a fixed order, whatever the outcome: the stream stays aligned.
        store = _by_weight(self.store_cum, rng.random(count))
        hour = _by_weight(self.hour_cum, rng.random(count))
        ordered_at = midnight + hour * 3600 + rng.integers(0, 60, count) * 60 + rng.integers(0, 60, count)
        span = p.items_per_order
        item_count = np.minimum(
            span.max, span.min + ((span.max - span.min + 1) * rng.random(count) ** span.skew).astype(np.int64)
        )
        has_customer = rng.random(count) < p.customer_rate
        person = rng.integers(0, PERSON_POOL, count)
        mail_no = rng.integers(1, 1000, count)
        mail_domain = rng.integers(0, 3, count)
        mobile = rng.random(count) < 0.75
        phone_parts = rng.integers(0, 10_000, (count, 4))
        has_note = rng.random(count) < p.note_rate
        note_template = rng.integers(0, len(self.notes), count)
        issued_at = ordered_at + rng.integers(60, 2401, count)
        merchant = self.store_merchant[store]
        method_cum = self.method_cum[merchant]
        # bisect_right per row; the clip keeps a draw rounded up to the total on an enabled method.
        passed = (rng.random(count)[:, None] * method_cum[:, -1:] >= method_cum).sum(axis=1)
        method = np.minimum(passed, self.last_method[merchant])
        is_open = rng.random(count) < p.open_rate
        first_at = issued_at + rng.integers(5, 91, count)
        declined = rng.random(count) < p.decline_rate
        retried = rng.random(count) < p.retry_rate
        gaps = rng.integers(20, 181, (count, 2))
        card_u = rng.random((count, 2))
        code_pick = rng.integers(0, 1 << 30, (count, 2))
        ip_pick = rng.integers(0, len(self.ips), (count, 2, 2))
        webhook_delay = rng.integers(1, 21, (count, 2))
        device = self.device_start[store] + (rng.random(count) * self.device_count[store]).astype(np.int64)
        staff = self.staff_start[store] + (rng.random(count) * self.staff_count[store]).astype(np.int64)
        line_item = rng.integers(0, len(self.item_sku), int(item_count.sum()))
        line_u = rng.random(len(line_item))
        line_quantity = np.where(line_u < 0.75, 1, rng.integers(2, 5, len(line_item)))

        # Items and totals.
        owner = np.repeat(np.arange(count), item_count)
        line_no = np.arange(len(owner)) - np.repeat(np.cumsum(item_count) - item_count, item_count) + 1
        amount = self.item_price[line_item] * line_quantity
        reduced = self.item_rate[line_item] == 8
        subtotal_8 = np.bincount(owner, weights=np.where(reduced, amount, 0), minlength=count).astype(np.int64)
        subtotal_10 = np.bincount(owner, weights=np.where(reduced, 0, amount), minlength=count).astype(np.int64)
        tax_8, tax_10 = tax(subtotal_8, 8), tax(subtotal_10, 10)
        total = subtotal_8 + subtotal_10 + tax_8 + tax_10

        # Attempts: open bills have none; a decline is retried (then completes) or ends the order.
        attempts = np.where(is_open, 0, np.where(declined & retried, 2, 1))
        first_ok = ~declined
        second_at = first_at + gaps[:, 0]
        closed_at = np.where(attempts == 2, second_at + gaps[:, 1], second_at)
        completed = (attempts == 2) | ((attempts == 1) & first_ok)

        order_ids = uuids("orders", day_no, n)
        bill_ids = uuids("bills", day_no, n)
        intent_ids = uuids("payment_intents", day_no, n)
        order_no_digits = _fixed(n, 7)
        date_text = f"{day:%Y%m%d}-".encode()
        order_no = _glue(date_text, order_no_digits)
        store_ids = _pick(self.store_ids, store)
        customers = self._customers(has_customer, person, mail_no, mail_domain, mobile, phone_parts)
        notes = self._notes(has_note, note_template, has_customer, customers)
        status = np.where(is_open, b"open", np.where(completed, b"closed", b"cancelled")).tolist()
        closed_text = timestamps(closed_at)
        closed_or_null = np.where(is_open, NULL, _object_array(closed_text)).tolist()
        ordered_text, issued_text = timestamps(ordered_at), timestamps(issued_at)
        out: dict[str, list[bytes]] = {}
        owners: dict[str, np.ndarray] = {}
        out["orders"] = lines(
            order_ids,
            store_ids,
            _pick(self.devices, device),
            _pick(self.staff, staff),
            order_no,
            status,
            *customers,
            ints(subtotal_10),
            ints(subtotal_8),
            ints(tax_10),
            ints(tax_8),
            ints(total),
            notes,
            ordered_text,
            closed_or_null,
            TRUE,
            ordered_text,
        )
        owners["orders"] = np.arange(count)
        order_ids_array = _object_array(order_ids)
        out["order_items"] = lines(
            uuids("order_items", day_no, n[owner], line_no),
            order_ids_array[owner].tolist(),
            ints(line_no),
            _pick(self.item_sku, line_item),
            _pick(self.item_name, line_item),
            ints(self.item_price[line_item]),
            ints(line_quantity),
            ints(self.item_rate[line_item]),
            ints(amount),
            TRUE,
        )
        owners["order_items"] = owner
        bill_status = np.where(is_open, b"open", np.where(completed, b"closed", b"void")).tolist()
        out["bills"] = lines(
            bill_ids,
            order_ids,
            store_ids,
            [b"B" + o for o in order_no],
            bill_status,
            ints(subtotal_8 + subtotal_10),
            ints(tax_8 + tax_10),
            ints(total),
            issued_text,
            closed_or_null,
            TRUE,
        )
        owners["bills"] = np.arange(count)
        method_names = np.array([m.encode() for m in self.methods], dtype=object)
        intent_status = np.where(is_open, b"requires_payment", np.where(completed, b"succeeded", b"canceled"))
        out["payment_intents"] = lines(
            intent_ids,
            bill_ids,
            method_names[method].tolist(),
            ints(total),
            b"JPY",
            intent_status.tolist(),
            [b"pi-" + date_text + v for v in ints(n)],
            issued_text,
            np.where(is_open, _object_array(issued_text), _object_array(closed_text)).tolist(),
            TRUE,
        )
        owners["payment_intents"] = np.arange(count)
        payments, events, payment_owner = self._payments(
            day_no, n, attempts, first_ok, first_at, second_at, method, total, card_u, code_pick, ip_pick,
            webhook_delay, order_no, person, has_customer, store, _object_array(intent_ids), _object_array(bill_ids),
        )  # fmt: skip
        out["payments"], out["webhook_events"] = payments, events
        owners["payments"] = owners["webhook_events"] = payment_owner
        return Block(day, first, ordered_at, out, owners)

    def _customers(
        self,
        has: np.ndarray,
        person: np.ndarray,
        mail_no: np.ndarray,
        domain: np.ndarray,
        mobile: np.ndarray,
        parts: np.ndarray,
    ) -> list[list[bytes]]:
        """name, kana, e-mail, phone columns (\\N without a customer). Phones in assignable ranges: mobile
        0[789]0-[1-9]XXX-XXXX, landline 0[1-9]-[2-9]XXX-XXXX (see generate._phone)."""
        count = len(has)
        name = np.where(has, self.person_name[person], NULL).tolist()
        kana = np.where(has, self.person_kana[person], NULL).tolist()
        mail = list(map(b"".join, zip(self.person_mail[person], ints(mail_no), self.mail_domains[domain], strict=True)))
        mail_column = np.where(has, _object_array(mail), NULL).tolist()
        # (first digit base, its span, text after it, middle block's lowest value): mobile, then landline.
        shapes = ((7, 3, b"0-", 1000), (1, 9, b"-", 2000))
        mobile_text, land_text = (
            _glue(
                b"0",
                _fixed(base + parts[:, 0] % span, 1),
                after,
                _fixed(low + parts[:, 1] % (10_000 - low), 4),
                b"-",
                _fixed(parts[:, 2 + kind], 4),
            )
            for kind, (base, span, after, low) in enumerate(shapes)
        )
        phone = np.where(mobile, _object_array(mobile_text), _object_array(land_text))
        phone_column = np.where(has, phone, NULL).tolist() if count else []
        return [name, kana, mail_column, phone_column]

    def _notes(
        self, has: np.ndarray, template: np.ndarray, has_customer: np.ndarray, customers: list[list[bytes]]
    ) -> list[bytes]:
        """Order notes: a few percent of orders, so formatted one by one; a template naming the customer is dropped
        when the order has none."""
        notes = [NULL] * len(has)
        name, _, mail, phone = customers
        for i in np.flatnonzero(has).tolist():
            text, personal = self.notes[template[i]]
            if personal and not has_customer[i]:
                continue
            notes[i] = text.format(name=name[i].decode(), phone=phone[i].decode(), email=mail[i].decode()).encode()
        return notes

    def _payments(
        self,
        day_no: int,
        n: np.ndarray,
        attempts: np.ndarray,
        first_ok: np.ndarray,
        first_at: np.ndarray,
        second_at: np.ndarray,
        method: np.ndarray,
        total: np.ndarray,
        card_u: np.ndarray,
        code_pick: np.ndarray,
        ip_pick: np.ndarray,
        webhook_delay: np.ndarray,
        order_no: list[bytes],
        person: np.ndarray,
        has_customer: np.ndarray,
        store: np.ndarray,
        intent_ids: np.ndarray,
        bill_ids: np.ndarray,
    ) -> tuple[list[bytes], list[bytes], np.ndarray]:
        """Payment attempts and their webhook events, one row each per attempt: attempt 1 of every paid order, then
        attempt 2 of the retried ones."""
        first = np.flatnonzero(attempts >= 1)
        second = np.flatnonzero(attempts == 2)
        owner = np.concatenate((first, second))
        attempt = np.concatenate((np.zeros(len(first), np.int64), np.ones(len(second), np.int64)))
        ok = np.concatenate((first_ok[first], np.ones(len(second), bool)))
        at = np.concatenate((first_at[first], second_at[second]))
        m = method[owner]
        count = len(owner)
        card = _by_weight(self.card_cum, card_u[owner, attempt]) if count else np.zeros(0, np.int64)
        is_card = m == 0

        # Provider transaction ids: 15 digits from a bijection of (day, order, attempt), so unique within any window
        # (a window spans < 10^15 such numbers); methods differ by prefix and length.
        number = ((np.int64(day_no) * (1 << 30) + n[owner]) * 2 + attempt).astype(np.uint64)
        core = _fixed((number * np.uint64(7919) + np.uint64(104729)) % np.uint64(10**15), 15)
        salt = _fixed(_mix64(number) % np.uint64(100_000), 5)
        txn = np.empty(count, dtype=object)
        txn_number = np.empty(count, dtype=object)
        for code, (prefix, digits) in enumerate(((b"ch_", 5), (b"", 4), (b"2025", 0), (b"RP-", 1))):
            rows = m == code
            if rows.any():
                txn[rows] = _glue(prefix, salt[rows, 5 - digits :], core[rows])
        txn_number[:] = txn  # line_pay's payload carries its id as a JSON number
        failure = np.full(count, NULL, dtype=object)
        for code in range(1, 4):
            rows = (m == code) & ~ok
            pool = self.decline_codes[code]
            failure[rows] = pool[code_pick[owner[rows], attempt[rows]] % len(pool)]
        failure[is_card & ~ok] = self.declined_code
        brand = np.where(is_card, np.where(ok, self.card_brand[card], self.declined_brand), NULL)
        last4 = np.where(is_card, np.where(ok, self.card_last4[card], self.declined_last4), NULL)
        status = np.where(ok, b"completed", np.where(is_card, b"declined", b"failed"))
        ip_customer = np.where(is_card, NULL, self.ips[ip_pick[owner, attempt, 0]])
        amount = ints(total[owner])
        at_text = timestamps(at)
        payment_ids = uuids("payments", day_no, n[owner], attempt + 1)
        provider_ids = np.array(self.provider_ids, dtype=object)[m]
        payments = lines(
            payment_ids,
            intent_ids[owner].tolist(),
            bill_ids[owner].tolist(),
            provider_ids.tolist(),
            np.array([x.encode() for x in self.methods], dtype=object)[m].tolist(),
            amount,
            status.tolist(),
            txn.tolist(),
            brand.tolist(),
            last4.tolist(),
            failure.tolist(),
            ip_customer.tolist(),
            at_text,
            TRUE,
        )

        # Webhook payloads, one template per provider.
        payload = np.empty(count, dtype=object)
        event_type = np.empty(count, dtype=object)
        orders_no = _object_array(order_no)[owner]
        iso = _object_array(iso_tokyo(at))
        amount_array = _object_array(amount)
        quoted_failure = np.where(failure == NULL, b"null", _object_array(quoted(failure.tolist())))
        for code, name in enumerate(self.methods):
            rows = np.flatnonzero(m == code)
            if not len(rows):
                continue
            provider = self.providers[code]
            good = ok[rows]
            event_type[rows] = np.where(good, provider.webhook_event.encode(), provider.decline_event.encode())
            slots: dict[str, Sequence[bytes]] = {
                "order_no": quoted(orders_no[rows].tolist()),
                "amount": amount_array[rows].tolist(),
                "failure_code": quoted_failure[rows].tolist(),
                "at": quoted(iso[rows].tolist()),
                "txn": quoted(txn[rows].tolist()),
                "store": self.store_keys[store[owner[rows]]].tolist(),
            }
            if name == "credit_card":
                slots["event_id"] = quoted([b"evt_" + t[3:] for t in txn[rows].tolist()])
                slots["type"] = np.where(good, b'"charge.completed"', b'"charge.declined"').tolist()
                slots["created"] = ints(at[rows])
                slots["status"] = np.where(good, b'"succeeded"', b'"failed"').tolist()
                slots["brand"] = quoted(brand[rows].tolist())
                slots["last4"] = quoted(last4[rows].tolist())
            elif name == "paypay":
                slots["state"] = np.where(good, b'"COMPLETED"', b'"FAILED"').tolist()
                slots["paid_at"] = np.where(good, _object_array(slots["at"]), b"null").tolist()
            elif name == "line_pay":
                slots["return_code"] = np.where(good, b'"0000"', _object_array(slots["failure_code"])).tolist()
                slots["return_message"] = np.where(good, b'"Success."', b'"Payment failed."').tolist()
                slots["txn_number"] = txn_number[rows].tolist()
            else:
                slots["result"] = np.where(good, b'"success"', b'"failure"').tolist()
                buyer_owner = owner[rows]
                slots["buyer"] = np.where(
                    has_customer[buyer_owner], self.person_buyer[person[buyer_owner]], b"null"
                ).tolist()
            payload[rows] = PAYLOADS[name].render(slots)
        events = lines(
            uuids("webhook_events", day_no, n[owner], attempt + 1),
            provider_ids.tolist(),
            payment_ids,
            event_type.tolist(),
            payload.tolist(),
            TRUE,
            self.ips[ip_pick[owner, attempt, 1]].tolist(),
            timestamps(at + webhook_delay[owner, attempt]),
            TRUE,
        )
        return payments, events, owner


def blocks_of(world: World) -> list[tuple[date, int, int]]:
    """(day, block number, orders that day) for every block of the window, in order."""
    return [(day, b, count) for day, count in world.day_counts for b in range(-(-count // BLOCK))]
