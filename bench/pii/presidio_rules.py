"""Speed of a rules file's Presidio recognizers in the detector's loop, against Presidio's AnalyzerEngine running
the same recognizers on the same texts, in the same run (alternate rounds; ratios, the box is shared and noisy).

Texts: bench/pii/run.py's note/log column mix (Zipf-like repeats), a tenth of them given an employee id, a
member number or a title that the recognizers of tests/anonymize/pii/presidio_rules/recognizers.yaml find.

Measured, each on the same list:
- AnalyzerEngine:        analyze() per text with only those recognizers and the same no-model NLP engine;
- devkit, uncached:      PresidioRecognizers.analyze per text (same results; NLP artifacts only where a pattern hit);
- devkit detector:       PiiDetector(default recognizers + these).detect_many, fresh cache (what a run does);
- devkit detector, none: PiiDetector(default recognizers).detect_many, fresh cache: what the extra recognizers cost.

Run: .venv/bin/python bench/pii/presidio_rules.py [--texts 20000] [--distinct 4000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from anonymize.pii import PiiDetector  # noqa: E402
from anonymize.pii.analyzer import language_of  # noqa: E402
from anonymize.pii.presidio_recognizers import build, yaml_recognizers  # noqa: E402
from anonymize.pii.recognizers import default_recognizers  # noqa: E402
from bench.pii.run import build_texts  # noqa: E402

RECOGNIZERS = ROOT / "tests" / "anonymize" / "pii" / "presidio_rules" / "recognizers.yaml"
ENTITIES = {"EMPLOYEE_ID": "bank_account", "MEMBER_NUMBER": "bank_account", "TITLE": "person"}
PLANTS = ("社員番号 E{n:06d} 対応", "employee E{n:06d} on shift", "会員番号 M-{a:04d}-{b:04d}", "Dr. Kato visited")


def planted(texts: list[str], seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    out = []
    for text in texts:
        if rng.random() < 0.1:
            plant = rng.choice(PLANTS).format(n=rng.randrange(10**6), a=rng.randrange(10**4), b=rng.randrange(10**4))
            text = f"{text} {plant}"
        out.append(text)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--distinct", type=int, default=4_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    texts = planted(build_texts(args.texts, args.distinct))
    (presidio,) = build(yaml_recognizers(RECOGNIZERS), ENTITIES)
    engine = presidio.reference_analyzer()  # type: ignore[attr-defined]
    languages = {t: language_of(t, presidio.languages) for t in set(texts)}  # type: ignore[attr-defined]

    def stock() -> None:
        for text in texts:
            engine.analyze(text, languages[text])

    def ours_uncached() -> None:
        for text in texts:
            presidio.analyze(text, languages[text])  # type: ignore[attr-defined]

    def detector_with() -> None:
        PiiDetector(recognizers=[*default_recognizers(), presidio]).detect_many(texts)

    def detector_without() -> None:
        PiiDetector(recognizers=default_recognizers()).detect_many(texts)

    runs = {
        "AnalyzerEngine": stock,
        "devkit, uncached": ours_uncached,
        "devkit detector": detector_with,
        "devkit detector, none": detector_without,
    }
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(args.rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    print(f"{len(texts)} texts, {len(set(texts))} distinct; best of {args.rounds} alternate rounds")
    base = best["AnalyzerEngine"]
    for name, seconds in best.items():
        print(f"{name:24s} {len(texts) / seconds:10.0f} texts/s   {base / seconds:6.1f}x AnalyzerEngine")
    print(f"extra recognizers cost the detector {best['devkit detector'] / best['devkit detector, none']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
