from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from devkit.config import load_settings
from devkit.environments import (
    connect,
    mask_dsn,
    refuse_production,
    resolve_dsn,
    stack_data_lock,
    uses_stack_database,
)
from devkit.errors import ConfigError, DataError, RefusedError
from devkit.stack.state import state_dir
from tests.conftest import REPO_ROOT


@pytest.mark.parametrize(
    ("dsn", "masked"),
    [
        ("postgresql://app:s3cret@db.internal:5432/staging", "postgresql://app:***@db.internal:5432/staging"),
        ("postgresql://app:p%40ss@h/db?sslmode=require", "postgresql://app:***@h/db?sslmode=require"),
        ("postgresql://app@h/db?password=s3cret&sslmode=require", "postgresql://app@h/db?password=***&sslmode=require"),
        ("host=h dbname=db user=app password=s3cret", "host=h dbname=db user=app password=***"),
        ("host=h password='s3 cret' user=app", "host=h password=*** user=app"),
        ("postgresql://h/db", "postgresql://h/db"),
    ],
)
def test_mask_dsn_hides_passwords(dsn: str, masked: str) -> None:
    assert mask_dsn(dsn) == masked


def test_resolve_dsn_from_environment_variables() -> None:
    settings = load_settings(REPO_ROOT, {"DEVKIT_STAGING_DSN": "postgresql://s@h/st"})
    assert resolve_dsn(settings, "staging") == "postgresql://s@h/st"


def test_dev_falls_back_to_the_stack_database() -> None:
    settings = load_settings(REPO_ROOT, {})
    assert resolve_dsn(settings, "dev") == "postgresql://dev:dev@127.0.0.1:5432/mpac_dev"
    overridden = load_settings(REPO_ROOT, {"DEVKIT_DEV_DSN": "postgresql://x@h/y"})
    assert resolve_dsn(overridden, "dev") == "postgresql://x@h/y"


def test_other_environments_need_an_explicit_dsn() -> None:
    with pytest.raises(ConfigError, match="no DSN for environment 'staging'") as caught:
        resolve_dsn(load_settings(REPO_ROOT, {}), "staging")
    assert caught.value.hint == "set DEVKIT_STAGING_DSN"
    with pytest.raises(ConfigError, match="unknown environment 'qa'"):
        resolve_dsn(load_settings(REPO_ROOT, {}), "qa")


def test_production_is_refused_by_setting_not_by_name(tmp_path: Path) -> None:
    settings = load_settings(REPO_ROOT, {"DEVKIT_STAGING_PRODUCTION": "true"})
    with pytest.raises(RefusedError, match="'production': it is marked production"):
        refuse_production(settings, "production", "seed")
    with pytest.raises(RefusedError, match="'staging': it is marked production"):
        refuse_production(settings, "staging", "clean up")
    refuse_production(settings, "dev", "seed")


def test_connect_failures_mask_the_password(postgres_server) -> None:
    wrong = postgres_server.dsn().replace(":postgres@", ":not-the-password@")
    with pytest.raises(DataError) as caught:
        connect(wrong)
    assert "not-the-password" not in caught.value.one_line()
    assert "postgres:***@" in caught.value.message
    with connect(postgres_server.dsn()) as conn:
        assert isinstance(conn, psycopg.Connection)


def test_scrub_removes_the_password_but_not_words_containing_it() -> None:
    from devkit.environments import scrub

    dsn = "postgresql://app:dev@127.0.0.1:5432/mpac_dev"
    message = "table public.devkit_seed_ledger: secret dev rejected at postgresql://app:dev@127.0.0.1/x"
    assert scrub(message, dsn) == (
        "table public.devkit_seed_ledger: secret *** rejected at postgresql://app:***@127.0.0.1/x"
    )
    assert scrub("password=s3cret&sslmode=require", "postgresql://u:s3cret@h/db") == "password=***&sslmode=require"


def test_writing_into_the_stack_database_shares_the_project_lock(tmp_path: Path) -> None:
    """A seed or cleanup of dev (the stack's own database) waits for an `up` in progress; staging's doesn't."""
    settings = load_settings(REPO_ROOT, {"DEVKIT_STATE_DIR": str(tmp_path)})
    assert uses_stack_database(settings, "dev") and not uses_stack_database(settings, "staging")
    assert not uses_stack_database(load_settings(REPO_ROOT, {"DEVKIT_DEV_DSN": "postgresql://x@h/y"}), "dev")
    state = state_dir(settings)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_UP, str(state)], stdout=subprocess.PIPE, text=True
    )  # an `up` in progress
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    heard: list[str] = []
    with stack_data_lock(settings, "staging", "seed staging", heard.append):
        assert heard == [] and holder.poll() is None  # not the stack's database: no wait
    with stack_data_lock(settings, "dev", "seed dev", heard.append):
        assert (state / "up finished").exists()
    assert len(heard) == 1 and heard[0].startswith(f"waiting for `devkit up` (pid {holder.pid}")
    holder.wait(timeout=10)


HOLD_UP = """
import sys, time
from pathlib import Path
from devkit.stack.lock import project_lock
state = Path(sys.argv[1])
with project_lock(state, "up"):
    print("held", flush=True)
    time.sleep(1)
    (state / "up finished").touch()
"""
