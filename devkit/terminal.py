"""The one place that talks to the screen: messages, errors, tables, live service lines, progress, --json.

Data (tables, JSON) goes to stdout; everything else to stderr, so `devkit status --json | jq` stays clean.
rich honours NO_COLOR and drops colour and live redraws when the output is not a terminal.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from devkit.errors import DevkitError, HealthTimeoutError

_PHASE_STYLE = {
    "healthy": "green",
    "unchanged": "green",
    "running": "green",
    "removed": "dim",
    "failed": "bold red",
    "unhealthy": "red",
    "skipped": "yellow",
}


class Terminal:
    def __init__(self, json_output: bool = False, quiet: bool = False) -> None:
        self.json_output = json_output
        self.quiet = quiet
        self.out = _console(stderr=False)
        self.err = _console(stderr=True)

    # --- messages --------------------------------------------------------------------------------------------

    def info(self, message: str) -> None:
        if not self.quiet:
            self.err.print(escape(message))

    def success(self, message: str) -> None:
        if not self.quiet:
            self.err.print(f"[green]✓[/green] {escape(message)}")

    def notice(self, message: str) -> None:
        self.err.print(f"[yellow]![/yellow] {escape(message)}")

    def error(self, error: BaseException) -> None:
        if isinstance(error, DevkitError):
            self.err.print(f"[bold red]error:[/bold red] {escape(error.one_line())}")
            if isinstance(error, HealthTimeoutError) and error.log_tail:
                self.err.print("[dim]last log lines:[/dim]")
                for line in error.log_tail:
                    self.err.print(f"  [dim]|[/dim] {escape(line)}")
        else:
            self.err.print(f"[bold red]error:[/bold red] {escape(str(error) or type(error).__name__)}")

    def confirm(self, question: str) -> bool:
        if not sys.stdin.isatty():
            return False
        self.err.print(f"{escape(question)} {escape('[y/N]')} ", end="")
        try:
            answer = input()
        except EOFError:
            return False
        return answer.strip().lower() in {"y", "yes"}

    # --- data ------------------------------------------------------------------------------------------------

    def json(self, data: Any) -> None:
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
        sys.stdout.flush()

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> None:
        table = Table(title=title, title_justify="left", header_style="bold")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*(_styled(str(cell)) for cell in row))
        self.out.print(table)

    def line(self, text: str) -> None:
        """A raw line of data (log output) to stdout, unstyled."""
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()

    # --- live work -------------------------------------------------------------------------------------------

    @contextmanager
    def service_board(self) -> Iterator[ServiceBoard]:
        board = ServiceBoard(self)
        if self.err.is_terminal and not self.quiet:
            with Live(board.render(), console=self.err, refresh_per_second=8, transient=False) as live:
                board.live = live
                yield board
                live.update(board.render())
        else:
            yield board

    @contextmanager
    def task_progress(self) -> Iterator[TaskProgress]:
        """Counted work (rows, batches): a bar per counter with count, rate and ETA on a terminal, a line per step
        elsewhere. Implements the `step` / `advance` progress protocol of the seed and cleanup domains."""
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
        )
        live = self.err.is_terminal and not self.quiet
        # No refresh thread: the seed forks worker processes (see row_progress).
        with Progress(*columns, console=self.err, transient=False, disable=not live, auto_refresh=False) as progress:
            yield TaskProgress(self, progress if live else None)

    @contextmanager
    def row_progress(self) -> Iterator[RowProgress]:
        """Rows streaming through named items (tables): a bar per item with rows, rows/s and MB on a terminal,
        a line per phase and finished item elsewhere. Implements the snapshot pipeline's ProgressListener."""
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            _RowsColumn(),
            _RateColumn(),
            TextColumn("{task.fields[megabytes]:.1f} MB"),
            TimeElapsedColumn(),
        )
        live = self.err.is_terminal and not self.quiet
        # No refresh thread (auto_refresh=False; updates redraw, at most 10 times a second): the snapshot forks
        # worker processes, and a fork must not happen while another thread may hold a stream's lock.
        with Progress(*columns, console=self.err, transient=False, disable=not live, auto_refresh=False) as progress:
            yield RowProgress(self, progress if live else None)

    @contextmanager
    def progress(self, transient: bool = False) -> Iterator[Progress]:
        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn())
        with Progress(*columns, console=self.err, transient=transient, disable=self.quiet) as progress:
            yield progress


def _console(stderr: bool) -> Console:
    console = Console(stderr=stderr, highlight=False, soft_wrap=True)
    if not console.is_terminal:
        # Piped or captured output has no width to fit: never truncate a DSN or a port to 80 columns.
        console.width = 250
    return console


def _styled(cell: str) -> str:
    style = _PHASE_STYLE.get(cell)
    return f"[{style}]{escape(cell)}[/{style}]" if style else escape(cell)


class ServiceBoard:
    """A live line per service (phase, detail, elapsed) on a terminal; a plain line per change elsewhere.
    Implements the stack's StackEvents protocol."""

    def __init__(self, terminal: Terminal) -> None:
        self.terminal = terminal
        self.live: Live | None = None
        self.rows: dict[str, tuple[str, str, float]] = {}
        self.lock = threading.Lock()
        self.began = time.monotonic()

    def notice(self, message: str) -> None:
        if self.live:
            self.live.console.print(f"[yellow]![/yellow] {escape(message)}")
        else:
            self.terminal.notice(message)

    def service(self, name: str, phase: str, detail: str = "") -> None:
        with self.lock:
            self.rows[name] = (phase, detail, time.monotonic())
            if self.live:
                self.live.update(self.render())
            elif not self.terminal.quiet:
                suffix = f"  {detail}" if detail else ""
                self.terminal.err.print(f"{escape(name):<14} {_styled(phase)}{escape(suffix)}")

    def progress(self, name: str, phase: str, done: int | None, total: int | None) -> None:
        if done is not None and total:
            detail = f"{done / 1e6:.1f}/{total / 1e6:.1f} MB"
        elif done is not None:
            detail = f"{done} steps"
        else:
            detail = ""
        with self.lock:
            self.rows[name] = (phase, detail, time.monotonic())
            if self.live:
                self.live.update(self.render())

    def render(self) -> Table:
        table = Table.grid(padding=(0, 2))
        for name, (phase, detail, _) in self.rows.items():
            spinner = "" if phase in _PHASE_STYLE else "…"
            table.add_row(escape(name), _styled(phase) + spinner, escape(detail))
        return table


class TaskProgress:
    """`step(name, detail)` announces a phase; `advance(name, done, total)` moves a counter."""

    def __init__(self, terminal: Terminal, progress: Progress | None) -> None:
        self.terminal = terminal
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}
        self.drawn = 0.0

    def step(self, name: str, detail: str = "") -> None:
        text = f"{name}: {detail}" if detail else name
        if self.progress is not None:
            self.progress.console.print(f"[dim]…[/dim] {escape(text)}")
        else:
            self.terminal.info(f"… {text}")

    def advance(self, name: str, done: int, total: int | None) -> None:
        if self.progress is None:
            return
        if name not in self.tasks:
            self.tasks[name] = self.progress.add_task(escape(name), total=total)
        self.progress.update(self.tasks[name], completed=done, total=total)
        now = time.monotonic()
        if now - self.drawn >= 0.1 or (total is not None and done >= total):  # redraw at most 10 times a second
            self.drawn = now
            self.progress.refresh()


class _RowsColumn(ProgressColumn):
    def render(self, task: Any) -> Text:
        total = f"/~{int(task.total):,}" if task.total else ""
        return Text(f"{int(task.completed):,}{total} rows")


class _RateColumn(ProgressColumn):
    def render(self, task: Any) -> Text:
        elapsed = task.finished_time if task.finished else task.elapsed
        rate = task.completed / elapsed if elapsed else 0.0
        return Text(f"{rate:,.0f} rows/s")


class RowProgress:
    """`phase(name)`, `table_started/progress/finished(...)`: see Terminal.row_progress."""

    def __init__(self, terminal: Terminal, progress: Progress | None) -> None:
        self.terminal = terminal
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}
        self.lock = threading.Lock()
        self.drawn = 0.0

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.progress is not None and (force or now - self.drawn >= 0.1):
            self.drawn = now
            self.progress.refresh()

    def phase(self, name: str) -> None:
        if self.progress is not None:
            self.progress.console.print(f"[dim]…[/dim] {escape(name)}")
        else:
            self.terminal.info(f"… {name}")

    def table_started(self, table: str, estimated_rows: int) -> None:
        if self.progress is None:
            return
        with self.lock:
            self.tasks[table] = self.progress.add_task(escape(table), total=estimated_rows or None, megabytes=0.0)
            self._draw(force=True)

    def table_progress(self, table: str, rows: int, bytes_read: int) -> None:
        if self.progress is None:
            return
        with self.lock:
            task = self.tasks.get(table)
            if task is not None:
                total = self.progress.tasks[task].total
                if total is not None and rows > total:
                    total = rows  # estimates (pg_class.reltuples) run low
                self.progress.update(task, completed=rows, total=total, megabytes=bytes_read / 1e6)
                self._draw()

    def table_finished(self, table: str, rows: int, bytes_read: int, seconds: float) -> None:
        if self.progress is not None:
            with self.lock:
                task = self.tasks.get(table)
                if task is not None:
                    self.progress.update(task, completed=rows, total=rows or 1, megabytes=bytes_read / 1e6)
                    self.progress.stop_task(task)
                    self._draw(force=True)
            return
        rate = rows / seconds if seconds else 0.0
        self.terminal.info(f"  {table}: {rows:,} rows in {seconds:.1f}s ({rate:,.0f} rows/s)")
