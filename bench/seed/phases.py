"""Where a fresh staged seed's CPU goes: wall, client CPU, server CPU and WAL bytes per phase.

    .venv/bin/python bench/seed/phases.py [--scale 0.001] [--days 5]

Phases are the seed's own steps (`SeedEvents.step`: schema, the workers' COPY into stage tables, reference rows,
swap, commit), with the keys' rebuild split by kind (primary keys, unique constraints, indexes, foreign keys) by
timing each statement of `devkit.seed.bulk.rebuild`. Client CPU is this process and its reaped workers
(os.times), server CPU every process of a throwaway PostgreSQL 15 (bench/seed/run.py's server_cpu), WAL from
pg_current_wal_lsn(). Not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from run import AS_OF, drop_database, fresh_database, server_cpu  # noqa: E402

from devkit.seed import load as seed_load  # noqa: E402
from devkit.seed.generate import World  # noqa: E402
from devkit.seed.profiles import load_profile  # noqa: E402
from devkit.seed.reference import load_reference  # noqa: E402
from testbed.servers import start_postgres  # noqa: E402


class Phases:
    """Sums of (wall, client CPU, server CPU, WAL bytes) per phase label, a phase ending where the next begins."""

    def __init__(self, monitor: psycopg.Connection, datadir: Path) -> None:
        self.monitor, self.datadir = monitor, datadir
        self.totals: dict[str, list[float]] = {}
        self.label, self.last = "start", self._now()

    def _now(self) -> tuple[float, ...]:
        times = os.times()
        wal = self.monitor.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn").fetchone()[0]
        client = times.user + times.system + times.children_user + times.children_system
        return time.monotonic(), client, server_cpu(self.datadir), float(wal)

    def mark(self, label: str) -> None:
        now = self._now()
        sums = self.totals.setdefault(self.label, [0.0] * 4)
        for i, (after, before) in enumerate(zip(now, self.last, strict=True)):
            sums[i] += after - before
        self.label, self.last = label, now

    # SeedEvents
    def step(self, name: str, detail: str = "") -> None:
        self.mark(f"{name}: {detail}" if detail else name)

    def advance(self, name: str, done: int, total: int | None) -> None:
        pass


def _kind(statement: str) -> str:
    kinds = (("PRIMARY KEY", "keys: primary"), ("UNIQUE", "keys: unique"), ("FOREIGN KEY", "keys: foreign"))
    for marker, kind in kinds:
        if marker in statement:
            return kind
    return "keys: indexes" if statement.startswith("CREATE") else "keys: other"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="staging")
    parser.add_argument("--scale", type=float, default=0.001)
    parser.add_argument("--days", type=int, default=5)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="devkit-bench-pg-", dir="/tmp"))
    server = start_postgres(base)
    try:
        name, dsn = fresh_database(server.dsn())
        profile = load_profile(args.profile).scaled(args.scale)
        world = World(profile, profile.seed, args.days, AS_OF, load_reference())
        with psycopg.connect(server.dsn(), autocommit=True) as monitor:
            phases = Phases(monitor, server.datadir)

            def rebuild(conn: psycopg.Connection, statements: Sequence[str]) -> None:
                original_rebuild(conn, [])  # its session settings
                for statement in statements:
                    phases.mark(_kind(statement))
                    conn.execute(statement)
                phases.mark("after the keys")

            original_rebuild, seed_load.rebuild = seed_load.rebuild, rebuild
            result = seed_load.load(dsn, world, "bench", events=phases)
            phases.mark("end")
        rows = result.manifest.total_rows
        print(f"{args.profile} --scale {args.scale:g} --days {args.days}: {rows:,} rows in {result.seconds:.1f}s")
        print(f"{'phase':48} {'wall s':>7} {'client':>7} {'server':>7} {'WAL MB':>7}   (CPU s per M rows)")
        for label, (wall, client, server_s, wal) in phases.totals.items():
            per = 1e6 / rows
            print(f"{label[:48]:48} {wall:7.2f} {client * per:7.2f} {server_s * per:7.2f} {wal / 1e6:7.1f}")
        drop_database(server.dsn(), name)
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
