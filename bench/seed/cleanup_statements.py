"""Where a cleanup run's time goes, statement by statement: client-side wall seconds of each kind of statement
devkit.cleanup sends, over one run with set-based foreign-key checks and one row by row, on two copies of the same
seeded data (three days of staging at --scale, the oldest day deleted). Not a test.

    .venv/bin/python bench/seed/cleanup_statements.py [--scale 0.002] [--batch-size 5000] [--jobs 1]

It starts a throwaway PostgreSQL 15 (testbed/servers.py)."""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

AS_OF = date(2025, 3, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=0.002)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()

    import psycopg

    from devkit.cleanup import cleanup
    from devkit.seed.generate import JST, World
    from devkit.seed.load import load
    from devkit.seed.profiles import load_profile
    from devkit.seed.reference import load_reference
    from testbed.servers import start_postgres

    seconds: dict[str, list[float]] = collections.defaultdict(list)
    execute = psycopg.Connection.execute

    def timed(self, query, *rest, **options):  # every statement cleanup sends, keyed by its first 70 characters
        began = time.perf_counter()
        try:
            return execute(self, query, *rest, **options)
        finally:
            text = query.as_string(self) if hasattr(query, "as_string") else str(query)
            seconds[text[:70]].append(time.perf_counter() - began)

    base = Path(tempfile.mkdtemp(prefix="devkit-bench-pg-", dir="/tmp"))
    server = start_postgres(base)
    try:
        with server.database() as fast, server.database() as slow:
            profile = load_profile("staging").scaled(args.scale)
            for dsn in (fast, slow):
                load(dsn, World(profile, profile.seed, 3, AS_OF, load_reference()), "bench")
            cutoff = datetime.combine(AS_OF - timedelta(days=2), datetime.min.time(), JST)
            psycopg.Connection.execute = timed
            for set_based, dsn in ((True, fast), (False, slow)):
                seconds.clear()
                began = time.monotonic()
                result = cleanup(
                    dsn, "bench", cutoff, batch_size=args.batch_size, jobs=args.jobs, set_based_fk_checks=set_based
                )
                print(
                    f"foreign-key checks {result.fk_checks.mode}: {sum(result.counts.values()):,} rows in "
                    f"{result.batches} batches, {time.monotonic() - began:.2f}s"
                )
                for text, times in sorted(seconds.items(), key=lambda item: -sum(item[1]))[:16]:
                    print(f"  {sum(times):7.3f}s {len(times):4}x {text}")
            psycopg.Connection.execute = execute
    finally:
        server.stop()
        import shutil

        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
