"""Where a snapshot goes (devkit.snapshot.snapshot_target): the sink, and the refusals before any data moves.
Reachable before only through the CLI; pure but for finding the client tools."""

from __future__ import annotations

from pathlib import Path

import pytest

from anonymize.sinks import DatabaseSink, DumpFileSink
from devkit.config import load_settings
from devkit.errors import RefusedError
from devkit.snapshot import snapshot_target

DEV = "postgresql://dev:devpw@127.0.0.1:5432/mpac_dev"
PROD = "postgresql://ro:prodpw@10.0.0.5:5432/mpac"


def _settings(tmp_path: Path):
    (tmp_path / "devkit.toml").write_text('[stack]\nproject = "target"\n')
    return load_settings(cwd=tmp_path, environ={"DEVKIT_DEV_DSN": DEV, "DEVKIT_PRODUCTION_DSN": PROD})


def test_the_target_database_is_replaced_and_named_without_its_password(tmp_path: Path) -> None:
    target = snapshot_target(_settings(tmp_path), PROD, "dev", None)
    assert isinstance(target.sink, DatabaseSink) and target.replaces_database
    assert target.dsn == DEV
    assert target.description.startswith("the dev database (") and "devpw" not in target.description


def test_a_dump_file_replaces_nothing(tmp_path: Path) -> None:
    target = snapshot_target(_settings(tmp_path), PROD, "dev", tmp_path / "out.dump")
    assert isinstance(target.sink, DumpFileSink) and not target.replaces_database
    assert target.description == f"anonymized dump file {tmp_path / 'out.dump'}"


def test_production_is_never_a_target(tmp_path: Path) -> None:
    with pytest.raises(RefusedError, match="refusing to load a snapshot into environment 'production'"):
        snapshot_target(_settings(tmp_path), DEV, "production", None)


def test_the_database_being_read_is_never_replaced(tmp_path: Path) -> None:
    same = "postgresql://other@localhost/mpac_dev"  # localhost and 127.0.0.1, default port: the same server
    with pytest.raises(RefusedError, match="source and target are the same database") as raised:
        snapshot_target(_settings(tmp_path), same, "dev", None)
    assert "devpw" not in str(raised.value)
    # Into a file, dev's server only hosts a scratch database: anonymizing dev itself to share it is fine.
    assert not snapshot_target(_settings(tmp_path), same, "dev", tmp_path / "dev.dump").replaces_database
