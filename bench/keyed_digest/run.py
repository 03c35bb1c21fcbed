"""The keyed digest's BLAKE2b (anonymize/csrc/keyed_digest.c): libb2 against the vendored code, in the same run.

Every keyed fake starts with one keyed BLAKE2b-256 of its value (keys.Keyring.digester), so the implementation
bounds every transformer's cost. Both variants are built from this tree into temp copies (DEVKIT_BLAKE2=libb2 /
vendored, setup.py) and measured in alternating rounds, each in its own process:
- digest:      KeyedDigest calls per second over --values values shaped like the snapshot's (emails, names, phone
               numbers, 7-digit codes, a few long memos), median of --rounds;
- transformers (--transformers): bench/transformers/run.py's total us/value over its cases, the per-value CPU of a
               snapshot without PostgreSQL, median of --rounds;
- snapshot (--snapshot SCALE): bench/snapshot/run.py --scale SCALE --rounds 1, our run's CPU seconds (main and
               workers: comparable on a busy machine, wall time isn't) and wall seconds, median of --rounds.
The ratio libb2/vendored is what to read: on a shared machine the absolute figures move from run to run.

Run: .venv/bin/python bench/keyed_digest/run.py [--rounds 5] [--values 200000] [--transformers] [--snapshot 0.2]
Needs libb2-dev (Debian) for the libb2 variant; without it, says so and stops.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = ("vendored", "libb2")

MICRO = """
import hashlib, random, sys, time
from anonymize.keys import Keyring
from anonymize.speedups import NATIVE
assert NATIVE is not None and NATIVE.BLAKE2B == sys.argv[1], (NATIVE and NATIVE.BLAKE2B, sys.argv[1])
rng = random.Random(7)
shapes = [
    lambda: f"user{rng.randrange(10**6)}@example.co.jp",
    lambda: rng.choice(["佐藤", "鈴木", "高橋"]) + " " + rng.choice(["太郎", "花子"]),
    lambda: f"090-{rng.randrange(10**4):04d}-{rng.randrange(10**4):04d}",
    lambda: f"{rng.randrange(10**7):07d}",
]
values = [rng.choice(shapes)() for _ in range(int(sys.argv[2]))]
values[::100] = ["メモ " * 60] * len(values[::100])
digest = Keyring(b"bench-key-0123456789abcdef-digest").digester("bench")
start = time.perf_counter()
for value in values:
    digest(value)
rate = len(values) / (time.perf_counter() - start)
print(rate, hashlib.sha256(b"".join(digest(value) for value in values[:5000])).hexdigest())
"""


def build(variant: str, into: Path) -> Path:
    """This tree's package, tests and benches copied to `into`, the extension built there with `variant`."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "anonymize", "bench", "tests", "testbed"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in [*files, "setup.py", "pyproject.toml"]:
        (into / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, into / name)
    environment = {**os.environ, "DEVKIT_BLAKE2": variant}
    subprocess.run(
        [sys.executable, "setup.py", "-q", "build_ext", "--inplace"],
        cwd=into,
        env=environment,
        check=True,
        capture_output=True,
    )
    return into


def run_in(copy: Path, arguments: list[str]) -> str:
    environment = {**os.environ, "PYTHONPATH": str(copy)}
    environment.pop("DEVKIT_PURE_PYTHON", None)
    return subprocess.run(
        [sys.executable, *arguments], cwd=copy, env=environment, capture_output=True, text=True, check=True
    ).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--values", type=int, default=200_000)
    parser.add_argument("--transformers", action="store_true", help="also bench/transformers/run.py per variant")
    parser.add_argument("--snapshot", type=float, help="also bench/snapshot/run.py at this scale per variant")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        try:
            copies = {variant: build(variant, Path(work) / variant) for variant in VARIANTS}
        except subprocess.CalledProcessError:
            # `make bench` runs every bench: without libb2 there is nothing to compare, which is no failure.
            print("bench/keyed_digest: the libb2 build failed: is libb2-dev installed? (apt-get install libb2-dev)")
            return
        rates: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
        totals: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
        snapshots: dict[str, list[tuple[float, float]]] = {variant: [] for variant in VARIANTS}  # (CPU s, wall s)
        answers: set[str] = set()  # both variants' digests of the same values: one answer, or the bench fails
        for round_ in range(args.rounds):
            for variant in VARIANTS if round_ % 2 == 0 else VARIANTS[::-1]:  # alternate who goes first
                rate, outputs = run_in(copies[variant], ["-c", MICRO, variant, str(args.values)]).split()
                rates[variant].append(float(rate))
                answers.add(outputs)
                if args.transformers:
                    out = Path(work) / f"{variant}.json"
                    run_in(copies[variant], ["bench/transformers/run.py", "--values", "20000", "--json", str(out)])
                    totals[variant].append(sum(json.loads(out.read_text()).values()))
                if args.snapshot:
                    out = Path(work) / f"{variant}-snapshot.json"
                    command = ["bench/snapshot/run.py", "--scale", str(args.snapshot), "--rounds", "1"]
                    run_in(copies[variant], [*command, "--json", str(out)])
                    ours = json.loads(out.read_text())["ours"]
                    snapshots[variant].append((ours["cpu_main_s"] + ours["cpu_workers_s"], ours["seconds"]))
        assert len(answers) == 1, "libb2 and the vendored code gave different digests"
        for variant in VARIANTS:
            line = f"{variant:9s} digest: {statistics.median(rates[variant]):>10,.0f} values/s"
            line += f"  (rounds: {', '.join(f'{r:,.0f}' for r in rates[variant])})"
            if totals[variant]:
                line += f"; transformers: {statistics.median(totals[variant]):.2f} us/value summed over cases"
            if snapshots[variant]:
                cpu, wall = (statistics.median(x) for x in zip(*snapshots[variant], strict=True))
                line += f"; snapshot: {cpu:.1f} CPU s, {wall:.1f} s (rounds: {snapshots[variant]})"
            print(line)
        ratio = statistics.median(rates["libb2"]) / statistics.median(rates["vendored"])
        print(f"libb2/vendored digest speed: {ratio:.2f}x")
        if args.transformers:
            cost = statistics.median(totals["libb2"]) / statistics.median(totals["vendored"])
            print(f"libb2/vendored transformers cost: {cost:.2f}x (below 1: libb2 faster)")
        if args.snapshot:
            cpu = [statistics.median(c for c, _ in snapshots[variant]) for variant in ("libb2", "vendored")]
            print(f"libb2/vendored snapshot CPU: {cpu[0] / cpu[1]:.2f}x (below 1: libb2 faster)")


if __name__ == "__main__":
    main()
