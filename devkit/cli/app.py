"""The `devkit` application: one group whose invoke maps our exceptions to exit codes, in one place."""

from __future__ import annotations

from typing import Any

import click
import typer
from typer.core import TyperGroup

from devkit import __version__
from devkit.errors import DevkitError, exit_code_for
from devkit.terminal import Terminal


class DevkitGroup(TyperGroup):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DevkitError as error:
            Terminal().error(error)
            ctx.exit(exit_code_for(error))
        except KeyboardInterrupt:
            Terminal().err.print("interrupted")
            ctx.exit(130)


app = typer.Typer(
    cls=DevkitGroup,
    name="devkit",
    help="Local MPAC SmartPOS stack, deterministic seed data and anonymized production snapshots.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"devkit {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Settings come from devkit.toml (found by walking up from here) and DEVKIT_* variables."""


def _register() -> None:
    from devkit.cli import cleanup, providers, rules, scan, seed, snapshot, stack  # noqa: F401  (commands register themselves on import)


_register()
