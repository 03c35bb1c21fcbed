"""`devkit cleanup`: delete old test transactions (archived first), or restore an archive."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from devkit.cli.app import app
from devkit.config import load_settings
from devkit.errors import RefusedError, UsageError
from devkit.terminal import Terminal


@app.command()
def cleanup(
    env: Annotated[str, typer.Argument(help="Environment to clean (never production).")] = "dev",
    older_than: Annotated[
        str | None,
        typer.Option("--older-than", help="Delete test orders placed before now minus this: 90m, 24h, 7d, 2w."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print per-table counts; delete nothing.")] = False,
    archive: Annotated[
        Path | None, typer.Option("--archive", help="Archive deleted rows under this folder first (gzip + manifest).")
    ] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Orders per short transaction.")] = 5000,
    jobs: Annotated[int, typer.Option("--jobs", help="Connections deleting at once (disjoint batches).")] = 2,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't ask before changing a shared environment.")] = False,
    restore: Annotated[
        Path | None,
        typer.Option("--restore", help="Put an archive made by --archive back into ENV instead of deleting."),
    ] = None,
) -> None:
    """Delete test orders older than a cutoff and everything hanging off them (items, bills, payment intents,
    payments, webhook events), in short batches; merchants, stores, devices, configs and non-test rows stay.
    """
    from devkit.cleanup import (
        check_batch_size,
        check_jobs,
        parse_duration,
        plan_fk_checks,
        prepare_archive_root,
        read_manifest,
        restore_archive,
    )
    from devkit.cleanup import cleanup as run_cleanup
    from devkit.cleanup import dry_run as count_cleanup
    from devkit.environments import mask_dsn, refuse_production, resolve_dsn, stack_data_lock

    terminal = Terminal()
    settings = load_settings()
    action = "restore an archive into" if restore else "clean up"
    refuse_production(settings, env, action)
    if restore is not None:
        if older_than or dry_run or archive:
            raise UsageError("--restore cannot be combined with --older-than, --dry-run or --archive")
        read_manifest(restore)  # a missing or damaged archive is reported before any database is touched
        dsn = resolve_dsn(settings, env)
        _confirm(terminal, env, dsn, yes, f"Restore {restore} into {env} ({mask_dsn(dsn)})?")
        lock = stack_data_lock(settings, env, f"cleanup {env} --restore", terminal.notice)
        with lock, terminal.task_progress() as progress:
            result = restore_archive(dsn, restore, progress)
        rows = [(name, count, result.already_present[name]) for name, count in result.restored.items()]
        terminal.table(("table", "restored", "already present"), rows)
        terminal.success(f"restored {sum(result.restored.values())} rows into {env}")
        return
    if older_than is None:
        raise UsageError("--older-than is required", "e.g. devkit cleanup staging --older-than 24h")
    # Every option is checked before the database is touched.
    age = parse_duration(older_than)
    check_batch_size(batch_size)
    check_jobs(jobs)
    cutoff = datetime.now(UTC) - age
    dsn = resolve_dsn(settings, env)
    if dry_run:
        counts = count_cleanup(dsn, cutoff)
        terminal.table(
            ("table", "would delete"), list(counts.items()), title=f"test rows before {cutoff:%Y-%m-%d %H:%M} UTC"
        )
        terminal.info(plan_fk_checks(dsn).describe())
        terminal.info("dry run: nothing deleted")
        return
    _confirm(terminal, env, dsn, yes, f"Delete test orders older than {older_than} from {env} ({mask_dsn(dsn)})?")
    if archive is not None:
        # Created (0700) and test-written before the database is touched: a folder that can't take the archive
        # stops the run before anything is deleted.
        prepare_archive_root(archive)
    with stack_data_lock(settings, env, f"cleanup {env}", terminal.notice), terminal.task_progress() as progress:
        result = run_cleanup(dsn, env, cutoff, batch_size, archive, progress, jobs=jobs)
    terminal.table(("table", "deleted"), list(result.counts.items()))
    if result.archive:
        terminal.info(f"archive: {result.archive}  (restore: devkit cleanup {env} --restore {result.archive})")
    if result.partitions:
        terminal.info(f"dropped whole (every row old test data): {', '.join(result.partitions)}")
    terminal.info(result.fk_checks.describe())
    if result.skipped_locked:
        terminal.notice("some old orders were being written by the platform and were left for the next run")
    terminal.success(
        f"deleted {sum(result.counts.values())} rows in {result.batches} batch(es); "
        f"longest batch transaction {result.longest_batch:.2f}s"
    )


def _confirm(terminal: Terminal, env: str, dsn: str, yes: bool, question: str) -> None:
    if env != "dev" and not yes and not terminal.confirm(question):
        raise RefusedError(f"not changing {env} without confirmation", "answer y on a terminal, or pass --yes")
