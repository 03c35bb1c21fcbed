"""`devkit rules init`: draft an anonymization rules file from a database's schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from devkit.cli.app import app
from devkit.config import load_settings
from devkit.errors import UsageError
from devkit.terminal import Terminal

rules_app = typer.Typer(help="Anonymization rules: draft them from a schema.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@rules_app.command("init")
def init(
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="DSN, pg_dump file or environment name whose schema to read. Default: production.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.", show_default=False)
    ] = None,
    target: Annotated[
        str, typer.Option("--target", help="For a dump file: the environment whose server reads its schema back.")
    ] = "dev",
    force: Annotated[bool, typer.Option("--force", help="Overwrite --output if it exists.")] = False,
    scan: Annotated[
        bool,
        typer.Option(
            "--scan/--no-scan",
            help="Sample the data (like `devkit scan`) and rule the columns and JSON keys where personal data "
            "was detected.",
        ),
    ] = True,
    sample: Annotated[int, typer.Option("--sample", help="Rows sampled per table by --scan.")] = 200,
) -> None:
    """Draft a rules file: a rule for every column, guessed from names and types (email, phone, names,
    addresses, cards, IPs, My Number...) and from personal data detected in sampled values (--scan), everything
    else `keep`. Review it before the first snapshot."""
    from devkit.snapshot import draft_from_source, password_in_argv, resolve_source, write_report

    terminal = Terminal()
    settings = load_settings()
    if output is not None and output.exists() and not force:
        raise UsageError(f"{output} already exists", "pass --force to overwrite it, or choose another --output")
    if warning := password_in_argv(source):
        terminal.notice(warning)
    text, schema = draft_from_source(settings, resolve_source(settings, source), target, scan, sample)
    if output is None:
        terminal.line(text)
        return
    write_report(output, text)
    columns = sum(len(columns) for columns in schema.values())
    terminal.success(f"drafted rules for {len(schema)} tables, {columns} columns -> {output}; review before use")
