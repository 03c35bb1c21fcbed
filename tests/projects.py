"""An isolated devkit project for command-line tests of `devkit snapshot`: its own devkit.toml in a temporary
directory, environment variables naming the source and target, and none of the caller's devkit settings."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

_INHERITED = ("DEVKIT_CONFIG", "DEVKIT_STATE_DIR", "DEVKIT_PROJECT", "DEVKIT_STAGING_DSN")


def snapshot_project(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    name: str,
    key: str,
    production: str | None = None,
    dev: str | None = None,
    rules: str | None = None,
    precious_in: str | None = None,
) -> Path:
    """Make `tmp_path` the working directory of a project called `name`. `precious_in`: a database given a table
    of its own before the run, so a test can prove the run leaves what it does not own alone."""
    for variable in _INHERITED:
        monkeypatch.delenv(variable, raising=False)
    (tmp_path / "devkit.toml").write_text(f'[stack]\nproject = "{name}"\n')
    if rules is not None:
        (tmp_path / "rules.yml").write_text(rules)
    if production is not None:
        monkeypatch.setenv("DEVKIT_PRODUCTION_DSN", production)
    if dev is not None:
        monkeypatch.setenv("DEVKIT_DEV_DSN", dev)
    monkeypatch.setenv("DEVKIT_ANON_KEY", key)
    monkeypatch.chdir(tmp_path)
    if precious_in is not None:
        with psycopg.connect(precious_in, autocommit=True) as conn:
            conn.execute("CREATE TABLE precious (note text)")
    return tmp_path
