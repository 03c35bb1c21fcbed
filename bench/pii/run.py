"""Throughput of the PII detector against Presidio's stock AnalyzerEngine, same texts, same run.

The texts are built on the fly like a production note/log column: corpus-style notes, support messages, audit
lines and look-alike texts (testbed/pii/corpus/generate.py, with its own seed), plus the short stock
phrases that fill real note columns (置き配希望, 領収書不要 ...), drawn with a Zipf-like skew so that some
texts repeat a lot and most appear once or twice.

Measured, each on the same list:
- ours:            PiiDetector.detect_many, fresh cache (what the pipeline does on a column batch);
- ours, per text:  PiiDetector.detect one text at a time, fresh cache;
- ours, uncached:  PiiDetector.detect on the distinct texts only, cache disabled (the recognizers' raw speed);
- ours via Presidio: our recognizers run by Presidio's BatchAnalyzerEngine (engine="presidio"), fresh cache;
- Presidio stock:  AnalyzerEngine with the default recognizer registry and the no-model NoOpNlpEngine (no model
                   can be downloaded here), public-suffix list pinned; one analyze() per text, no cache.

With --prodlike DAYS, the texts are instead the free text of a production-like SmartPOS database seeded on a
throw-away PostgreSQL server (`dev` profile, DAYS days): orders.notes, merchants.notes, audit_logs.details and
every string leaf of webhook_events.payload — the columns the shipped rules give to the PII detector — and
ours (detect_many, fresh cache) runs against stock Presidio on the same list.

Run: .venv/bin/python bench/pii/run.py [--texts 20000] [--distinct 4000] [--stock-sample N] [--workers N]
     .venv/bin/python bench/pii/run.py --prodlike 3
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from anonymize.pii import PiiDetector  # noqa: E402

COMMON_NOTES = (
    "置き配希望", "領収書不要", "不在時は宅配ボックスへ", "ギフト包装希望", "のし不要", "午前中着希望", "折り返し不要",
    "レジ袋不要", "ポイント利用", "クーポン適用済み", "配達前に連絡ください", "インターホン故障中のためノック",
    "Leave at door", "No receipt needed", "Gift wrap please", "Call before delivery", "", "特になし", "なし", "-",
)  # fmt: skip


def _corpus_generator():  # type: ignore[no-untyped-def]
    path = ROOT / "testbed" / "pii" / "corpus" / "generate.py"
    spec = importlib.util.spec_from_file_location("pii_corpus_generate", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_texts(n_texts: int, n_distinct: int, seed: int = 7) -> list[str]:
    generator = _corpus_generator()
    generator.SEED = seed
    generator.N_PLANTED_TEXTS = max(100, n_distinct * 3 // 4)
    generator.N_LOOKALIKE_TEXTS = max(50, n_distinct // 4)
    generator.N_JSON_TEXTS = 0
    planted, lookalikes = generator.generate()
    pool = [item["text"] for item in planted + lookalikes][: n_distinct - len(COMMON_NOTES)]
    pool = list(COMMON_NOTES) + pool  # the stock phrases are the most frequent texts
    rng = random.Random(seed)
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(pool))]
    texts = rng.choices(pool, weights=weights, k=n_texts - len(pool))
    texts += pool  # every distinct text appears at least once
    rng.shuffle(texts)
    return texts


FREE_TEXT_QUERIES = (
    "SELECT notes FROM orders WHERE notes IS NOT NULL",
    "SELECT notes FROM merchants WHERE notes IS NOT NULL",
    "SELECT details FROM audit_logs WHERE details IS NOT NULL",
)


def prodlike_texts(days: int) -> list[str]:
    """The free text of a seeded SmartPOS database (see the module docstring), in table order."""
    import json
    import tempfile
    from datetime import date

    import psycopg

    from anonymize.pii.json_leaves import iter_string_leaves
    from devkit.seed.generate import World
    from devkit.seed.load import load
    from devkit.seed.profiles import load_profile
    from devkit.seed.reference import load_reference
    from testbed.servers import start_postgres

    server = start_postgres(Path(tempfile.mkdtemp(prefix="bench-pii-pg-", dir="/tmp")))
    try:
        with psycopg.connect(server.dsn(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench_pii")
        dsn = server.dsn("bench_pii")
        began = time.perf_counter()
        load(dsn, World(load_profile("dev"), 1, days, date(2025, 3, 1), load_reference()), "dev")
        print(f"seeded a dev-profile SmartPOS database ({days} days) in {time.perf_counter() - began:.1f} s")
        texts: list[str] = []
        with psycopg.connect(dsn) as conn:
            for query in FREE_TEXT_QUERIES:
                texts += [row[0] for row in conn.execute(query)]
            for (payload,) in conn.execute("SELECT payload::text FROM webhook_events WHERE payload IS NOT NULL"):
                texts += [leaf for _, leaf in iter_string_leaves(json.loads(payload))]
        return texts
    finally:
        server.stop()


def compare_prodlike(days: int, stock_sample: int) -> int:
    texts = prodlike_texts(days)
    distinct = len(set(texts))
    print(f"free-text values: {len(texts)}  distinct: {distinct}  mean length: {sum(map(len, texts)) / len(texts):.0f}")
    PiiDetector().detect("warm ０９０-1234-5678 a@b.com 田中様 Mr. Smith 〒150-0001 東京都渋谷区神宮前1-2-3")
    ours = PiiDetector()
    t_ours = timed(lambda: ours.detect_many(texts))
    from anonymize.pii.analyzer import build_stock_analyzer

    stock = build_stock_analyzer("en")
    stock.analyze("warm 090-1234-5678 a@b.com", language="en")
    sample = texts if not stock_sample else texts[:stock_sample]
    t_stock = timed(lambda: [stock.analyze(t, language="en") for t in sample])
    rate_ours, rate_stock = len(texts) / t_ours, len(sample) / t_stock
    print(f"{'':32s} {'texts':>8s} {'seconds':>8s} {'texts/s':>10s}")
    print(f"{'ours (detect_many)':32s} {len(texts):8d} {t_ours:8.2f} {rate_ours:10.0f}")
    print(f"{'Presidio stock AnalyzerEngine':32s} {len(sample):8d} {t_stock:8.2f} {rate_stock:10.0f}")
    print(
        f"ratio ours / stock: {rate_ours / rate_stock:.1f}x (target >= 10x); cache hit rate {ours.stats.hit_rate:.1%}"
    )
    return 0


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--distinct", type=int, default=4_000)
    parser.add_argument(
        "--stock-sample", type=int, default=0, help="run stock Presidio on this many texts only (0: all)"
    )
    parser.add_argument("--workers", type=int, default=1, help="processes for detect_many")
    parser.add_argument(
        "--prodlike", type=int, default=0, metavar="DAYS", help="measure on a seeded SmartPOS database instead"
    )
    args = parser.parse_args()
    if args.prodlike:
        return compare_prodlike(args.prodlike, args.stock_sample)

    texts = build_texts(args.texts, args.distinct)
    distinct = list(dict.fromkeys(texts))
    print(f"texts: {len(texts)}  distinct: {len(distinct)}  mean length: {sum(map(len, texts)) / len(texts):.0f} chars")

    # Warm-up outside the timings: module-level dictionaries and tables load on first use in both tools.
    PiiDetector().detect("warm ０９０-1234-5678 a@b.com 田中様 Mr. Smith 〒150-0001 東京都渋谷区神宮前1-2-3")

    ours = PiiDetector()
    t_ours = timed(lambda: ours.detect_many(texts, workers=args.workers))
    hit_rate = ours.stats.hit_rate

    one_by_one = PiiDetector()
    t_single = timed(lambda: [one_by_one.detect(t) for t in texts])

    raw = PiiDetector(cache_size=0)
    t_raw = timed(lambda: [raw.detect(t) for t in distinct])

    t0 = time.perf_counter()
    from anonymize.pii.analyzer import build_stock_analyzer

    via_presidio = PiiDetector(engine="presidio")
    via_presidio.analyzer()
    stock = build_stock_analyzer("en")
    stock.analyze("warm 090-1234-5678 a@b.com", language="en")
    t_setup = time.perf_counter() - t0
    t_via = timed(lambda: via_presidio.detect_many(texts))

    sample = texts if not args.stock_sample else texts[: args.stock_sample]
    t_stock = timed(lambda: [stock.analyze(t, language="en") for t in sample])

    rate_ours = len(texts) / t_ours
    rate_stock = len(sample) / t_stock
    rows = [
        ("ours (detect_many)", len(texts), t_ours),
        ("ours (detect, one by one)", len(texts), t_single),
        ("ours uncached (distinct texts)", len(distinct), t_raw),
        ("ours via Presidio BatchAnalyzerEngine", len(texts), t_via),
        ("Presidio stock AnalyzerEngine", len(sample), t_stock),
    ]
    print(f"{'':40s} {'texts':>8s} {'seconds':>8s} {'texts/s':>10s} {'vs stock':>9s}")
    for name, n, seconds in rows:
        rate = n / seconds
        print(f"{name:40s} {n:8d} {seconds:8.2f} {rate:10.0f} {rate / rate_stock:8.1f}x")
    print(f"cache hit rate (detect_many): {hit_rate:.1%}")
    print(f"ratio ours / stock: {rate_ours / rate_stock:.1f}x (target >= 10x)")
    print(f"Presidio setup (imports, engines): {t_setup:.2f} s, not counted above")
    return 0


if __name__ == "__main__":
    sys.exit(main())
