"""Per-value cost of the transformers `devkit snapshot --anonymize` spends its CPU in, on the values of
bench/snapshot/run.py's database (same shapes, same rules), without PostgreSQL or the pipeline around them.

Each case builds its transformer(s) under a fresh key (so no cache of an earlier case or repeat helps), then
times one pass over its values through what the pipeline's row loop calls (a transformer's C common case when the
extension is built, else its `transform`; DEVKIT_PURE_PYTHON=1 times the Python ones); the best of --repeat
passes is kept. Columns:
- us/value:  wall microseconds per value (min over repeats);
- digests:   the same cost in units of one keyed `Keyring.digest` measured in this run, the floor of any keyed
             fake: comparable between runs on a busy 2-core machine, which raw microseconds aren't quite.

Cases:
- cold (`<transform> <column>`): N distinct values, each seen once: every value is a cache miss;
- `customers row`: the customers table's five transformed columns row by row, as the pipeline calls them
  (full_name and full_name_kana share their id's pool index; postal_code and address_line their fake address);
- `customer_email cycle`: orders.customer_email, the customers' emails cycling (1 + g % customers) for
  3 x customers values after the customers' own email column, in one process: shows whether the bounded
  caches keep the repeats (hits) or thrash (misses);
- building blocks: Keyring.digest, tag(), Permutation (table mode), KeyedIndex, DigitPermuter.

Run: .venv/bin/python bench/transformers/run.py [--values 100000] [--repeat 3] [--only SUBSTRING]
                                                [--json FILE] [--baseline FILE]
--json writes {case: us/value}; --baseline FILE (an earlier --json) adds its figures and the speed-up.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from anonymize.columns import ColumnInfo  # noqa: E402
from anonymize.keys import Keyring  # noqa: E402
from anonymize.rules import ColumnRule  # noqa: E402
from anonymize.transformers.base import Transformer  # noqa: E402
from anonymize.transformers.factory import build_transformer  # noqa: E402
from anonymize.transformers.keyed import DigitPermuter, KeyedIndex, tag  # noqa: E402
from anonymize.transformers.permutation import Permutation  # noqa: E402

SEI = [
    ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"), ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("加藤", "カトウ"),
    ("吉田", "ヨシダ"), ("山田", "ヤマダ"), ("佐々木", "ササキ"), ("山口", "ヤマグチ"), ("松本", "マツモト"),
]  # fmt: skip
MEI = [
    ("太郎", "タロウ"), ("花子", "ハナコ"), ("翔太", "ショウタ"), ("美咲", "ミサキ"), ("大輔", "ダイスケ"),
    ("陽子", "ヨウコ"), ("健一", "ケンイチ"), ("由美", "ユミ"), ("誠", "マコト"), ("愛", "アイ"), ("直樹", "ナオキ"),
    ("恵", "メグミ"), ("拓也", "タクヤ"), ("彩", "アヤ"), ("浩二", "コウジ"),
]  # fmt: skip
MAIL_DOMAINS = ["gmail.com", "yahoo.co.jp", "docomo.ne.jp", "icloud.com", "outlook.jp"]
WARDS = ["千代田区", "中央区", "港区", "新宿区", "渋谷区"]

Row = dict[str, str | None]
Item = tuple[str, Row]


def md5(g: int) -> str:
    return hashlib.md5(str(g).encode()).hexdigest()


# ---------------------------------------------------------------- the bench database's values, as in its FILL SQL


def customer_email(g: int) -> str:
    return f"user{g}.{md5(g)[:6]}@{MAIL_DOMAINS[g % 5]}"


def customer(g: int) -> dict[str, str]:
    sei, mei = SEI[g % 15], MEI[(g // 15) % 15]
    birth = 17 * g % 20000
    return {
        "id": str(g),
        "email": customer_email(g),
        "full_name": f"{sei[0]} {mei[0]}",
        "full_name_kana": f"{sei[1]} {mei[1]}",
        "postal_code": str(g * 31 % 10**7).zfill(7),
        "address_line": f"東京都{WARDS[g % 5]}一丁目{g % 30 + 1}番{g % 20 + 1}号",
        "birth_date": _date(birth),
    }


def _date(days_after_1950: int) -> str:
    from datetime import date, timedelta

    return (date(1950, 1, 1) + timedelta(days=days_after_1950)).isoformat()


def full_address(g: int) -> str:
    postal = str(g * 31 % 10**7).zfill(7)
    street = f"{g % 9 + 1}丁目{g % 30 + 1}番{g // 30 % 20 + 1}号"
    return f"〒{postal[:3]}-{postal[3:]} 東京都{WARDS[g % 5]}桜台{street} サクラハイツ{g // 600}"


def card_pan(g: int) -> str:
    return "4" + str(g * 7919 % 10**15).zfill(15)


def note(g: int) -> str:
    phone = f"0{('90', '80', '70')[g % 3]}-{g * 7919 % 10000:04d}-{g * 104729 % 10000:04d}"
    return "置き配希望" if g % 2 else f"連絡先 {phone} まで"


# ---------------------------------------------------------------- cases

KEY_SEED = iter(range(1, 1 << 30))


def fresh_key() -> Keyring:
    """A key no earlier case or repeat used: shared per-process caches (KeyedIndex.shared...) start empty."""
    return Keyring(f"bench-transformers-{next(KEY_SEED):08d}-0123456789".encode())


def make(transform: str, params: dict | None, column: str, key: Keyring, pg_type: str = "text", **info) -> Transformer:
    rule = ColumnRule(transform=transform, params=params or {})
    return build_transformer(rule, ColumnInfo("public.bench", column, pg_type, **info), key)


def called(transformer: Transformer) -> Callable[[str, dict], str | None]:
    """What the pipeline's row loop calls per value: the C version of the common case when built."""
    return transformer.native_transform() or transformer.transform


class Case:
    def __init__(self, name: str, build: Callable[[Keyring], Callable[[], int]]) -> None:
        self.name = name
        self.build = build  # key -> a pass to time, returning how many values it transformed


def column_case(name: str, transform: str, params: dict | None, items: list[Item], **info) -> Case:
    def build(key: Keyring) -> Callable[[], int]:
        fn = called(make(transform, params, name.split()[-1], key, **info))

        def run() -> int:
            for value, row in items:
                fn(value, row)
            return len(items)

        return run

    return Case(f"{transform} {name}", build)


def cases(n: int) -> list[Case]:
    gs = range(1, n + 1)
    customers = [customer(g) for g in gs]
    out = [
        column_case("customers.email", "email", None, [(c["email"], c) for c in customers], unique=True),
        column_case(
            "customers.full_name", "person_name", {"key_column": "id"}, [(c["full_name"], c) for c in customers]
        ),
        column_case(
            "customers.full_name_kana",
            "person_name",
            {"script": "katakana", "key_column": "id"},
            [(c["full_name_kana"], c) for c in customers],
        ),
        column_case(
            "customers.postal_code",
            "address",
            {"part": "postal_code", "key_column": "id"},
            [(c["postal_code"], c) for c in customers],
        ),
        column_case(
            "customers.address_line",
            "address",
            {"part": "street", "key_column": "id"},
            [(c["address_line"], c) for c in customers],
        ),
        column_case("full address", "address", None, [(full_address(g), {}) for g in gs]),
        column_case(
            "customers.birth_date",
            "date_shift",
            {"entity_column": "id", "range_days": 180},
            [(c["birth_date"], c) for c in customers],
            pg_type="date",
        ),
        column_case("orders.card_pan", "card_pan", None, [(card_pan(g), {}) for g in gs]),
        column_case("orders.notes", "free_text", None, [(note(g), {}) for g in gs]),
        column_case("payments.provider_ref", "token", None, [("PR-" + md5(g), {}) for g in gs]),
        column_case(
            "merchants.legal_name", "company_name", None, [(f"株式会社{SEI[g % 15][0]}商事{g}", {}) for g in gs]
        ),
        column_case(
            "merchants.corporate_number",
            "corporate_number",
            None,
            [(str(10**12 + g * 7919).zfill(13), {}) for g in gs],
            pg_type="character(13)",
        ),
        column_case("merchants.email", "email", None, [(f"info{g}@merchant{g % 97}.co.jp", {}) for g in gs]),
        column_case("merchants.bank_account", "bank_account", None, [(str(g * 7331 % 10**7).zfill(7), {}) for g in gs]),
    ]

    row_columns = [
        ("email", "email", None),
        ("full_name", "person_name", {"key_column": "id"}),
        ("full_name_kana", "person_name", {"script": "katakana", "key_column": "id"}),
        ("postal_code", "address", {"part": "postal_code", "key_column": "id"}),
        ("address_line", "address", {"part": "street", "key_column": "id"}),
        ("birth_date", "date_shift", {"entity_column": "id", "range_days": 180}),
    ]

    def customers_row(key: Keyring) -> Callable[[], int]:
        slots = [
            (column, called(make(t, p, column, key, pg_type="date" if t == "date_shift" else "text")))
            for column, t, p in row_columns
        ]

        def run() -> int:
            for c in customers:
                for column, fn in slots:
                    fn(c[column], c)
            return len(customers) * len(slots)

        return run

    out.append(Case("customers row (6 columns, per value)", customers_row))

    emails = [c["email"] for c in customers]

    def email_cycle(key: Keyring) -> Callable[[], int]:
        own = called(make("email", None, "email", key, unique=True))
        orders = called(make("email", None, "customer_email", key))
        cycle = [emails[g % n] for g in range(1, 3 * n + 1)]

        def run() -> int:
            for value in emails:
                own(value, {})
            for value in cycle:
                orders(value, {})
            return len(emails) + len(cycle)

        return run

    out.append(Case("email customer_email cycle (own + 3 cycles)", email_cycle))
    out += building_blocks(n)
    return out


def building_blocks(n: int) -> list[Case]:
    rng = random.Random(5)
    strings = [customer_email(g) for g in range(1, n + 1)]
    digests = [rng.randbytes(8) for _ in range(n)]

    def digest(key: Keyring) -> Callable[[], int]:
        fn = key.digest

        def run() -> int:
            for value in strings:
                fn("email", value)
            return len(strings)

        return run

    def tags(key: Keyring) -> Callable[[], int]:
        def run() -> int:
            for d in digests:
                tag(d, 8)
            return len(digests)

        return run

    def permutation(size: int) -> Callable[[Keyring], Callable[[], int]]:
        xs = [rng.randrange(size) for _ in range(n)]

        def build(key: Keyring) -> Callable[[], int]:
            fn = Permutation(key.subkey("bench"), size)

            def run() -> int:
                for x in xs:
                    fn(x)
                return len(xs)

            return run

        return build

    def keyed_index(key: Keyring) -> Callable[[], int]:
        index = KeyedIndex(key, "bench", 1_000_000_000)
        ids = [str(g) for g in range(1, n + 1)]

        def run() -> int:
            for i in ids:
                index(i)
            return len(ids)

        return run

    def digit_permuter(key: Keyring) -> Callable[[], int]:
        fn = DigitPermuter(key, "bench")
        values = [str(rng.randrange(10**9)).zfill(9) for _ in range(n)]

        def run() -> int:
            for v in values:
                fn(v)
            return len(values)

        return run

    return [
        Case("block Keyring.digest", digest),
        Case("block tag(8 bytes, 8 chars)", tags),
        Case("block Permutation 10^9 (table)", permutation(10**9)),
        Case("block Permutation 10^7 (table)", permutation(10**7)),
        Case("block KeyedIndex 10^9, int ids", keyed_index),
        Case("block DigitPermuter 9 digits", digit_permuter),
    ]


def measure(case: Case, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        run = case.build(fresh_key())
        gc.collect()
        began = time.perf_counter()
        count = run()
        best = min(best, (time.perf_counter() - began) / count)
        del run
    return best * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--values", type=int, default=100_000, help="distinct values per case")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default=None, help="run the cases whose name contains this")
    parser.add_argument("--json", type=Path, default=None, help="write {case: us/value} here")
    parser.add_argument("--baseline", type=Path, default=None, help="an earlier --json: add before and speed-up")
    args = parser.parse_args(argv)
    baseline: dict[str, float] = json.loads(args.baseline.read_text()) if args.baseline else {}
    all_cases = cases(args.values)
    floor_case = next(c for c in all_cases if c.name == "block Keyring.digest")
    floor = measure(floor_case, args.repeat)
    results: dict[str, float] = {}
    width = max(len(c.name) for c in all_cases)
    header = f"{'case':<{width}}  {'us/value':>9}  {'digests':>7}"
    if baseline:
        header += f"  {'before':>9}  {'speed-up':>8}"
    print(f"{args.values:,} values per case, best of {args.repeat}; one keyed digest = {floor:.2f} us")
    print(header)
    for case in all_cases:
        if args.only and args.only not in case.name:
            continue
        us = floor if case is floor_case else measure(case, args.repeat)
        results[case.name] = us
        line = f"{case.name:<{width}}  {us:>9.2f}  {us / floor:>7.1f}"
        before = baseline.get(case.name)
        if before is not None:
            line += f"  {before:>9.2f}  {before / us:>7.2f}x"
        print(line, flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
