"""`devkit scan`: sample a database or dump, find personal data in columns and JSON keys the rules keep or miss."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from devkit.cli.app import app
from devkit.config import load_settings
from devkit.errors import RefusedError, UsageError
from devkit.terminal import Terminal


@app.command()
def scan(
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="A PostgreSQL DSN (read-only), a pg_dump file or an environment name. Default: production.",
            show_default=False,
        ),
    ] = None,
    sample: Annotated[int, typer.Option("--sample", help="Rows sampled per table.")] = 1000,
    rules: Annotated[
        Path | None,
        typer.Option("--rules", help="Rules file. Default: anonymize/rules/smartpos.yml.", show_default=False),
    ] = None,
    target: Annotated[
        str, typer.Option("--target", help="For a dump file: the environment whose server reads its schema back.")
    ] = "dev",
    json_output: Annotated[bool, typer.Option("--json", help="Print the findings as JSON (for CI).")] = False,
) -> None:
    """Find personal data the rules let through: sampled values of every text and JSON column (JSON inside
    strings included) run through PII detection; a column or JSON key holding names, emails, phones, cards ...
    that is ruled `keep` or has no rule is a finding. Exits non-zero when there is any, so CI can gate schema
    changes."""
    # Imported here: CLI start-up doesn't pay for the engine and the detector.
    from anonymize.errors import RulesError
    from anonymize.rules import load_rules
    from anonymize.scan import scan_source
    from devkit.snapshot import (
        engine_errors,
        open_for_schema,
        password_in_argv,
        resolve_rules,
        resolve_source,
        translate,
    )

    terminal = Terminal(json_output=json_output)
    if sample < 1:
        raise UsageError(f"--sample must be at least 1, got {sample}", "pass e.g. --sample 1000")
    settings = load_settings()
    if warning := password_in_argv(source):
        terminal.notice(warning)
    source_spec = resolve_source(settings, source)
    rules_path = resolve_rules(settings, rules)
    try:
        rules_file = load_rules(rules_path)
    except RulesError as error:
        raise translate(error) from None
    chosen, scratch = open_for_schema(settings, source_spec, target)
    with engine_errors(source_spec, scratch.server_dsn if scratch else ""):
        report = scan_source(chosen, rules_file, sample, scratch)

    if json_output:
        terminal.line(report.to_json())
    else:
        for finding in report.findings:
            kinds = ", ".join(f"{kind} ×{n}" for kind, n in finding.kinds.items())
            rule = "no rule" if finding.rule == "none" else f"ruled {finding.rule}"
            terminal.notice(
                f"{finding.where}: {finding.hits}/{finding.sampled} sampled values hold {kinds} ({rule});"
                f" suggested: {finding.suggestion}"
            )
    if report.findings:
        raise RefusedError(
            f"personal data in {len(report.findings)} column(s)/JSON key(s) that {rules_path.name} keeps or doesn't"
            " rule" + ("" if json_output else ", listed above"),
            f"rule them in {rules_path} (a transform per column, a path rule or other_strings for JSON keys)",
        )
    terminal.success(
        f"no unruled personal data: {report.columns_sampled} columns of {report.tables} tables sampled"
        f" ({report.values_sampled} values) in {chosen.description}"
    )
