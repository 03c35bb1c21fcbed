"""Which runtime `auto` picks, and what it says when it falls back."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit.config import load_settings
from devkit.stack.runtime import SilentEvents
from devkit.stack.select import choose_runtime


class _Notices(SilentEvents):
    def __init__(self) -> None:
        self.notices: list[str] = []

    def notice(self, message: str) -> None:
        self.notices.append(message)


def test_auto_without_an_engine_says_so_once_and_runs_native(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = f"unix://{tmp_path}/nope.sock"
    monkeypatch.setenv("DOCKER_HOST", dead)
    settings = load_settings(cwd=tmp_path, environ={"DOCKER_HOST": dead})
    events = _Notices()
    runtime = choose_runtime(settings, "auto", events, follow_record=False)
    assert type(runtime).__name__ == "NativeRuntime"
    assert events.notices == [
        f"no Docker engine answered (tried: DOCKER_HOST={dead}: no such socket); using the native runtime"
    ]
