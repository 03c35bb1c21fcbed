"""Subsets against the full snapshot, same database, same run: `run_snapshot` whole, then with `--subset-percent 1`
and `--subset-percent 10` on the merchants (customers, orders, order items and payments follow them down, every
kept row's parents come up), alternated round by round; medians and the ratio to the full snapshot's time.

The production-like SmartPOS-shaped database of bench/snapshot/run.py is generated in a source server (~5,000,000
rows at --scale 5). Its schema leaves orders.merchant_id unindexed; the subset's closure follows that foreign key
from merchants to orders, so `--check` names it (shown first), and the bench then creates the index, as a
production database serving per-merchant queries would have it. Each run goes, in a child process, into a fresh
database on a second server (one dev database per method, each replacing its own previous copy); each verifies
as a real run does (counts equal to the closure's, foreign keys,
sequences, the leak check).

`--compare` also runs each subset with the closure computed as one recursive query (the design before the
set-at-a-time fixpoint, still `--check`'s), alternated with the others; every run reports its closure's time.

`--baseline-tree DIR` also runs each subset with the engine of another checkout of devkit (its `anonymize`
package, C extension built in place; e.g. `git archive <commit> | tar -x -C DIR`, then copy the extension in),
alternated with the others on the same dataset and servers: before and after a change, in the same run.

`--dump` makes every run read a custom-format `pg_dump` of the database instead: the full snapshot streams it, a
subset first restores it into a scratch database (anonymize/subset/restore.py): what a dump source costs.

Run: .venv/bin/python bench/snapshot/subset.py [--scale 5] [--jobs 2] [--rounds 2] [--compare] [--dump]
                                                [--baseline-tree DIR] [--json FILE]
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from anonymize.postgres import ClientTools  # noqa: E402
from bench.snapshot.run import KEY, RULES, generate  # noqa: E402
from testbed.servers import start_postgres  # noqa: E402

SUBSET_RULES = RULES + "subset:\n  roots: [merchants]\n"

CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
from anonymize.keys import Keyring
from anonymize.pipeline.run import run_snapshot
from anonymize.rules import parse_rules
from anonymize.sinks import DatabaseSink
from anonymize.sources import open_source
from anonymize.subset.spec import build_spec
import anonymize.subset.plan as plan_module
from anonymize.subset.closure import keys_query
from anonymize.subset.fixpoint import KeptKeys
source, target, jobs, percent = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
percent, _, method = percent.partition(":")
closure_seconds = []
def recursive(conn, spec):  # the closure as one recursive query (before issue 15's follow-up), for comparison
    return {{t: KeptKeys(rows, tuple(arrays)) for t, rows, *arrays in conn.execute(keys_query(spec))}}
def timed(compute):
    def kept(conn, spec):
        began = time.monotonic()
        found = compute(conn, spec)
        closure_seconds.append(time.monotonic() - began)
        return found
    return kept
plan_module.kept_keys_by_table = timed(recursive if method == "recursive" else plan_module.kept_keys_by_table)
rules = parse_rules(sys.stdin.read())
subset = build_spec(rules.subset, [], float(percent)) if percent != "full" else None
began = time.monotonic()
report = run_snapshot(open_source(source), DatabaseSink(target), rules, Keyring({key!r}.encode()), jobs=jobs,
                      subset=subset)
assert report.verification.passed, report.verification.failures
print(json.dumps({{"seconds": time.monotonic() - began, "rows": report.rows, "phases": report.phases,
                  "closure": sum(closure_seconds)}}))
"""


def snapshot(source: str, target: str, jobs: int, percent: str, root: Path = ROOT) -> dict:
    script = CHILD.format(root=str(root), key=KEY)
    command = [sys.executable, "-c", script, source, target, str(jobs), percent]
    result = subprocess.run(command, input=SUBSET_RULES, capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(f"snapshot ({percent}) failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def check_plan(source: str) -> str:
    """What `devkit snapshot --check --subset-percent 1` prints about indexes, through the engine's own plan."""
    from anonymize.rules import parse_rules
    from anonymize.sources import LiveSource
    from anonymize.subset.plan import check_subset
    from anonymize.subset.spec import build_spec

    rules = parse_rules(SUBSET_RULES)
    plan = check_subset(LiveSource(source), rules, build_spec(rules.subset, [], 1.0))
    return "; ".join(f"{m.edge} ({m.child}: {', '.join(m.columns)}, cost {m.cost:,.0f})" for m in plan.missing_indexes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=5.0, help="1 = ~1M rows")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--compare", action="store_true", help="also run each subset with the closure as one recursive query"
    )
    parser.add_argument(
        "--baseline-tree", type=Path, help="also run each subset with the devkit checkout in this directory"
    )
    parser.add_argument(
        "--dump",
        action="store_true",
        help="every run reads a custom-format pg_dump of the database instead (a subset restores it first)",
    )
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="devkit-bench-subset-", dir="/tmp"))
    servers = [start_postgres(base / "source"), start_postgres(base / "target")]
    try:
        source_server, target_server = servers
        began = time.monotonic()
        source, rows, size = generate(source_server, args.scale)
        print(f"dataset: {rows:,} rows, {size / 1e6:.0f} MB of COPY text ({time.monotonic() - began:.0f}s)")
        print(f"--check before: lookups without an index: {check_plan(source) or 'none'}")
        with psycopg.connect(source, autocommit=True) as conn:
            conn.execute("CREATE INDEX orders_merchant_idx ON orders (merchant_id)")
            conn.execute("ANALYZE orders")
        print(f"--check after CREATE INDEX orders (merchant_id): {check_plan(source) or 'none'}")
        if args.dump:
            dump = base / "prod.dump"
            ClientTools.find().run(["pg_dump", "--format=custom", "-f", str(dump)], source)
            print(f"source: {dump} ({dump.stat().st_size / 1e6:.0f} MB)")
            source = str(dump)
        runs: dict[str, list[dict]] = {"full": [], "1": [], "10": []}
        if args.compare:
            runs.update({"1:recursive": [], "10:recursive": []})
        if args.baseline_tree:
            runs.update({"1@baseline": [], "10@baseline": []})
        for number in range(max(1, args.rounds)):
            for percent in runs:
                # Each into its own dev database: a run's swap drops what the same kind of run left, as for a
                # developer who keeps taking 1% subsets (not the full copy another method just loaded).
                database = "dev_" + percent.replace(":", "_").replace("@", "_")
                share, _, tree = percent.partition("@")
                root = args.baseline_tree.resolve() if tree else ROOT
                measured = snapshot(source, target_server.dsn(database), args.jobs, share, root)
                runs[percent].append(measured)
                phases = ", ".join(f"{k} {v:.1f}s" for k, v in measured["phases"].items() if v >= 0.05)
                print(
                    f"round {number + 1}: {percent:>12}: {measured['rows']:>10,} rows in {measured['seconds']:.1f}s"
                    f" (closure {measured['closure']:.1f}s; {phases})"
                )
        full = statistics.median(r["seconds"] for r in runs["full"])
        results = {"scale": args.scale, "rows": rows, "jobs": args.jobs, "cpus": os.cpu_count(), "full_s": full}
        for percent in (p for p in runs if p != "full"):
            seconds = statistics.median(r["seconds"] for r in runs[percent])
            closure = statistics.median(r["closure"] for r in runs[percent])
            kept = runs[percent][0]["rows"]
            results[f"subset_{percent}_s"] = seconds
            results[f"subset_{percent}_closure_s"] = closure
            results[f"subset_{percent}_rows"] = kept
            print(
                f"{percent:>12}% subset: {kept:,} rows ({kept / rows:.1%} of them) in {seconds:.1f}s = "
                f"{seconds / full:.1%} of the full snapshot's {full:.1f}s, closure {closure:.1f}s"
                f" (medians of {args.rounds})"
            )
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(base, ignore_errors=True)  # two servers' data directories: ~4 GB at --scale 5


if __name__ == "__main__":
    main()
