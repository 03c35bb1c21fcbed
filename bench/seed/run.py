"""Seed throughput and memory, against `pgbench -i` on the same server in the same run.

    .venv/bin/python bench/seed/run.py [--dsn postgresql://...] [--scales 0.001,0.01] [--days 5]
        [--pgbench-scales 10,100] [--workers N] [--rounds 1]

- rows/s of `devkit seed staging --scale S` (fresh database: COPY straight into the tables, checksums verified
  before commit) next to `pgbench -i` client-side generation (steps dtgp: tables, COPY of generated rows, primary
  keys) on the same server, alternating the two each round so shared-machine noise hits both alike;
- peak RSS of the seeding process tree (the parent and its workers, read with wait4) as the volume grows tenfold,
  which should stay flat: blocks stream with a bounded number in flight;
- with --cleanup-scale: `devkit cleanup` of one day out of three of staging at that scale (batched deletes with
  what hangs off each order), rows/s deleted next to the same run's pgbench rate, and the time one day of
  full-size staging (the Environments page's 20M transactions) would take at that rate.

Without --dsn it starts a throwaway PostgreSQL 15 from the machine's binaries (testbed/servers.py). Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

AS_OF = date(2025, 3, 1)


def child(dsn: str, profile_name: str, factor: float, days: int, workers: int) -> None:
    from devkit.seed.generate import World
    from devkit.seed.load import load
    from devkit.seed.profiles import load_profile
    from devkit.seed.reference import load_reference

    profile = load_profile(profile_name).scaled(factor)
    world = World(profile, profile.seed, days or profile.days, AS_OF, load_reference())
    result = load(dsn, world, "bench", workers=workers or None)
    print(json.dumps({"rows": result.manifest.total_rows, "seconds": result.seconds, "orders": world.order_count}))


def run_cleanup(admin_dsn: str, profile_name: str, factor: float, batch_size: int) -> dict:
    from datetime import datetime, timedelta

    from devkit.cleanup import cleanup
    from devkit.seed.generate import JST, World
    from devkit.seed.load import load
    from devkit.seed.profiles import load_profile
    from devkit.seed.reference import load_reference

    name, dsn = fresh_database(admin_dsn)
    try:
        profile = load_profile(profile_name).scaled(factor)
        world = World(profile, profile.seed, 3, AS_OF, load_reference())
        seeded = load(dsn, world, "bench")
        # The oldest of the three days goes.
        cutoff = datetime.combine(AS_OF - timedelta(days=2), datetime.min.time(), JST)
        began = time.monotonic()
        result = cleanup(dsn, "bench", cutoff, batch_size=batch_size)
        seconds = time.monotonic() - began
        day_orders = dict(world.day_counts)[AS_OF - timedelta(days=3)]
        return {
            "seeded_rows": seeded.manifest.total_rows,
            "deleted_rows": sum(result.counts.values()),
            "deleted_orders": result.counts["orders"],
            "day_orders": day_orders,
            "batches": result.batches,
            "seconds": seconds,
        }
    finally:
        drop_database(admin_dsn, name)


def fresh_database(admin_dsn: str) -> tuple[str, str]:
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, admin_dsn.rsplit("/", 1)[0] + f"/{name}"


def drop_database(admin_dsn: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_seed(admin_dsn: str, profile: str, factor: float, days: int, workers: int) -> dict:
    name, dsn = fresh_database(admin_dsn)
    try:
        command = [sys.executable, __file__, "--child", dsn, profile, str(factor), str(days), str(workers)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            raise SystemExit(f"seed child failed ({process.returncode})")
        figures = json.loads(output)
        # ru_maxrss of wait4 is the largest of the child and its waited-for descendants (the workers), in KiB.
        figures["peak_rss_mb"] = usage.ru_maxrss / 1024
        return figures
    finally:
        drop_database(admin_dsn, name)


def run_pgbench(admin_dsn: str, scale: int, bindir: Path) -> dict:
    name, dsn = fresh_database(admin_dsn)
    try:
        began = time.monotonic()
        subprocess.run(
            [str(bindir / "pgbench"), "-i", "-s", str(scale), "-I", "dtgp", "-q", dsn],
            check=True,
            capture_output=True,
        )
        seconds = time.monotonic() - began
        rows = scale * (100_000 + 10 + 1)
        return {"rows": rows, "seconds": seconds}
    finally:
        drop_database(admin_dsn, name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", help="admin DSN of a PostgreSQL server to use (default: start a throwaway one)")
    parser.add_argument("--profile", default="staging")
    parser.add_argument("--scales", default="0.001,0.01", help="--scale values, tenfold apart for the memory curve")
    # 5 days of staging at --scale 0.001 and 0.01 are ~1M and ~10M rows
    parser.add_argument("--days", type=int, default=5, help="days of transactions (0: the profile's)")
    parser.add_argument("--workers", type=int, default=0, help="generating processes (default: devkit's choice)")
    parser.add_argument(
        "--pgbench-scales", default="10,100", help="pgbench -i -s per --scales entry (100,000 rows per unit)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="alternating pgbench/seed rounds")
    parser.add_argument("--cleanup-scale", type=float, default=0.0, help="also bench cleanup of 1 day of 3 at this")
    parser.add_argument("--cleanup-batch", type=int, default=5000, help="orders per cleanup batch")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        dsn, profile, factor, days, workers = args.child
        child(dsn, profile, float(factor), int(days), int(workers))
        return

    server = None
    if args.dsn:
        admin_dsn = args.dsn
        bindir = Path(shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench").parent
    else:
        from testbed.servers import start_postgres

        server = start_postgres(Path(tempfile.mkdtemp(prefix="devkit-bench-pg-", dir="/tmp")))
        admin_dsn, bindir = server.dsn(), server.bindir
    try:
        for round_no in range(1, args.rounds + 1):
            pairs = zip(args.scales.split(","), args.pgbench_scales.split(","), strict=True)
            for factor, pgbench_scale in ((float(f), int(p)) for f, p in pairs):
                pgbench = run_pgbench(admin_dsn, pgbench_scale, bindir)
                pgbench_rate = pgbench["rows"] / pgbench["seconds"]
                print(
                    f"[round {round_no}] pgbench -i -s {pgbench_scale} (client-side, dtgp): "
                    f"{pgbench['rows']:,} rows in {pgbench['seconds']:.1f}s = {pgbench_rate:,.0f} rows/s",
                    flush=True,
                )
                seed = run_seed(admin_dsn, args.profile, factor, args.days, args.workers)
                rate = seed["rows"] / seed["seconds"]
                print(
                    f"[round {round_no}] devkit seed {args.profile} --scale {factor:g} --days {args.days}: "
                    f"{seed['rows']:,} rows ({seed['orders']:,} orders) in {seed['seconds']:.1f}s = {rate:,.0f} rows/s "
                    f"({rate / pgbench_rate:.2f}x pgbench), peak RSS {seed['peak_rss_mb']:.0f} MB",
                    flush=True,
                )
        if args.cleanup_scale:
            pgbench = run_pgbench(admin_dsn, 10, bindir)
            pgbench_rate = pgbench["rows"] / pgbench["seconds"]
            figures = run_cleanup(admin_dsn, args.profile, args.cleanup_scale, args.cleanup_batch)
            rate = figures["deleted_rows"] / figures["seconds"]
            full_day = 20_000_000 / figures["day_orders"] * figures["deleted_rows"]  # the page's staging day
            print(
                f"pgbench -i -s 10: {pgbench_rate:,.0f} rows/s; devkit cleanup of 1 day of 3 (staging --scale "
                f"{args.cleanup_scale:g}, {figures['seeded_rows']:,} rows seeded): {figures['deleted_rows']:,} rows "
                f"({figures['deleted_orders']:,} orders) in {figures['seconds']:.1f}s, {figures['batches']} batches "
                f"of {args.cleanup_batch} = {rate:,.0f} rows/s ({rate / pgbench_rate:.2f}x pgbench); one full "
                f"staging day (~{full_day / 1e6:,.0f}M rows) would take ~{full_day / rate / 60:,.0f} min",
                flush=True,
            )
    finally:
        if server:
            server.stop()


if __name__ == "__main__":
    main()
