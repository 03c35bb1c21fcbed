"""User errors come out as one line with the fix, a non-zero exit code and no traceback."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from devkit.cli import app

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for variable in ("DEVKIT_CONFIG", "DEVKIT_RUNTIME", "DEVKIT_PROJECT", "DEVKIT_COMPOSE_FILE"):
        monkeypatch.delenv(variable, raising=False)
    (tmp_path / "compose").mkdir()
    (tmp_path / "compose" / "docker-compose.yml").write_text("services:\n  db:\n    image: postgres:15\n")
    (tmp_path / "devkit.toml").write_text('[stack]\nproject = "errs"\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result


def test_malformed_compose_file(project: Path) -> None:
    (project / "compose" / "docker-compose.yml").write_text("services:\n  db:\n    image: x\n    ports: [nope]\n")
    result = run("status")
    assert result.exit_code == 3
    assert "service 'db', field 'ports[0]'" in result.output
    assert result.output.strip().count("\n") == 0, result.output


def test_malformed_settings(project: Path) -> None:
    (project / "devkit.toml").write_text('[stack]\nruntime = "podman"\n')
    result = run("up")
    assert result.exit_code == 3
    assert "stack.runtime" in result.output


def test_unknown_runtime_flag(project: Path) -> None:
    result = run("up", "--runtime", "podman")
    assert result.exit_code == 2
    assert "use --runtime auto, docker or native" in result.output


def test_unknown_service(project: Path) -> None:
    result = run("up", "nope")
    assert result.exit_code == 3
    assert "no service 'nope'" in result.output and "known services: db" in result.output


def test_bad_timeout(project: Path) -> None:
    result = run("up", "--timeout", "0")
    assert result.exit_code == 2
    assert "--timeout must be positive" in result.output


def test_down_volumes_needs_confirmation(project: Path) -> None:
    result = run("down", "--volumes")
    assert result.exit_code == 7
    assert "pass --yes" in result.output


def test_logs_negative_tail(project: Path) -> None:
    result = run("logs", "db", "--tail", "-1")
    assert result.exit_code == 2


def test_version_and_help(project: Path) -> None:
    assert run("--version").output.startswith("devkit ")
    help_text = run("up", "--help").output
    assert "--runtime" in help_text and "--timeout" in help_text


def test_unmapped_presidio_entity_in_the_rules(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rules file's Presidio recognizer finding an entity type with no devkit kind stops before any connection."""
    recognizers = Path(__file__).resolve().parents[1] / "anonymize" / "pii" / "presidio_rules" / "recognizers.yaml"
    (project / "recognizers.yaml").write_text(recognizers.read_text(encoding="utf-8"), encoding="utf-8")
    (project / "rules.yml").write_text("version: 1\npii:\n  recognizers:\n    - yaml: recognizers.yaml\ntables: {}\n")
    monkeypatch.setenv("DEVKIT_PRODUCTION_DSN", "postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("DEVKIT_ANON_KEY", "0123456789abcdef0123456789abcdef")
    result = run("snapshot", "--check", "--rules", "rules.yml")
    assert result.exit_code == 3, result.output
    assert "rules.yml:2: pii: entity types EMPLOYEE_ID, MEMBER_NUMBER, TITLE have no devkit kind" in result.output
    assert result.output.strip().count("\n") == 0, result.output
