"""Which leftover dockerd a test session adopts (and so stops at its end): only one whose starting session died."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import engine


@pytest.fixture
def fake_dockerd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[subprocess.Popen[bytes]]:
    """A process whose name is `dockerd` (a copy of sleep), recorded in a private run dir's pid file."""
    monkeypatch.setattr(engine, "RUN_DIR", tmp_path)
    binary = tmp_path / "dockerd"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", binary)
    process = subprocess.Popen([str(binary), "60"])
    (tmp_path / "dockerd.pid").write_text(f"{process.pid}\n")
    yield process
    process.kill()
    process.wait()


def _dead_pid() -> int:
    finished = subprocess.Popen(["true"])
    finished.wait()
    return finished.pid


def test_a_killed_sessions_dockerd_is_adopted(fake_dockerd: subprocess.Popen[bytes], tmp_path: Path) -> None:
    (tmp_path / "dockerd.owner").write_text(str(_dead_pid()))
    assert engine._our_dockerd() == fake_dockerd.pid


def test_a_running_sessions_dockerd_is_left_to_it(fake_dockerd: subprocess.Popen[bytes], tmp_path: Path) -> None:
    other_session = subprocess.Popen(["sleep", "60"])
    try:
        (tmp_path / "dockerd.owner").write_text(str(other_session.pid))
        assert engine._our_dockerd() is None
    finally:
        other_session.kill()
        other_session.wait()


def test_a_dockerd_started_by_hand_is_left_running(fake_dockerd: subprocess.Popen[bytes], tmp_path: Path) -> None:
    (tmp_path / "dockerd.owner").write_text(engine.MANUAL_OWNER)
    assert engine._our_dockerd() is None


def test_no_owner_file_means_not_ours(fake_dockerd: subprocess.Popen[bytes]) -> None:
    assert engine._our_dockerd() is None
