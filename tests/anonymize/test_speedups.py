"""The C speedups (anonymize/csrc/, the extension anonymize._speedups) give exactly what their pure-Python
references give: the pipeline hashes source values with one and may scan output with the other only if they never
differ."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from anonymize import leak_keys as reference
from anonymize import normalize, verify
from anonymize.catalog import CatalogTable
from anonymize.columns import ColumnInfo
from anonymize.copy_text import encode_line
from anonymize.errors import TransformError
from anonymize.keys import Keyring
from anonymize.pipeline.plan import TablePlan
from anonymize.pipeline.rows import RowTransformer
from anonymize.rules import ColumnRule, TableRule
from anonymize.transformers import address as address_module
from anonymize.transformers.base import Transformer
from anonymize.transformers.digits import fill_digits
from anonymize.transformers.factory import build_transformer
from anonymize.transformers.keyed import name_key, python_indexer, python_name_key
from anonymize.transformers.permutation import Permutation
from anonymize.verify import LeakHasher, scan_lines, scan_targets

SALT = "5a1t9e2f"
KEY = Keyring(b"test-key-0123456789abcdef-speedups")

# Everything the key logic branches on: case, full-width forms, every separator of free text, Unicode whitespace
# (ideographic, no-break, the \x1c-\x1f separators str.isspace counts), digits of other scripts, phone punctuation,
# the +81 prefix, characters case folding expands (ß, ﬁ), kana and kanji.
ALPHABET = (
    list("abcXYZ019+-().@_#%&*=~^$")
    + list(",;:()[]{}<>\"'`|/\\!?")
    + list("、。，．・「」『』（）【】！？")
    + [" ", "  ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\u3000", "\u00a0", "\u2003", "\u200b"]
    + list("０９８１ＡＺａｚ＋－ｰ")
    + ["\u0661", "\u0669", "\u0967", "\u00b2", "\u2460", "\u1369"]  # Arabic-Indic, Devanagari, ², ①, Ethiopic 1
    + list("ßﬁİΣσς")
    + list("佐藤太郎さとうタロウｻﾄｳｶﾞ東京都千代田区")
)
PREFIXES = ["", "+81", "+81 ", "090", "0081", "+", " +81-90-", "(03)"]
# Phone/card/account shapes, where the bare-digits key is decided.
NUMBER_ALPHABET = list("0123456789") * 4 + list("-().+ ０９－\u0661\u0967\u00b2\u3000a")


def _values(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    values = [
        rng.choice(PREFIXES) + "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 14))) for _ in range(count)
    ]
    values += [
        rng.choice(PREFIXES) + "".join(rng.choice(NUMBER_ALPHABET) for _ in range(rng.randint(6, 16)))
        for _ in range(count)
    ]
    values += [
        "",
        "x",
        "  ",
        "Taro.Yamada@Example.JP",
        "０９０－１２３４－５６７８",
        "+81 90-1234-5678",
        "+8190",
        "+81",
        "山田　太郎",
        "お届け先: 090-1234-5678 (taro@example.jp) まで",
        "4000 0000 0000 0002",
        "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660",
        "ﾔﾏﾀﾞ ﾀﾛｳ",
        "a\x1cb  c",
        # kana/kanji with ASCII (the path that skips NFKC) next to forms NFKC rewrites
        "佐藤 TARO",
        " 佐藤  太郎 ",
        "ガギグ・ヴ",
        "ｶﾞｷﾞ",
        "ＴＡＲＯ 佐藤",
        "ゝゞヽヾ々〆〇",
        "か\u3099",
    ]
    return values


def test_the_c_module_is_built() -> None:
    # `make setup` builds it (gcc and the Python headers are system dependencies); without it a snapshot still
    # runs, on the slower pure-Python functions.
    assert reference.NATIVE is not None, "anonymize._speedups is not built: run `make setup` (needs gcc, python3-dev)"
    assert reference.fast_hashed_keys is reference.NATIVE.hashed_keys


@pytest.mark.parametrize("seed", range(4))
def test_c_keys_equal_the_reference(seed: int) -> None:
    native = reference.NATIVE
    assert native is not None
    for value in _values(5000, seed):
        assert native.leak_key(value) == reference.leak_key(value), repr(value)
        assert native.leak_keys(value) == reference.leak_keys(value), repr(value)
        assert native.text_output_keys(value) == reference.output_keys(value), repr(value)
        assert native.hashed_keys(value, SALT) == reference.hashed_keys(value, SALT), repr(value)
        assert native.text_output_hashes(value, SALT) == reference.text_output_hashes(value, SALT), repr(value)


def test_the_cases_the_leak_check_depends_on() -> None:
    native = reference.NATIVE
    assert native is not None
    assert native.leak_keys("０９０－１２３４－５６７８") == ["090-1234-5678", "#09012345678"]
    assert native.leak_keys("+81 90-1234-5678")[-1] == "#09012345678"
    assert native.leak_keys("山田\u3000太郎") == native.leak_keys("山田 太郎") == ["山田 太郎"]
    assert native.leak_keys("x") == []
    assert native.hashed_keys("x", SALT) == ()
    first, *hashes = native.hashed_keys("Taro@Example.jp", SALT)
    assert first == "taro@example.jp" and hashes == [hash(SALT + "taro@example.jp")]
    keys = native.text_output_keys("連絡先 090-1234-5678 まで")
    assert "#09012345678" in keys and "連絡先" in keys and "まで" in keys


def test_wrong_types_raise_not_crash() -> None:
    native = reference.NATIVE
    assert native is not None
    with pytest.raises(TypeError):
        native.leak_keys(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        native.hashed_keys("value")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        native.text_output_hashes("value", None)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the row loop (anonymize/csrc/rows.c)

ROW_RULES = {
    "id": "keep",
    "email": "email",
    "full_name": {"transform": "person_name", "params": {"key_column": "id"}},
    "kana": {"transform": "person_name", "params": {"script": "katakana", "key_column": "id"}},
    "phone": "phone",
    "account": "bank_account",
    "card": "card_pan",
    "ip": "ip",
    "born": {"transform": "date_shift", "params": {"entity_column": "id", "range_days": 90}},
    "amount": {"transform": "numeric_noise", "params": {"relative": 0.1}},
    "status": {"transform": "constant", "params": {"value": "open"}},
    "secret": "null",
    "memo": "free_text",
    "payload": {"transform": "json", "params": {"paths": {"$..email": "email", "$..phone": "phone"}}},
    "note": "keep",
    "meta": "keep",
    # whole or nothing (a unit alone isn't identifying: its own flag per value), a Western line written in C
    "street": {"transform": "address", "params": {"part": "street", "locale": "us"}},
}
ROW_TYPES = {"id": "bigint", "ip": "inet", "born": "date", "amount": "numeric", "payload": "jsonb", "meta": "jsonb"}


def _row_plan() -> TablePlan:
    names = tuple(ROW_RULES)
    columns = {name: ColumnInfo("public.t", name, ROW_TYPES.get(name, "text")) for name in names}
    rules = {name: rule if isinstance(rule, dict) else {"transform": rule} for name, rule in ROW_RULES.items()}
    transformers = {
        name: build_transformer(ColumnRule(**rule), columns[name], KEY)
        for name, rule in rules.items()
        if rule["transform"] != "keep"
    }
    table = CatalogTable("public.t", "public.t", names, 0, 0)
    plan = TablePlan(table, TableRule(), columns, transformers)
    faked = frozenset(n for n in transformers if n not in {"memo", "payload"})
    [plan.scan] = scan_targets([table], {"public.t": list(columns.values())}, {"public.t": faked})
    return plan


def _row_lines(count: int, seed: int) -> bytes:
    rng = random.Random(seed)
    surnames, given = ["佐藤", "鈴木", "高橋", "Smith"], ["太郎", "花子", "John"]

    def maybe(value: str | None) -> str | None:
        return None if rng.random() < 0.15 else value

    lines = []
    for i in range(count):
        phone = rng.choice([f"090-1234-{rng.randrange(10000):04d}", "なし", f"+81 80 5555 {i:04d}", "03-5555-0101"])
        memo = rng.choice(
            ["置き配希望", f"連絡先 {phone} まで", f"mail\tme at user{i}@gmail.com\nthanks", "back\\slash", "", " "]
        )
        payload = rng.choice([f'{{"email": "U{i % 50}@Yahoo.co.jp", "phone": "{phone}", "n": 1}}', '{"a": [1]}'])
        row = [
            str(i + 1),
            maybe(f"User{i % 300}.X@Example.co.jp" if i % 7 else "user@example.com"),
            maybe(f"{rng.choice(surnames)} {rng.choice(given)}"),
            maybe("サトウ タロウ"),
            maybe(phone),
            maybe(rng.choice(["1234567", "0001-123-1234567", "x"])),
            maybe("4" + "".join(rng.choice("0123456789") for _ in range(15))),
            maybe(f"10.{i % 250}.{i % 7}.1"),
            maybe(f"19{50 + i % 50}-0{1 + i % 9}-1{i % 9}"),
            maybe(str(rng.randrange(1, 100000))),
            maybe(rng.choice(["open", "closed"])),
            maybe("s3cr3t"),
            maybe(memo),
            maybe(payload),
            maybe(rng.choice(["kept\\text", f"user{i % 300}.x@example.co.jp", "ok"])),
            maybe('{"k": "v"}'),
            maybe(rng.choice([f"{i % 90 + 1} Baker Street", "Suite 870", "Apt 12B", "桜台3-12-5", " ", "123"])),
        ]
        lines.append(encode_line(row))
    return b"".join(lines)


def _result_of(native: bool, chunks: list[bytes], plan: TablePlan | None = None) -> list[tuple]:
    plan = plan or _row_plan()
    codec = RowTransformer(plan, tuple(plan.table.columns), LeakHasher(salt=SALT), native=native)
    results = []
    for chunk in chunks:
        r = codec.process(chunk)
        scanned = sorted(zip(array("q", r.scanned[0]), array("h", r.scanned[1]), strict=True))
        results.append(
            (
                r.data,
                r.rows,
                r.counts,
                sorted(array("q", r.identifying)),
                sorted(array("q", r.other)),
                scanned,
                r.scanned[2],
                # each identifying hash with its origin id, each kept identifier with its own (leak_origins)
                sorted(zip(array("q", r.identifying), array("I", r.origins), strict=True)),
                sorted(zip(array("q", r.ids), array("I", r.id_origins), strict=True)),
            )
        )
    return results


@pytest.mark.parametrize("seed", range(3))
def test_the_c_row_loop_equals_the_python_loop(seed: int) -> None:
    chunks = [_row_lines(700, seed * 10 + k) for k in range(3)]  # values repeat across chunks: the seen memory
    native, python = _result_of(True, chunks), _result_of(False, chunks)
    assert len(native) == len(python) == 3
    for ours, reference_result in zip(native, python, strict=True):
        assert ours[0] == reference_result[0]  # the very output bytes
        assert ours[1:] == reference_result[1:]
    _, rows, counts, identifying, other, scanned, values, origins, _ = native[0]
    assert rows == 700 and identifying and other and scanned and values
    assert len(origins) == len(identifying) and all(origin for _, origin in origins)  # every one has its origin
    assert all(c[0] > 0 for c in counts[:-1])  # every transform ran (the json column may be all NULL: it isn't)


ORIGIN_RULES: dict[str, Any] = {
    "id": "keep",
    "provider_txn_id": "keep",
    "note": {"transform": "free_text", "params": {"detector": "presidio"}},
    "payload": {
        "transform": "json",
        "params": {
            "paths": {"$.ref": "keep", "$..email": "email"},
            "other_strings": {"transform": "free_text", "params": {"detector": "regex"}},
        },
    },
    "memo": {"transform": "free_text", "params": {"detector": "regex"}},  # its leak_items replaced below
}
TXN = "4539578763621487029"  # 19 digits, Luhn-valid, in Visa's range: a provider id that looks like a card


def _origin_plan() -> TablePlan:
    names = tuple(ORIGIN_RULES)
    types = {"id": "bigint", "payload": "jsonb"}
    columns = {name: ColumnInfo("public.o", name, types.get(name, "text")) for name in names}
    transformers = {
        name: build_transformer(ColumnRule.model_validate(rule), columns[name], KEY)
        for name, rule in ORIGIN_RULES.items()
        if rule != "keep"
    }
    memo = transformers["memo"]

    def mixed(value: str) -> list[tuple]:
        """leak_items as any transformer may give them: pairs, triples with an origin id, identifiers (None)."""
        return [(value, True), (value + "-x", False), (value[:5] + "@example.jp", True, 7), (TXN, None, 9)]

    memo.leak_items = mixed  # type: ignore[method-assign]
    table = CatalogTable("public.o", "public.o", names, 0, 0)
    return TablePlan(table, TableRule(), columns, transformers)


def _origin_lines(count: int, seed: int) -> bytes:
    rng = random.Random(seed)
    lines = []
    for i in range(count):
        txn = rng.choice([TXN, f"{rng.randrange(10**18, 10**19)}"])
        note = rng.choice(
            [f"VISA {txn} disputed", f"card 4242 4242 4242 {i % 10000:04d}", f"mail me at u{i % 40}@example.com", "ok"]
        )
        payload = {
            "id": txn,
            "ref": rng.choice(["4111111111111111", "ref-1"]),
            "buyer": {"email": f"b{i % 30}@example.org"},
            "memo": rng.choice([f"card {txn}", "カード番号 5555 5555 5555 4444", "none"]),
        }
        lines.append(encode_line([str(i), txn, note, json.dumps(payload), f"memo {i % 50}"]))
    return b"".join(lines)


def test_the_c_row_loop_records_origins_and_identifiers_like_the_python_loop() -> None:
    """Origin ids per identifying hash, identifiers apart (pieces flagged None), the slot's origin for pairs."""
    from anonymize import leak_origins
    from anonymize.leak_origins import IDENTIFIER, Origin

    chunks = [_origin_lines(400, seed) for seed in (7, 8)]
    native = _result_of(True, chunks, _origin_plan())
    python = _result_of(False, chunks, _origin_plan())
    assert native == python
    *_, origins, ids = native[0]
    named = {leak_origins._ORIGINS[origin] for _, origin in origins if origin not in (7, 9)}
    assert Origin("public.o.note", None, "card", True, True) in named  # "VISA <id>": a cue word's card
    assert Origin("public.o.payload", "$.buyer.email", "email") in named
    assert Origin("public.o.payload", "$.memo", "card", True) in named  # after a card-number label
    assert Origin("public.o.memo", None, "free_text") in named  # a pair: the slot's own origin
    assert {origin for _, origin in origins} >= {7}
    id_origins = {leak_origins._ORIGINS[origin] for _, origin in ids if origin != 9}
    assert id_origins == {
        Origin("public.o.payload", "$.id", IDENTIFIER),
        Origin("public.o.payload", "$.ref", IDENTIFIER),
    }
    assert {origin for _, origin in ids} >= {9}


@pytest.mark.parametrize("native", [True, False])
def test_both_loops_take_an_origin_id_and_refuse_what_is_no_id(native: bool) -> None:
    for origin, error in [(5, None), ("seven", TypeError), (-1, OverflowError), (2**40, OverflowError)]:
        plan = _origin_plan()
        plan.transformers["memo"].leak_items = lambda value, origin=origin: [(value, True, origin)]  # type: ignore[method-assign]
        codec = RowTransformer(plan, tuple(ORIGIN_RULES), LeakHasher(salt=SALT), native=native)
        if error is None:
            assert 5 in array("I", codec.process(_origin_lines(3, 1)).origins)
            continue
        with pytest.raises(error):
            codec.process(_origin_lines(3, 1))


@pytest.mark.parametrize("native", [True, False])
def test_both_loops_refuse_a_short_row_and_a_failing_transform_the_same_way(native: bool) -> None:
    plan = _row_plan()
    codec = RowTransformer(plan, tuple(ROW_RULES), LeakHasher(salt=SALT), native=native)
    with pytest.raises(TransformError, match=r"public\.t: a row has 3 fields where 17 columns were expected"):
        codec.process(b"1\t2\t3\n")

    def broken(value: str, row: object) -> str:
        raise ZeroDivisionError(value)

    plan.transformers["email"].transform = broken  # type: ignore[method-assign]
    plan.transformers["email"].native_transform = lambda: broken  # type: ignore[method-assign]
    codec = RowTransformer(plan, tuple(ROW_RULES), LeakHasher(salt=SALT), native=native)
    with pytest.raises(TransformError, match=r"email: email failed on a value \(ZeroDivisionError\)") as caught:
        codec.process(_row_lines(5, 1))
    assert "example" not in str(caught.value)  # never the value


# ---------------------------------------------------------------- the output scan (anonymize/csrc/scan.c)


def _scan_both(lines: list[bytes], wanted: tuple[int, ...] | None, is_json: tuple[bool, ...]) -> list[tuple]:
    results = []
    for native in (True, False):
        verify._SCAN_CACHES.clear()  # each loop computes every value itself
        hasher = LeakHasher(salt=SALT)
        first = scan_lines(lines, wanted, is_json, hasher, native)
        again = scan_lines(lines, wanted, is_json, hasher, native)  # from the per-process cache
        assert again == first
        results.append(first)
    return results


@pytest.mark.parametrize("seed", range(3))
def test_the_c_scan_equals_the_python_scan(seed: int) -> None:
    rng = random.Random(seed)
    # Fields as COPY sends them: values encoded, plus raw escapes (octal UTF-8, \\t) and NULL as they come.
    fields_pool = [encode_line([value])[:-1] for value in _values(300, seed)]
    fields_pool += [b"\\N", b"x", b"", b"tab\\there", b"a\\\\b", b"\\303\\251t\\303\\251 \\x41"]
    jsons = [b'{"m": "Taro@Example.jp", "t": ["090-1234-5678", 1]}', b'{"a": "b c"}', b"[]", b"\\N"]
    lines = []
    for _ in range(400):
        fields = [rng.choice(fields_pool) for _ in range(3)]
        fields.insert(1, rng.choice(jsons))
        fields.append(b"42")
        lines.append(b"\t".join(fields))
    native, python = _scan_both(lines, (0, 1, 3), (False, True, False))
    assert native == python
    hashes, positions, values = native
    assert values > 800 and len(hashes) // 8 == len(positions) // 2 > values
    assert set(array("h", positions)) == {0, 1, 2}
    every_field = _scan_both(lines, None, (False, True, False, False, False))
    assert every_field[0] == every_field[1]


def test_the_c_scan_refuses_lines_the_python_scan_refuses() -> None:
    hasher = LeakHasher(salt=SALT)
    for native in (True, False):
        with pytest.raises(IndexError):
            scan_lines([b"a\tb"], (0, 5), (False, False), hasher, native)


# ---------------------------------------------------------------- the keyed permutation (anonymize/csrc/feistel.c)


@pytest.mark.parametrize("size", [2, 10, 1000, 12_000_000, 10**8, 2**32])
def test_the_c_feistel_permutes_exactly_like_the_python_rounds(size: int) -> None:
    permutation = Permutation(KEY.subkey(f"speedups\0{size}"), size)
    assert isinstance(permutation.apply, reference.NATIVE.Feistel)  # tabled: the C rounds run
    rng = random.Random(size)
    inputs = {rng.randrange(size) for _ in range(3000)} | {0, size - 1}
    for x in inputs:  # against the reference network, round by round, cycle-walked
        assert permutation.apply(x) == _python_apply(permutation, x), x
    if size <= 1000:  # a bijection on the whole space
        assert sorted(permutation.apply(x) for x in range(size)) == list(range(size))
    p, q = permutation._p, permutation._q
    # Outside [0, p*q) (no caller's input, but the Python closure takes any int) the closure answers.
    for x in (p * q, p * q + 7, 2**70):
        assert permutation.apply(x) == _python_apply(permutation, x)


def _python_apply(permutation: Permutation, x: int) -> int:
    forward = permutation._forward
    x = forward(x)
    while x >= permutation.size:
        x = forward(x)
    return x


def test_the_c_feistel_refuses_bad_tables() -> None:
    good = Permutation(KEY.subkey("speedups-bad"), 1000)
    tables = good._tables
    assert tables is not None
    feistel = reference.NATIVE.Feistel
    with pytest.raises(ValueError):
        feistel(good._p, good._q, 1000, tables[:7], good._forward)
    with pytest.raises(ValueError):
        feistel(good._q + 1, good._q, 1000, tables, good._forward)  # lengths no longer match the radixes
    with pytest.raises(TypeError):
        feistel(good._p, good._q, 1000, tables, good._forward)(1, 2)


def _digest_of_rows(native: bool) -> str:
    """Output bytes, counts and how many leak hashes: the hashes themselves are seeded per process (str hash)."""
    chunks = [_row_lines(500, seed) for seed in (41, 42)]
    results = [
        (data, rows, counts, len(ident), len(other), len(scanned), values, len(origins), len(ids))
        for data, rows, counts, ident, other, scanned, values, origins, ids in _result_of(native, chunks)
    ]
    return hashlib.sha256(repr(results).encode()).hexdigest()


def test_pure_python_mode_transforms_rows_like_the_c_build() -> None:
    """DEVKIT_PURE_PYTHON=1 (or no compiler): every hot path, permutations included, on the Python references."""
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from anonymize.speedups import NATIVE; assert NATIVE is None;"
        "from anonymize.transformers.permutation import Permutation;"
        "assert not hasattr(Permutation(b'k' * 32, 10**8).apply, 'mro');"
        "from tests.anonymize.test_speedups import _digest_of_rows; print(_digest_of_rows(False))"
    )
    root = str(Path(__file__).resolve().parents[2])
    pure = subprocess.run(
        [sys.executable, "-c", script, root],
        env={**os.environ, "DEVKIT_PURE_PYTHON": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert pure.stdout.strip() == _digest_of_rows(True)


def _outcome(native: bool, chunk: bytes) -> tuple:
    codec = RowTransformer(_row_plan(), tuple(ROW_RULES), LeakHasher(salt=SALT), native=native)
    try:
        result = codec.process(chunk)
    except Exception as exc:  # the same failure, whichever loop met it
        return (type(exc).__name__, str(exc))
    return (result.data, result.rows, result.counts, sorted(array("q", result.identifying)))


@pytest.mark.parametrize("seed", range(3))
def test_garbled_input_fails_the_same_way_in_both_loops(seed: int) -> None:
    """Random bytes, cut fields, invalid UTF-8, stray escapes: the C loop must never crash, and must answer exactly
    as the Python loop does (same rows, or the same exception)."""
    rng = random.Random(seed)
    good = _row_lines(40, seed).split(b"\n")[:-1]
    pieces = [b"\t", b"\\", b"\\N", b"\\x", b"\\777", b"\xff\xfe", b"\xe3\x81", "佐藤".encode(), b"a@b.jp", b"", b" "]
    outcomes = {True: [], False: []}
    for _ in range(60):
        lines = []
        for line in rng.sample(good, 5):
            fields = line.split(b"\t")
            if rng.random() < 0.5:
                k = rng.randrange(len(fields))
                fields[k] = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))
            lines.append(b"\t".join(fields))
        chunk = b"\n".join(lines) + b"\n"
        for native in (True, False):
            outcomes[native].append(_outcome(native, chunk))
    assert outcomes[True] == outcomes[False]
    assert any(isinstance(o[0], str) for o in outcomes[True])  # some chunks were refused
    assert any(isinstance(o[0], bytes) for o in outcomes[True])  # and some went through


# ---------------------------------------------------------------- the keyed digest (anonymize/csrc/keyed_digest.c)


def test_the_c_keyed_digest_is_hashlibs_blake2b() -> None:
    native = reference.NATIVE
    assert native is not None
    rng = random.Random(9)
    for key_length in (16, 32, 63, 64, 65, 200):  # > 64: the Keyring hashes the key down first
        keyring = Keyring(bytes(rng.randrange(256) for _ in range(key_length)))
        for domain in ("email", "address\0extra", "x" * 140):
            digest = keyring.digester(domain)
            assert isinstance(digest, native.KeyedDigest)
            # Around the 128-byte block boundaries, with the domain prefix in front; ASCII and not.
            values = ["", "a", "佐藤 太郎", "😀", *("y" * n for n in (110, 111, 112, 127, 128, 129, 255, 256, 257))]
            values += ["".join(rng.choice("aZ0@.佐ｶ ") for _ in range(rng.randint(0, 300))) for _ in range(200)]
            for value in values:
                assert digest(value) == keyring.digest(domain, value), (key_length, domain, len(value))
    with pytest.raises(UnicodeEncodeError):  # as str.encode() does
        Keyring(b"k" * 32).digester("d")("\ud800")
    with pytest.raises(TypeError):
        Keyring(b"k" * 32).digester("d")(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        native.KeyedDigest(b"", 32, b"p", b"")


def test_the_c_row_reads_fields_like_the_lazy_row() -> None:
    from collections.abc import Mapping

    from anonymize.pipeline.slots import LazyRow

    index = {"id": 0, "name": 1, "memo": 2, "gone": 3}
    line = encode_line(["7", "佐藤\t太郎", None, "x\\y"])[:-1]
    lazy = LazyRow(index)
    lazy._fields = line.split(b"\t")
    row = reference.NATIVE.Row(index)
    assert isinstance(row, Mapping) and len(row) == 4 and list(row) == list(index)
    with pytest.raises(KeyError):
        row["id"]  # no line yet
    # The row loop points it at each line (here with no columns to transform).
    reference.NATIVE.transform_lines([line], 4, (), row, row, None, None, None, 1, [0, 0])
    for name in index:
        assert row.get(name) == lazy.get(name) == row[name]
    assert row.get("nope") is None and row.get("nope", "d") == "d" == lazy.get("nope", "d")
    with pytest.raises(KeyError):
        row["nope"]


def test_the_c_name_key_equals_the_python_one() -> None:
    native = reference.NATIVE
    assert native is not None
    assert name_key is native.name_key
    for value in _values(3000, 11) + ["山田 太郎", "ﾔﾏﾀﾞ ﾀﾛｳ", "YAMADA Taro", "  サトウ　タロウ ", "Straße", "12345"]:
        assert native.name_key(value) == python_name_key(value), repr(value)


def test_the_c_latin_text_test_equals_the_python_one() -> None:
    from anonymize.locales import python_is_latin_text
    from anonymize.speedups import NATIVE

    assert NATIVE is not None
    rng = random.Random(29)
    # each range's edges: Latin letters (Latin-1 without × ÷, Extended-A/B, Additional, full-width), kana, kanji
    edges = "Aaz@[`{\u00bf\u00c0\u00d6\u00d7\u00d8\u00f6\u00f7\u00f8\u024f\u0250\u1dff\u1e00\u1eff\u1f00"
    edges += "\uff20\uff21\uff3a\uff3b\uff40\uff41\uff5a\uff5b\u3004\u3005\u3007\u3008\u303f\u3040\u30ff\u3100"
    edges += "\u31ef\u31f0\u31ff\u3200\u33ff\u3400\u4dbf\u4dc0\u4dff\u4e00\u9fff\ua000\uf8ff\uf900\ufaff\ufb00"
    edges += "\uff65\uff66\uff9f\uffa0\U0001ffff\U00020000\U0002fa1f\U0002fa20 1-〒"
    values = _odd_strings(rng, edges, 4000, 6) + [*edges, "", "1234 Elm Street", "桜台3-12-5", "A棟 12", "Ｅｌｍ"]
    assert [NATIVE.latin_text(v) for v in values] == [python_is_latin_text(v) for v in values]
    with pytest.raises(TypeError):
        NATIVE.latin_text(b"Elm")


def test_the_c_digit_fill_equals_the_python_one() -> None:
    native = reference.NATIVE
    assert native is not None
    rng = random.Random(12)
    alphabet = list("0123456789") * 3 + list("-() +{}{{}}ー　０９ｱ佐") + ["\U0001f600"]
    for _ in range(5000):
        template = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        count = sum(c in "0123456789" for c in template)
        digits = "".join(rng.choice("0123456789") for _ in range(count))
        assert native.fill_digits(template, digits) == fill_digits(template, digits), repr(template)
    with pytest.raises(ValueError):
        native.fill_digits("090-1234", "12")


@pytest.mark.parametrize("size", [1, 7, 12_000_000, 10**9])
def test_the_c_indexer_equals_the_python_one(size: int) -> None:
    native = reference.NATIVE
    assert native is not None
    digest = KEY.digester(f"speedups-index\0{size}")
    permute = Permutation(KEY.subkey(f"speedups-index\0{size}"), size).apply
    ours, python = native.Indexer(digest, permute, size), python_indexer(digest, permute, size)
    rng = random.Random(size)
    keys = ["", "0", "007", str(size - 1), str(size), "9" * 19, "1" * 20, "１２", "12a", "佐藤", "user@example.jp"]
    keys += [str(rng.randrange(2 * size + 10)) for _ in range(2000)] + _values(300, size)[:300]
    for key in keys:
        assert ours(key) == python(key), repr(key)


# ---------------------------------------------------------------- transformers' common cases (fakes.c and family)


def _both(rule: ColumnRule, pg_type: str = "text") -> tuple[Callable, Transformer]:
    """A transformer's C common case, and a twin built alike whose Python transform is the reference (its own
    caches: the reference never reads a fake the C side made)."""
    native = build_transformer(rule, ColumnInfo("public.t", "c", pg_type), KEY).native_transform()
    assert native is not None
    return native, build_transformer(rule, ColumnInfo("public.t", "c", pg_type), KEY)


def _answers(call: Callable, values: list[str], rows: list[dict] | None = None) -> list:
    """Each value's fake, or the error it raised (odd values must fail alike, each side its own way there)."""
    answers: list = []
    for value, row in zip(values, rows or [{}] * len(values), strict=True):
        try:
            answers.append(call(value, row))
        except (TransformError, ValueError) as exc:
            answers.append((type(exc).__name__, str(exc)))
    return answers


def _own_draws(fresh: Transformer, value: str, count: int) -> tuple[list[str], list[dict]]:
    """Rows whose value is the very fake drawn for them: the paths that step off a value's own fake."""
    rows = [{"id": str(i)} for i in range(count)]
    return [fresh.transform(value, row) or "" for row in rows], rows


def _no_native(transform: str, params: dict, pg_type: str = "text") -> bool:
    rule = ColumnRule(transform=transform, params=params)
    return build_transformer(rule, ColumnInfo("public.t", "c", pg_type), KEY).native_transform() is None


def _odd_strings(rng: random.Random, alphabet: str, count: int, longest: int = 24) -> list[str]:
    return ["".join(rng.choice(alphabet) for _ in range(rng.randrange(longest))) for _ in range(count)]


@pytest.mark.parametrize("max_length", [None, 9])
def test_the_c_ipv4_fake_equals_the_python_transform(max_length: int | None) -> None:
    rng = random.Random(3)
    octets = [".".join(str(rng.randrange(256)) for _ in range(4)) for _ in range(3000)]
    values = octets + ["0.0.0.0", "255.255.255.255", " 10.0.0.1", "10.0.0.1 ", "010.0.0.1", "256.1.1.1", "1.2.3"]
    values += ["1.2.3.4.5", "10.0.0.1/24", "::1", "2001:db8::5", "1.2.3.04", "1..2.3", "１.2.3.4", "1.2.3.4\n"]
    values += _odd_strings(rng, "0123456789.", 1500, 16) + ["9999.1.1.1"]
    native, fresh = _both(ColumnRule(transform="ip"), "text" if max_length is None else f"varchar({max_length})")
    assert _answers(native, values) == _answers(fresh.transform, values)
    assert _no_native("ip", {"key_column": "id"}, "inet") and _no_native("ip", {"keep_prefix_v4": 8}, "inet")


@pytest.mark.parametrize("entity_column", ["id", None])
def test_the_c_date_shift_equals_the_python_transform(entity_column: str | None) -> None:
    rng = random.Random(5)
    params = {"range_days": 400} if entity_column is None else {"entity_column": entity_column, "range_days": 400}
    values = [
        f"{rng.randrange(1, 10000):04d}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}" for _ in range(2000)
    ]
    # leap days, month ends, the calendar's ends, impossible dates
    for year in (1, 2, 4, 100, 400, 1900, 2000, 2024, 9999):
        values += [f"{year:04d}-{month:02d}-{day:02d}" for month in (1, 2, 3, 12) for day in (1, 28, 29, 30, 31)]
    values += ["0000-01-01", "2024-13-01", "2024-00-10", "2024-01-00", "2024-01-01 12:34:56+09", "2024-01-011"]
    values += ["2024-01-01T00:00:00", "infinity", "-infinity", "1999-01-01 BC", "0044-03-15 BC", " 2024-01-01"]
    values += ["２０２４-01-01", "2024-01-01１", "2024-1-01", "2024/01/01"]
    entities = [None, "", "42", "0", "123456789012345678901234", "abc", "４２", " 7", "佐藤"]
    rows = [{"id": rng.choice(entities) if rng.random() < 0.3 else str(rng.randrange(10**6))} for _ in values]
    native, fresh = _both(ColumnRule(transform="date_shift", params=params))
    assert _answers(native, values, rows) == _answers(fresh.transform, values, rows)


@pytest.mark.parametrize("max_length", [None, 15])
def test_the_c_card_fake_equals_the_python_transform(max_length: int | None) -> None:
    rng = random.Random(7)
    bins = ["4", "51", "2221", "34", "37", "3528", "36", "6011", "62", "9", "0"]
    values = [
        rng.choice(bins) + "".join(rng.choice("0123456789") for _ in range(rng.randrange(8, 19))) for _ in range(3000)
    ]
    values += ["4111111111111111", "411111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "424242******4242"]
    values += ["4" * 19, "4" * 20, "4" * 11, "４１１１１１１１１１１１１１１１", "41111111111111a1", "", " "]
    values += _odd_strings(rng, "0123456789 -*", 500, 24)
    native, fresh = _both(ColumnRule(transform="card_pan"), "text" if max_length is None else f"varchar({max_length})")
    assert _answers(native, values) == _answers(fresh.transform, values)
    assert _no_native("card_pan", {"keep_last4": True}) and _no_native("card_pan", {"keep_bin": True})


NAME_PARAMS = [
    {"key_column": "id"},
    {"script": "katakana", "key_column": "id"},
    {"script": "hiragana"},
    {},
    {"part": "family", "key_column": "id"},
    {"part": "given"},
    {"order": "given_first", "separator": "・"},
    {"locale": "en", "key_column": "id"},
    {"script": "katakana", "locale": "ja"},
    {"locale": "en"},
    {"part": "family", "locale": "en"},
    {"part": "given", "locale": "en", "order": "family_first"},
    {"order": "family_first"},
]
# Names the C fake must hand to Python (Latin script: Western or romaji fakes of their shape; kana under the kanji
# script: kana fakes), next to ones it writes itself.
FOREIGN_NAMES = [
    "John Smith",
    "Smith, John",
    "J. Smith",
    "JOHN SMITH",
    "jane doe",
    "Dr. Jane A. Doe Jr.",
    "Taro Yamada",
]
FOREIGN_NAMES += [
    "YAMADA TARO",
    "Émilie Dubois",
    "Ｊｏｈｎ Ｓｍｉｔｈ",
    "ヤマダ タロウ",
    "やまだ　たろう",
    "ｻﾄｳ",
    "山田 John",
    "ー John",
]
FOREIGN_NAMES += ["O'Brien", "x", "ヶ", "〇", "々木", "ヽ", "123", "John 3rd"]


@pytest.mark.parametrize("params", NAME_PARAMS)
@pytest.mark.parametrize("pg_type", ["text", "varchar(5)"])
def test_the_c_name_fake_equals_the_python_transform(params: dict, pg_type: str) -> None:
    rng = random.Random(11)
    native, fresh = _both(ColumnRule(transform="person_name", params=params), pg_type)
    surnames, given = ["佐藤", "鈴木", "高橋", "サトウ", "Smith", ""], ["太郎", "花子", "タロウ", "John", ""]
    edges, separators = ["", " ", "\u3000"], [" ", "\u3000", "", "  ", "\t"]
    values = [
        rng.choice(edges) + rng.choice(surnames) + rng.choice(separators) + rng.choice(given) + rng.choice(edges)
        for _ in range(2000)
    ]
    values += ["", " ", "\u3000", "\t \u3000", "ｻﾄｳ ﾀﾛｳ", "佐藤　太郎"] + FOREIGN_NAMES * 5
    values += _western_names(rng, 1500)
    values += _odd_strings(rng, "Jaéヤやー山 ,.々〇ｻﾞＡ3・ヽ", 600, 12)
    keys = [None, "", "42", "7", "佐藤 太郎", "ＡＢＣ"]
    rows = [{"id": rng.choice(keys) if rng.random() < 0.2 else str(rng.randrange(10**7))} for _ in values]
    own_values, own_rows = _own_draws(fresh, "佐藤 太郎", 300)  # a small pool index draws its own name often enough
    values, rows = values + own_values, rows + own_rows
    assert _answers(native, values, rows) == _answers(fresh.transform, values, rows)
    assert _no_native("person_name", {"script": "latin"}) and _no_native("person_name", {"script": "romaji"})


@pytest.mark.parametrize(("max_length", "locale"), [(None, "auto"), (12, "auto"), (None, "us"), (None, "ja")])
def test_the_c_phone_fake_equals_the_python_transform(max_length: int | None, locale: str) -> None:
    rng = random.Random(13)
    leads = ["090", "080", "070", "060", "050", "020", "03", "06", "011", "0120", "0800", "0570", "010", "00", "1", ""]
    values = []
    for _ in range(3000):
        digits = rng.choice(leads) + "".join(rng.choice("0123456789") for _ in range(rng.randrange(5, 10)))
        cuts = sorted(rng.sample(range(1, len(digits)), 2))
        sep = rng.choice(["-", " ", "", ")"])
        values.append(f"{digits[: cuts[0]]}{sep}{digits[cuts[0] : cuts[1]]}{sep}{digits[cuts[1] :]}")
    values += [f"+81 {v[1:]}" for v in values[:200]] + [f"0081-{v[1:]}" for v in values[200:300]]
    values += [f"({v}" for v in values[300:400]] + [f" {v} " for v in values[400:500]]
    values += ["なし", "-", "", " ", "０９０-１２３４-５６７８", "090-1234-5678 内線12", "tel:090-1234-5678"]
    values += _odd_strings(rng, "0123456789-+() ", 1500, 20) + ["81-90-1234-5678"]
    # North American and British numbers: Python's (fictional numbers of their country), never C's
    values += ["415-555-0134", "(415) 555-0134", "4155550134", "+1 415 555 0134", "1-415-555-0134", "001-415-555-0134"]
    values += ["+44 20 7946 0018", "+44 (0)161 496 0123", "0044 7911 123456", "020 7946 0018", "07911 123456"]
    values += ["+1-415-555-0134x123", "0161 496 0123", "01632 960123", "(020) 7946 0018 ext. 5"]
    params = {} if locale == "auto" else {"locale": locale}
    native, fresh = _both(
        ColumnRule(transform="phone", params=params), "text" if max_length is None else f"varchar({max_length})"
    )
    assert _answers(native, values) == _answers(fresh.transform, values)
    assert _no_native("phone", {"key_column": "id"}) and _no_native("phone", {"keep_prefix_digits": 3})
    assert _no_native("phone", {"locale": "gb"})  # 0-leading national numbers are British there: Python


WESTERN_GIVEN = [
    "John",
    "Robert",
    "O'",
    "K-",
    "Claudia",
    "Anne-Marie",
    "O'Neil",
    "Ken",
    "Taro",
    "Anna",
    "Jo",
    "J.",
    "j",
    "A",
]
WESTERN_FAMILY = ["Smith", "Harding", "Villarreal", "Clunies-Ross", "O'Brien", "Yamada", "Satou", "Kim", "Ohno"]
WESTERN_EXTRAS = ["", "Dr. ", "Mr ", "Prof. ", "van ", "de la ", "Jr.", " III", " PhD", " MD", "ii", ".", "-"]


def _western_names(rng: random.Random, count: int) -> list[str]:
    """Latin-script names of every form the C fake writes or hands over: titles, suffixes, particles, initials,
    hyphens and apostrophes, ALL CAPS and lowercase, romaji-looking ones, commas, doubled spaces."""
    values = []
    for _ in range(count):
        words = [rng.choice(WESTERN_GIVEN) for _ in range(rng.randrange(3))] + [rng.choice(WESTERN_FAMILY)]
        name = rng.choice(WESTERN_EXTRAS[:6]) + rng.choice([" ", "  ", " "]).join(words)
        name += rng.choice(["", " "]) + rng.choice(WESTERN_EXTRAS[6:] + [""] * 6)
        name = rng.choice([name, name, name, name.upper(), name.lower(), name.replace(" ", ", ", 1), f" {name} "])
        values.append(name)
    return values


def test_the_c_name_fake_writes_western_names_itself() -> None:
    """Plain ASCII Western names are made in C (a fallback that refuses proves it) and equal Python's, at each
    part and locale; romaji-looking ones, and commas, go to Python."""
    rng = random.Random(19)
    for params in ({}, {"locale": "en"}, {"part": "given", "locale": "en"}, {"part": "family", "locale": "en"}):
        rule = ColumnRule(transform="person_name", params=params)
        transformer = build_transformer(rule, ColumnInfo("public.t", "c", "text"), KEY)
        strict = reference.NATIVE.NameFake(
            transformer._index_of.index,
            transformer._names.family,
            transformer._names.given,
            None,
            None,
            ["full", "family", "given"].index(transformer.params.part),
            False,
            _refuse,
            -1,
            1,
            latin=transformer._native_latin(),
        )
        fresh = build_transformer(rule, ColumnInfo("public.t", "c", "text"), KEY)
        made = []
        for value in _western_names(rng, 1500) + ["Robert Harding", "Claudia Villarreal", "Dr. Jane A. Doe Jr."]:
            try:
                made.append((value, strict(value, {})))
            except AssertionError:
                continue
        assert len(made) > 500, params  # most are C's
        assert [fake for _, fake in made] == [fresh.transform(value, {}) for value, _ in made]
        romaji = ("Taro Yamada", "YAMADA") if params.get("locale") != "en" else ()  # en: Western, in C
        for handed in ("Smith, John", "Émilie Dubois", "John 3rd", *romaji):
            with pytest.raises(AssertionError, match="handed to Python"):
                strict(handed, {})


@pytest.mark.parametrize(
    ("rule", "value"),
    [
        (ColumnRule(transform="person_name"), "Robert Harding"),
        (ColumnRule(transform="address", params={"part": "street"}), "2353 Charles Shoal"),
        (ColumnRule(transform="address", params={"part": "postal_code"}), "94107"),
    ],
)
def test_the_c_western_fakes_share_the_transformers_memo(rule: ColumnRule, value: str) -> None:
    """A Western value the C fake makes lands in the memo `transform` keeps, and a value found there is answered
    from it (a repeated value costs a lookup): one memo, so C and Python can't answer one value two ways."""
    transformer = build_transformer(rule, ColumnInfo("public.t", "c", "text"), KEY)
    native = transformer.native_transform()
    fake = native(value, {})
    assert transformer.plain_memo() == {value: fake} and transformer.transform(value, {}) == fake
    transformer.plain_memo()[value] = "from the memo"
    assert native(value, {}) == "from the memo"


def _refuse(value: str, row: object) -> str:
    raise AssertionError(f"handed to Python: {value!r}")


def test_the_c_phone_fake_writes_north_american_and_british_numbers_itself() -> None:
    """The shapes the C fake claims are made in C (a fallback that refuses proves it), and equal Python's; under
    `locale: ja` they are Python's (the Japanese rules permute them)."""
    rng = random.Random(17)
    nanp = [f"{rng.randrange(200, 1000)}{rng.randrange(200, 1000)}{rng.randrange(10000):04d}" for _ in range(1500)]
    british = [f"{rng.choice('12378 9')}{rng.randrange(10**9):09d}".replace(" ", "2") for _ in range(1500)]
    values = nanp + [f"{n[:3]}-{n[3:6]}-{n[6:]}" for n in nanp] + [f"({n[:3]}) {n[3:6]}-{n[6:]}" for n in nanp]
    values += [f"+1 {n[:3]} {n[3:6]} {n[6:]}" for n in nanp] + [f"1-{n}" for n in nanp[:300]]
    values += [f"+44 {b[:2]} {b[2:6]} {b[6:]}" for b in british] + [f"0044 {b}" for b in british[:300]]
    values += [f"+44 (0){b[:3]} {b[3:]}" for b in british[:300]]
    values += ["4155550134", "415-555-0134", "+44 20 7946 0018", "+44 (0)161 496 0123"]  # fictional already
    transformer = build_transformer(ColumnRule(transform="phone"), ColumnInfo("public.t", "c", "text"), KEY)
    strict = reference.NATIVE.PhoneFake(transformer._digest, _refuse, -1, True)
    fresh = build_transformer(ColumnRule(transform="phone"), ColumnInfo("public.t", "c", "text"), KEY)
    assert _answers(strict, values) == _answers(fresh.transform, values)
    ja = reference.NATIVE.PhoneFake(transformer._digest, _refuse, -1, False)
    with pytest.raises(AssertionError, match="handed to Python"):
        ja(values[0], {})


STREET_WORDS = ["Baker", "Charles", "Martin Luther King", "O'Neil", "Lake Shore", "Park", "St", "Street", "Drive"]
STREET_WORDS += ["Ave", "N", "nw", "Apt", "Suite", "Flat", "PO Box", "CA", "B", "x", "USA", "of", "the", "Rd.", "ST"]


def _western_addresses(rng: random.Random, count: int) -> list[str]:
    """Western street and building lines and postal codes of every shape western.c tokenizes: numbers (0-leading),
    ordinals, name runs and street types, units, one letters, UK postcodes inside a line, ZIPs, odd codes, case."""
    values = []
    for _ in range(count):
        pieces = []
        for _ in range(rng.randrange(1, 6)):
            kind = rng.randrange(6)
            if kind == 0:
                pieces.append(str(rng.randrange(10 ** rng.randrange(1, 6))).zfill(rng.choice([1, 1, 3])))
            elif kind == 1:
                pieces.append(f"{rng.randrange(1, 120)}{rng.choice(['st', 'nd', 'rd', 'th', 'TH', 'B', ''])}")
            elif kind == 2:
                pieces.append(
                    rng.choice(["SW1A 1AA", "ec1a1bb", "W1 2AB", "M60 1NW", "CR2 6XH", "DN55 1PT", "A1  1AA"])
                )
            else:
                pieces.append(rng.choice(STREET_WORDS))
        line = rng.choice([" ", ", ", "  ", "-", " #", "/"]).join(pieces) if rng.random() < 0.3 else " ".join(pieces)
        line = rng.choice([line, line, line.upper(), line.lower(), f" {line} ", f"{line}\t", f"{line}\nx"])
        values.append(line)
    values += [f"{rng.randrange(10**5):05d}" for _ in range(count // 4)]
    values += [f"{rng.randrange(10**5):05d}-{rng.randrange(10**4):04d}" for _ in range(count // 4)]
    values += ["AB-12", "1234", "K1A 0B1", "Q1 1QQ", "-", "--", "ABC", "1234567", "123 4567", "A", "Suite 9227"]
    return values


def test_the_c_address_fake_writes_western_values_itself() -> None:
    """Western lines and postal codes in printable ASCII are made in C (a fallback that refuses proves it) and
    equal Python's; what needs a redraw or isn't Western goes to Python."""
    rng = random.Random(23)
    values = _western_addresses(rng, 1500) + ["2353 Charles Shoal", "Apt 5492F", "Flat 2660H", "DA4P 1YJ"]
    for part, locale in (
        ("street", "auto"),
        ("building", "auto"),
        ("postal_code", "auto"),
        ("street", "us"),
        ("building", "gb"),
    ):
        rule = ColumnRule(transform="address", params={"part": part, "locale": locale})
        transformer = build_transformer(rule, ColumnInfo("public.t", "c", "text"), KEY)
        native = transformer.native_transform()
        native = type(native)(
            transformer._index_of.index,
            transformer._extra_digest,
            tuple(transformer.places.towns),
            address_module._KANJI_BLOCKS,
            address_module._DASH_BLOCKS,
            None if locale == "auto" else "id",  # keyed on a row id: what the Japanese fakes would take
            normalize.nfkc,
            ["postal_code", "street", "building"].index(part),
            _refuse,
            -1,
            western=transformer._western.native(),
            western_only=locale != "auto",
        )
        fresh = build_transformer(rule, ColumnInfo("public.t", "c", "text"), KEY)
        if locale != "auto":  # under us/gb, a value western.c doesn't write is Python's, never a Japanese fake
            for handed in ("桜台3-12-5", "123", " "):
                with pytest.raises(AssertionError, match="handed to Python"):
                    native(handed, {"id": "42"})
        made = []
        for value in values:
            try:
                made.append((value, native(value, {})))
            except AssertionError:
                continue
        assert len(made) > len(values) // 3, part
        assert [fake for _, fake in made] == [fresh.transform(value, {}) for value, _ in made]
    for handed in ("Elm St\tx", "Émile Zola 3", "桜台 Elm 3"):
        with pytest.raises(AssertionError, match="handed to Python"):
            native(handed, {})


@pytest.mark.parametrize(
    ("part", "locale"),
    [("postal_code", "auto"), ("street", "auto"), ("building", "auto"), ("street", "us"), ("building", "gb")],
)
@pytest.mark.parametrize("key_column", ["id", None])
@pytest.mark.parametrize("pg_type", ["text", "varchar(8)"])
def test_the_c_address_fake_equals_the_python_transform(
    part: str, locale: str, key_column: str | None, pg_type: str
) -> None:
    """`us`/`gb` street and building lines: the Western fakes in C, every other value handed to Python."""
    rng = random.Random(17)
    params = {"part": part, "locale": locale} | ({} if key_column is None else {"key_column": key_column})
    native, fresh = _both(ColumnRule(transform="address", params=params), pg_type)
    streets = [
        "東京都千代田区一丁目3番4号",
        "桜台3-12-5",
        "中央1-2-3 コーポ桜305",
        "本町2丁目 5階",
        "A棟 12",
        "ｺｰﾎﾟ 1-2",
    ]
    streets += ["栄町１丁目２番", "3階", "x階", "B棟", "１階", "  1-2-3  ", "", " ", "\u3000", "番地なし"]
    values = [f"{rng.randrange(10**7):07d}" for _ in range(1500)]
    values += [f"{rng.randrange(1000):03d}-{rng.randrange(10**4):04d}" for _ in range(500)]
    values += ["〒160-0022", " 1600022 ", "160 0022", "１６０-００２２", "abc", "12345678", ""] + streets * 40
    # Western shapes: ZIPs, UK postcodes, Western street lines (western.c's), and their near misses
    values += ["94107", "94107-1234", "SW1A 1AA", "sw1a1aa", "K1A 0B1", "160-00222", "1600-022", " 160-0022"] * 5
    values += _western_addresses(rng, 600)
    values += ["1234 Elm Street", "Flat 3, 12 Baker St", "PO Box 12", "Émile Zola 3", "3 rue de l'Église"] * 5
    values += ["Ｅｌｍ ３", "桜台 Elm 3", "ｺｰﾎﾟ Elm", "x-1", "1-2-3 Apt B"] * 5
    values += _odd_strings(rng, "Ae1-2 桜ｺﾞ丁目番ー〒Ｓ", 600, 14)
    keys = [None, "", "42", "0", "abc", "４２", "12345678901234567890123"]
    rows = [{"id": rng.choice(keys) if rng.random() < 0.2 else str(rng.randrange(10**6))} for _ in values]
    own_values, own_rows = _own_draws(fresh, "1000000", 200)  # a postal code drawn for its own row steps off it
    values, rows = values + own_values, rows + own_rows
    assert _answers(native, values, rows) == _answers(fresh.transform, values, rows)
    assert _no_native("address", {"part": "full"}) and _no_native("address", {"part": "city", "key_column": "id"})
    assert _no_native("address", {"part": "postal_code", "locale": "us"}) and _no_native(
        "address", {"part": part, "locale": "ja"}
    )


@pytest.mark.parametrize("mail_domain", ["example.com", "shop.test"])
def test_the_c_email_fake_equals_the_python_transform(mail_domain: str) -> None:
    rng = random.Random(19)
    native, fresh = _both(ColumnRule(transform="email", params={"mail_domain": mail_domain}))
    values = [f"user{i}.{rng.randrange(10**6):06x}@{rng.choice(['gmail.com', 'Yahoo.co.jp'])}" for i in range(2000)]
    values += [f" {v.upper()}\t" for v in values[:300]] + [
        "",
        " ",
        "\t",
        "a",
        "Ｕｓｅｒ@example.jp",
        "ユーザー@例え.jp",
    ]
    values += _odd_strings(rng, "abcXYZ09.@ -_+\x1c", 1000, 40) + ["x" * 300 + "@example.com"]
    assert _answers(native, values) == _answers(fresh.transform, values)
    assert _no_native("email", {}, "varchar(20)")


@pytest.mark.parametrize("params", [{}, {"keep_chars": "-"}, {"keep_prefix": False}])
def test_the_c_token_fake_equals_the_python_transform(params: dict) -> None:
    rng = random.Random(23)
    native, fresh = _both(ColumnRule(transform="token", params=params))
    values = [f"PR-{rng.randrange(16**32):032x}" for _ in range(1000)] + [
        f"{rng.randrange(16**40):040X}" for _ in range(300)
    ]
    values += ["tok_abc123", "sk_test_XyZ", "$2b$12$abcdefghijABCDEFGHIJ0123456789.", "$6$salt$hash", "a_b", "_x"]
    values += ["550e8400-e29b-41d4-a716-446655440000", "550E8400-E29B-41D4-A716-446655440000", "-" * 36, "", " "]
    values += ["AbC-123.xyz:9/q+r=s~t u", "ÄÖÜ-123", "full　width", "#!%&*", "ABCDEF", "abcdefg", "0123"]
    values += _odd_strings(rng, "abcdefABCXYZ0189-_.:/+=~$ #", 1500, 30)
    values += _crypt_hashes(rng)
    assert _answers(native, values) == _answers(fresh.transform, values)
    assert _no_native("token", {}, "uuid") and _no_native("token", {}, "bytea")


_BCRYPT = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _crypt_hashes(rng: random.Random) -> list[str]:
    """Password hashes behind `$algorithm$params$` headers (token._CRYPT_PREFIX), and near misses of the header."""
    values = ["$2b$12$" + "".join(rng.choice(_BCRYPT) for _ in range(53)) for _ in range(300)]
    values += ["$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", "$5$rounds=5000$salt$hash", "$6$x", "$1$", "$2b$"]
    values += ["$2b$12$", "$abcdefghijk$x", "$abcdefghij$x", "$2b$123$x", "$2b$1$x", "$a=1,b$x", "$x$m=1,$y"]
    values += ["$x$rounds=$y", "$x$r=5$y", "$x$r=5,s=6,$y", "$$x", "$x", "$2b$12$ab_c", "$2B$12$x", "$2b$12$$$"]
    values += ["$2b$12$deadbeef", "$2b$12$DEADBEEF", "$2b$12$12$ab", "$x$a=1,b=22$r=3$q", "$x$rounds=1$7$z"]
    values += ["$" + v for v in _odd_strings(rng, "$019abrz=,.AZ/-", 3000, 24)]
    return values


def test_the_c_token_fake_writes_password_hashes_itself() -> None:
    """A hash behind its header is made in C (a fallback that refuses proves it) and equals Python's."""
    rng = random.Random(29)
    transformer = build_transformer(ColumnRule(transform="token"), ColumnInfo("public.t", "c", "text"), KEY)
    native = type(transformer.native_transform())(
        transformer._digest, hashlib.shake_256, b"-_.:/+=~$ ", _refuse, -1, crypt=True
    )
    values = ["$2b$12$" + "".join(rng.choice(_BCRYPT) for _ in range(53)) for _ in range(300)]
    values += ["$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", "$5$rounds=5000$salt$hash", "$2b$12$12$ab"]
    assert [native(v, {}) for v in values] == [transformer.transform(v, {}) for v in values]
    for handed in ("$2b$12$", "$x", "$2b$12$ab_c", "$abcdefghijk$x"):  # no header, nothing behind it, a `_`
        with pytest.raises(AssertionError, match="handed to Python"):
            native(handed, {})


def test_the_c_fakes_refuse_bad_arguments() -> None:
    from anonymize.speedups import NATIVE

    assert NATIVE is not None
    native, _ = _both(ColumnRule(transform="ip"), "inet")
    with pytest.raises(TypeError):
        native(b"10.0.0.1", {})
    with pytest.raises(TypeError):
        native("10.0.0.1")
    with pytest.raises(TypeError):
        NATIVE.CardFake(lambda b, n: ("424242", 1, None), None, -1)
    with pytest.raises(TypeError):  # a NameFake must say which names it writes (1: kanji, 2: kanji or kana)
        NATIVE.NameFake(lambda key: 0, ("a",), ("b",), None, None, 0, False, lambda v, r: v, -1, 0)
    with pytest.raises(TypeError):  # parts that aren't (prefix, offset, apply)
        NATIVE.CardFake(lambda b, n: "not parts", lambda v, r: v, -1)("4111111111111111", {})
