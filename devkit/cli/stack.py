"""`devkit up | down | status | logs`."""

from __future__ import annotations

from typing import Annotated

import typer

from devkit.cli.app import app
from devkit.config import load_settings
from devkit.errors import RefusedError, UsageError
from devkit.stack.endpoints import dev_dsn
from devkit.stack.lock import project_lock
from devkit.stack.runtime import ServiceStatus
from devkit.stack.select import choose_runtime
from devkit.stack.spec import load_stack
from devkit.stack.state import record_runtime, state_dir
from devkit.stack.up import down as stack_down
from devkit.stack.up import up as stack_up
from devkit.terminal import Terminal

RuntimeOption = Annotated[
    str | None,
    typer.Option(
        "--runtime",
        help="auto: Docker when an engine answers, else native binaries. Default: the runtime that ran `up` "
        "last, else [stack] runtime / DEVKIT_RUNTIME.",
        show_default=False,
    ),
]
ProfileOption = Annotated[
    list[str] | None, typer.Option("--profile", help="Also start services of this compose profile.")
]


def _check_runtime(name: str | None) -> str | None:
    if name is not None and name not in ("auto", "docker", "native"):
        raise UsageError(f"unknown runtime {name!r}", "use --runtime auto, docker or native")
    return None if name == "auto" else name


@app.command()
def up(
    services: Annotated[list[str] | None, typer.Argument(help="Services to start (with their dependencies).")] = None,
    runtime: RuntimeOption = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Seconds to wait for health. Default: [stack] timeout (120).")
    ] = None,
    profile: ProfileOption = None,
) -> None:
    """Start PostgreSQL, Redis and the services of compose/docker-compose.yml and wait until they are healthy.

    Idempotent: a healthy stack is left alone, a changed service is recreated alone.
    """
    terminal = Terminal()
    settings = load_settings()
    stack = load_stack(settings, profile)
    for skipped in stack.skipped:
        terminal.notice(f"{skipped.name} skipped: {skipped.reason}")
    if timeout is not None and timeout <= 0:
        raise UsageError(f"--timeout must be positive, got {timeout:g}", "pass a number of seconds, e.g. --timeout 60")
    requested = _check_runtime(runtime)
    stack.select(services)  # unknown service names fail before any runtime is touched
    with project_lock(state_dir(settings), "up", on_wait=terminal.notice), terminal.service_board() as board:
        chosen = choose_runtime(settings, requested, board, follow_record=requested is None)
        terminal.info(f"runtime: {chosen.name} — {chosen.describe()}")
        result = stack_up(chosen, stack, services, timeout or settings.stack.timeout, board)
        record_runtime(settings, chosen.name)
    if result.changed:
        terminal.success(f"stack is up ({result.seconds:.1f}s)")
    else:
        terminal.success(f"everything is already up and healthy; nothing changed ({result.seconds:.1f}s)")
    _print_statuses(terminal, result.statuses)
    dsn = dev_dsn(stack)
    if dsn and stack.database() and stack.database().name in result.actions:
        terminal.info(f"dev database: {dsn}  (next: `devkit seed dev` or `devkit snapshot --anonymize`)")


@app.command()
def down(
    volumes: Annotated[bool, typer.Option("--volumes", help="Also delete the data (volumes, data dirs).")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't ask before deleting data.")] = False,
    runtime: RuntimeOption = None,
) -> None:
    """Stop and remove the stack's services. Data is kept unless --volumes."""
    terminal = Terminal()
    settings = load_settings()
    stack = load_stack(settings)
    if volumes and not yes and not terminal.confirm(f"Delete all data of project {stack.project!r}?"):
        raise RefusedError("not deleting data without confirmation", "pass --yes to delete volumes")
    requested = _check_runtime(runtime)
    with project_lock(state_dir(settings), "down", on_wait=terminal.notice), terminal.service_board() as board:
        chosen = choose_runtime(settings, requested, board, follow_record=True)
        removed = stack_down(chosen, stack, volumes, board)
        record_runtime(settings, None)
    if removed:
        terminal.success(f"stack is down ({chosen.name})" + ("; data deleted" if volumes else "; data kept"))
    else:
        terminal.success("nothing was running")


@app.command()
def status(
    json_output: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    runtime: RuntimeOption = None,
) -> None:
    """Show each service's runtime, state, health, ports and the URL to connect with."""
    terminal = Terminal(json_output=json_output)
    settings = load_settings()
    stack = load_stack(settings)
    chosen = choose_runtime(settings, _check_runtime(runtime), terminal, follow_record=True)
    statuses = [chosen.status(stack, service) for service in stack.services.values()]
    if json_output:
        terminal.json(
            {
                "project": stack.project,
                "runtime": chosen.name,
                "services": [vars(item) for item in statuses],
                "skipped": [{"service": s.name, "reason": s.reason} for s in stack.skipped],
            }
        )
    else:
        _print_statuses(terminal, statuses)


@app.command()
def logs(
    service: Annotated[str, typer.Argument(help="The service whose logs to show.")],
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")] = False,
    tail: Annotated[int | None, typer.Option("--tail", "-n", help="Only the last N lines.")] = None,
    runtime: RuntimeOption = None,
) -> None:
    """Print a service's logs (both runtimes)."""
    if tail is not None and tail < 0:
        raise UsageError(f"--tail must be 0 or more, got {tail}", "pass e.g. --tail 100")
    terminal = Terminal()
    settings = load_settings()
    stack = load_stack(settings)
    spec = stack.service(service)
    chosen = choose_runtime(settings, _check_runtime(runtime), terminal, follow_record=True)
    for line in chosen.logs(stack, spec, tail, follow):
        terminal.line(line)


def _print_statuses(terminal: Terminal, statuses: list[ServiceStatus]) -> None:
    rows = [(s.service, s.runtime, s.state, s.health, ", ".join(s.ports) or "-", _connect(s)) for s in statuses]
    terminal.table(("service", "runtime", "state", "health", "ports", "connect"), rows)


def _connect(status: ServiceStatus) -> str:
    """The service's URL, then one line per named entry point (the providers' base URLs)."""
    lines = [status.url or "-"] + [f"{name}: {url}" for name, url in status.urls.items()]
    return "\n".join(lines)
