"""Where one table's row loop spends its time: the table's COPY chunks through `RowTransformer.process` in this
process, planned as `run_snapshot` plans it (the run's known values gathered first, the leak check's hasher and
scan targets), under cProfile. What a worker process does for that table, without the servers' share.

Run: .venv/bin/python bench/snapshot/profile_table.py [--scale 0.2] [--table payments.webhook_events]
                                                       [--top 40] [--no-profile] [--save-rules F] [--rules F]
Builds the `strangers` dataset (bench/snapshot/strangers.py) at --scale in a throwaway server, drafts its rules
with `devkit rules init` (or reads --rules), then prints rows/s per CPU second (without the profiler) and the profile.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from anonymize.keys import Keyring  # noqa: E402
from anonymize.pipeline.rows import RowTransformer  # noqa: E402
from anonymize.sources import LiveSource  # noqa: E402
from anonymize.verify import LeakIndex  # noqa: E402
from bench.snapshot import strangers  # noqa: E402
from testbed.run_plans import planned_as_run  # noqa: E402
from testbed.servers import start_postgres  # noqa: E402

KEY = b"bench-key-0123456789abcdef-0123456789"


def chunks_of(dsn: str, rules_text: str, table: str) -> tuple[list[bytes], object, tuple[str, ...], LeakIndex]:
    """The table's COPY chunks, its plan (known values gathered) and stream columns, and a leak index."""
    keyring = Keyring(KEY)
    source = LiveSource(dsn)
    with source:
        plan = next(p for p in planned_as_run(source, rules_text, keyring) if p.table.name == table)
        with source.stream(plan.table, plan.table.columns, plan.where) as stream:
            columns = tuple(stream.columns)
            chunks = list(stream.chunks)
    return chunks, plan, columns, LeakIndex(keyring)


def run(chunks: list[bytes], plan: object, columns: tuple[str, ...], index: LeakIndex) -> tuple[int, float]:
    """Rows and CPU seconds (this process's: on a shared machine, wall time mostly measures the neighbours)."""
    codec = RowTransformer(plan, columns, index.hasher)  # type: ignore[arg-type]
    rows = 0
    began = time.process_time()
    for chunk in chunks:
        rows += codec.process(chunk).rows
    return rows, time.process_time() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--table", default=f"{strangers.PAYMENTS_SCHEMA}.webhook_events")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--rules", type=Path, help="use these rules instead of drafting them")
    parser.add_argument("--save-rules", type=Path, help="write the drafted rules here")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--dsn", help="a database already holding the dataset (with --rules): nothing is built")
    args = parser.parse_args()

    if args.dsn:
        if not args.rules:
            parser.error("--dsn needs --rules")
        profile_tables(args, args.dsn, args.rules.read_text())
        return
    base = Path(tempfile.mkdtemp(prefix="devkit-bench-profile-", dir="/tmp"))
    server = start_postgres(base / "source")
    try:
        with server.database("strangers") as dsn:
            strangers.build(dsn, args.scale)
            rules_text = args.rules.read_text() if args.rules else strangers.draft(server, dsn)
            if args.save_rules:
                args.save_rules.write_text(rules_text)
            profile_tables(args, dsn, rules_text)
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def profile_tables(args: argparse.Namespace, dsn: str, rules_text: str) -> None:
    for table in args.table.split(","):
        chunks, plan, columns, index = chunks_of(dsn, rules_text, table)
        size = sum(len(c) for c in chunks)
        rows, seconds = run(chunks, plan, columns, index)  # first pass: caches as a worker's start them
        rows, again = run(chunks, plan, columns, index)
        print(
            f"{table}: {rows:,} rows, {size / 1e6:.1f} MB: {rows / seconds:,.0f} rows/s "
            f"({size / 1e6 / seconds:.1f} MB/s) first pass, {rows / again:,.0f} rows/s again (per CPU second)"
        )
        if not args.no_profile:
            chunks, plan, columns, index = chunks_of(dsn, rules_text, table)
            profiler = cProfile.Profile()
            profiler.enable()
            run(chunks, plan, columns, index)
            profiler.disable()
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
