"""CPU of free-text detection per value: every call the row loops make to the "presidio" detector
(`FreeTextDetector.detect`, after free_text's own memo) on the `strangers` dataset, recorded once, then replayed in
fresh processes (caches cold, as a worker's; the run's known values loaded, their automaton built before the clock
starts) by this checkout and, alternated, by another one's code. Prints CPU seconds per table and whether both gave
the same spans on every call.

Run: .venv/bin/python bench/snapshot/detection.py [--scale 1] [--calls FILE] [--rounds 3] [--baseline-tree DIR]
With --calls FILE and FILE present, the recorded calls are read from it instead of building the dataset (recorded
there otherwise). The replay runs each tree's own `anonymize` (its .venv's Python when it has one).
"""

from __future__ import annotations

import argparse
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

# The replay, run in a fresh interpreter with the tree's package first on the path: argv = tree, calls, spans out.
REPLAY = r"""
import pickle, sys, time
sys.path.insert(0, sys.argv[1])
data = pickle.load(open(sys.argv[2], "rb"))
from anonymize.pii import hook
import anonymize.transformers.free_text  # noqa: F401 (registers the detector's kinds)
hook.KNOWN.__setstate__(dict(data["known"]))
detector = hook.FreeTextDetector(hook.shared_detector())
for text in ("山田太郎様 090-1234-5678", "Mr. John Smith", "x@example.com 東京都千代田区"):
    detector.detect(text)  # lazy imports, name tables and the automaton: once a process, not per value
hook.shared_detector().clear_cache()
seconds, spans = {}, {}
for table, (first, last) in data["per"].items():
    calls = data["calls"][first:last]
    began = time.process_time()
    found = [detector.detect(text, context) for text, context in calls]
    seconds[table] = time.process_time() - began
    spans[table] = [[(s.start, s.end, s.kind, s.weak) for s in f] for f in found]
pickle.dump((seconds, spans), open(sys.argv[3], "wb"))
"""


def record(scale: float, out: Path) -> None:
    """Run every table's row loop once with FreeTextDetector.detect wrapped; pickle its calls and the known values."""
    from anonymize.pii import hook
    from bench.snapshot import strangers
    from bench.snapshot.profile_table import chunks_of, run
    from testbed.servers import start_postgres

    calls: list[tuple[str, object]] = []
    detect = hook.FreeTextDetector.detect

    def recording(self: hook.FreeTextDetector, text: str, context: object = None) -> object:
        calls.append((text, context))
        return detect(self, text, context)  # type: ignore[arg-type]

    hook.FreeTextDetector.detect = recording  # type: ignore[method-assign]
    base = Path(tempfile.mkdtemp(prefix="devkit-bench-detection-", dir="/tmp"))
    server = start_postgres(base / "source")
    per: dict[str, tuple[int, int]] = {}
    try:
        with server.database("strangers") as dsn:
            strangers.build(dsn, scale)
            rules = strangers.draft(server, dsn)
            for table in strangers.tables(dsn):
                first = len(calls)
                run(*chunks_of(dsn, rules, table))
                if len(calls) > first:
                    per[table] = (first, len(calls))
    finally:
        hook.FreeTextDetector.detect = detect  # type: ignore[method-assign]
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
    with out.open("wb") as f:
        pickle.dump({"calls": calls, "per": per, "known": hook.KNOWN.__getstate__()}, f)


def replay(tree: Path, calls: Path, out: Path) -> tuple[dict[str, float], dict[str, list]]:
    python = tree / ".venv/bin/python"
    subprocess.run([str(python if python.exists() else sys.executable), "-c", REPLAY, str(tree), str(calls), str(out)],
                   check=True)  # fmt: skip
    with out.open("rb") as f:
        return pickle.load(f)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--calls", type=Path, help="the recorded calls: read if present, else recorded there")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline-tree", type=Path)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="devkit-bench-detection-", dir="/tmp"))
    try:
        calls = args.calls or work / "calls.pkl"
        if not calls.exists():
            record(args.scale, calls)
        trees = {"this": ROOT, **({"baseline": args.baseline_tree.resolve()} if args.baseline_tree else {})}
        totals: dict[str, list[float]] = {name: [] for name in trees}
        per_table: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
        spans: dict[str, dict[str, list]] = {}
        for round_ in range(args.rounds):
            for name, tree in reversed(trees.items()) if round_ % 2 else trees.items():
                seconds, spans[name] = replay(tree, calls, work / f"{name}.pkl")
                totals[name].append(sum(seconds.values()))
                for table, value in seconds.items():
                    per_table[name].setdefault(table, []).append(value)
                print(f"round {round_ + 1} {name}: {sum(seconds.values()):.3f} s", flush=True)
        with calls.open("rb") as f:
            count = len(pickle.load(f)["calls"])
        print(f"\n{count:,} detect calls; CPU seconds, medians of {args.rounds} rounds")
        for table in per_table["this"]:
            row = "  ".join(f"{name} {statistics.median(per_table[name][table]):.3f}" for name in trees)
            print(f"  {table:32} {row}")
        print("  " + f"{'all':32} " + "  ".join(f"{name} {statistics.median(totals[name]):.3f}" for name in trees))
        if "baseline" in spans:
            same = spans["this"] == spans["baseline"]
            print("spans: identical on every call" if same else "spans: DIFFER from the baseline's")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
