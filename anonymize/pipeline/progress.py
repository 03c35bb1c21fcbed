"""How a run reports progress: the CLI renders it (devkit/terminal.py), tests may record it. Nothing in the
pipeline prints."""

from __future__ import annotations

from typing import Protocol


class ProgressListener(Protocol):
    """How a run reports progress; the CLI renders it, tests may record it."""

    def phase(self, name: str) -> None: ...

    def table_started(self, table: str, estimated_rows: int) -> None: ...

    def table_progress(self, table: str, rows: int, bytes_read: int) -> None: ...

    def table_finished(self, table: str, rows: int, bytes_read: int, seconds: float) -> None: ...


class SilentProgress:
    def phase(self, name: str) -> None:
        pass

    def table_started(self, table: str, estimated_rows: int) -> None:
        pass

    def table_progress(self, table: str, rows: int, bytes_read: int) -> None:
        pass

    def table_finished(self, table: str, rows: int, bytes_read: int, seconds: float) -> None:
        pass
