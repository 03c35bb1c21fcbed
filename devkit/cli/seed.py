"""`devkit seed ENV`: deterministic SmartPOS test data, loaded atomically, verified against its manifest."""

from __future__ import annotations

from typing import Annotated

import typer

from devkit.cli.app import app
from devkit.config import load_settings
from devkit.errors import RefusedError
from devkit.stack.state import state_dir
from devkit.terminal import Terminal


@app.command()
def seed(
    env: Annotated[str, typer.Argument(help="Environment to seed: dev, staging, ... (never production).")],
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            help="Profile name in seeds/profiles (small, dev, staging, load) or a .toml path. "
            "Default: the profile named like ENV, else dev.",
        ),
    ] = None,
    seed_value: Annotated[int | None, typer.Option("--seed", help="Seed. Default: the profile's.")] = None,
    days: Annotated[int | None, typer.Option("--days", help="Days of transactions. Default: the profile's.")] = None,
    scale: Annotated[
        float | None,
        typer.Option(
            "--scale",
            help="Multiply the profile's merchants and orders a day, e.g. 0.001 for a laptop-sized staging. "
            "Default: 1; with --verify, the ledger's.",
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Transactions cover the DAYS whole days before this date (YYYY-MM-DD, "
            "Asia/Tokyo). Default: today; with --verify, the ledger's.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="Processes generating transactions, each loading its share over its own connection (0: all in "
            "the seed's own process and connection). Default: one per CPU from "
            "20,000 orders, else 0. The rows are the same for any value.",
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be seeded; touch no database.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't ask before seeding a shared environment.")] = False,
    verify_only: Annotated[
        bool, typer.Option("--verify", help="Compare the environment with the expected manifest; change nothing.")
    ] = False,
) -> None:
    """Seed ENV with deterministic SmartPOS test data: same profile and seed, same rows, everywhere.

    Re-running converges (only what changed is written); a failure or kill leaves the previous data as it was.
    """
    # Imported here so `devkit up` and `--help` don't pay for psycopg, sqlalchemy and cryptography.
    from devkit.environments import mask_dsn, refuse_production, resolve_dsn, stack_data_lock
    from devkit.seed.load import expected_manifest, load_with_device_keys
    from devkit.seed.plan import SeedRequest, describe, seeds_dir_of, world_to_seed, world_to_verify
    from devkit.seed.verify import read_ledger, verify_environment

    terminal = Terminal()
    settings = load_settings()
    refuse_production(settings, env, "seed")
    request = SeedRequest.checked(profile, seed_value, days, scale, as_of, workers)
    seeds_dir = seeds_dir_of(settings.root)
    keys_path = state_dir(settings) / "device-keys" / f"{env}.json"

    if verify_only:
        dsn = resolve_dsn(settings, env)
        world, changed = world_to_verify(request, env, read_ledger(dsn), seeds_dir)
        if changed:
            terminal.notice(changed)
        terminal.info(describe(world, env, dsn))
        with terminal.task_progress() as progress:
            found = verify_environment(env, dsn, world, keys_path, progress, request.workers)
        rows = [(c.table, c.expected_rows, c.actual_rows, "ok" if c.ok else "DIFFERS") for c in found.checks]
        terminal.table(("table", "expected rows", "rows", "checksum"), rows)
        if found.failure:
            raise found.failure
        terminal.success(f"{env} matches the manifest")
        keys = found.keys
        if keys.absent:
            terminal.notice(
                f"device keys not checked: no keys file at {keys_path} on this machine (it is where the seed ran)"
            )
        else:
            terminal.info(f"device keys: all {keys.devices} devices match {keys_path}")
        return

    world = world_to_seed(request, env, seeds_dir)
    if dry_run:
        terminal.info(describe(world, env, None))
        with terminal.task_progress() as progress:
            manifest = expected_manifest(world, progress, request.workers)
        rows = [(name, count, manifest.checksums[name][:12]) for name, count in manifest.row_counts.items()]
        terminal.table(("table", "rows", "checksum"), rows, title="would seed (dry run: nothing written)")
        return

    dsn = resolve_dsn(settings, env)
    if env != "dev" and not yes:
        question = f"Seed {env} ({mask_dsn(dsn)}) with profile {world.profile.name!r}?"
        if not terminal.confirm(question):
            raise RefusedError(f"not seeding {env} without confirmation", "answer y on a terminal, or pass --yes")
    terminal.info(describe(world, env, dsn))
    with stack_data_lock(settings, env, f"seed {env}", terminal.notice), terminal.task_progress() as progress:
        result, devices = load_with_device_keys(dsn, world, env, keys_path, progress, request.workers)
    if result.action == "unchanged":
        terminal.success(f"{env} already holds this seed; nothing changed ({result.seconds:.1f}s)")
    else:
        rows = [
            (
                name,
                count,
                result.changes[name].inserted_or_updated if result.changes else count,
                result.changes[name].deleted if result.changes else 0,
            )
            for name, count in result.manifest.row_counts.items()
        ]
        terminal.table(("table", "rows", "written", "removed"), rows)
        terminal.success(
            f"{env} {result.action}: {result.manifest.total_rows} rows in {result.seconds:.1f}s "
            f"({result.rows_per_second:,.0f} rows/s), ledger entry {result.ledger_id}"
        )
    terminal.info(f"device private keys ({devices}): {keys_path}")
