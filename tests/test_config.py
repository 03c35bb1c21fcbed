from pathlib import Path

import pytest

from devkit.config import load_settings
from devkit.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "devkit.toml").write_text(text)
    return tmp_path


def test_found_by_walking_up(tmp_path: Path) -> None:
    write(tmp_path, '[stack]\nproject = "walk"\n')
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    settings = load_settings(cwd=nested, environ={})
    assert settings.root == tmp_path
    assert settings.stack.project == "walk"


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = load_settings(cwd=tmp_path, environ={})
    assert settings.config_file is None
    assert settings.stack.project == "mpac"
    assert settings.environment("production").production is True
    assert settings.environment("staging").production is False


def test_environment_variables_override_the_file(tmp_path: Path) -> None:
    write(tmp_path, '[stack]\nproject = "file"\nruntime = "docker"\n[stack.ports]\nsvc-portal = 9000\n')
    environ = {
        "DEVKIT_PROJECT": "env",
        "DEVKIT_RUNTIME": "native",
        "DEVKIT_PORT_SVC_PORTAL": "9100",
        "DEVKIT_PORT_POSTGRES": "15432",
        "DEVKIT_IMAGE_REDIS": "mirror/redis:7",
        "DEVKIT_STAGING_DSN": "postgresql://u:secret@staging/db",
        "DEVKIT_QA_DSN": "postgresql://qa/db",
    }
    settings = load_settings(cwd=tmp_path, environ=environ)
    assert settings.stack.project == "env"
    assert settings.stack.runtime == "native"
    assert settings.stack.ports == {"svc-portal": 9100, "postgres": 15432}
    assert settings.stack.images == {"redis": "mirror/redis:7"}
    assert settings.environment("staging").dsn == "postgresql://u:secret@staging/db"
    assert settings.environment("qa").dsn == "postgresql://qa/db"
    assert settings.environment("qa").production is False


def test_committed_staging_dsn_is_rejected(tmp_path: Path) -> None:
    write(tmp_path, '[environments.staging]\ndsn = "postgresql://u:p@h/db"\n')
    with pytest.raises(ConfigError) as error:
        load_settings(cwd=tmp_path, environ={})
    assert "DEVKIT_STAGING_DSN" in error.value.one_line()


@pytest.mark.parametrize(
    ("text", "environ", "fragment"),
    [
        ("[stack\n", {}, "invalid TOML"),
        ('[stack]\nruntime = "podman"\n', {}, "stack.runtime"),
        ("[stack]\ntimeout = -1\n", {}, "timeout"),
        ('[stack]\nproject = "Bad Name"\n', {}, "project"),
        ("[stack]\nbogus = 1\n", {}, "bogus"),
        ("[stak]\n", {}, "unknown section"),
        ("", {"DEVKIT_PORT_POSTGRES": "abc"}, "DEVKIT_PORT_POSTGRES"),
        ("", {"DEVKIT_PORT_POSTGRES": "70000"}, "1-65535"),
    ],
)
def test_bad_settings_name_the_problem(tmp_path: Path, text: str, environ: dict, fragment: str) -> None:
    write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_settings(cwd=tmp_path, environ=environ)
    assert fragment in error.value.one_line()


def test_unknown_environment_lists_known_ones(tmp_path: Path) -> None:
    settings = load_settings(cwd=tmp_path, environ={})
    with pytest.raises(ConfigError) as error:
        settings.environment("prod")
    assert "dev, production, staging" in error.value.one_line()


def test_explicit_config_path_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="DEVKIT_CONFIG"):
        load_settings(cwd=tmp_path, environ={"DEVKIT_CONFIG": str(tmp_path / "missing.toml")})
