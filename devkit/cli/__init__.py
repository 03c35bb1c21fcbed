"""Thin typer commands: parse, call the domain, print. Errors map to exit codes in `app.DevkitGroup`."""

from devkit.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
