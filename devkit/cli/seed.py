"""`devkit seed ENV`: deterministic SmartPOS test data, loaded atomically, verified against its manifest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from devkit.cli.app import app
from devkit.config import load_settings
from devkit.errors import DataError, RefusedError
from devkit.stack.state import state_dir
from devkit.terminal import Terminal

if TYPE_CHECKING:
    from devkit.seed.generate import World


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
            help="Processes generating transactions (0: in the seed's own process). Default: one per CPU from "
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
    from devkit.seed.generate import World, today_in_tokyo
    from devkit.seed.keys import check_device_keys
    from devkit.seed.load import expected_manifest, load_with_device_keys
    from devkit.seed.params import check_days, check_seed, check_window, check_workers, parse_as_of
    from devkit.seed.profiles import check_scale, load_profile
    from devkit.seed.reference import load_reference
    from devkit.seed.verify import read_ledger, verification_failure, verify

    terminal = Terminal()
    settings = load_settings()
    refuse_production(settings, env, "seed")
    # Every option is checked before a profile is planned or a database touched.
    days = check_days(days) if days is not None else None
    seed_value = check_seed(seed_value) if seed_value is not None else None
    scale = check_scale(scale) if scale is not None else None
    workers = check_workers(workers) if workers is not None else None
    window_end = parse_as_of(as_of) if as_of is not None else None
    if window_end is not None and days is not None:
        check_window(window_end, days)
    seeds_dir = settings.root / "seeds" if (settings.root / "seeds" / "profiles").is_dir() else None
    seeds_kwargs = {"seeds_dir": seeds_dir} if seeds_dir else {}
    keys_path = state_dir(settings) / "device-keys" / f"{env}.json"

    if verify_only:
        dsn = resolve_dsn(settings, env)
        entry = read_ledger(dsn)
        if entry is None and (profile is None or window_end is None):
            raise DataError(
                f"{env} has no seed ledger to verify against",
                "seed it first, or pass --profile and --as-of to verify against explicit params",
            )
        chosen = load_profile(profile or entry.params.profile, **seeds_kwargs)
        chosen = chosen.scaled(scale if scale is not None else (entry.params.scale if entry else 1.0))
        if entry and profile is None and chosen.fingerprint() != entry.params.profile_fingerprint:
            terminal.notice(f"profile {chosen.name!r} changed since {env} was seeded; verifying against the file")
        window_days = days or (entry.params.days if entry else chosen.days)
        check_window(window_end or entry.params.as_of, window_days)
        world = World(
            chosen,
            seed_value if seed_value is not None else (entry.params.seed if entry else chosen.seed),
            window_days,
            window_end or entry.params.as_of,
            load_reference(**seeds_kwargs),
        )
        terminal.info(_describe(world, env, dsn))
        with terminal.task_progress() as progress:
            checks = verify(dsn, world, progress, workers)
        keys = check_device_keys(dsn, keys_path)
        rows = [(c.table, c.expected_rows, c.actual_rows, "ok" if c.ok else "DIFFERS") for c in checks]
        terminal.table(("table", "expected rows", "rows", "checksum"), rows)
        failure = verification_failure(env, checks, keys)
        if failure:
            raise failure
        terminal.success(f"{env} matches the manifest")
        if keys.absent:
            terminal.notice(
                f"device keys not checked: no keys file at {keys_path} on this machine (it is where the seed ran)"
            )
        else:
            terminal.info(f"device keys: all {keys.devices} devices match {keys_path}")
        return

    chosen = load_profile(profile or _default_profile(env, seeds_kwargs), **seeds_kwargs).scaled(scale or 1.0)
    check_window(window_end or today_in_tokyo(), days or chosen.days)
    world = World(
        chosen,
        chosen.seed if seed_value is None else seed_value,
        days or chosen.days,
        window_end or today_in_tokyo(),
        load_reference(**seeds_kwargs),
    )
    if dry_run:
        terminal.info(_describe(world, env, None))
        with terminal.task_progress() as progress:
            manifest = expected_manifest(world, progress, workers)
        rows = [(name, count, manifest.checksums[name][:12]) for name, count in manifest.row_counts.items()]
        terminal.table(("table", "rows", "checksum"), rows, title="would seed (dry run: nothing written)")
        return

    dsn = resolve_dsn(settings, env)
    if env != "dev" and not yes:
        question = f"Seed {env} ({mask_dsn(dsn)}) with profile {chosen.name!r}?"
        if not terminal.confirm(question):
            raise RefusedError(f"not seeding {env} without confirmation", "answer y on a terminal, or pass --yes")
    terminal.info(_describe(world, env, dsn))
    with stack_data_lock(settings, env, f"seed {env}", terminal.notice), terminal.task_progress() as progress:
        result, devices = load_with_device_keys(dsn, world, env, keys_path, progress, workers)
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


def _default_profile(env: str, seeds_kwargs: dict) -> str:
    from devkit.seed.profiles import profile_names

    return env if env in profile_names(**seeds_kwargs) else "dev"


def _describe(world: World, env: str, dsn: str | None) -> str:
    from devkit.environments import mask_dsn

    target = f" -> {mask_dsn(dsn)}" if dsn else ""
    scaled = f" x{world.profile.scale:g}" if world.profile.scale != 1 else ""
    first = world.window_days()[0]
    return (
        f"{env}{target}: profile {world.profile.name}{scaled}, seed {world.seed}, "
        f"{world.days} days {first:%Y-%m-%d}..{world.as_of:%Y-%m-%d} (exclusive), {world.order_count} orders"
    )
