"""The gap report: `python -m tests.strangers.report [--scale S] [--seed N] [--database NAME ...] [--show-values]`.

Builds each stranger database on a throwaway PostgreSQL (testbed/servers.py), runs the harness on it, and prints
per database and per check: pass, or the concrete problems (which columns leak what, which schema objects differ,
which fakes have the wrong locale...), with the timings of the build, the snapshot and an untransformed copy.
`--show-values` adds an example per problem (it may be a real planted value: not for CI logs).
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from testbed.servers import PostgresServer, start_postgres
from tests.strangers import harness

# Builder modules the report knows by name; any other importable one can be given as a dotted path.
KNOWN = ("marketplace", "payments", "pgfeatures")


def builders(names: list[str] | None) -> list[ModuleType]:
    out = []
    for name in names or KNOWN:
        module_name = name if "." in name else f"testbed.strangers.{name}"
        try:
            out.append(importlib.import_module(module_name))
        except ModuleNotFoundError as error:
            if names or error.name != module_name:  # asked for by name, or broken inside: say so
                raise
    return out


@contextmanager
def throwaway_server() -> Iterator[PostgresServer]:
    base = Path(tempfile.mkdtemp(prefix="devkit-strangers-pg-", dir="/tmp"))
    server = start_postgres(base)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def measure(
    builder: ModuleType, server: PostgresServer, scale: float, seed: int, workdir: Path
) -> list[harness.Outcome]:
    """Build the database, run the harness on it with the draft as drafted, and again with the builder's
    `workaround` when the draft did not publish (so the checks behind publication get a verdict too)."""
    name = harness.name_of(builder)
    with server.database(name) as source_dsn:
        started = time.monotonic()
        counts = builder.build(source_dsn, scale=scale, seed=seed)
        built = time.monotonic() - started
        outcomes = [harness.run(builder, server, source_dsn, workdir / name)]
        workaround = getattr(builder, "workaround", None)
        if outcomes[0].checks["published"] and workaround is not None:
            edited = harness.run(builder, server, source_dsn, workdir / f"{name}-workaround", workaround)
            outcomes.append(edited)
        for outcome in outcomes:
            outcome.seconds["build"] = built
            outcome.rows = outcome.rows or sum(counts.values())
        return outcomes


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}s"


def render(outcome: harness.Outcome, show_values: bool = False) -> list[str]:
    s = outcome.seconds
    ratio = f" = {s['snapshot'] / s['copy']:.1f}x" if s.get("copy") and "snapshot" in s else ""
    title = outcome.database + (" (draft edited by the builder's workaround, not as drafted)" if outcome.edited else "")
    lines = [
        f"== {title}: {outcome.rows:,} rows; build {_seconds(s.get('build'))};"
        f" rules init {_seconds(s.get('rules_init'))}; snapshot {_seconds(s.get('snapshot'))}"
        f" (devkit's own timer {_seconds(s.get('snapshot_reported'))})"
        f" vs pg_dump | psql {_seconds(s.get('copy'))}{ratio}",
    ]
    lines += [f"   note: {note}" for note in outcome.notes]
    if outcome.weakened:
        lines.append(f"   weakened draft keeps: {', '.join(outcome.weakened)}")
    for check in harness.CHECKS:
        problems = outcome.checks.get(check, [])
        lines.append(f"   {check:<14} {'pass' if not problems else f'FAIL ({len(problems)})'}")
        for problem in problems:
            lines.append(f"       - {problem.text}")
            if show_values and problem.example is not None:
                example = problem.example if len(problem.example) < 200 else problem.example[:200] + "..."
                lines.extend(f"           | {line}" for line in example.splitlines())
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", action="append", help=f"one of {', '.join(KNOWN)} or a module path")
    parser.add_argument("--show-values", action="store_true", help="an example per problem (may be personal)")
    parser.add_argument("--workdir", type=Path, help="keep drafts, reports and logs here (default: a temp dir)")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="devkit-strangers-"))
    failed = 0
    with throwaway_server() as server:
        for builder in builders(args.database):
            for outcome in measure(builder, server, args.scale, args.seed, workdir):
                print("\n".join(render(outcome, args.show_values)), flush=True)
                if not outcome.edited:
                    failed += sum(1 for check in harness.CHECKS if outcome.checks.get(check))
    print(f"\n{failed} failing (database, check) pair(s) with drafts as drafted; drafts and logs in {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
