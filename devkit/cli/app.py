"""The `devkit` application: one group whose invoke maps our exceptions to exit codes, in one place."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

import click
import typer
from typer.core import TyperGroup

from devkit import __version__
from devkit.errors import DevkitError, exit_code_for
from devkit.terminal import Terminal


class DevkitGroup(TyperGroup):
    def invoke(self, ctx: click.Context) -> Any:
        with _interrupts() as interrupted:
            try:
                return super().invoke(ctx)
            except DevkitError as error:
                if interrupted.is_set():
                    # Ctrl-C reaches the terminal's whole process group: our children (psql, pg_dump) stop on it too,
                    # and their failure may surface first ("canceling statement due to user request").
                    _interrupted(ctx)
                Terminal().error(error)
                ctx.exit(exit_code_for(error))
            except KeyboardInterrupt:
                _interrupted(ctx)


def _interrupted(ctx: click.Context) -> None:
    Terminal().err.print("interrupted")
    ctx.exit(exit_code_for(KeyboardInterrupt()))


@contextlib.contextmanager
def _interrupts() -> Iterator[threading.Event]:
    """An event set at the first SIGINT while a command runs; the interrupt is raised as before
    (KeyboardInterrupt, or what was installed)."""
    seen = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield seen  # signals are the main thread's: there is nothing to watch from here
        return
    previous = signal.getsignal(signal.SIGINT)

    def note(number: int, frame: Any) -> None:
        seen.set()
        if callable(previous):
            previous(number, frame)
        elif previous != signal.SIG_IGN:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, note)
    try:
        yield seen
    finally:
        signal.signal(signal.SIGINT, previous)


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
