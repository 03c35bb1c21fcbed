"""Per-project state on the host: where native data and logs live, and which runtime last ran the stack."""

from __future__ import annotations

from pathlib import Path

from devkit.config import Settings


def state_dir(settings: Settings) -> Path:
    """`[stack] state_dir` / DEVKIT_STATE_DIR, else `.devkit/<project>` under the project root."""
    if settings.stack.state_dir:
        return settings.path(settings.stack.state_dir) / settings.stack.project
    return settings.root / ".devkit" / settings.stack.project


def recorded_runtime(settings: Settings) -> str | None:
    marker = state_dir(settings) / "runtime"
    try:
        name = marker.read_text().strip()
    except OSError:
        return None
    return name if name in ("docker", "native") else None


def record_runtime(settings: Settings, name: str | None) -> None:
    marker = state_dir(settings) / "runtime"
    if name is None:
        marker.unlink(missing_ok=True)
        return
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(name + "\n")
