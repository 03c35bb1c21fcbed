"""`devkit snapshot` and `devkit rules init` from the command line, on real PostgreSQL 15: refusals, the rules
check, a full run with its JSON report, a dump-file target, errors as one line with their exit code and
passwords masked."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from anonymize.postgres import ClientTools
from devkit.cli import app
from testbed.servers import PostgresServer
from tests.anonymize.prodlike import RULES, build_prodlike
from tests.client_wrappers import wrapped_bindir
from tests.projects import snapshot_project

runner = CliRunner()
KEY = "cli-test-key-0123456789abcdef"


@pytest.fixture(scope="module")
def prod(postgres_server: PostgresServer) -> Iterator[str]:
    with postgres_server.database("prod") as dsn:
        build_prodlike(dsn, customers=80, seed=3)
        yield dsn


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prod: str, pg_database: str) -> Path:
    return snapshot_project(
        tmp_path,
        monkeypatch,
        name="snap",
        key=KEY,
        production=prod,
        dev=pg_database,
        rules=RULES,
        precious_in=pg_database,
    )


def run(*args: str):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    return result


def _dev_untouched(dsn: str) -> bool:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT to_regclass('precious')").fetchone()[0] is not None


def test_without_anonymize_production_data_is_never_copied(project: Path, pg_database: str) -> None:
    result = run("snapshot", "--rules", "rules.yml", "--yes")
    assert result.exit_code == 7
    assert "refusing to copy production data unmasked" in result.output and "--anonymize" in result.output
    assert _dev_untouched(pg_database)


def test_a_production_target_is_refused(project: Path, monkeypatch: pytest.MonkeyPatch, pg_database: str) -> None:
    monkeypatch.setenv("DEVKIT_STAGING_DSN", pg_database)
    monkeypatch.setenv("DEVKIT_STAGING_PRODUCTION", "1")
    result = run("snapshot", "--anonymize", "--rules", "rules.yml", "--target", "staging", "--yes")
    assert result.exit_code == 7
    assert "'staging': it is marked production" in result.output
    assert _dev_untouched(pg_database)


def test_replacing_dev_needs_yes_when_nobody_can_be_asked(project: Path, pg_database: str) -> None:
    result = run("snapshot", "--anonymize", "--rules", "rules.yml")
    assert result.exit_code == 7 and "pass --yes" in result.output
    assert _dev_untouched(pg_database)


def test_check_only_checks(project: Path, pg_database: str) -> None:
    result = run("snapshot", "--check", "--rules", "rules.yml")
    assert result.exit_code == 0, result.output
    assert "cover all 6 tables" in result.output
    (project / "partial.yml").write_text(
        RULES.replace("      phone: phone\n", "").replace("  audit_log:\n", "  audit_logs:\n")
    )
    result = run("snapshot", "--check", "--rules", "partial.yml")
    assert result.exit_code == 7
    assert "public.customers.phone: column has no rule" in result.output
    assert "public.audit_log: table has no rule" in result.output
    assert (
        "partial.yml:" in result.output and "public.audit_logs: rule for a table that does not exist" in result.output
    )
    assert _dev_untouched(pg_database)


def test_bad_rules_file_and_missing_key_are_config_errors(
    project: Path, monkeypatch: pytest.MonkeyPatch, pg_database: str
) -> None:
    (project / "bad.yml").write_text("version: 1\ntables:\n  customers:\n    columns:\n      email: emial\n")
    result = run("snapshot", "--anonymize", "--rules", "bad.yml", "--yes")
    assert result.exit_code == 3
    assert "bad.yml:5:" in result.output and "unknown transform 'emial'" in result.output
    monkeypatch.delenv("DEVKIT_ANON_KEY")
    result = run("snapshot", "--anonymize", "--rules", "rules.yml", "--yes")
    assert result.exit_code == 3 and "DEVKIT_ANON_KEY" in result.output
    assert _dev_untouched(pg_database)


def test_unreachable_source_is_one_line_with_the_password_masked(
    project: Path, monkeypatch: pytest.MonkeyPatch, pg_database: str
) -> None:
    monkeypatch.setenv("DEVKIT_PRODUCTION_DSN", "postgresql://reader:hunter2-secret@127.0.0.1:1/prod")
    result = run("snapshot", "--anonymize", "--rules", "rules.yml", "--yes")
    assert result.exit_code == 8
    assert "hunter2-secret" not in result.output
    assert "cannot connect to the source database reader@127.0.0.1:1/prod" in result.output
    assert _dev_untouched(pg_database)


def test_full_run_replaces_dev_and_writes_the_report(project: Path, pg_database: str, prod: str) -> None:
    report_path = project / "out" / "report.json"
    result = run(
        "snapshot", "--anonymize", "--rules", "rules.yml", "--yes", "--jobs", "2", "--report", str(report_path)
    )
    assert result.exit_code == 0, result.output
    assert "rows/s" in result.output and "leak check" in result.output
    assert not _dev_untouched(pg_database)
    report = json.loads(report_path.read_text())
    assert report["verification"]["passed"] is True
    assert report["rows"] > 0 and report["rows_per_second"] > 0
    assert {t["table"] for t in report["tables"]} >= {"public.customers", "public.orders"}
    assert "postgres:postgres@" not in report_path.read_text() and KEY not in report_path.read_text()
    with psycopg.connect(pg_database) as dev, psycopg.connect(prod) as source:
        assert (
            dev.execute("SELECT count(*) FROM orders").fetchone()
            == source.execute("SELECT count(*) FROM orders").fetchone()
        )


def test_dump_file_output_restores_with_pg_restore(
    project: Path, postgres_server: PostgresServer, pg_database: str
) -> None:
    output = project / "share" / "anon.dump"
    result = run("snapshot", "--anonymize", "--rules", "rules.yml", "--output", str(output))
    assert result.exit_code == 0, result.output
    assert _dev_untouched(pg_database)  # only a scratch database was used on dev's server
    with postgres_server.database("restored") as restored:
        ClientTools.find().run(["pg_restore", "--exit-on-error", "--no-owner", str(output)], restored)
        with psycopg.connect(restored) as conn:
            assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 80


def test_rules_init_drafts_rules_that_cover_the_schema(project: Path, prod: str) -> None:
    result = run("rules", "init", "--output", "drafted.yml")
    assert result.exit_code == 0, result.output
    drafted = (project / "drafted.yml").read_text()
    assert "email: email" in drafted and "phone: phone" in drafted and "card_pan: card_pan" in drafted
    assert "REVIEW" in drafted  # JSON columns are flagged for a human
    result = run("snapshot", "--check", "--rules", "drafted.yml")
    assert result.exit_code == 0, result.output
    result = run("snapshot", "--anonymize", "--rules", "drafted.yml", "--yes")  # the draft, untouched, publishes
    assert result.exit_code == 0, result.output
    result = run("rules", "init", "--output", "drafted.yml")
    assert result.exit_code == 2 and "--force" in result.output


def test_source_and_target_the_same_database_is_refused(
    project: Path, monkeypatch: pytest.MonkeyPatch, prod: str
) -> None:
    monkeypatch.setenv("DEVKIT_DEV_DSN", prod)
    result = run("snapshot", "--anonymize", "--rules", "rules.yml", "--yes")
    assert result.exit_code == 7 and "source and target are the same database" in result.output
    assert "postgres:postgres@" not in result.output


def test_a_database_can_be_anonymized_into_a_file_on_its_own_server(
    project: Path, monkeypatch: pytest.MonkeyPatch, prod: str
) -> None:
    monkeypatch.setenv("DEVKIT_DEV_DSN", prod)
    output = project / "self.dump"
    result = run("snapshot", "--anonymize", "--rules", "rules.yml", "--output", str(output))
    assert result.exit_code == 0, result.output
    assert output.stat().st_size > 0
    (report,) = (project / ".devkit" / "snap" / "reports").glob("snapshot-*-self.dump.json")  # named after its target
    assert f"report: {report}" in result.output
    with psycopg.connect(prod) as conn:  # the source was only read
        assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 80


def test_a_failed_verification_exits_7_keeps_dev_and_writes_what_failed(project: Path, pg_database: str) -> None:
    (project / "leaky.yml").write_text(RULES.replace("      customer_email: email", "      customer_email: keep"))
    report_path = project / "failed.json"
    result = run("snapshot", "--anonymize", "--rules", "leaky.yml", "--yes", "--report", str(report_path))
    assert result.exit_code == 7
    assert "verification failed, nothing was published" in result.output
    assert "public.orders.customer_email" in result.output and "@" not in result.output.split("verification")[-1]
    assert _dev_untouched(pg_database)
    report = json.loads(report_path.read_text())
    assert report["verification"]["passed"] is False
    assert report["verification"]["leaks"]["public.orders.customer_email"] > 0


def _work_databases(server_dsn: str) -> list[str]:
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        return [name for (name,) in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE '%\\_devkit\\_%'")]


def test_a_killed_snapshot_leaves_nothing_in_tmpdir_after_the_next_run(
    project: Path, postgres_server: PostgresServer, pg_database: str, prod: str
) -> None:
    tmpdir = project / "tmp"  # this test's own $TMPDIR: other tests and workers leave theirs elsewhere
    tmpdir.mkdir()
    flag = project / "post-data"
    # Held still at post-data (after pre-data and every row), where the source's schema dump sits in $TMPDIR.
    hold = f'case "$*" in *--section=post-data*) touch {flag}; sleep 600;; esac'
    bindir = wrapped_bindir(project / "bin", hold)
    devkit = [str(Path(sys.executable).parent / "devkit"), "snapshot", "--anonymize", "--rules", "rules.yml", "--yes"]
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    killed = subprocess.Popen(
        devkit, env={**env, "DEVKIT_POSTGRES_BIN": str(bindir)}, start_new_session=True, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            assert killed.poll() is None, killed.communicate()[1].decode()
            assert time.monotonic() < deadline, "the run never reached post-data"
            time.sleep(0.1)
    finally:
        os.killpg(killed.pid, signal.SIGKILL)  # the run, its workers and its children: as if the machine died
        killed.wait(30)
    assert [p.name for p in tmpdir.iterdir() if p.name.startswith("devkit-schema-")], "nothing was left to clean"
    assert _dev_untouched(pg_database)

    done = subprocess.run(devkit, env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    assert "left behind by an interrupted run" in done.stderr.decode()
    assert list(tmpdir.iterdir()) == []  # no devkit-* directory, and no temporary file of any other kind
    assert _work_databases(postgres_server.dsn()) == []
    assert not _dev_untouched(pg_database)


def test_ctrl_c_mid_run_says_interrupted_exits_130_and_keeps_dev(project: Path, pg_database: str) -> None:
    flag = project / "reading"
    # Held still at the first COPY out of the source (a run well under way, its workers forked or about to be); exec:
    # the process the run started is the one holding its pipe, as psql is (a child of sh's would outlive a kill).
    hold = f'case "$*" in *"TO STDOUT"*) touch {flag}; exec sleep 600;; esac'
    bindir = wrapped_bindir(project / "bin", hold)
    devkit = [str(Path(sys.executable).parent / "devkit"), "snapshot", "--anonymize", "--rules", "rules.yml", "--yes"]
    interrupted = subprocess.Popen(
        devkit,
        env={**os.environ, "DEVKIT_POSTGRES_BIN": str(bindir)},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            assert interrupted.poll() is None, interrupted.communicate()[1].decode()
            assert time.monotonic() < deadline, "the run never read the source"
            time.sleep(0.1)
        # A terminal's Ctrl-C: SIGINT to the whole foreground group, the run and every child it started (psql too,
        # whose failure must not be reported as the source's).
        os.killpg(interrupted.pid, signal.SIGINT)
        stderr = interrupted.communicate(timeout=120)[1].decode()
    finally:
        if interrupted.poll() is None:
            os.killpg(interrupted.pid, signal.SIGKILL)
            interrupted.wait(30)
    assert interrupted.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "interrupted", stderr
    assert "Traceback" not in stderr and "failed" not in stderr, stderr
    assert _dev_untouched(pg_database)


ARGV_DSN = "postgresql://reader:hunter2-in-argv@127.0.0.1:1/prod"


@pytest.mark.parametrize(
    "command",
    [
        ["snapshot", "--anonymize", "--rules", "rules.yml", "--yes"],
        ["snapshot", "--check", "--rules", "rules.yml"],
        ["scan", "--rules", "rules.yml"],
        ["rules", "init", "--no-scan"],
    ],
)
def test_a_password_in_source_on_the_command_line_is_warned_about_never_shown(
    project: Path, command: list[str]
) -> None:
    result = run(*command, "--source", ARGV_DSN)
    assert result.exit_code == 8  # nothing listens on port 1: the warning came before anything was tried
    warning = [line for line in result.output.splitlines() if "--source carries a password" in line]
    assert len(warning) == 1 and "DEVKIT_PRODUCTION_DSN" in warning[0] and "DEVKIT_<ENV>_DSN" in warning[0]
    assert "hunter2-in-argv" not in result.output


def test_a_source_named_by_environment_or_without_password_is_not_warned_about(
    project: Path, prod: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSWORD", "postgres")  # the password of a DSN without one comes from libpq's variable
    for source in ("production", prod.replace("postgres:postgres@", "postgres@")):
        result = run("snapshot", "--check", "--rules", "rules.yml", "--source", source)
        assert result.exit_code == 0 and "cover all" in result.output, result.output
        assert "carries a password" not in result.output
