"""Seed throughput and memory, against `pgbench -i` on the same server in the same run.

    .venv/bin/python bench/seed/run.py [--dsn postgresql://...] [--scales 0.001,0.01] [--days 5]
        [--pgbench-scales 10,100] [--workers N] [--rounds 1] [--baseline /work/base]

- rows/s of `devkit seed staging --scale S` (fresh database: workers COPY into stage tables over their own
  connections, swapped in and keyed by the seed's transaction) next to `pgbench -i` client-side generation
  (steps dtgp: tables, COPY of generated rows, primary keys) on the same server, alternating the two each round
  so shared-machine noise hits both alike; with --baseline, another checkout's seed too (run by its own venv, the
  order of the two swapped each round): old and new code in the same run;
- CPU seconds per million rows of each, client (the process and its workers, from wait4) and server (every
  backend and auxiliary process of the throwaway server, from /proc): a figure other load on a shared machine
  does not move, unlike rows/s;
- peak RSS of the seeding process tree (the parent and its workers, read with wait4) as the volume grows tenfold,
  which should stay flat: blocks stream with a bounded number in flight;
- with --cleanup-scale: `devkit cleanup` of one day out of three of staging at that scale, each variant of
  --cleanup-sweep (orders per batch x connections, with --archive or not, on SmartPOS's schema or with
  webhook_events partitioned by day, foreign keys checked set-based or per row) on its own clone of one seeded
  template, alternated with the pre-#16 batch (cleanup_baseline.py) over --cleanup-rounds rounds: median rows/s,
  the ratio to the baseline, the longest batch transaction (how long row locks were held), CPU seconds per
  million rows (client, server) and a projection of one day of full-size staging (the Environments page's 20M
  transactions) at that rate. `--rounds 0` skips the seed part;
- with --floor: PostgreSQL's own floor for the same rows (bench/seed/floor.py): one seed at each scale kept and
  loaded again, every round, into fresh databases by `pg_restore -j 2` and by server-side binary COPY from files
  plus the post-data, no generator at all; their rows/s and ratio to the round's pgbench.

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
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.seed.floor import Floor  # noqa: E402
from testbed.servers import server_cpu  # noqa: E402

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


def seed_cleanup_templates(admin_dsn: str, profile_name: str, factor: float) -> tuple[str, str, int]:
    """Three days of the profile in a template database, cloned (CREATE DATABASE ... TEMPLATE) for every cleanup
    run so each one starts from the same rows, and a second one with webhook_events partitioned by day
    (testbed/partitioned_smartpos.py). (name, partitioned one's name, orders of the oldest day)."""
    import psycopg

    from devkit.seed.generate import World
    from devkit.seed.load import load
    from devkit.seed.profiles import load_profile
    from devkit.seed.reference import load_reference
    from testbed.partitioned_smartpos import partition_webhook_events

    name, dsn = fresh_database(admin_dsn)
    profile = load_profile(profile_name).scaled(factor)
    world = World(profile, profile.seed, 3, AS_OF, load_reference())
    load(dsn, world, "bench")
    partitioned = f"{name}_p"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{partitioned}" TEMPLATE "{name}"')
    # A day on each side of the three, so no row falls outside a partition.
    partitioned_dsn = admin_dsn.rsplit("/", 1)[0] + f"/{partitioned}"
    partition_webhook_events(partitioned_dsn, AS_OF - timedelta(days=4), 6)
    with psycopg.connect(partitioned_dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE webhook_events")
    return name, partitioned, dict(world.day_counts)[AS_OF - timedelta(days=3)]


def run_cleanup(
    admin_dsn: str,
    template: str,
    variant: str,
    batch_size: int,
    jobs: int,
    archive: bool,
    set_based: bool = True,
    datadir: Path | None = None,
) -> dict:
    """Delete the oldest of the three days from a clone of `template` with `variant` ("baseline": the pre-#16
    batch, bench/seed/cleanup_baseline.py; "devkit": devkit.cleanup, with --archive into /tmp if `archive`, its
    foreign keys checked set-based where allowed or, `set_based=False`, per row as before). Wall seconds, this
    process's CPU (the client: cleanup runs in its threads) and the server's."""
    import resource

    import psycopg
    from cleanup_baseline import baseline_cleanup  # next to this script

    from devkit.cleanup import cleanup
    from devkit.seed.generate import JST

    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    dsn = admin_dsn.rsplit("/", 1)[0] + f"/{name}"
    cutoff = datetime.combine(AS_OF - timedelta(days=2), datetime.min.time(), JST)
    archive_root = Path(tempfile.mkdtemp(prefix="devkit-bench-archive-", dir="/tmp")) if archive else None
    try:
        server_before, own = server_cpu(datadir), resource.getrusage(resource.RUSAGE_SELF)
        began = time.monotonic()
        path = "-"
        if variant == "baseline":
            rows, batches, longest = baseline_cleanup(dsn, cutoff, batch_size)
        else:
            result = cleanup(
                dsn,
                "bench",
                cutoff,
                batch_size=batch_size,
                jobs=jobs,
                archive_root=archive_root,
                set_based_fk_checks=set_based,
            )
            rows, batches, longest = sum(result.counts.values()), result.batches, result.longest_batch
            path = result.fk_checks.mode
        seconds = time.monotonic() - began
        after = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "rows": rows,
            "batches": batches,
            "longest": longest,
            "seconds": seconds,
            "path": path,
            "client_cpu": after.ru_utime + after.ru_stime - own.ru_utime - own.ru_stime,
            "server_cpu": server_cpu(datadir) - server_before,
        }
    finally:
        drop_database(admin_dsn, name)
        if archive_root:
            shutil.rmtree(archive_root)


def bench_cleanup(
    admin_dsn: str,
    profile: str,
    factor: float,
    sweep: list[tuple[int, int, bool, bool, bool]],
    rounds: int,
    datadir: Path | None = None,
) -> None:
    """Baseline and every (batch size, jobs, archive, partitioned, set-based foreign-key checks) of the sweep,
    alternated `rounds` times; medians."""
    from statistics import median

    template, partitioned, day_orders = seed_cleanup_templates(admin_dsn, profile, factor)
    try:
        variants = [("baseline", 500, 1, False, False, False)] + [("devkit", *variant) for variant in sweep]
        runs: dict[tuple[str, int, int, bool, bool, bool], list[dict]] = {variant: [] for variant in variants}
        for round_no in range(1, rounds + 1):
            for kind, batch, jobs, archive, parted, fast in variants if round_no % 2 else reversed(variants):
                source = partitioned if parted else template
                figures = run_cleanup(admin_dsn, source, kind, batch, jobs, archive, fast, datadir)
                runs[kind, batch, jobs, archive, parted, fast].append(figures)
        base_rate = median(r["rows"] / r["seconds"] for r in runs[variants[0]])
        for (kind, batch, jobs, archive, parted, _), figures in runs.items():
            rate = median(r["rows"] / r["seconds"] for r in figures)
            per = 1e6 / figures[0]["rows"]
            cpu = (
                f"CPU s per M rows: client {median(r['client_cpu'] for r in figures) * per:.1f} + server "
                f"{median(r['server_cpu'] for r in figures) * per:.1f}"
            )
            full_day = 20_000_000 / day_orders * figures[0]["rows"]  # the page's staging day, ~150M rows
            print(
                f"cleanup of 1 day of 3 (staging --scale {factor:g}): {kind:8} --batch-size {batch:>5} --jobs {jobs}"
                f"{' --archive' if archive else '':10}{' (webhook_events partitioned by day)' if parted else ''}: "
                f"{figures[0]['rows']:,} rows in {figures[0]['batches']} batches, {rate:,.0f} rows/s "
                f"({rate / base_rate:.2f}x baseline), longest batch {max(r['longest'] for r in figures):.2f}s; "
                f"projected full staging day (~{full_day / 1e6:,.0f}M rows): ~{full_day / rate / 60:,.0f} min; "
                f"{cpu}; foreign-key checks {figures[0]['path']}",
                flush=True,
            )
    finally:
        drop_database(admin_dsn, template)
        drop_database(admin_dsn, partitioned)


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


def measured(command: list[str], datadir: Path | None) -> tuple[str, dict]:
    """Run `command`; its stdout and wall seconds, client CPU (it and its workers), server CPU, peak RSS."""
    server_before, began = server_cpu(datadir), time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - began
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{command[0]} failed ({os.waitstatus_to_exitcode(status)})")
    # ru_* of wait4 cover the child and its waited-for descendants (the workers); ru_maxrss is the largest, in KiB.
    return output, {
        "seconds": seconds,
        "client_cpu": usage.ru_utime + usage.ru_stime,
        "server_cpu": server_cpu(datadir) - server_before,
        "peak_rss_mb": usage.ru_maxrss / 1024,
    }


def cpu_per_million(figures: dict) -> str:
    per = 1e6 / figures["rows"]
    return f"CPU s per M rows: client {figures['client_cpu'] * per:.1f} + server {figures['server_cpu'] * per:.1f}"


def run_seed(
    admin_dsn: str,
    profile: str,
    factor: float,
    days: int,
    workers: int,
    datadir: Path | None,
    tree: Path | None = None,
) -> dict:
    """One seed in a fresh database, by this tree or (`tree`) another checkout's code, run by its own venv."""
    name, dsn = fresh_database(admin_dsn)
    python, script = (tree / ".venv/bin/python", tree / "bench/seed/run.py") if tree else (sys.executable, __file__)
    try:
        command = [str(python), str(script), "--child", dsn, profile, str(factor), str(days), str(workers)]
        output, usage = measured(command, datadir)
        figures = json.loads(output)
        return usage | figures  # the seed's own seconds (connect to commit) over the process's wall
    finally:
        drop_database(admin_dsn, name)


def run_pgbench(admin_dsn: str, scale: int, bindir: Path, datadir: Path | None) -> dict:
    name, dsn = fresh_database(admin_dsn)
    try:
        _, figures = measured([str(bindir / "pgbench"), "-i", "-s", str(scale), "-I", "dtgp", "-q", dsn], datadir)
        return figures | {"rows": scale * (100_000 + 10 + 1)}
    finally:
        drop_database(admin_dsn, name)


def prepare_floor(admin_dsn: str, profile: str, factor: float, days: int, bindir: Path) -> Floor:
    """One seed at `factor` in its own database, kept as a dump and binary files for every round's floor loads."""
    name, dsn = fresh_database(admin_dsn)
    try:
        subprocess.run(
            [sys.executable, __file__, "--child", dsn, profile, str(factor), str(days), "0"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return Floor.prepare(dsn, Path(tempfile.mkdtemp(prefix="devkit-bench-floor-", dir="/tmp")), bindir)
    finally:
        drop_database(admin_dsn, name)


def report_floor(admin_dsn: str, floor: Floor, round_no: int, pgbench_rate: float, datadir: Path | None) -> None:
    per = 1e6 / floor.rows
    for label, load in (
        ("pg_restore -j 2 (text COPY)", floor.pg_restore),
        ("server-side binary COPY from files + post-data -j 2", floor.server_copy),
    ):
        name, dsn = fresh_database(admin_dsn)
        try:
            figures = load(dsn, 2, datadir)
        finally:
            drop_database(admin_dsn, name)
        rate = floor.rows / figures["seconds"]
        split = (
            f" (COPY {figures['copy_seconds']:.1f}s, server CPU {figures['copy_server_cpu'] * per:.1f} s per M rows)"
            if "copy_seconds" in figures
            else ""
        )
        print(
            f"[round {round_no}] floor, the seed's own {floor.rows:,} rows by {label}: {figures['seconds']:.1f}s"
            f"{split} = {rate:,.0f} rows/s ({rate / pgbench_rate:.2f}x pgbench); "
            f"server CPU {figures['server_cpu'] * per:.1f} s per M rows",
            flush=True,
        )


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
    parser.add_argument("--rounds", type=int, default=1, help="alternating pgbench/seed rounds (0: cleanup only)")
    parser.add_argument("--cleanup-scale", type=float, default=0.0, help="also bench cleanup of 1 day of 3 at this")
    parser.add_argument(
        "--cleanup-sweep",
        default="500x1,5000x1,20000x1,2000x2,5000x2,5000x2r,10000x2,5000x2a,5000x2ar,5000x2p",
        help="BATCHxJOBS[a][p][r] variants of devkit cleanup (a: --archive, p: webhook_events partitioned by day, "
        "r: foreign keys checked per row, as before the set-based checks), against the pre-#16 batch (500 orders each)",
    )
    parser.add_argument("--cleanup-rounds", type=int, default=3, help="alternating cleanup rounds (medians)")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (with its .venv) whose seed runs in the same rounds, alternated with this one's",
    )
    parser.add_argument(
        "--floor", action="store_true", help="also load one seed's own rows with no generator (bench/seed/floor.py)"
    )
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        dsn, profile, factor, days, workers = args.child
        child(dsn, profile, float(factor), int(days), int(workers))
        return

    server, datadir = None, None
    if args.dsn:
        admin_dsn = args.dsn
        bindir = Path(shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench").parent
    else:
        from testbed.servers import start_postgres

        base = Path(tempfile.mkdtemp(prefix="devkit-bench-pg-", dir="/tmp"))
        server = start_postgres(base)
        admin_dsn, bindir, datadir = server.dsn(), server.bindir, server.datadir
    floors: dict[float, Floor] = {}
    try:
        if args.floor and args.rounds:
            for factor in (float(f) for f in args.scales.split(",")):
                floors[factor] = prepare_floor(admin_dsn, args.profile, factor, args.days, bindir)
        for round_no in range(1, args.rounds + 1):
            pairs = zip(args.scales.split(","), args.pgbench_scales.split(","), strict=True)
            for factor, pgbench_scale in ((float(f), int(p)) for f, p in pairs):
                pgbench = run_pgbench(admin_dsn, pgbench_scale, bindir, datadir)
                pgbench_rate = pgbench["rows"] / pgbench["seconds"]
                print(
                    f"[round {round_no}] pgbench -i -s {pgbench_scale} (client-side, dtgp): "
                    f"{pgbench['rows']:,} rows in {pgbench['seconds']:.1f}s = {pgbench_rate:,.0f} rows/s; "
                    f"{cpu_per_million(pgbench)}",
                    flush=True,
                )
                trees = [None, args.baseline] if args.baseline else [None]
                for tree in trees if round_no % 2 else reversed(trees):
                    seed = run_seed(admin_dsn, args.profile, factor, args.days, args.workers, datadir, tree)
                    rate = seed["rows"] / seed["seconds"]
                    print(
                        f"[round {round_no}] devkit seed {args.profile} --scale {factor:g} --days {args.days}"
                        f"{f' (baseline {tree})' if tree else ''}: {seed['rows']:,} rows ({seed['orders']:,} orders) "
                        f"in {seed['seconds']:.1f}s = {rate:,.0f} rows/s ({rate / pgbench_rate:.2f}x pgbench), "
                        f"peak RSS {seed['peak_rss_mb']:.0f} MB; {cpu_per_million(seed)}",
                        flush=True,
                    )
                if factor in floors:
                    report_floor(admin_dsn, floors[factor], round_no, pgbench_rate, datadir)
        if args.cleanup_scale:
            sweep = [
                (int(batch), int(jobs.rstrip("apr")), "a" in jobs, "p" in jobs, "r" not in jobs)
                for batch, jobs in (item.split("x") for item in args.cleanup_sweep.split(","))
            ]
            bench_cleanup(admin_dsn, args.profile, args.cleanup_scale, sweep, args.cleanup_rounds, datadir)
    finally:
        for floor in floors.values():
            floor.remove()
        if server:
            server.stop()
            shutil.rmtree(base, ignore_errors=True)  # hundreds of MB of data directory per run


if __name__ == "__main__":
    main()
