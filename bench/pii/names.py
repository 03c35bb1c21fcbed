"""Full names with no honorific or cue in free text: recall and precision of the PII detector, and its precision on
the committed corpus (testbed/pii/corpus), in one run.

- cue-less names: review and support sentences (templates below, not the detector's labels) naming a person by full
  name only, Latin script (Faker en_US / en_GB) and Japanese (Faker ja_JP, kanji or kanji + kana), with a seed of
  its own; recall = names found with their exact span, precision = spans that are a planted name / all spans;
- no names: Faker company names, catch phrases, job titles, street lines, Japanese addresses and company names,
  and product titles: every PERSON span there is a false positive;
- the corpus: planted recall (every kind), spans that overlap nothing planted, look-alikes flagged.

Run: .venv/bin/python bench/pii/names.py [--n 400] [--seed 11]
(Run it from another checkout with PYTHONPATH=<that checkout> to measure the code before a change.)
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from faker import Faker  # noqa: E402

from anonymize.pii import PiiDetector  # noqa: E402
from anonymize.pii.spans import Kind  # noqa: E402

TEMPLATES_EN = (
    "Great service from {name}, will buy again.",
    "{name} sorted out my refund in minutes.",
    "Spoke to {name} about the missing parcel.",
    "Bought it as a gift for {name} and she loved it.",
    "Please ask {name} to call back tomorrow.",
    "Parcel signed for by {name} at the front desk.",
    "VIP order for {name}",
)
TEMPLATES_JA = (
    "{name}の対応がとても丁寧でした。",
    "配送は{name}、時間通りでした。",
    "VIP order for {name}",
    "{name}から電話あり、明日再配達。",
    "本日{name}が来店、返品を受付。",
)
PRODUCTS = ("Vintage", "Handmade", "Organic", "Classic", "Linen", "Ceramic", "Walnut", "Merino", "Brass", "Grace")
NOUNS = ("Mug", "Scarf", "Tote Bag", "Lamp", "Notebook", "Candle", "Throw Blanket", "Planter", "Watch Strap", "Print")


def cueless(n: int, seed: int) -> list[tuple[str, str]]:
    """(text, the planted name) pairs."""
    rng = random.Random(seed)
    fakers = {locale: Faker(locale) for locale in ("en_US", "en_GB", "ja_JP")}
    for i, fake in enumerate(fakers.values()):
        fake.seed_instance(seed + i)
    out = []
    for _ in range(n):
        locale = rng.choice(list(fakers))
        fake = fakers[locale]
        if locale == "ja_JP":
            name = fake.last_name() + fake.first_name()
            out.append((rng.choice(TEMPLATES_JA).format(name=name), name))
        else:
            name = f"{fake.first_name()} {fake.last_name()}"
            out.append((rng.choice(TEMPLATES_EN).format(name=name), name))
    return out


def nameless(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    en, ja = Faker("en_US"), Faker("ja_JP")
    en.seed_instance(seed)
    ja.seed_instance(seed)
    texts = []
    for _ in range(n):
        texts += [en.company(), en.catch_phrase(), en.job(), en.street_address(), ja.address(), ja.company()]
        texts.append(f"{rng.choice(PRODUCTS)} {rng.choice(NOUNS)}, ships in 2 days.")
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    detector = PiiDetector()

    planted = cueless(args.n, args.seed)
    found = spans = right = 0
    for text, name in planted:
        people = [s for s in detector.detect(text) if s.kind is Kind.PERSON]
        spans += len(people)
        right += sum(text[s.start : s.end] == name for s in people)
        found += any(text[s.start : s.end] == name for s in people)
    print(f"cue-less names: recall {found}/{len(planted)} = {found / len(planted):.3f}; ", end="")
    print(f"precision {right}/{spans} = {right / spans:.3f}" if spans else "precision n/a (no span)")

    texts = nameless(args.n, args.seed)
    false = [(t, t[s.start : s.end]) for t in texts for s in detector.detect(t) if s.kind is Kind.PERSON]
    print(f"texts without names: {len(false)} PERSON span(s) in {len(texts)} texts", end="")
    print(f", e.g. {false[:3]}" if false else "")

    from testbed.pii.corpus_eval import load, score

    for corpus in ("planted.jsonl", "lookalikes.jsonl"):
        result = score(detector, load(corpus))
        total = sum(result.planted.values())
        recall = f"recall {sum(result.found.values())}/{total} = {result.recall:.4f}; " if total else ""
        print(
            f"corpus {corpus}: {recall}{len(result.unplanted)} span(s) on nothing planted; "
            f"{len(result.lookalikes_flagged)}/{result.n_lookalikes} look-alikes flagged"
        )
        for line in (result.unplanted + result.missed)[:6]:
            print("   ", line)


if __name__ == "__main__":
    main()
