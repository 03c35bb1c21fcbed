"""The known-values phase alone (anonymize.pii.prepass.fill_known): its wall and CPU seconds, and a cProfile of it,
on a database already holding a dataset (the strangers bench's) with its rules. Nothing is built or written.

Run: .venv/bin/python bench/snapshot/profile_known.py --dsn DSN --rules rules.toml [--rounds 3] [--top 30]
     [--no-profile] [--jobs 2] [--tree /work/base]   (--tree: import `anonymize` from another checkout)
Prints per round: wall s, this process's CPU s (user+sys; the psql readers' are not in it), the values held.
"""

from __future__ import annotations

import argparse
import cProfile
import inspect
import pstats
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--rules", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--jobs", type=int, default=2, help="tables read at once (the run's --jobs)")
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parents[2])
    args = parser.parse_args()
    sys.path.insert(0, str(args.tree))

    from anonymize.catalog import data_tables
    from anonymize.keys import Keyring
    from anonymize.pii import prepass
    from anonymize.pipeline.plan import plan_tables
    from anonymize.rules import parse_rules, reflect_schema
    from anonymize.sources import LiveSource

    def known_of(plans: list, source: LiveSource) -> prepass.PrepassReport:
        if "streams" in inspect.signature(prepass.fill_known).parameters:
            return prepass.fill_known(plans, source, streams=args.jobs)
        return prepass.fill_known(plans, source)  # a checkout from before `streams` (--tree): one table at a time

    keyring = Keyring(b"bench-key-0123456789abcdef-0123456789")
    with LiveSource(args.dsn) as source:
        catalog = source.catalog()
        schema = reflect_schema(catalog)
        plans = plan_tables(parse_rules(args.rules.read_text()), schema, data_tables(catalog), keyring)
        for _ in range(args.rounds):
            wall, cpu = time.monotonic(), time.process_time()
            report = known_of(plans, source)
            wall, cpu = time.monotonic() - wall, time.process_time() - cpu
            print(f"fill_known: {wall:.3f} s wall, {cpu:.3f} s CPU; {report.note(prepass.DEFAULT_LIMIT)}", flush=True)
        if not args.no_profile:
            profiler = cProfile.Profile()
            profiler.enable()
            known_of(plans, source)
            profiler.disable()
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
