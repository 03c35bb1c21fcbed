"""`devkit snapshot --anonymize`: production (live read replica or pg_dump file) -> anonymized, verified copy in
dev (swapped in atomically) or in a dump file."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from devkit.cli.app import app
from devkit.config import load_settings
from devkit.errors import RefusedError, UsageError
from devkit.terminal import Terminal

if TYPE_CHECKING:
    from anonymize.report import SnapshotReport
    from anonymize.subset.plan import SubsetPlan


@app.command()
def snapshot(
    anonymize: Annotated[
        bool, typer.Option("--anonymize", help="Anonymize with the rules file (required: there is no raw copy).")
    ] = False,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="A PostgreSQL DSN (opened read-only), a pg_dump file (custom, directory, tar or plain), or an "
            "environment name. Default: the production environment (DEVKIT_PRODUCTION_DSN).",
            show_default=False,
        ),
    ] = None,
    target: Annotated[
        str, typer.Option("--target", help="Environment whose database is replaced (never a production one).")
    ] = "dev",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            help="Write an anonymized custom-format dump file (pg_restore reads it) instead of replacing the "
            "target's database; the target's server only hosts a scratch database meanwhile.",
            show_default=False,
        ),
    ] = None,
    rules: Annotated[
        Path | None,
        typer.Option("--rules", help="Rules file. Default: anonymize/rules/smartpos.yml.", show_default=False),
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file", help="File holding the anonymization key. Default: $DEVKIT_ANON_KEY.", show_default=False
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            help="Tables (and worker processes) in parallel. Default: CPU count, max 4.",
            show_default=False,
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Only check the rules against the source's schema and the source's and target's roles for the "
            "privileges the run needs; move no data.",
        ),
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="Where to write the JSON report. Default: .devkit/<project>/reports/.", show_default=False
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't ask before replacing the target database.")] = False,
    subset: Annotated[
        list[str] | None,
        typer.Option(
            "--subset",
            help="Copy a subset: TABLE:CONDITION (SQL over the table's columns; repeatable), e.g. "
            '"public.merchants: id in (select id from merchants order by id limit 20)". Parents of every kept row '
            "and children of the roots come along; --check prints the plan. With a dump file as --source, the dump is "
            "first restored into a scratch database on the target's server (dropped after the run).",
            show_default=False,
        ),
    ] = None,
    subset_percent: Annotated[
        float | None,
        typer.Option(
            "--subset-percent",
            help="Copy a subset: this percentage of the root tables' rows (the rules' subset roots; default: "
            "tables no foreign key leaves), with their closure.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Copy production into dev, anonymized in one streaming pass, verified before it replaces anything.

    Fail closed: every column of the source needs a rule (`keep` included) or nothing moves. The previous
    database stays as it was until the verified copy is swapped in.
    """
    # Imported here: `devkit up` and `--help` don't pay for the engine (psycopg, numpy, the name pools).
    from anonymize.errors import AnonymizeError, CoverageError, RulesError
    from anonymize.pipeline.run import VerificationError, run_snapshot
    from anonymize.privileges import privilege_error
    from anonymize.rules import load_rules
    from anonymize.sources import open_source
    from anonymize.subset.spec import build_spec
    from devkit.environments import stack_data_lock
    from devkit.snapshot import (
        check_snapshot,
        client_tools,
        database_errors,
        default_report_path,
        engine_errors,
        load_keyring,
        password_in_argv,
        plan_subset,
        resolve_rules,
        resolve_source,
        snapshot_target,
        translate,
        write_report,
    )

    terminal = Terminal()
    settings = load_settings()
    if jobs is not None and not 1 <= jobs <= 64:
        raise UsageError(f"--jobs must be between 1 and 64, got {jobs}", "pass e.g. --jobs 2")
    jobs = jobs or max(1, min(4, os.cpu_count() or 1))
    if warning := password_in_argv(source):
        terminal.notice(warning)
    source_spec = resolve_source(settings, source)
    rules_path = resolve_rules(settings, rules)
    tools = client_tools(settings)
    try:
        rules_file = load_rules(rules_path)
    except RulesError as error:
        for problem in error.problems if len(error.problems) > 1 else ():
            terminal.notice(problem)
        raise translate(error) from None
    with engine_errors():
        subset_spec = build_spec(rules_file.subset, subset or [], subset_percent)

    if check:
        checked, chosen, target_dsn = check_snapshot(settings, source_spec, target, output, rules_file)
        for note in checked.notes + checked.problems:
            terminal.notice(note)
        if checked.missing:
            raise translate(privilege_error(checked.missing), source_spec, target_dsn)
        if checked.problems:
            raise RefusedError(
                f"rules {rules_path} do not cover the source's schema: {len(checked.problems)} problem(s), "
                "listed above",
                "add a rule (an explicit `keep` included) for every column; remove rules for columns that are gone",
            )
        terminal.success(f"rules {rules_path} cover all {checked.tables} tables of {chosen.description}")
        if subset_spec.active:
            planned_subset = plan_subset(settings, source_spec, target, rules_file, subset_spec)
            show_subset_plan(terminal, planned_subset)
            with engine_errors(source_spec):
                planned_subset.refuse_unreached()
            terminal.success(f"subset plan: {len(planned_subset.regions.closure)} tables by closure, nothing moved")
        return

    if not anonymize:
        raise RefusedError(
            "refusing to copy production data unmasked: devkit snapshot only makes anonymized copies",
            "add --anonymize (the rules file decides what is faked and what is kept; --check tests it first)",
        )
    keyring = load_keyring(key_file)
    destination = snapshot_target(settings, source_spec, target, output)
    target_dsn, sink, what = destination.dsn, destination.sink, destination.description
    asking = destination.replaces_database and not yes
    if asking and not terminal.confirm(f"Replace {what} with an anonymized snapshot?"):
        raise RefusedError(f"not replacing {what}", "pass --yes to replace it without asking")

    with engine_errors(source_spec):
        chosen = open_source(source_spec, tools)
    report_path = report or default_report_path(settings, target_dsn, output)
    # A report path of our choosing may be another run's choice too: never overwrite, number ours instead.
    write = functools.partial(write_report, exclusive=report is None)
    terminal.info(f"snapshot {chosen.description} -> {what}, {jobs} job(s), key {keyring.fingerprint()}")
    try:
        # Into dev, the stack's own database: wait for an `up`/`down` in progress, and keep one from recreating it.
        # (With --output the target's server only hosts a scratch database: nothing of the stack is replaced.)
        lock = (
            stack_data_lock(settings, target, f"snapshot --target {target}", terminal.notice)
            if output is None
            else contextlib.nullcontext()
        )
        with lock, terminal.row_progress() as progress, database_errors(source_spec, target_dsn):
            result = run_snapshot(chosen, sink, rules_file, keyring, jobs=jobs, progress=progress, subset=subset_spec)
    except VerificationError as error:  # the report says what failed: print and keep it
        _finish(terminal, error.report, report_path, write)
        raise translate(error, source_spec, target_dsn) from None
    except AnonymizeError as error:
        if isinstance(error, CoverageError):
            for problem in error.problems:
                terminal.notice(problem)
        raise translate(error, source_spec, target_dsn) from None
    report_path = _finish(terminal, result, report_path, write)
    for note in result.notes:
        terminal.notice(note)
    terminal.success(
        f"{result.rows:,} rows in {result.seconds:.1f}s ({result.rows_per_second:,.0f} rows/s, "
        f"{result.megabytes_per_second:.1f} MB/s) -> {result.target}; report: {report_path}"
    )


def show_subset_plan(terminal: Terminal, plan: SubsetPlan) -> None:
    """The subset's plan: tables parents first, how each is reached, conditions, the planner's estimates; the
    foreign keys whose lookups scan; the tables nothing reaches."""
    terminal.table(
        ["table", "kept as", "condition", "estimated rows"],
        [
            (line.table, line.mode, line.condition or "", "" if line.estimated_rows is None else f"{n:,}")
            for line in plan.lines
            for n in (line.estimated_rows or 0,)
        ],
        title="subset plan",
    )
    if plan.missing_indexes:
        terminal.table(
            ["foreign key", "child table", "columns", "cost of one lookup (EXPLAIN)"],
            [(m.edge, m.child, ", ".join(m.columns), f"{m.cost:,.0f}") for m in plan.missing_indexes],
            title="lookups without an index (each scans the child table; CREATE INDEX on these columns)",
        )
    for note in plan.notes:
        terminal.notice(note)
    for table in sorted(plan.regions.unreached):
        terminal.notice(f"{table}: no path from the subset's roots reaches it; rule it whole, empty or a condition")


def _finish(terminal: Terminal, result: SnapshotReport, path: Path, write_report: Callable[[Path, str], Path]) -> Path:
    """Print the report and write it as JSON (also after a failed verification: it says what failed); the path
    written."""
    rows = [
        (
            t.table,
            f"{t.rows:,}",
            "skipped" if t.skipped else f"{t.seconds:.1f}s",
            f"{sum(c.changed for c in t.columns):,}",
        )
        for t in sorted(result.tables, key=lambda t: t.table)
    ]
    terminal.table(["table", "rows", "time", "values changed"], rows, title="tables")
    if result.rules:
        terminal.table(
            ["rule", "columns", "values", "changed"],
            [(r.rule, r.columns, f"{r.values:,}", f"{r.changed:,}") for r in result.rules],
            title="rules",
        )
    verification = result.verification
    if verification is not None:
        lines = [
            (
                "row counts",
                f"{verification.tables_checked} tables",
                "ok" if not verification.row_count_mismatches else "failed",
            ),
            (
                "foreign keys",
                f"{verification.foreign_keys}",
                "ok" if not verification.foreign_key_violations else "failed",
            ),
            (
                "sequences",
                f"{verification.sequences_checked}",
                "ok" if not verification.sequence_mismatches else "failed",
            ),
            (
                "leak check",
                f"{verification.output_values_checked:,} output values against "
                f"{verification.source_values_indexed:,} source values",
                "ok"
                if not (verification.leaks or verification.unchanged_in_row or verification.fake_collisions)
                else "failed",
            ),
        ]
        if verification.names_in_kept:
            failing = verification.names_in_kept_failing()
            for column, n in sorted(verification.names_in_kept.items()):
                verdict = "failed" if column in failing else "review (few: may be chance)"
                lines.append(("names in a kept column", f"{column}: {n:,}", verdict))
        if verification.coincidences:
            total = sum(verification.coincidences.values())
            scope = f"{total:,} names, units, one-name logins (identify nobody alone)"
            lines.append(("common values found", scope, "counted"))
        if verification.realistic_collisions:  # the notes say where
            total = sum(verification.realistic_collisions.values())
            scope = f"{total:,} realistic fakes (names, addresses, logins)"
            lines.append(("fakes equal to other rows' values", scope, "counted"))
        if verification.shared_identifiers:  # cue-word "cards" the source keeps as its ids (the notes say where)
            total = sum(verification.shared_identifiers.values())
            lines.append(("source's own ids", f"{total:,} taken for cards (not failures)", "counted"))
        terminal.table(["check", "scope", "result"], lines, title="verification")
        for failure in verification.failures:
            terminal.notice(failure)
    return write_report(path, result.to_json())
