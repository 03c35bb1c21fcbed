"""Snapshot reports: runs started in the same second (into dev and dev2, or twice into dev) each get their own
file, written whole (never half) and owner-only."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from devkit.config import load_settings
from devkit.snapshot import default_report_path, write_report


def _settings(tmp_path: Path):
    (tmp_path / "devkit.toml").write_text('[stack]\nproject = "reports"\n')
    return load_settings(cwd=tmp_path, environ={})


def test_the_default_name_says_which_target(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    dev = default_report_path(settings, "postgresql://dev:dev@127.0.0.1:5432/mpac_dev")
    dev2 = default_report_path(settings, "postgresql://dev:dev@127.0.0.1:5432/mpac_dev2")
    exported = default_report_path(settings, "postgresql://dev:dev@127.0.0.1:5432/mpac_dev", Path("/x/a b.dump"))
    assert dev.name.startswith("snapshot-") and dev.name.endswith("-mpac_dev.json")
    assert dev2.name.endswith("-mpac_dev2.json")
    assert exported.name.endswith("-a_b.dump.json")
    assert "dev:dev" not in str(dev)


def test_two_reports_of_the_same_second_never_share_a_file(tmp_path: Path) -> None:
    path = default_report_path(_settings(tmp_path), "postgresql://dev@127.0.0.1/mpac_dev")  # both runs' wish
    written: list[Path] = []

    def report(text: str) -> None:
        written.append(write_report(path, text, exclusive=True))

    threads = [threading.Thread(target=report, args=(f'{{"run": {n}}}' * 1000,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(written)) == 8 and path in written
    assert {p.read_text() for p in written} == {f'{{"run": {n}}}' * 1000 for n in range(8)}
    for report_file in written:
        assert stat.S_IMODE(report_file.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == sorted(p.name for p in written)  # no partials left


def test_an_explicit_report_path_is_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "out" / "report.json"
    assert write_report(path, "first") == path
    assert write_report(path, "second") == path
    assert path.read_text() == "second" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["report.json"]


def test_without_hard_links_a_name_is_still_taken_only_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(source: object, target: object) -> None:
        raise PermissionError(1, "Operation not permitted")  # what link() says on e.g. vfat

    monkeypatch.setattr("os.link", no_links)
    path, second = tmp_path / "snapshot-x-dev.json", tmp_path / "snapshot-x-dev-2.json"
    assert [write_report(path, text, exclusive=True) for text in ("a", "b")] == [path, second]
    assert path.read_text() == "a" and second.read_text() == "b"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
